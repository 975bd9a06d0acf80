//! JoinGroup (API key 11), versions 0-9. Kafka: `KafkaApis.handleJoinGroupRequest`.

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::coordinator::group::membership::JoinGroupParams;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: JoinGroupRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    // Kafka: `handleJoinGroupRequest` — Read on the group.
    if !apis.authorize(
        &request.context,
        crate::zk::znodes::AclOperation::Read,
        crate::zk::znodes::ResourceType::Group,
        &req.group_id,
    ) {
        let resp = JoinGroupResponse::default()
            .with_error_code(ResponseError::GroupAuthorizationFailed.code())
            .with_generation_id(-1)
            .with_member_id(req.member_id.clone());
        return respond(request, &finish(resp, version));
    }
    let Some(coordinator) = apis.group_coordinator.as_ref() else {
        let resp = JoinGroupResponse::default()
            .with_error_code(ResponseError::CoordinatorNotAvailable.code())
            .with_generation_id(-1)
            .with_member_id(req.member_id.clone());
        return respond(request, &finish(resp, version));
    };
    let group_instance_id = req.group_instance_id.as_ref().map(|s| s.to_string());
    let params = JoinGroupParams {
        group_id: req.group_id.to_string(),
        member_id: req.member_id.to_string(),
        // Kafka: MEMBER_ID_REQUIRED only for v4+ dynamic members.
        require_known_member_id: version >= 4 && group_instance_id.is_none(),
        group_instance_id,
        support_skipping_assignment: version >= 9,
        client_id: request.context.header.client_id().to_string(),
        client_host: format!("/{}", request.context.client_address.ip()),
        // Kafka `JoinGroupRequest`: v0 has no rebalance timeout; it is the session timeout.
        rebalance_timeout_ms: if version == 0 {
            req.session_timeout_ms
        } else {
            req.rebalance_timeout_ms
        },
        session_timeout_ms: req.session_timeout_ms,
        protocol_type: req.protocol_type.to_string(),
        protocols: req
            .protocols
            .iter()
            .map(|p| (p.name.to_string(), p.metadata.clone()))
            .collect(),
        reason: req.reason.as_ref().map(|s| s.to_string()),
    };
    let r = coordinator.handle_join_group(params).await;
    let resp = JoinGroupResponse::default()
        .with_error_code(r.error)
        .with_generation_id(r.generation_id)
        .with_protocol_type(r.protocol_type.map(StrBytes::from_string))
        .with_protocol_name(r.protocol_name.map(StrBytes::from_string))
        .with_leader(StrBytes::from_string(r.leader_id))
        .with_skip_assignment(r.skip_assignment)
        .with_member_id(StrBytes::from_string(r.member_id))
        .with_members(
            r.members
                .into_iter()
                .map(|m| {
                    JoinGroupResponseMember::default()
                        .with_member_id(StrBytes::from_string(m.member_id))
                        .with_group_instance_id(m.group_instance_id.map(StrBytes::from_string))
                        .with_metadata(m.metadata)
                })
                .collect(),
        );
    respond(request, &finish(resp, version))
}

/// Kafka `JoinGroupResponse`: before v7 the protocol name is not nullable ("" for none).
fn finish(mut resp: JoinGroupResponse, version: i16) -> JoinGroupResponse {
    if version < 7 && resp.protocol_name.is_none() {
        resp.protocol_name = Some(StrBytes::default());
    }
    resp
}
