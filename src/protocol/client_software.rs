//! KIP-511 client software name and version, as sent in ApiVersions v3+.
//!
//! Kafka: `ApiVersionsRequest.isValid` (`SOFTWARE_NAME_VERSION_PATTERN`) and the interception
//! in `SocketServer.processCompletedReceives` that records them for the connection
//! (`ChannelMetadataRegistry.registerClientInformation`).

use bytes::Bytes;
use kafka_protocol::messages::{ApiKey, ApiVersionsRequest};
use kafka_protocol::protocol::Decodable;

use super::api_keys::supported_versions;
use super::guard::check_body;

/// What a client said it is. Kafka: `ClientInformation` (`UNKNOWN` before ApiVersions v3+).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientInformation {
    pub software_name: String,
    pub software_version: String,
}

impl Default for ClientInformation {
    fn default() -> Self {
        ClientInformation {
            software_name: "unknown".into(),
            software_version: "unknown".into(),
        }
    }
}

/// Kafka: `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
pub fn is_valid_software_field(s: &str) -> bool {
    let b = s.as_bytes();
    let (Some(first), Some(last)) = (b.first(), b.last()) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
}

/// The client information in an ApiVersions request body, if the version carries it (v3 up
/// to our highest) and both fields are valid.
pub fn from_api_versions(api_version: i16, body: &Bytes) -> Option<ClientInformation> {
    let range = supported_versions(ApiKey::ApiVersions)?;
    if api_version < 3 || api_version > range.max {
        return None;
    }
    check_body(ApiKey::ApiVersions, api_version, body).ok()?;
    let req = ApiVersionsRequest::decode(&mut body.clone(), api_version).ok()?;
    (is_valid_software_field(&req.client_software_name)
        && is_valid_software_field(&req.client_software_version))
    .then(|| ClientInformation {
        software_name: req.client_software_name.to_string(),
        software_version: req.client_software_version.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use kafka_protocol::protocol::{Encodable, StrBytes};

    /// Kafka: `ApiVersionsRequest.SOFTWARE_NAME_VERSION_PATTERN`.
    #[test]
    fn software_field_pattern() {
        assert!(is_valid_software_field("apache-kafka-java"));
        assert!(is_valid_software_field("3.9.0"));
        assert!(is_valid_software_field("a"));
        assert!(!is_valid_software_field(""));
        assert!(!is_valid_software_field("-x"));
        assert!(!is_valid_software_field("x."));
        assert!(!is_valid_software_field("bad name"));
    }

    /// ApiVersions v3 carries the client's name and version; v2 does not.
    #[test]
    fn parsed_from_api_versions_v3() {
        let mut b = BytesMut::new();
        ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("librdkafka"))
            .with_client_software_version(StrBytes::from_static_str("2.0.2"))
            .encode(&mut b, 3)
            .unwrap();
        let body = b.freeze();
        assert_eq!(
            from_api_versions(3, &body),
            Some(ClientInformation {
                software_name: "librdkafka".into(),
                software_version: "2.0.2".into()
            })
        );
        assert_eq!(from_api_versions(2, &Bytes::new()), None);
        assert_eq!(from_api_versions(3, &Bytes::from_static(&[0xff])), None);
    }
}
