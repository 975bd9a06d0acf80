//! SASL mechanisms on the server side: PLAIN and SCRAM-SHA-256/512.
//!
//! Kafka: `javax.security.sasl.SaslServer` as used by `SaslServerAuthenticator`;
//! `PlainSaslServer`, `ScramSaslServer`.

pub mod jaas;
pub mod plain;
pub mod scram;

/// The outcome of one client token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaslStep {
    /// Send these bytes and wait for the next client token.
    Challenge(Vec<u8>),
    /// Authentication succeeded: send `response` (possibly empty); the principal name is
    /// `authorization_id`.
    Complete {
        response: Vec<u8>,
        authorization_id: String,
    },
}

/// A failed exchange. Kafka distinguishes `SaslAuthenticationException`, whose message goes to
/// the client, from other `SaslException`s, for which the client gets a generic message
/// (`SaslServerAuthenticator.handleSaslToken`).
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SaslError {
    #[error("{0}")]
    Authentication(String),
    #[error("{0}")]
    Invalid(String),
}

impl SaslError {
    pub fn authentication(msg: impl Into<String>) -> SaslError {
        SaslError::Authentication(msg.into())
    }

    pub fn invalid(msg: impl Into<String>) -> SaslError {
        SaslError::Invalid(msg.into())
    }

    /// The message sent to the client in SaslAuthenticate's `error_message`.
    /// `reauthenticating` picks Kafka's "re-authentication" wording
    /// (`ReauthInfo.authenticationOrReauthenticationText`).
    pub fn client_message(&self, mechanism: &str, reauthenticating: bool) -> String {
        let during = if reauthenticating {
            "re-authentication"
        } else {
            "authentication"
        };
        match self {
            SaslError::Authentication(m) => m.clone(),
            SaslError::Invalid(_) => format!(
                "Authentication failed during {during} due to invalid credentials with SASL mechanism {mechanism}"
            ),
        }
    }
}

/// One SASL exchange on one connection.
pub trait SaslServer: Send {
    fn mechanism(&self) -> &'static str;
    /// Evaluates the client's next token.
    fn evaluate_response(&mut self, response: &[u8]) -> Result<SaslStep, SaslError>;
    /// Milliseconds left on the credential just verified, when the mechanism knows it (Kafka:
    /// `SaslInternalConfigs.CREDENTIAL_LIFETIME_MS_SASL_NEGOTIATED_PROPERTY_KEY`, set by
    /// OAUTHBEARER and SCRAM delegation tokens). PLAIN and SCRAM passwords have none.
    fn credential_remaining_ms(&self) -> Option<i64> {
        None
    }
}
