//! SyncGroup (API key 14), versions 0-5. Kafka: `KafkaApis.handleSyncGroupRequest`.

use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::coordinator::group::membership::SyncGroupParams;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: SyncGroupRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    let error = |code: i16| respond(request, &SyncGroupResponse::default().with_error_code(code));
    // Kafka `SyncGroupRequest.areMandatoryProtocolTypeAndNamePresent` (v5+).
    if version >= 5 && (req.protocol_type.is_none() || req.protocol_name.is_none()) {
        return error(ResponseError::InconsistentGroupProtocol.code());
    }
    // Kafka: `handleSyncGroupRequest` — Read on the group.
    if !apis.authorize(
        &request.context,
        crate::zk::znodes::AclOperation::Read,
        crate::zk::znodes::ResourceType::Group,
        &req.group_id,
    ) {
        return error(ResponseError::GroupAuthorizationFailed.code());
    }
    let Some(coordinator) = apis.group_coordinator.as_ref() else {
        return error(ResponseError::CoordinatorNotAvailable.code());
    };
    let params = SyncGroupParams {
        group_id: req.group_id.to_string(),
        generation_id: req.generation_id,
        member_id: req.member_id.to_string(),
        protocol_type: req.protocol_type.as_ref().map(|s| s.to_string()),
        protocol_name: req.protocol_name.as_ref().map(|s| s.to_string()),
        group_instance_id: req.group_instance_id.as_ref().map(|s| s.to_string()),
        assignments: req
            .assignments
            .iter()
            .map(|a| (a.member_id.to_string(), a.assignment.clone()))
            .collect(),
    };
    let r = coordinator.handle_sync_group(params).await;
    respond(
        request,
        &SyncGroupResponse::default()
            .with_error_code(r.error)
            .with_protocol_type(r.protocol_type.map(StrBytes::from_string))
            .with_protocol_name(r.protocol_name.map(StrBytes::from_string))
            .with_assignment(r.assignment),
    )
}
