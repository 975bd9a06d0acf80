//! Errors of the client: I/O, protocol decoding, and Kafka error codes returned by brokers.

use kafka_protocol::error::ResponseError;

/// Everything that can go wrong talking to a Kafka cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The TCP connection failed or broke.
    #[error("connection to {addr} failed: {source}")]
    Io {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    /// The connection was closed while requests were outstanding.
    #[error("connection to {addr} closed: {reason}")]
    Disconnected { addr: String, reason: String },
    /// A request or response could not be encoded or decoded.
    #[error("protocol error talking to {addr}: {message}")]
    Protocol { addr: String, message: String },
    /// Neither side supports a common version of an API.
    #[error("broker {addr} does not support {api} in any version this client speaks (broker {broker_min}..{broker_max}, client {client_min}..{client_max})")]
    UnsupportedVersion {
        addr: String,
        api: String,
        broker_min: i16,
        broker_max: i16,
        client_min: i16,
        client_max: i16,
    },
    /// A broker answered with a Kafka error code.
    #[error("{}", kafka_message(*.error, .message.as_deref(), .context.as_str()))]
    Kafka {
        error: ResponseError,
        message: Option<String>,
        context: String,
    },
    /// No broker from the bootstrap list could be reached.
    #[error("could not reach any bootstrap server of {servers}: {last}")]
    NoBootstrap { servers: String, last: String },
    /// A wait ran out.
    #[error("timed out after {ms} ms waiting for {what}")]
    Timeout { what: String, ms: u64 },
    /// Bad input from the user or from a configuration key.
    #[error("{0}")]
    Config(String),
}

fn kafka_message(error: ResponseError, message: Option<&str>, context: &str) -> String {
    match message {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => format!("{context}: {} ({})", error_name(error.code()), error.code()),
    }
}

impl ClientError {
    /// Builds a Kafka error from a non-zero error code; `None` for 0.
    pub fn from_code(
        code: i16,
        message: Option<String>,
        context: impl Into<String>,
    ) -> Option<Self> {
        ResponseError::try_from_code(code).map(|error| ClientError::Kafka {
            error,
            message,
            context: context.into(),
        })
    }

    /// The Kafka error code, when the broker sent one.
    pub fn kafka_code(&self) -> Option<i16> {
        match self {
            ClientError::Kafka { error, .. } => Some(error.code()),
            _ => None,
        }
    }
}

/// Kafka's upper-case name of an error code (`Errors.name()` in Java), e.g.
/// `NOT_LEADER_OR_FOLLOWER`. kafka-protocol only has the camel-case form, which we convert.
pub fn error_name(code: i16) -> String {
    match ResponseError::try_from_code(code) {
        None => "NONE".to_string(),
        Some(ResponseError::Unknown(c)) => format!("UNKNOWN_ERROR_CODE_{c}"),
        Some(e) => {
            let camel = e.to_string();
            let mut out = String::with_capacity(camel.len() + 8);
            for (i, ch) in camel.chars().enumerate() {
                if ch.is_ascii_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(ch.to_ascii_uppercase());
            }
            out
        }
    }
}

/// Error codes after which a client refreshes metadata and retries.
/// Kafka: `Errors` entries whose exception extends `InvalidMetadataException`.
pub fn is_metadata_error(code: i16) -> bool {
    matches!(
        code,
        3   // UNKNOWN_TOPIC_OR_PARTITION
        | 5 // LEADER_NOT_AVAILABLE
        | 6 // NOT_LEADER_OR_FOLLOWER
        | 9 // REPLICA_NOT_AVAILABLE
        | 74 // FENCED_LEADER_EPOCH
        | 75 // UNKNOWN_LEADER_EPOCH
        | 100 // UNKNOWN_TOPIC_ID
        | 103 // OFFSET_NOT_AVAILABLE
    )
}

/// Result alias of the client.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's `Errors` enum names: code 6 is NOT_LEADER_OR_FOLLOWER, 36 TOPIC_ALREADY_EXISTS
    /// (clients/src/main/java/org/apache/kafka/common/protocol/Errors.java).
    #[test]
    fn error_names_follow_kafka() {
        assert_eq!(error_name(6), "NOT_LEADER_OR_FOLLOWER");
        assert_eq!(error_name(36), "TOPIC_ALREADY_EXISTS");
        assert_eq!(error_name(3), "UNKNOWN_TOPIC_OR_PARTITION");
        assert_eq!(error_name(0), "NONE");
        assert!(is_metadata_error(6) && !is_metadata_error(36));
    }
}
