//! The only place that touches the `kafka-protocol` crate's framing: request-header parsing,
//! response framing, the supported ApiVersions table, error codes, and the structural guard
//! that every request body passes before the crate decodes it.
//!
//! Request path through this module: [`header::parse_request_header`] (API key → header
//! version → `RequestHeader`), [`api_keys::is_api_enabled`] (the version range check done
//! before any decode), [`guard::check_body`] (array lengths against the bytes that remain),
//! then the crate's `Decodable::decode`; the answer goes out through
//! [`frame::encode_response`].

pub mod api_keys;
pub mod client_software;
pub mod errors;
pub mod frame;
pub mod guard;
pub mod guard_admin;
pub mod guard_controller;
pub mod guard_data_path;
pub mod guard_groups;
pub mod guard_security;
pub mod header;
pub mod record_batch;

pub use api_keys::{is_api_enabled, supported_versions, SupportedApi, SUPPORTED_APIS};
pub use client_software::ClientInformation;
pub use errors::ResponseError;
pub use frame::{encode_request, encode_response, FrameError};
pub use header::{parse_request_header, HeaderError, ParsedRequestHeader};

/// Re-exports of the `kafka-protocol` types other modules need, so the crate version is named
/// in one place.
pub use kafka_protocol::messages::{ApiKey, RequestHeader};
pub use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes, VersionRange};
