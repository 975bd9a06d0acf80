//! DeleteGroups (API key 42), versions 0-2: deletes Empty groups and their offsets.
//! Kafka: `KafkaApis.handleDeleteGroupsRequest`.

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse, GroupId};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: DeleteGroupsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    // Kafka: `handleDeleteGroupsRequest` — Delete on each group.
    let (ids, denied): (Vec<String>, Vec<String>) = req
        .groups_names
        .iter()
        .map(|g| g.to_string())
        .partition(|g| {
            apis.authorize(
                &request.context,
                crate::zk::znodes::AclOperation::Delete,
                crate::zk::znodes::ResourceType::Group,
                g,
            )
        });
    let mut results: Vec<(String, i16)> = match apis.group_coordinator.as_ref() {
        None => ids
            .into_iter()
            .map(|g| (g, ResponseError::CoordinatorNotAvailable.code()))
            .collect(),
        Some(c) => c.handle_delete_groups(&ids).await,
    };
    results.extend(
        denied
            .into_iter()
            .map(|g| (g, ResponseError::GroupAuthorizationFailed.code())),
    );
    let results = results
        .into_iter()
        .map(|(g, e)| {
            DeletableGroupResult::default()
                .with_group_id(GroupId(StrBytes::from_string(g)))
                .with_error_code(e)
        })
        .collect();
    respond(
        request,
        &DeleteGroupsResponse::default().with_results(results),
    )
}
