//! The only place that touches the `kafka-protocol` crate: framing helpers, the supported
//! ApiVersions table, error codes, record-batch header helpers.
pub mod record_batch;
