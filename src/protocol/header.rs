//! Request-header parsing for every header version (0, 1 and 2).
//!
//! Kafka: `RequestHeader.parse`. The header version is not on the wire: it follows from the API
//! key and API version in the first four bytes (`ApiKeys.requestHeaderVersion`), so those are
//! read first, then the whole header is decoded with the version they imply.

use bytes::{Buf, Bytes};
use kafka_protocol::messages::{ApiKey, RequestHeader};
use kafka_protocol::protocol::{Decodable, StrBytes};

/// A parsed request header and what it implies.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRequestHeader {
    pub api_key: ApiKey,
    /// 0 (no client id; ControlledShutdown v0 only), 1 (client id) or 2 (client id + tagged fields).
    pub header_version: i16,
    /// The decoded header; a null client id is replaced by "" as Kafka does.
    pub header: RequestHeader,
}

impl ParsedRequestHeader {
    pub fn api_version(&self) -> i16 {
        self.header.request_api_version
    }

    pub fn correlation_id(&self) -> i32 {
        self.header.correlation_id
    }

    pub fn client_id(&self) -> &str {
        self.header.client_id.as_deref().unwrap_or("")
    }
}

/// Why a request header was refused; each closes the connection in Kafka
/// (`InvalidRequestException` from `RequestHeader.parse`).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HeaderError {
    #[error("the request is {0} bytes long, too short to hold an API key and version")]
    TooShort(usize),
    #[error("unknown API key {0}")]
    UnknownApiKey(i16),
    #[error(
        "the request header for API key {api_key} version {api_version} is malformed: {reason}"
    )]
    Malformed {
        api_key: i16,
        api_version: i16,
        reason: String,
    },
}

/// Parses the request header at the start of `frame` (the bytes after the size prefix) and
/// advances `frame` to the request body.
pub fn parse_request_header(frame: &mut Bytes) -> Result<ParsedRequestHeader, HeaderError> {
    if frame.len() < 4 {
        return Err(HeaderError::TooShort(frame.len()));
    }
    let raw_key = i16::from_be_bytes([frame[0], frame[1]]);
    let api_version = i16::from_be_bytes([frame[2], frame[3]]);
    let api_key = ApiKey::try_from(raw_key).map_err(|()| HeaderError::UnknownApiKey(raw_key))?;
    let header_version = api_key.request_header_version(api_version);
    let mut cursor = frame.clone();
    let mut header =
        RequestHeader::decode(&mut cursor, header_version).map_err(|e| HeaderError::Malformed {
            api_key: raw_key,
            api_version,
            reason: e.to_string(),
        })?;
    // Kafka: "Due to a quirk in the protocol, client ID is marked as nullable. However, we
    // treat a null client ID as equivalent to an empty client ID." (`RequestHeader.parse`)
    if header.client_id.is_none() {
        header.client_id = Some(StrBytes::default());
    }
    let consumed = frame.len() - cursor.remaining();
    frame.advance(consumed);
    Ok(ParsedRequestHeader {
        api_key,
        header_version,
        header,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{BufMut, BytesMut};
    use kafka_protocol::protocol::Encodable;

    fn encode(header: &RequestHeader, version: i16, body: &[u8]) -> Bytes {
        let mut b = BytesMut::new();
        header.encode(&mut b, version).unwrap();
        b.put_slice(body);
        b.freeze()
    }

    fn header(key: ApiKey, version: i16) -> RequestHeader {
        RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(42)
            .with_client_id(Some(StrBytes::from_static_str("rdkafka")))
    }

    /// Header v1 (Metadata v1-v8): api key, version, correlation id, nullable client id.
    /// Kafka: `RequestHeader.json` versions 1, `MetadataRequest` flexibleVersions 9+.
    #[test]
    fn parses_header_v1() {
        let mut frame = encode(&header(ApiKey::Metadata, 8), 1, b"BODY");
        let parsed = parse_request_header(&mut frame).unwrap();
        assert_eq!(parsed.api_key, ApiKey::Metadata);
        assert_eq!(parsed.header_version, 1);
        assert_eq!(parsed.api_version(), 8);
        assert_eq!(parsed.correlation_id(), 42);
        assert_eq!(parsed.client_id(), "rdkafka");
        assert_eq!(&frame[..], b"BODY");
    }

    /// Header v2 (flexible versions) carries tagged fields after the client id.
    #[test]
    fn parses_header_v2_with_tagged_fields() {
        let h = header(ApiKey::Metadata, 12).with_unknown_tagged_field(7, Bytes::from_static(b"x"));
        let mut frame = encode(&h, 2, b"B");
        let parsed = parse_request_header(&mut frame).unwrap();
        assert_eq!(parsed.header_version, 2);
        assert_eq!(parsed.header.unknown_tagged_fields.len(), 1);
        assert_eq!(&frame[..], b"B");
    }

    /// Header v0 has no client id: only ControlledShutdown v0 uses it
    /// (`ControlledShutdownRequest.json` "Version 0 of the request header has no client id").
    #[test]
    fn parses_header_v0() {
        let mut frame = encode(&header(ApiKey::ControlledShutdown, 0), 0, b"\0\0\0\x01");
        let parsed = parse_request_header(&mut frame).unwrap();
        assert_eq!(parsed.header_version, 0);
        assert_eq!(parsed.client_id(), "");
        assert_eq!(frame.len(), 4);
    }

    /// A null client id is read as "" (Kafka: `RequestHeader.parse`).
    #[test]
    fn null_client_id_becomes_empty() {
        let h = header(ApiKey::ApiVersions, 2).with_client_id(None);
        let mut frame = encode(&h, 1, b"");
        let parsed = parse_request_header(&mut frame).unwrap();
        assert_eq!(parsed.header.client_id.as_deref(), Some(""));
    }

    /// An ApiVersions request above every known version still gets its header parsed (header
    /// v2, as for v3+), so the broker can answer it (KIP-511).
    #[test]
    fn over_max_api_versions_header() {
        let mut frame = encode(&header(ApiKey::ApiVersions, 99), 2, b"");
        let parsed = parse_request_header(&mut frame).unwrap();
        assert_eq!(parsed.header_version, 2);
        assert_eq!(parsed.api_version(), 99);
    }

    /// Unknown API keys and truncated headers are errors (the connection is then closed).
    #[test]
    fn rejects_bad_headers() {
        let mut f = Bytes::from_static(&[0, 3, 0]);
        assert_eq!(parse_request_header(&mut f), Err(HeaderError::TooShort(3)));
        let mut f = Bytes::from_static(&[0x7f, 0x00, 0, 1, 0, 0, 0, 1, 0, 0]);
        assert_eq!(
            parse_request_header(&mut f),
            Err(HeaderError::UnknownApiKey(0x7f00))
        );
        // Metadata v1 header cut inside the client id.
        let mut f = Bytes::from_static(&[0, 3, 0, 1, 0, 0, 0, 1, 0, 10, b'a']);
        assert!(matches!(
            parse_request_header(&mut f),
            Err(HeaderError::Malformed { api_key: 3, .. })
        ));
    }
}
