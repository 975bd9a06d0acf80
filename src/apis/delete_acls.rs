//! DeleteAcls (API 31): removes the bindings matching each filter.
//!
//! Kafka 3.9 (checked against a real broker, `integration-tests/test_acl_api_errors.py`):
//! `DeleteAclsRequest.normalizeAndValidate` refuses a filter with an UNKNOWN (0) element while
//! parsing, which closes the connection; other unknown codes match nothing.
//! `AclApis.handleDeleteAcls`: Alter on the cluster or every filter result
//! CLUSTER_AUTHORIZATION_FAILED; no authorizer → SECURITY_DISABLED "No Authorizer is configured.".

use kafka_protocol::messages::delete_acls_response::{
    DeleteAclsFilterResult, DeleteAclsMatchingAcl,
};
use kafka_protocol::messages::{DeleteAclsRequest, DeleteAclsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::create_acls::acl_write_authorizer;
use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::security::authorizer::acl_binding::{
    operation_code, pattern_type_code, permission_code, resource_type_code, AclBindingFilter,
};

fn failed(code: i16, message: String) -> DeleteAclsFilterResult {
    DeleteAclsFilterResult::default()
        .with_error_code(code)
        .with_error_message(Some(StrBytes::from_string(message)))
}

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req = match decode_body::<DeleteAclsRequest>(request) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let filters: Vec<AclBindingFilter> = req
        .filters
        .iter()
        .map(|f| AclBindingFilter {
            resource_type: f.resource_type_filter,
            name: f.resource_name_filter.as_ref().map(|s| s.to_string()),
            pattern_type: f.pattern_type_filter,
            principal: f.principal_filter.as_ref().map(|s| s.to_string()),
            host: f.host_filter.as_ref().map(|s| s.to_string()),
            operation: f.operation,
            permission_type: f.permission_type,
        })
        .collect();
    if let Some(e) = filters.iter().find_map(|f| f.validate().err()) {
        return Response::Close(format!(
            "DeleteAcls request (correlation id {}): {e}",
            request.context.header.correlation_id()
        ));
    }
    let all = |code: i16, msg: &str| {
        DeleteAclsResponse::default().with_filter_results(
            req.filters
                .iter()
                .map(|_| failed(code, msg.to_string()))
                .collect(),
        )
    };
    let authorizer = match acl_write_authorizer(apis, request) {
        Ok(a) => a,
        Err((code, msg)) => return respond(request, &all(code.code(), msg)),
    };
    let deleted = authorizer.delete_acls(&filters).await;
    let results = deleted.into_iter().map(|r| match r {
        Ok(bindings) => DeleteAclsFilterResult::default()
            // Kafka: `DeleteAclsResponse.filterResult` / `matchingAcl` copy `ApiError.NONE`'s null
            // message (the schema default is "").
            .with_error_message(None)
            .with_matching_acls(
                bindings
                    .iter()
                    .map(|b| {
                        DeleteAclsMatchingAcl::default()
                            .with_error_message(None)
                            .with_resource_type(resource_type_code(b.pattern.resource_type))
                            .with_resource_name(StrBytes::from_string(b.pattern.name.clone()))
                            .with_pattern_type(pattern_type_code(b.pattern.pattern_type))
                            .with_principal(StrBytes::from_string(b.entry.principal.clone()))
                            .with_host(StrBytes::from_string(b.entry.host.clone()))
                            .with_operation(operation_code(b.entry.operation))
                            .with_permission_type(permission_code(b.entry.permission_type))
                    })
                    .collect(),
            ),
        Err(e) => failed(ResponseError::UnknownServerError.code(), e.to_string()),
    });
    let response = DeleteAclsResponse::default().with_filter_results(results.collect());
    respond(request, &response)
}
