//! CreateAcls (API 30): adds ACL bindings to ZooKeeper (conditional writes + change
//! notifications, see `security::authorizer::zk_store`).
//!
//! Kafka 3.9, checked against a real 3.9.1 broker (`integration-tests/test_acl_api_errors.py`):
//! - `CreateAclsRequest.validate` (while parsing): an UNKNOWN (0) resource type, pattern type,
//!   operation or permission in any creation → the connection is closed;
//! - `AclApis.handleCreateAcls`: Alter on the cluster or every result CLUSTER_AUTHORIZATION_FAILED;
//!   no authorizer → SECURITY_DISABLED "No Authorizer is configured."; `CreateAclsRequest.aclBinding`
//!   throws for ANY resource type, MATCH/ANY pattern type, ANY operation or permission (the
//!   `ResourcePattern` / `AccessControlEntry` constructors) → every result UNKNOWN_SERVER_ERROR
//!   without a message; per binding INVALID_REQUEST for a CLUSTER name other than
//!   `kafka-cluster` and for an empty name;
//! - `AclAuthorizer.createAcls` / `validateAclBinding`: an unknown code (`isUnknown`) or a `/` in
//!   the name → INVALID_REQUEST "Failed to create ACL"; a principal that is not `Type:name`
//!   (`SecurityUtils.parseKafkaPrincipal` inside `updateResourceAcls`) → UNKNOWN_SERVER_ERROR
//!   without a message for every binding of that resource pattern.
//! - A result without an error carries the message "" (the schema default), not null.

use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::create_acls_response::AclCreationResult;
use kafka_protocol::messages::{CreateAclsRequest, CreateAclsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::security::authorizer::acl_binding::{
    operation_from_code, permission_from_code, resource_type_from_code, ANY, MATCH, UNKNOWN,
};
use crate::security::authorizer::{AclAuthorizer, AclBinding};
use crate::zk::znodes::{
    AclEntry, AclOperation, PatternType, ResourcePattern, ResourceType, CLUSTER_RESOURCE_NAME,
};
use std::sync::Arc;

fn result(code: i16, message: Option<String>) -> AclCreationResult {
    AclCreationResult::default()
        .with_error_code(code)
        .with_error_message(message.map(StrBytes::from_string))
}

/// Why one creation is refused: Kafka's code and message (`None` = null on the wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refused {
    pub code: i16,
    pub message: Option<String>,
}

impl Refused {
    fn invalid(message: &str) -> Refused {
        Refused {
            code: ResponseError::InvalidRequest.code(),
            message: Some(message.to_string()),
        }
    }

    fn unknown_server_error() -> Refused {
        Refused {
            code: ResponseError::UnknownServerError.code(),
            message: None,
        }
    }
}

/// Kafka: `CreateAclsRequest.validate` — true when the request must be refused while parsing
/// (which closes the connection): an UNKNOWN element in any creation.
pub(crate) fn has_unknown_element(creations: &[AclCreation]) -> bool {
    creations.iter().any(|c| {
        [
            c.resource_type,
            c.resource_pattern_type,
            c.operation,
            c.permission_type,
        ]
        .contains(&UNKNOWN)
    })
}

/// Kafka: `CreateAclsRequest.aclBinding` — the `ResourcePattern` / `AccessControlEntry`
/// constructors refuse the filter-only values ANY and MATCH, failing the whole request.
pub(crate) fn has_filter_only_element(creations: &[AclCreation]) -> bool {
    creations.iter().any(|c| {
        c.resource_type == ANY
            || c.resource_pattern_type == ANY
            || c.resource_pattern_type == MATCH
            || c.operation == ANY
            || c.permission_type == ANY
    })
}

/// One creation as a binding, or Kafka's per-binding refusal (`AclApis.handleCreateAcls` then
/// `AclAuthorizer.validateAclBinding`). The principal is checked separately, per resource
/// pattern, as Kafka does in `updateResourceAcls`.
pub(crate) fn binding(c: &AclCreation) -> Result<AclBinding, Refused> {
    let name = c.resource_name.to_string();
    let resource_type = resource_type_from_code(c.resource_type);
    if resource_type == Some(ResourceType::Cluster) && name != CLUSTER_RESOURCE_NAME {
        return Err(Refused::invalid(&format!(
            "The only valid name for the CLUSTER resource is {CLUSTER_RESOURCE_NAME}"
        )));
    }
    if name.is_empty() {
        return Err(Refused::invalid("Invalid empty resource name"));
    }
    let pattern_type = match c.resource_pattern_type {
        3 => Some(PatternType::Literal),
        4 => Some(PatternType::Prefixed),
        _ => None,
    };
    let failed = || Refused::invalid("Failed to create ACL");
    let (Some(resource_type), Some(pattern_type), Some(operation), Some(permission_type)) = (
        resource_type,
        pattern_type,
        operation_from_code(c.operation),
        permission_from_code(c.permission_type),
    ) else {
        return Err(failed());
    };
    if name.contains('/') {
        return Err(failed());
    }
    Ok(AclBinding {
        pattern: ResourcePattern {
            resource_type,
            name,
            pattern_type,
        },
        entry: AclEntry {
            principal: c.principal.to_string(),
            permission_type,
            host: c.host.to_string(),
            operation,
        },
    })
}

