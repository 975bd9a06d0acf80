//! DescribeAcls (API 29): the bindings matching a filter, grouped by resource.
//!
//! Kafka 3.9 (checked against a real broker, `integration-tests/test_acl_api_errors.py`):
//! `DescribeAclsRequest.normalizeAndValidate` refuses an UNKNOWN (0) element while parsing, which
//! closes the connection; other unknown codes match nothing. `AclApis.handleDescribeAcls`:
//! Describe on the cluster or CLUSTER_AUTHORIZATION_FAILED; no authorizer → SECURITY_DISABLED;
//! success carries the error message "" (the schema default).

use kafka_protocol::messages::describe_acls_response::{AclDescription, DescribeAclsResource};
use kafka_protocol::messages::{DescribeAclsRequest, DescribeAclsResponse};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::ResponseError;

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::security::authorizer::acl_binding::{
    operation_code, pattern_type_code, permission_code, resource_type_code, AclBindingFilter,
};
use crate::security::authorizer::AclBinding;
use crate::zk::znodes::AclOperation;

fn error(code: i16, message: &str) -> DescribeAclsResponse {
    DescribeAclsResponse::default()
        .with_error_code(code)
        .with_error_message(Some(StrBytes::from_string(message.to_string())))
}

/// Kafka: `DescribeAclsResponse.aclsResources` — one entry per resource pattern.
pub(crate) fn group_by_resource(bindings: &[AclBinding]) -> Vec<DescribeAclsResource> {
    let mut out: Vec<DescribeAclsResource> = Vec::new();
    for b in bindings {
        let d = AclDescription::default()
            .with_principal(StrBytes::from_string(b.entry.principal.clone()))
            .with_host(StrBytes::from_string(b.entry.host.clone()))
            .with_operation(operation_code(b.entry.operation))
            .with_permission_type(permission_code(b.entry.permission_type));
        let rt = resource_type_code(b.pattern.resource_type);
        let pt = pattern_type_code(b.pattern.pattern_type);
        match out.iter_mut().find(|r| {
            r.resource_type == rt && r.pattern_type == pt && *r.resource_name == *b.pattern.name
        }) {
            Some(r) => r.acls.push(d),
            None => out.push(
                DescribeAclsResource::default()
                    .with_resource_type(rt)
                    .with_resource_name(StrBytes::from_string(b.pattern.name.clone()))
                    .with_pattern_type(pt)
                    .with_acls(vec![d]),
            ),
        }
    }
    out
}

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req = match decode_body::<DescribeAclsRequest>(request) {
        Ok(r) => r,
        Err(r) => return r,
    };
    let filter = AclBindingFilter {
        resource_type: req.resource_type_filter,
        name: req.resource_name_filter.map(|s| s.to_string()),
        pattern_type: req.pattern_type_filter,
        principal: req.principal_filter.map(|s| s.to_string()),
        host: req.host_filter.map(|s| s.to_string()),
        operation: req.operation,
        permission_type: req.permission_type,
    };
    if let Err(e) = filter.validate() {
        return Response::Close(format!(
            "DescribeAcls request (correlation id {}): {e}",
            request.context.header.correlation_id()
        ));
    }
    if !apis.authorize_cluster(&request.context, AclOperation::Describe) {
        return respond(
            request,
            &error(
                ResponseError::ClusterAuthorizationFailed.code(),
                "Cluster authorization failed.",
            ),
        );
    }
    let Some(authorizer) = &apis.authorizer else {
        return respond(
            request,
            &error(
                ResponseError::SecurityDisabled.code(),
                "No Authorizer is configured on the broker",
            ),
        );
    };
    let bindings = authorizer.acls(&filter);
    let response = DescribeAclsResponse::default()
        .with_error_message(Some(StrBytes::default()))
        .with_resources(group_by_resource(&bindings));
    respond(request, &response)
}
