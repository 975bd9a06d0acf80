//! DescribeGroups (API key 15), versions 0-5. Kafka: `KafkaApis.handleDescribeGroupsRequest`.

use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;
use crate::zk::znodes::{AclOperation, ResourceType};

/// Kafka: `DescribeGroupsResponse.AUTHORIZED_OPERATIONS_OMITTED` (`Integer.MIN_VALUE`), the
/// value when not requested, for denied groups and for groups answered with an error.
const AUTHORIZED_OPERATIONS_OMITTED: i32 = i32::MIN;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: DescribeGroupsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    // Kafka: `handleDescribeGroupsRequest` — Describe on each group; the denied groups come
    // first in the response (`groupError`), then the coordinator's answers in request order.
    let (authorized, denied): (Vec<_>, Vec<_>) = req.groups.iter().partition(|group_id| {
        apis.authorize(
            &request.context,
            AclOperation::Describe,
            ResourceType::Group,
            group_id,
        )
    });
    let mut groups: Vec<DescribedGroup> = denied
        .into_iter()
        .map(|group_id| {
            DescribedGroup::default()
                .with_group_id(group_id.clone())
                .with_error_code(ResponseError::GroupAuthorizationFailed.code())
                .with_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED)
        })
        .collect();
    groups.extend(authorized.into_iter().map(|group_id| {
        let described = DescribedGroup::default()
            .with_group_id(group_id.clone())
            .with_authorized_operations(AUTHORIZED_OPERATIONS_OMITTED);
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
        // Kafka: operations only for groups answered without an error.
        let operations = if req.include_authorized_operations && s.error == 0 {
            apis.authorized_operations(&request.context, ResourceType::Group, group_id)
        } else {
            AUTHORIZED_OPERATIONS_OMITTED
        };
        described
            .with_error_code(s.error)
            .with_group_state(StrBytes::from_string(s.state))
            .with_protocol_type(StrBytes::from_string(s.protocol_type))
            .with_protocol_data(StrBytes::from_string(s.protocol))
            .with_members(members)
            .with_authorized_operations(operations)
    }));
    respond(
        request,
        &DescribeGroupsResponse::default().with_groups(groups),
    )
}
