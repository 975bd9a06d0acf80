//! ApiVersions (key 18), versions 0-4.
//!
//! Kafka: `KafkaApis.handleApiVersionsRequest`, `ApiVersionsRequest.isValid` /
//! `getErrorResponse`, `RequestContext.apiVersion` (KIP-511). The response lists exactly the
//! rows of `protocol::api_keys::SUPPORTED_APIS` and no tagged fields (no features, no
//! zk-migration flag), because librdkafka before 2.2 misreads non-default tagged fields.

use kafka_protocol::messages::api_versions_response::ApiVersion;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest, ApiVersionsResponse};

use super::{decode_body, respond, respond_at, KafkaApis};
use crate::network::{Request, Response};
use crate::protocol::api_keys::{supported_versions, SUPPORTED_APIS};
use crate::protocol::client_software::is_valid_software_field;
use crate::protocol::ResponseError;

pub(super) async fn handle(_apis: &KafkaApis, request: &Request) -> Response {
    let body: ApiVersionsRequest = match decode_body(request) {
        Ok(b) => b,
        Err(close) => return close,
    };
    if request.context.header.api_version() >= 3
        && !(is_valid_software_field(&body.client_software_name)
            && is_valid_software_field(&body.client_software_version))
    {
        // Kafka: `getErrorResponse(INVALID_REQUEST)` carries only the error code.
        let response =
            ApiVersionsResponse::default().with_error_code(ResponseError::InvalidRequest.code());
        return respond(request, &response);
    }
    respond(request, &api_versions_response())
}

/// The answer to an ApiVersions request above our highest version: a v0 response with
/// UNSUPPORTED_VERSION and the ApiVersions range, from which the client picks a version and
/// asks again (KIP-511; Kafka: `ApiVersionsRequest.getErrorResponse`).
pub(super) fn unsupported_version_response(request: &Request) -> Response {
    let range = supported_versions(ApiKey::ApiVersions)
        .expect("ApiVersions is always in SUPPORTED_APIS (invariant of the table)");
    let response = ApiVersionsResponse::default()
        .with_error_code(ResponseError::UnsupportedVersion.code())
        .with_api_keys(vec![ApiVersion::default()
            .with_api_key(ApiKey::ApiVersions as i16)
            .with_min_version(range.min)
            .with_max_version(range.max)]);
    respond_at(request, 0, &response)
}

