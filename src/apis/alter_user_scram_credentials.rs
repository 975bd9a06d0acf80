//! AlterUserScramCredentials (API 51): upserts and deletes SCRAM credentials in
//! `/config/users/<user>`, then notifies every broker through `/config/changes`.
//!
//! Kafka: `KafkaApis.handleAlterUserScramCredentialsRequest` — only the active controller
//! answers in ZK mode (NOT_CONTROLLER otherwise); Alter on the cluster or every user
//! CLUSTER_AUTHORIZATION_FAILED. `ZkAdminManager.alterUserScramCredentials` validates per user:
//! empty name → UNACCEPTABLE_CREDENTIAL; unknown mechanism → UNSUPPORTED_SASL_MECHANISM;
//! iterations below 4096 / above 16384 → UNACCEPTABLE_CREDENTIAL; the same (user, mechanism)
//! twice → DUPLICATE_RESOURCE; deleting a missing credential → RESOURCE_NOT_FOUND. The salted
//! password arrives already computed (`Hi(password, salt, i)`), so the broker derives
//! stored_key/server_key from it.

use std::collections::BTreeMap;

use kafka_protocol::messages::alter_user_scram_credentials_response::AlterUserScramCredentialsResult;
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::security::sasl::scram::{ScramCredential, ScramMechanism};
use crate::security::user_scram_store::{read_user_config, write_user_config};
use crate::zk::znodes::AclOperation;

enum Change {
    Upsert(ScramMechanism, ScramCredential),
    Delete(ScramMechanism),
}

