//! Size-prefixed framing of responses (and of requests, for brokers and tests that send them).
//!
//! Kafka: `RequestContext.buildResponseSend`, `AbstractResponse.toSend`, `SendBuilder`.
//! A frame is a big-endian int32 size followed by the header and body. The response header
//! version follows from the API key and version (`ApiKeys.responseHeaderVersion`);
//! ApiVersions responses always use header v0 so a client that does not yet know the broker's
//! versions can read them.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestHeader, ResponseHeader};
use kafka_protocol::protocol::Encodable;

/// Why a message could not be framed.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    #[error("cannot encode {api_key:?} version {api_version}: {reason}")]
    Encode {
        api_key: ApiKey,
        api_version: i16,
        reason: String,
    },
    #[error(
        "the encoded {api_key:?} message is {size} bytes, more than an int32 size prefix can carry"
    )]
    TooLarge { api_key: ApiKey, size: usize },
}

/// The response header version for `api_key` at `api_version`.
pub fn response_header_version(api_key: ApiKey, api_version: i16) -> i16 {
    if api_key == ApiKey::ApiVersions {
        // Kafka: `ApiVersionsResponse.json` "flexibleVersions 3+" but header always v0 —
        // KIP-511 keeps the response readable by clients of any version.
        0
    } else {
        api_key.response_header_version(api_version)
    }
}

/// Frames a response: size, response header (correlation id, tagged fields when v1), body.
pub fn encode_response<M: Encodable>(
    api_key: ApiKey,
    api_version: i16,
    correlation_id: i32,
    body: &M,
) -> Result<Bytes, FrameError> {
    let header = ResponseHeader::default().with_correlation_id(correlation_id);
    let header_version = response_header_version(api_key, api_version);
    let mut buf = BytesMut::with_capacity(64);
    buf.put_i32(0);
    header
        .encode(&mut buf, header_version)
        .map_err(|e| encode_error(api_key, api_version, e))?;
    body.encode(&mut buf, api_version)
        .map_err(|e| encode_error(api_key, api_version, e))?;
    patch_size(api_key, buf)
}

/// Frames a request: size, request header (version from the API key and version), body.
pub fn encode_request<M: Encodable>(header: &RequestHeader, body: &M) -> Result<Bytes, FrameError> {
    let api_version = header.request_api_version;
    let api_key = ApiKey::try_from(header.request_api_key).map_err(|()| FrameError::Encode {
        api_key: ApiKey::ApiVersions,
        api_version,
        reason: format!("unknown API key {}", header.request_api_key),
    })?;
    let header_version = api_key.request_header_version(api_version);
    let mut buf = BytesMut::with_capacity(64);
    buf.put_i32(0);
    header
        .encode(&mut buf, header_version)
        .map_err(|e| encode_error(api_key, api_version, e))?;
    body.encode(&mut buf, api_version)
        .map_err(|e| encode_error(api_key, api_version, e))?;
    patch_size(api_key, buf)
}

fn patch_size(api_key: ApiKey, mut buf: BytesMut) -> Result<Bytes, FrameError> {
    let size = buf.len() - 4;
    let size_i32 = i32::try_from(size).map_err(|_| FrameError::TooLarge { api_key, size })?;
    buf[..4].copy_from_slice(&size_i32.to_be_bytes());
    Ok(buf.freeze())
}

fn encode_error(api_key: ApiKey, api_version: i16, e: impl std::fmt::Display) -> FrameError {
    FrameError::Encode {
        api_key,
        api_version,
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::{ApiVersionsResponse, MetadataResponse};

    /// ApiVersions v3 responses use header v0 (no tagged-field byte after the correlation id),
    /// Metadata v9+ responses header v1 (one empty tagged-field byte).
    /// Kafka: `ApiVersionsResponse.json`, `ResponseHeader.json`.
    #[test]
    fn response_header_versions() {
        let f =
            encode_response(ApiKey::ApiVersions, 3, 7, &ApiVersionsResponse::default()).unwrap();
        // size(4) corr(4) error_code(2) compact array len(1) throttle(4) tagged(1)
        assert_eq!(&f[4..8], &7i32.to_be_bytes());
        assert_eq!(&f[8..10], &0i16.to_be_bytes());
        assert_eq!(f.len(), 4 + 4 + 2 + 1 + 4 + 1);
        let size = i32::from_be_bytes(f[..4].try_into().unwrap());
        assert_eq!(size as usize, f.len() - 4);

        let f9 = encode_response(ApiKey::Metadata, 9, 1, &MetadataResponse::default()).unwrap();
        assert_eq!(f9[8], 0, "header v1 tagged-field count");
        let f8 = encode_response(ApiKey::Metadata, 8, 1, &MetadataResponse::default()).unwrap();
        assert_ne!(f9.len(), f8.len());
    }
}