/// The full response: every supported API with its range, throttle 0, no features.
pub fn api_versions_response() -> ApiVersionsResponse {
    ApiVersionsResponse::default().with_api_keys(
        SUPPORTED_APIS
            .iter()
            .map(|s| {
                ApiVersion::default()
                    .with_api_key(s.api_key as i16)
                    .with_min_version(s.min_version)
                    .with_max_version(s.max_version)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use kafka_protocol::protocol::StrBytes;

    fn ranges(r: &ApiVersionsResponse) -> Vec<(i16, i16, i16)> {
        r.api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect()
    }

    /// Every version 0-4 answers with the supported table, response header v0, and the
    /// request's correlation id. Kafka: `KafkaApis.handleApiVersionsRequest`.
    #[tokio::test]
    async fn every_version_lists_the_table() {
        let apis = apis();
        for v in 0..=4 {
            let mut req = ApiVersionsRequest::default();
            if v >= 3 {
                req.client_software_name = StrBytes::from_static_str("librdkafka");
                req.client_software_version = StrBytes::from_static_str("2.0.2");
            }
            let resp = apis.handle(&request(ApiKey::ApiVersions, v, &req)).await;
            let (corr, body): (i32, ApiVersionsResponse) = response(resp, 0, v);
            assert_eq!(corr, 17);
            assert_eq!(body.error_code, 0);
            assert_eq!(
                ranges(&body),
                [
                    (0i16, 0i16, 11i16),
                    (1, 4, 17),
                    (2, 0, 8),
                    (3, 0, 12),
                    (4, 0, 7),
                    (5, 0, 4),
                    (6, 0, 8),
                    (7, 0, 3),
                    (18, 0, 4),
                    (22, 0, 5),
                    (23, 0, 4),
                    (17, 0, 1),
                    (36, 0, 2),
                    (29, 0, 3),
                    (30, 0, 3),
                    (31, 0, 3),
                    (50, 0, 0),
                    (51, 0, 0),
                    (19, 0, 7),
                    (20, 0, 6),
                    (37, 0, 3),
                    (32, 0, 4),
                    (8, 0, 9),
                    (9, 0, 9),
                    (10, 0, 6),
                    (11, 0, 9),
                    (12, 0, 4),
                    (13, 0, 5),
                    (14, 0, 5),
                    (15, 0, 5),
                    (16, 0, 5),
                    (42, 0, 2),
                    (47, 0, 0),
                    (43, 0, 2),
                    (56, 0, 3),
                    (67, 0, 0),
                    (33, 0, 2),
                    (44, 0, 1)
                ]
                .to_vec(),
                "v{v}"
            );
            assert!(body.supported_features.is_empty());
            assert_eq!(body.finalized_features_epoch, -1);
        }
    }

    /// librdkafka before 2.2 misreads non-default tagged fields: the v3 response must carry
    /// none, byte for byte — correlation id, error code, compact array of 3 entries (each
    /// key, min, max and an empty tag buffer), throttle time, and one empty tag buffer.
    #[tokio::test]
    async fn v3_response_has_no_tagged_fields() {
        let apis = apis();
        let req = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("librdkafka"))
            .with_client_software_version(StrBytes::from_static_str("2.0.2"));
        let Response::Send(send) = apis.handle(&request(ApiKey::ApiVersions, 3, &req)).await else {
            panic!("no response");
        };
        let f = &send.chunks()[0];
        let mut expected = vec![];
        expected.extend_from_slice(&17i32.to_be_bytes()); // correlation id (header v0)
        expected.extend_from_slice(&[0, 0]); // error code
        expected.push(39); // compact array: 38 entries + 1
        for (k, min, max) in [
            (0i16, 0i16, 11i16),
            (1, 4, 17),
            (2, 0, 8),
            (3, 0, 12),
            (4, 0, 7),
            (5, 0, 4),
            (6, 0, 8),
            (7, 0, 3),
            (18, 0, 4),
            (22, 0, 5),
            (23, 0, 4),
            (17, 0, 1),
            (36, 0, 2),
            (29, 0, 3),
            (30, 0, 3),
            (31, 0, 3),
            (50, 0, 0),
            (51, 0, 0),
            (19, 0, 7),
            (20, 0, 6),
            (37, 0, 3),
            (32, 0, 4),
            (8, 0, 9),
            (9, 0, 9),
            (10, 0, 6),
            (11, 0, 9),
            (12, 0, 4),
            (13, 0, 5),
            (14, 0, 5),
            (15, 0, 5),
            (16, 0, 5),
            (42, 0, 2),
            (47, 0, 0),
            (43, 0, 2),
            (56, 0, 3),
            (67, 0, 0),
            (33, 0, 2),
            (44, 0, 1),
        ] {
            expected.extend_from_slice(&k.to_be_bytes());
            expected.extend_from_slice(&min.to_be_bytes());
            expected.extend_from_slice(&max.to_be_bytes());
            expected.push(0); // no tagged fields
        }
        expected.extend_from_slice(&0i32.to_be_bytes()); // throttle time
        expected.push(0); // no tagged fields (no features, no zk-migration flag)
        assert_eq!(&f[4..], &expected[..]);
        assert_eq!(&f[..4], &(expected.len() as i32).to_be_bytes());
    }

    /// KIP-511: a version above ours gets a v0 response with UNSUPPORTED_VERSION and the
    /// ApiVersions range only (Kafka: `ApiVersionsRequest.getErrorResponse`).
    #[tokio::test]
    async fn over_max_version_gets_v0_unsupported() {
        let apis = apis();
        let req = ApiVersionsRequest::default();
        // Encode as v4 (same shape), then claim v9 in the header.
        let mut r = request(ApiKey::ApiVersions, 4, &req);
        r.context.header.header.request_api_version = 9;
        let (_, body): (i32, ApiVersionsResponse) = response(apis.handle(&r).await, 0, 0);
        assert_eq!(body.error_code, ResponseError::UnsupportedVersion.code());
        assert_eq!(ranges(&body), vec![(18, 0, 4)]);
    }

    /// Kafka: `ApiVersionsRequest.isValid` — v3+ client software name and version must match
    /// the pattern, otherwise INVALID_REQUEST.
    #[tokio::test]
    async fn invalid_client_software_is_invalid_request() {
        let apis = apis();
        let req = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("bad name!"))
            .with_client_software_version(StrBytes::from_static_str("1.0"));
        let resp = apis.handle(&request(ApiKey::ApiVersions, 3, &req)).await;
        let (_, body): (i32, ApiVersionsResponse) = response(resp, 0, 3);
        assert_eq!(body.error_code, ResponseError::InvalidRequest.code());
        assert!(body.api_keys.is_empty());
    }
}
