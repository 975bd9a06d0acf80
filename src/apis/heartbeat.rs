//! Heartbeat (API key 12), versions 0-4. Kafka: `KafkaApis.handleHeartbeatRequest`.

use kafka_protocol::messages::{HeartbeatRequest, HeartbeatResponse};

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: HeartbeatRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    // Kafka: `handleHeartbeatRequest` — Read on the group.
    let authorized = apis.authorize(
        &request.context,
        crate::zk::znodes::AclOperation::Read,
        crate::zk::znodes::ResourceType::Group,
        &req.group_id,
    );
    let code = match apis.group_coordinator.as_ref() {
        _ if !authorized => ResponseError::GroupAuthorizationFailed.code(),
        None => ResponseError::CoordinatorNotAvailable.code(),
        Some(c) => c.handle_heartbeat(
            &req.group_id,
            &req.member_id,
            req.group_instance_id.as_deref(),
            req.generation_id,
        ),
    };
    respond(request, &HeartbeatResponse::default().with_error_code(code))
}
