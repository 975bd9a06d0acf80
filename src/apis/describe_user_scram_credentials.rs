//! DescribeUserScramCredentials (API 50): mechanisms and iterations of users' SCRAM credentials
//! (never the keys).
//!
//! Kafka: `KafkaApis.handleDescribeUserScramCredentialsRequest` (Describe on the cluster, else
//! CLUSTER_AUTHORIZATION_FAILED) → `ZkAdminManager.describeUserScramCredentials`: no users or
//! an empty list → every user with credentials; a user named twice → DUPLICATE_RESOURCE; a user
//! without credentials → RESOURCE_NOT_FOUND.

use kafka_protocol::messages::describe_user_scram_credentials_response::{
    CredentialInfo, DescribeUserScramCredentialsResult,
};
use kafka_protocol::messages::{
    DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse,
};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::security::sasl::scram::ScramMechanism;
use crate::security::user_scram_store::read_user_config;
use crate::zk::znodes::AclOperation;
use crate::zk::znodes::{desanitize, ConfigEntityTypeZNode, ConfigType};

fn user_result(user: &str, code: i16, msg: Option<&str>) -> DescribeUserScramCredentialsResult {
    DescribeUserScramCredentialsResult::default()
        .with_user(StrBytes::from_string(user.to_string()))
        .with_error_code(code)
        .with_error_message(msg.map(|m| StrBytes::from_string(m.to_string())))
}

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req = match decode_body::<DescribeUserScramCredentialsRequest>(request) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if !apis.authorize_cluster(&request.context, AclOperation::Describe) {
        let r = DescribeUserScramCredentialsResponse::default()
            .with_error_code(ResponseError::ClusterAuthorizationFailed.code())
            .with_error_message(Some(StrBytes::from_static_str(
                "Cluster authorization failed.",
            )));
        return respond(request, &r);
    }
    let Some(zk) = &apis.zk else {
        let r = DescribeUserScramCredentialsResponse::default()
            .with_error_code(ResponseError::UnknownServerError.code());
        return respond(request, &r);
    };
    let requested: Vec<String> = req
        .users
        .unwrap_or_default()
        .into_iter()
        .map(|u| u.name.to_string())
        .collect();
    let describe_all = requested.is_empty();
    let users: Vec<String> = if describe_all {
        match zk
            .get_children(&ConfigEntityTypeZNode::path(ConfigType::USER), false)
            .await
        {
            Ok(c) => c
                .unwrap_or_default()
                .iter()
                .filter_map(|u| desanitize(u))
                .collect(),
            Err(e) => {
                let r = DescribeUserScramCredentialsResponse::default()
                    .with_error_code(ResponseError::UnknownServerError.code())
                    .with_error_message(Some(StrBytes::from_string(e.to_string())));
                return respond(request, &r);
            }
        }
    } else {
        requested.clone()
    };
    let mut results = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for user in users {
        if !describe_all && requested.iter().filter(|u| **u == user).count() > 1 {
            if seen.insert(user.clone()) {
                results.push(user_result(
                    &user,
                    ResponseError::DuplicateResource.code(),
                    Some("Cannot describe SCRAM credentials for the same user twice in a single request"),
                ));
            }
            continue;
        }
        let config = match read_user_config(zk, &user).await {
            Ok(c) => c,
            Err(e) => {
                results.push(user_result(
                    &user,
                    ResponseError::UnknownServerError.code(),
                    Some(&e.to_string()),
                ));
                continue;
            }
        };
        let infos: Vec<CredentialInfo> = ScramMechanism::ALL
            .into_iter()
            .filter_map(|m| {
                let (_, v) = config.iter().find(|(k, _)| k == m.mechanism_name())?;
                let c =
                    crate::security::sasl::scram::ScramCredential::from_config_string(v).ok()?;
                Some(
                    CredentialInfo::default()
                        .with_mechanism(m.wire_type())
                        .with_iterations(c.iterations),
                )
            })
            .collect();
        if infos.is_empty() {
            if !describe_all {
                results.push(user_result(
                    &user,
                    ResponseError::ResourceNotFound.code(),
                    Some("Attempt to describe a user credential that does not exist"),
                ));
            }
            continue;
        }
        results.push(user_result(&user, 0, None).with_credential_infos(infos));
    }
    let response = DescribeUserScramCredentialsResponse::default().with_results(results);
    respond(request, &response)
}
