//! LeaveGroup (API key 13), versions 0-5; v3+ removes a batch of members, by member id or by
//! group.instance.id alone (KIP-345 admin removal). Kafka: `KafkaApis.handleLeaveGroupRequest`.

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};

use super::{decode_body, respond, KafkaApis};
use crate::coordinator::group::membership::LeavingMember;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: LeaveGroupRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    let leaving: Vec<LeavingMember> = if version < 3 {
        vec![LeavingMember {
            member_id: req.member_id.to_string(),
            group_instance_id: None,
        }]
    } else {
        req.members
            .iter()
            .map(|m| LeavingMember {
                member_id: m.member_id.to_string(),
                group_instance_id: m.group_instance_id.as_ref().map(|s| s.to_string()),
            })
            .collect()
    };
    let reason = req
        .members
        .iter()
        .find_map(|m| m.reason.as_ref().map(|r| r.to_string()));
    // Kafka: `handleLeaveGroupRequest` — Read on the group.
    let authorized = apis.authorize(
        &request.context,
        crate::zk::znodes::AclOperation::Read,
        crate::zk::znodes::ResourceType::Group,
        &req.group_id,
    );
    let (error, member_errors) = match apis.group_coordinator.as_ref() {
        _ if !authorized => (ResponseError::GroupAuthorizationFailed.code(), Vec::new()),
        None => (ResponseError::CoordinatorNotAvailable.code(), Vec::new()),
        Some(c) => c.handle_leave_group(&req.group_id, &leaving, reason.as_deref()),
    };
    let mut resp = LeaveGroupResponse::default();
    if version < 3 {
        // Kafka `LeaveGroupResponse`: before v3 the only member's error is the top-level one.
        resp.error_code = if error != 0 {
            error
        } else {
            member_errors.iter().copied().find(|e| *e != 0).unwrap_or(0)
        };
    } else {
        resp.error_code = error;
        if error == 0 {
            resp.members = req
                .members
                .iter()
                .zip(member_errors)
                .map(|(m, e)| {
                    MemberResponse::default()
                        .with_member_id(m.member_id.clone())
                        .with_group_instance_id(m.group_instance_id.clone())
                        .with_error_code(e)
                })
                .collect();
        }
    }
    respond(request, &resp)
}
