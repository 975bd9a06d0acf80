//! ListGroups (API key 16), versions 0-5: the groups this broker coordinates; v4 filters by
//! state, v5 by type (only "classic" groups exist here). Kafka: `KafkaApis.handleListGroupsRequest`.

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{GroupId, ListGroupsRequest, ListGroupsResponse};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: ListGroupsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let Some(c) = apis.group_coordinator.as_ref() else {
        return respond(
            request,
            &ListGroupsResponse::default()
                .with_error_code(ResponseError::CoordinatorNotAvailable.code()),
        );
    };
    let states: Vec<String> = req.states_filter.iter().map(|s| s.to_string()).collect();
    let types: Vec<String> = req.types_filter.iter().map(|s| s.to_string()).collect();
    let (error, groups) = c.handle_list_groups(&states, &types);
    // Kafka: `handleListGroupsRequest` — Describe on the cluster lists every group; otherwise
    // only the groups the principal may describe (no error).
    let all = apis.authorize_cluster(&request.context, crate::zk::znodes::AclOperation::Describe);
    let groups = groups
        .into_iter()
        .filter(|g| {
            all || apis.authorize(
                &request.context,
                crate::zk::znodes::AclOperation::Describe,
                crate::zk::znodes::ResourceType::Group,
                &g.group_id,
            )
        })
        .map(|g| {
            ListedGroup::default()
                .with_group_id(GroupId(StrBytes::from_string(g.group_id)))
                .with_protocol_type(StrBytes::from_string(g.protocol_type))
                .with_group_state(StrBytes::from_static_str(g.state.name()))
                .with_group_type(StrBytes::from_static_str("classic"))
        })
        .collect();
    respond(
        request,
        &ListGroupsResponse::default()
            .with_error_code(error)
            .with_groups(groups),
    )
}