/// Kafka: `SecurityUtils.parseKafkaPrincipal` — non-empty with a `:` (`split(":", 2)`).
fn valid_principal(principal: &str) -> bool {
    principal.contains(':')
}

/// The results of a whole request, in request order. Kafka: `AclApis.handleCreateAcls` +
/// `AclAuthorizer.createAcls`. `write` stores the accepted bindings and reports each.
pub(crate) async fn create_results<F, Fut, E>(
    creations: &[AclCreation],
    write: F,
) -> Vec<Result<(), Refused>>
where
    F: FnOnce(Vec<AclBinding>) -> Fut,
    Fut: std::future::Future<Output = Vec<Result<(), E>>>,
    E: std::fmt::Display,
{
    if has_filter_only_element(creations) {
        return creations
            .iter()
            .map(|_| Err(Refused::unknown_server_error()))
            .collect();
    }
    let mut results: Vec<Option<Result<(), Refused>>> = Vec::with_capacity(creations.len());
    let mut accepted: Vec<(usize, AclBinding)> = Vec::new();
    for (i, c) in creations.iter().enumerate() {
        match binding(c) {
            Ok(b) => {
                accepted.push((i, b));
                results.push(None);
            }
            Err(r) => results.push(Some(Err(r))),
        }
    }
    // Kafka writes per resource pattern; a bad principal fails every binding of its pattern.
    let bad_patterns: Vec<ResourcePattern> = accepted
        .iter()
        .filter(|(_, b)| !valid_principal(&b.entry.principal))
        .map(|(_, b)| b.pattern.clone())
        .collect();
    let (refused, valid): (Vec<_>, Vec<_>) = accepted
        .into_iter()
        .partition(|(_, b)| bad_patterns.contains(&b.pattern));
    for (i, _) in refused {
        results[i] = Some(Err(Refused::unknown_server_error()));
    }
    let (indexes, bindings): (Vec<usize>, Vec<AclBinding>) = valid.into_iter().unzip();
    for (i, r) in indexes.into_iter().zip(write(bindings).await) {
        results[i] = Some(r.map_err(|e| Refused {
            code: ResponseError::UnknownServerError.code(),
            message: Some(e.to_string()),
        }));
    }
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|| Err(Refused::unknown_server_error())))
        .collect()
}

