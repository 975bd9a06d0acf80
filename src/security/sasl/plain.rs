//! SASL/PLAIN (RFC 4616) checked against the users of the listener's JAAS configuration.
//!
//! Kafka: `PlainSaslServer.evaluateResponse`, `PlainServerCallbackHandler` (users from
//! `user_<name>="<password>"` options of `PlainLoginModule`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{SaslError, SaslServer, SaslStep};

/// The server side of one PLAIN exchange: a single client token.
pub struct PlainSaslServer {
    /// user → password, from `user_<name>` JAAS options.
    users: Arc<BTreeMap<String, String>>,
    done: bool,
}

impl PlainSaslServer {
    pub fn new(users: Arc<BTreeMap<String, String>>) -> PlainSaslServer {
        PlainSaslServer { users, done: false }
    }
}

impl SaslServer for PlainSaslServer {
    fn mechanism(&self) -> &'static str {
        "PLAIN"
    }

    /// `[authzid] NUL authcid NUL passwd`. Kafka: `PlainSaslServer.evaluateResponse` — the
    /// messages below are Kafka's, and all are `SaslAuthenticationException`s.
    fn evaluate_response(&mut self, response: &[u8]) -> Result<SaslStep, SaslError> {
        if self.done {
            return Err(SaslError::invalid("PLAIN exchange already complete"));
        }
        self.done = true;
        let text = String::from_utf8_lossy(response);
        let tokens: Vec<&str> = text.split('\u{0}').collect();
        if tokens.len() != 3 {
            return Err(SaslError::authentication(format!(
                "Invalid SASL/PLAIN response: expected 3 tokens, got {}",
                tokens.len()
            )));
        }
        let (authzid, username, password) = (tokens[0], tokens[1], tokens[2]);
        if username.is_empty() {
            return Err(SaslError::authentication(
                "Authentication failed: username not specified",
            ));
        }
        if password.is_empty() {
            return Err(SaslError::authentication(
                "Authentication failed: password not specified",
            ));
        }
        let ok = self
            .users
            .get(username)
            .is_some_and(|expected| expected.as_bytes() == password.as_bytes());
        if !ok {
            return Err(SaslError::authentication(
                "Authentication failed: Invalid username or password",
            ));
        }
        if !authzid.is_empty() && authzid != username {
            return Err(SaslError::authentication(
                "Authentication failed: Client requested an authorization id that is different from username",
            ));
        }
        Ok(SaslStep::Complete {
            response: Vec::new(),
            authorization_id: username.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server() -> PlainSaslServer {
        let mut users = BTreeMap::new();
        users.insert("alice".to_string(), "alice-secret".to_string());
        PlainSaslServer::new(Arc::new(users))
    }

    /// Kafka: `PlainSaslServer.evaluateResponse` — good credentials give `alice`; a wrong
    /// password, an empty name, or a different authzid fail with Kafka's messages.
    #[test]
    fn plain_checks_credentials_and_authzid() {
        assert_eq!(
            server().evaluate_response(b"\0alice\0alice-secret"),
            Ok(SaslStep::Complete {
                response: vec![],
                authorization_id: "alice".into()
            })
        );
        assert!(server()
            .evaluate_response(b"alice\0alice\0alice-secret")
            .is_ok());
        assert_eq!(
            server().evaluate_response(b"\0alice\0nope"),
            Err(SaslError::authentication(
                "Authentication failed: Invalid username or password"
            ))
        );
        assert!(server().evaluate_response(b"\0\0x").is_err());
        assert!(server()
            .evaluate_response(b"bob\0alice\0alice-secret")
            .is_err());
        assert!(server().evaluate_response(b"alice-secret").is_err());
    }
}
