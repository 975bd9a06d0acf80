//! CreateAcls (API 30): adds ACL bindings to ZooKeeper (conditional writes + change
//! notifications, see `security::authorizer::zk_store`).
//!
//! Kafka: `AclApis.handleCreateAcls` — Alter on the cluster or every result
//! CLUSTER_AUTHORIZATION_FAILED; no authorizer → SECURITY_DISABLED; per binding INVALID_REQUEST
//! for a CLUSTER name other than `kafka-cluster`, an empty name, a `/` in the name, unknown
//! enum codes or a principal that is not `Type:name` (`AclAuthorizer.validateAclBinding`).

use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::create_acls_response::AclCreationResult;
use kafka_protocol::messages::{CreateAclsRequest, CreateAclsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::security::authorizer::acl_binding::{
    operation_from_code, permission_from_code, resource_type_from_code,
};
use crate::security::authorizer::AclBinding;
use crate::security::KafkaPrincipal;
use crate::zk::znodes::{
    AclEntry, AclOperation, PatternType, ResourcePattern, ResourceType, CLUSTER_RESOURCE_NAME,
};

fn result(code: i16, message: Option<String>) -> AclCreationResult {
    AclCreationResult::default()
        .with_error_code(code)
        .with_error_message(message.map(StrBytes::from_string))
}

/// Kafka: `CreateAclsRequest.aclBinding` + the validations of `AclApis`/`AclAuthorizer`.
pub(crate) fn binding(c: &AclCreation) -> Result<AclBinding, String> {
    let resource_type = resource_type_from_code(c.resource_type)
        .ok_or_else(|| format!("Invalid resource type {}", c.resource_type))?;
    let pattern_type = match c.resource_pattern_type {
        3 => PatternType::Literal,
        4 => PatternType::Prefixed,
        p => return Err(format!("Invalid pattern type {p}")),
    };
    let operation = operation_from_code(c.operation)
        .ok_or_else(|| format!("Invalid operation {}", c.operation))?;
    let permission_type = permission_from_code(c.permission_type)
        .ok_or_else(|| format!("Invalid permission type {}", c.permission_type))?;
    let name = c.resource_name.to_string();
    if resource_type == ResourceType::Cluster && name != CLUSTER_RESOURCE_NAME {
        return Err(format!(
            "The only valid name for the CLUSTER resource is {CLUSTER_RESOURCE_NAME}"
        ));
    }
    if name.is_empty() {
        return Err("Invalid empty resource name".into());
    }
    if name.contains('/') {
        return Err("ACL binding contains invalid resource name".into());
    }
    let principal = KafkaPrincipal::parse(&c.principal).map_err(|e| e.to_string())?;
    Ok(AclBinding {
        pattern: ResourcePattern {
            resource_type,
            name,
            pattern_type,
        },
        entry: AclEntry {
            principal: principal.to_string(),
            permission_type,
            host: c.host.to_string(),
            operation,
        },
    })
}

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req = match decode_body::<CreateAclsRequest>(request) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let all = |code: i16, msg: &str| {
        CreateAclsResponse::default().with_results(
            req.creations
                .iter()
                .map(|_| result(code, Some(msg.to_string())))
                .collect(),
        )
    };
    if !apis.authorize_cluster(&request.context, AclOperation::Alter) {
        let r = all(
            ResponseError::ClusterAuthorizationFailed.code(),
            "Cluster authorization failed.",
        );
        return respond(request, &r);
    }
    let Some(authorizer) = &apis.authorizer else {
        let r = all(
            ResponseError::SecurityDisabled.code(),
            "No Authorizer is configured on the broker",
        );
        return respond(request, &r);
    };
    let mut results: Vec<Option<AclCreationResult>> = Vec::with_capacity(req.creations.len());
    let mut valid = Vec::new();
    let mut valid_index = Vec::new();
    for (i, c) in req.creations.iter().enumerate() {
        match binding(c) {
            Ok(b) => {
                valid.push(b);
                valid_index.push(i);
                results.push(None);
            }
            Err(msg) => results.push(Some(result(
                ResponseError::InvalidRequest.code(),
                Some(msg),
            ))),
        }
    }
    let written = authorizer.create_acls(&valid).await;
    for (i, r) in valid_index.into_iter().zip(written) {
        results[i] = Some(match r {
            Ok(()) => result(0, None),
            Err(e) => result(
                ResponseError::UnknownServerError.code(),
                Some(e.to_string()),
            ),
        });
    }
    let response = CreateAclsResponse::default()
        .with_results(results.into_iter().map(|r| r.unwrap_or_default()).collect());
    respond(request, &response)
}