/// The authorizer that CreateAcls and DeleteAcls write through, or the error every result of
/// the request gets: Alter on the cluster first, then an authorizer must be configured.
/// Kafka: `AclApis.handleCreateAcls` / `handleDeleteAcls` (`authHelper.authorizeClusterOperation`,
/// then `SecurityDisabledException`).
pub(crate) fn acl_write_authorizer<'a>(
    apis: &'a KafkaApis,
    request: &Request,
) -> Result<&'a Arc<AclAuthorizer>, (ResponseError, &'static str)> {
    if !apis.authorize_cluster(&request.context, AclOperation::Alter) {
        return Err((
            ResponseError::ClusterAuthorizationFailed,
            "Cluster authorization failed.",
        ));
    }
    apis.authorizer.as_ref().ok_or((
        ResponseError::SecurityDisabled,
        "No Authorizer is configured.",
    ))
}

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req = match decode_body::<CreateAclsRequest>(request) {
        Ok(r) => r,
        Err(r) => return r,
    };
    if has_unknown_element(&req.creations) {
        return Response::Close(format!(
            "CreateAcls request (correlation id {}): CreatableAcls contain unknown elements",
            request.context.header.correlation_id()
        ));
    }
    let all = |code: i16, msg: &str| {
        CreateAclsResponse::default().with_results(
            req.creations
                .iter()
                .map(|_| result(code, Some(msg.to_string())))
                .collect(),
        )
    };
    let authorizer = match acl_write_authorizer(apis, request) {
        Ok(a) => a,
        Err((code, msg)) => return respond(request, &all(code.code(), msg)),
    };
    let results = create_results(&req.creations, |bindings| async move {
        authorizer.create_acls(&bindings).await
    })
    .await;
    let response = CreateAclsResponse::default().with_results(
        results
            .into_iter()
            .map(|r| match r {
                Ok(()) => result(0, Some(String::new())),
                Err(refused) => result(refused.code, refused.message),
            })
            .collect(),
    );
    respond(request, &response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creation(rt: i8, name: &str, pt: i8, principal: &str, op: i8, perm: i8) -> AclCreation {
        AclCreation::default()
            .with_resource_type(rt)
            .with_resource_name(StrBytes::from_string(name.into()))
            .with_resource_pattern_type(pt)
            .with_principal(StrBytes::from_string(principal.into()))
            .with_host(StrBytes::from_static_str("*"))
            .with_operation(op)
            .with_permission_type(perm)
    }

    async fn run(creations: &[AclCreation]) -> Vec<Result<(), Refused>> {
        create_results(creations, |bindings| async move {
            bindings
                .iter()
                .map(|_| Ok::<(), String>(()))
                .collect::<Vec<_>>()
        })
        .await
    }

    /// Kafka 3.9's answer to each invalid creation (`AclApis.handleCreateAcls`,
    /// `AclAuthorizer.createAcls`), as observed from a real 3.9.1 broker by
    /// `integration-tests/test_acl_api_errors.py`: codes 2 TOPIC, 3 GROUP, 4 CLUSTER; 3 LITERAL,
    /// 4 PREFIXED; 3 READ; 3 ALLOW; 99 an unknown code.
    #[tokio::test]
    async fn per_binding_errors_table() {
        let ok = || Ok(());
        let invalid = |m: &str| {
            Err(Refused {
                code: 42,
                message: Some(m.into()),
            })
        };
        let failed = || invalid("Failed to create ACL");
        let server = || {
            Err(Refused {
                code: -1,
                message: None,
            })
        };
        let table: Vec<(AclCreation, Result<(), Refused>)> = vec![
            (creation(2, "t", 3, "User:a", 3, 3), ok()),
            (
                creation(4, "other", 3, "User:a", 3, 3),
                invalid("The only valid name for the CLUSTER resource is kafka-cluster"),
            ),
            (creation(4, "kafka-cluster", 3, "User:a", 3, 3), ok()),
            (
                creation(2, "", 3, "User:a", 3, 3),
                invalid("Invalid empty resource name"),
            ),
            (
                creation(99, "", 3, "User:a", 3, 3),
                invalid("Invalid empty resource name"),
            ),
            (creation(2, "a/b", 3, "User:a", 3, 3), failed()),
            (creation(99, "t", 3, "User:a", 3, 3), failed()),
            (creation(2, "t", 99, "User:a", 3, 3), failed()),
            (creation(2, "t", 3, "User:a", 99, 3), failed()),
            (creation(2, "t", 3, "User:a", 3, 99), failed()),
            (creation(2, "bad", 3, "alice", 3, 3), server()),
            // Same pattern as the bad principal: Kafka's write of that resource fails as a whole.
            (creation(2, "bad", 3, "User:a", 3, 3), server()),
            (creation(3, "g", 4, "User:", 3, 3), ok()),
        ];
        let creations: Vec<AclCreation> = table.iter().map(|(c, _)| c.clone()).collect();
        let expected: Vec<Result<(), Refused>> = table.into_iter().map(|(_, r)| r).collect();
        assert_eq!(run(&creations).await, expected);
    }

    /// ANY / MATCH in any creation fail the whole request with UNKNOWN_SERVER_ERROR and no
    /// message (`ResourcePattern` / `AccessControlEntry` constructors throw in the handler);
    /// UNKNOWN (0) anywhere is refused while parsing (`CreateAclsRequest.validate`).
    #[tokio::test]
    async fn request_level_refusals() {
        let good = creation(2, "t", 3, "User:a", 3, 3);
        for bad in [
            creation(1, "t", 3, "User:a", 3, 3),
            creation(2, "t", 2, "User:a", 3, 3),
            creation(2, "t", 1, "User:a", 3, 3),
            creation(2, "t", 3, "User:a", 1, 3),
            creation(2, "t", 3, "User:a", 3, 1),
        ] {
            let both = [good.clone(), bad];
            assert!(!has_unknown_element(&both));
            let server = Err(Refused {
                code: -1,
                message: None,
            });
            assert_eq!(run(&both).await, vec![server.clone(), server]);
        }
        for bad in [
            creation(0, "t", 3, "User:a", 3, 3),
            creation(2, "t", 0, "User:a", 3, 3),
            creation(2, "t", 3, "User:a", 0, 3),
            creation(2, "t", 3, "User:a", 3, 0),
        ] {
            assert!(has_unknown_element(&[good.clone(), bad]));
        }
    }
}
