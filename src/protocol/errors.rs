//! Kafka error codes by name.
//!
//! `ResponseError` (from `kafka-protocol`, generated from Kafka's `Errors.java`) names every
//! code: `ResponseError::StaleControllerEpoch.code() == 11`. `NONE` is 0, which the crate does
//! not name because it is not an error.

pub use kafka_protocol::error::ParseResponseErrorCode;
pub use kafka_protocol::ResponseError;

/// Kafka's `Errors.NONE`.
pub const NONE: i16 = 0;

/// The wire code of an optional error (`None` → `NONE`).
pub fn code(error: Option<ResponseError>) -> i16 {
    error.map_or(NONE, |e| e.code())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes this module's callers rely on, from Kafka's `Errors.java`.
    #[test]
    fn codes_by_name() {
        assert_eq!(ResponseError::UnknownTopicOrPartition.code(), 3);
        assert_eq!(ResponseError::LeaderNotAvailable.code(), 5);
        assert_eq!(ResponseError::StaleControllerEpoch.code(), 11);
        assert_eq!(ResponseError::UnsupportedVersion.code(), 35);
        assert_eq!(ResponseError::InvalidRequest.code(), 42);
        assert_eq!(ResponseError::StaleBrokerEpoch.code(), 77);
        assert_eq!(code(None), 0);
        assert_eq!(code(Some(ResponseError::ListenerNotFound)), 72);
    }
}
