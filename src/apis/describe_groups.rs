//! DescribeGroups (API key 15), versions 0-5. Kafka: `KafkaApis.handleDescribeGroupsRequest`.

use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

/// Kafka: authorized operations not requested (`Int.MinValue`).
const OPERATIONS_NOT_REQUESTED: i32 = i32::MIN;
/// A group's operations without an authorizer: READ(3), DELETE(6), DESCRIBE(8),
/// DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11) as a bit field (`AclEntry.supportedOperations(GROUP)`).
const GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: DescribeGroupsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let groups = req
        .groups
        .iter()
        .map(|group_id| {
            let described = DescribedGroup::default().with_group_id(group_id.clone());
            // Kafka: `handleDescribeGroupsRequest` — Describe on each group.
            if !apis.authorize(
                &request.context,
                crate::zk::znodes::AclOperation::Describe,
                crate::zk::znodes::ResourceType::Group,
                group_id,
            ) {
                return described.with_error_code(ResponseError::GroupAuthorizationFailed.code());
            }
            let Some(c) = apis.group_coordinator.as_ref() else {
                return described.with_error_code(ResponseError::CoordinatorNotAvailable.code());
            };
            let s = c.handle_describe_group(group_id);
            let members = s
                .members
                .into_iter()
                .map(|m| {
                    DescribedGroupMember::default()
                        .with_member_id(StrBytes::from_string(m.member_id))
                        .with_group_instance_id(m.group_instance_id.map(StrBytes::from_string))
                        .with_client_id(StrBytes::from_string(m.client_id))
                        .with_client_host(StrBytes::from_string(m.client_host))
                        .with_member_metadata(m.metadata)
                        .with_member_assignment(m.assignment)
                })
                .collect();
            described
                .with_error_code(s.error)
                .with_group_state(StrBytes::from_string(s.state))
                .with_protocol_type(StrBytes::from_string(s.protocol_type))
                .with_protocol_data(StrBytes::from_string(s.protocol))
                .with_members(members)
                .with_authorized_operations(if req.include_authorized_operations {
                    GROUP_OPERATIONS
                } else {
                    OPERATIONS_NOT_REQUESTED
                })
        })
        .collect();
    respond(
        request,
        &DescribeGroupsResponse::default().with_groups(groups),
    )
}