fn user_result(user: &str, code: i16, msg: Option<String>) -> AlterUserScramCredentialsResult {
    AlterUserScramCredentialsResult::default()
        .with_user(StrBytes::from_string(user.to_string()))
        .with_error_code(code)
        .with_error_message(msg.map(StrBytes::from_string))
}

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req = match decode_body::<AlterUserScramCredentialsRequest>(request) {
        Ok(r) => r,
        Err(r) => return r,
    };
    // Users in request order (first appearance), for the per-user results.
    let mut users: Vec<String> = Vec::new();
    for n in req
        .deletions
        .iter()
        .map(|d| &d.name)
        .chain(req.upsertions.iter().map(|u| &u.name))
    {
        if !users.iter().any(|u| **u == **n) {
            users.push(n.to_string());
        }
    }
    // Kafka: `AlterUserScramCredentialsRequest.getErrorResponse` — every distinct user, sorted,
    // with the error and a null message (`ApiError.fromThrowable` drops a default message).
    let all = |code: i16| {
        let mut sorted = users.clone();
        sorted.sort();
        AlterUserScramCredentialsResponse::default()
            .with_results(sorted.iter().map(|u| user_result(u, code, None)).collect())
    };
    if !apis.controller.as_ref().is_some_and(|c| c.is_active()) {
        return respond(request, &all(ResponseError::NotController.code()));
    }
    if !apis.authorize_cluster(&request.context, AclOperation::Alter) {
        return respond(
            request,
            &all(ResponseError::ClusterAuthorizationFailed.code()),
        );
    }
    let Some(zk) = &apis.zk else {
        return respond(request, &all(ResponseError::UnknownServerError.code()));
    };
    // Validation, per user (the first error of a user wins, as Kafka reports one per user).
    let mut errors: BTreeMap<String, (i16, String)> = BTreeMap::new();
    let mut changes: BTreeMap<String, Vec<Change>> = BTreeMap::new();
    let mut seen: Vec<(String, i8)> = Vec::new();
    let fail =
        |errors: &mut BTreeMap<String, (i16, String)>, u: &str, code: ResponseError, m: &str| {
            errors
                .entry(u.to_string())
                .or_insert((code.code(), m.to_string()));
        };
    // The checks deletions and upsertions share, in Kafka's order: duplicate (user, mechanism)
    // in the request, empty user name, unknown mechanism. `None`: skip this alteration.
    let mut check = |errors: &mut BTreeMap<String, (i16, String)>, u: &str, mechanism: i8| {
        if seen.iter().any(|(n, m)| n == u && *m == mechanism) {
            fail(
                errors,
                u,
                ResponseError::DuplicateResource,
                "A user credential cannot be altered twice in the same request",
            );
        }
        seen.push((u.to_string(), mechanism));
        if u.is_empty() {
            fail(
                errors,
                u,
                ResponseError::UnacceptableCredential,
                "Username must not be empty",
            );
            return None;
        }
        let m = ScramMechanism::from_wire_type(mechanism);
        if m.is_none() {
            fail(
                errors,
                u,
                ResponseError::UnsupportedSaslMechanism,
                "Unknown SCRAM mechanism",
            );
        }
        m
    };
    for d in &req.deletions {
        let u = d.name.to_string();
        if let Some(m) = check(&mut errors, &u, d.mechanism) {
            changes.entry(u).or_default().push(Change::Delete(m));
        }
    }
    for up in &req.upsertions {
        let u = up.name.to_string();
        let Some(m) = check(&mut errors, &u, up.mechanism) else {
            continue;
        };
        if up.iterations < m.min_iterations() {
            fail(
                &mut errors,
                &u,
                ResponseError::UnacceptableCredential,
                "Too few iterations",
            );
            continue;
        }
        if up.iterations > m.max_iterations() {
            fail(
                &mut errors,
                &u,
                ResponseError::UnacceptableCredential,
                "Too many iterations",
            );
            continue;
        }
        let c = m.credential_from_salted_password(&up.salted_password, &up.salt, up.iterations);
        changes.entry(u).or_default().push(Change::Upsert(m, c));
    }
    let mut results = Vec::new();
    for user in &users {
        if let Some((code, msg)) = errors.get(user) {
            results.push(user_result(user, *code, Some(msg.clone())));
            continue;
        }
        let result = async {
            let mut config = read_user_config(zk, user)
                .await
                .map_err(|e| (ResponseError::UnknownServerError.code(), e.to_string()))?;
            for change in changes.remove(user).unwrap_or_default() {
                match change {
                    Change::Upsert(m, c) => {
                        let v = c.to_config_string();
                        match config.iter_mut().find(|(k, _)| k == m.mechanism_name()) {
                            Some(e) => e.1 = v,
                            None => config.push((m.mechanism_name().to_string(), v)),
                        }
                    }
                    Change::Delete(m) => {
                        let before = config.len();
                        config.retain(|(k, _)| k != m.mechanism_name());
                        if config.len() == before {
                            return Err((
                                ResponseError::ResourceNotFound.code(),
                                "Attempt to delete a user credential that does not exist"
                                    .to_string(),
                            ));
                        }
                    }
                }
            }
            // Kafka reports a failed write with the error's default message
            // (`Errors.forException(e).message`): `ControllerMovedException` (no controller, a
            // KRaft controller, or `/controller` changed during the write) is
            // STALE_CONTROLLER_EPOCH, anything else UNKNOWN_SERVER_ERROR.
            write_user_config(zk, user, &config, true)
                .await
                .map_err(|e| {
                    tracing::info!("Error encountered while altering user SCRAM credentials: {e}");
                    let error = match e {
                        crate::zk::ZkError::ControllerMoved(_) => {
                            ResponseError::StaleControllerEpoch
                        }
                        _ => ResponseError::UnknownServerError,
                    };
                    (error.code(), error.to_string())
                })
        }
        .await;
        results.push(match result {
            // Kafka leaves the schema default "" on success (ZkAdminManager never sets it).
            Ok(()) => user_result(user, 0, Some(String::new())),
            Err((code, msg)) => user_result(user, code, Some(msg)),
        });
    }
    respond(
        request,
        &AlterUserScramCredentialsResponse::default().with_results(results),
    )
}
