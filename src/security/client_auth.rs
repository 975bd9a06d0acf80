//! The client side of SASL for inter-broker connections: SaslHandshake v1, then one
//! SaslAuthenticate v2 per token (the KIP-152 flow), with PLAIN or SCRAM-SHA-256/512.
//!
//! Kafka: `SaslClientAuthenticator` (states SEND_HANDSHAKE_REQUEST → INITIAL →
//! INTERMEDIATE → COMPLETE; the ApiVersions round trip it starts with only picks versions, and
//! every broker of a 3.9 cluster serves SaslHandshake v1 and SaslAuthenticate v2),
//! `PlainSaslClient` (JDK), `ScramSaslClient`. Credentials come from the inter-broker listener's
//! JAAS configuration ([`super::inter_broker_client`]).

use bytes::Bytes;
use kafka_protocol::messages::{SaslAuthenticateRequest, SaslHandshakeRequest};
use kafka_protocol::protocol::StrBytes;

use super::sasl::scram::{ScramClient, ScramMechanism};
use super::sasl::SaslError;
use crate::network::client::{BrokerConnection, ClientError};
use crate::protocol::errors::ResponseError;

/// SaslHandshake version: v1 means the tokens travel in SaslAuthenticate requests.
const SASL_HANDSHAKE_VERSION: i16 = 1;
/// SaslAuthenticate version (Kafka 3.9's highest: v1 added session lifetimes, v2 flexible).
const SASL_AUTHENTICATE_VERSION: i16 = 2;

/// A client-side SASL mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslClientMechanism {
    Plain,
    Scram(ScramMechanism),
}

impl SaslClientMechanism {
    /// `None` for mechanisms without a client here (GSSAPI, OAUTHBEARER).
    pub fn from_name(name: &str) -> Option<SaslClientMechanism> {
        match name {
            "PLAIN" => Some(SaslClientMechanism::Plain),
            other => ScramMechanism::from_mechanism_name(other).map(SaslClientMechanism::Scram),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SaslClientMechanism::Plain => "PLAIN",
            SaslClientMechanism::Scram(m) => m.mechanism_name(),
        }
    }
}

/// Who a broker is when it connects to another broker.
#[derive(Clone, PartialEq, Eq)]
pub struct SaslClientCredentials {
    pub mechanism: SaslClientMechanism,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SaslClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never log the password.
        f.debug_struct("SaslClientCredentials")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// Why authentication failed. The messages are the ones Kafka's client raises.
#[derive(Debug, thiserror::Error)]
pub enum ClientAuthError {
    /// Kafka: `UnsupportedSaslMechanismException` from `SaslClientAuthenticator.handleSaslHandshakeResponse`.
    #[error("Client SASL mechanism '{mechanism}' not enabled in the server, enabled mechanisms are {enabled:?}")]
    UnsupportedMechanism {
        mechanism: String,
        enabled: Vec<String>,
    },
    /// Kafka: `SaslAuthenticationException` carrying the server's `error_message`.
    #[error("{0}")]
    Failed(String),
    /// The server's answer did not check out (bad nonce, bad server signature).
    #[error("{0}")]
    Exchange(#[from] SaslError),
    #[error(transparent)]
    Network(#[from] ClientError),
}

/// The client's half of one exchange, one token at a time.
pub enum SaslClientExchange {
    Plain { token: Vec<u8>, sent: bool },
    Scram { client: Box<ScramClient>, step: u8 },
}

impl SaslClientExchange {
    pub fn new(credentials: &SaslClientCredentials) -> SaslClientExchange {
        match credentials.mechanism {
            // RFC 4616: `[authzid] NUL authcid NUL passwd`; Kafka's client sends no authzid.
            SaslClientMechanism::Plain => SaslClientExchange::Plain {
                token: format!("\0{}\0{}", credentials.username, credentials.password).into_bytes(),
                sent: false,
            },
            SaslClientMechanism::Scram(m) => SaslClientExchange::Scram {
                client: Box::new(ScramClient::new(
                    m,
                    &credentials.username,
                    &credentials.password,
                )),
                step: 0,
            },
        }
    }

    /// The client's first token.
    pub fn initial_token(&mut self) -> Vec<u8> {
        match self {
            SaslClientExchange::Plain { token, sent } => {
                *sent = true;
                token.clone()
            }
            SaslClientExchange::Scram { client, step } => {
                *step = 1;
                client.client_first()
            }
        }
    }

    /// Evaluates the server's answer to our last token: `Some(next token)` to send, or `None`
    /// when the exchange is complete on our side.
    pub fn evaluate_challenge(&mut self, challenge: &[u8]) -> Result<Option<Vec<u8>>, SaslError> {
        match self {
            SaslClientExchange::Plain { sent: true, .. } => Ok(None),
            SaslClientExchange::Scram { client, step } if *step == 1 => {
                *step = 2;
                client.client_final(challenge).map(Some)
            }
            SaslClientExchange::Scram { client, step } if *step == 2 => {
                *step = 3;
                // Kafka: ScramSaslClient — "Sasl server signature verification failed".
                client.verify_server_final(challenge).map_err(|_| {
                    SaslError::authentication("Sasl server signature verification failed")
                })?;
                Ok(None)
            }
            _ => Err(SaslError::invalid("SASL exchange is not in progress")),
        }
    }
}

/// Authenticates `conn` with `credentials`. Kafka: `SaslClientAuthenticator.authenticate`.
pub async fn authenticate(
    conn: &mut BrokerConnection,
    credentials: &SaslClientCredentials,
) -> Result<(), ClientAuthError> {
    let mechanism = credentials.mechanism.name();
    let handshake =
        SaslHandshakeRequest::default().with_mechanism(StrBytes::from_static_str(mechanism));
    let response = conn.send(SASL_HANDSHAKE_VERSION, &handshake).await?;
    if response.error_code != 0 {
        let enabled = response.mechanisms.iter().map(|m| m.to_string()).collect();
        return Err(
            if response.error_code == ResponseError::UnsupportedSaslMechanism.code() {
                ClientAuthError::UnsupportedMechanism {
                    mechanism: mechanism.to_string(),
                    enabled,
                }
            } else {
                ClientAuthError::Failed(format!(
                    "SaslHandshake for mechanism {mechanism} failed with error code {}",
                    response.error_code
                ))
            },
        );
    }
    let mut exchange = SaslClientExchange::new(credentials);
    let mut token = exchange.initial_token();
    loop {
        let request = SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(token));
        let response = conn.send(SASL_AUTHENTICATE_VERSION, &request).await?;
        if response.error_code != 0 {
            // Kafka: the server's message is the exception's (e.g. "Authentication failed
            // during authentication due to invalid credentials with SASL mechanism ...").
            return Err(ClientAuthError::Failed(
                response
                    .error_message
                    .map(|m| m.to_string())
                    .unwrap_or_else(|| {
                        format!(
                            "SaslAuthenticate failed with error code {}",
                            response.error_code
                        )
                    }),
            ));
        }
        match exchange.evaluate_challenge(&response.auth_bytes)? {
            Some(next) => token = next,
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashMap};
    use std::sync::Arc;

    use super::*;
    use crate::security::sasl::plain::PlainSaslServer;
    use crate::security::sasl::scram::{ScramCredential, ScramCredentialLookup, ScramSaslServer};
    use crate::security::sasl::{SaslServer, SaslStep};

    struct Creds(HashMap<String, ScramCredential>);
    impl ScramCredentialLookup for Creds {
        fn credential(&self, user: &str, _m: ScramMechanism) -> Option<ScramCredential> {
            self.0.get(user).cloned()
        }
    }

    /// Drives a client exchange against a server-side mechanism, as the wire flow would.
    fn run(server: &mut dyn SaslServer, creds: &SaslClientCredentials) -> Result<String, String> {
        let mut client = SaslClientExchange::new(creds);
        let mut token = client.initial_token();
        loop {
            match server
                .evaluate_response(&token)
                .map_err(|e| e.to_string())?
            {
                SaslStep::Challenge(c) => {
                    token = client
                        .evaluate_challenge(&c)
                        .map_err(|e| e.to_string())?
                        .ok_or("client finished before the server")?;
                }
                SaslStep::Complete {
                    response,
                    authorization_id,
                } => {
                    let next = client
                        .evaluate_challenge(&response)
                        .map_err(|e| e.to_string())?;
                    assert!(next.is_none(), "client wants another round");
                    return Ok(authorization_id);
                }
            }
        }
    }

    fn creds(mechanism: SaslClientMechanism, user: &str, password: &str) -> SaslClientCredentials {
        SaslClientCredentials {
            mechanism,
            username: user.into(),
            password: password.into(),
        }
    }

    /// RFC 5802 §3 against our `ScramSaslServer` (Kafka: `ScramSaslServer`): the right password
    /// authenticates and the client verifies the server signature; a wrong one is refused.
    #[test]
    fn scram_client_against_the_server_side() {
        for m in ScramMechanism::ALL {
            let mut users = HashMap::new();
            users.insert(
                "broker".to_string(),
                m.credential("broker-secret", b"salt", 4096),
            );
            let lookup = Arc::new(Creds(users));
            let mech = SaslClientMechanism::Scram(m);
            let mut server = ScramSaslServer::new(m, lookup.clone());
            assert_eq!(
                run(&mut server, &creds(mech, "broker", "broker-secret")),
                Ok("broker".to_string())
            );
            let mut server = ScramSaslServer::new(m, lookup);
            assert!(run(&mut server, &creds(mech, "broker", "wrong")).is_err());
        }
    }

    /// A server that does not know the password cannot forge the final signature: the client
    /// refuses it (Kafka: `ScramSaslClient` "Sasl server signature verification failed").
    #[test]
    fn scram_client_refuses_a_bad_server_signature() {
        let mut exchange = SaslClientExchange::new(&creds(
            SaslClientMechanism::Scram(ScramMechanism::Sha256),
            "user",
            "pencil",
        ));
        let first = String::from_utf8(exchange.initial_token()).unwrap();
        let nonce = first.rsplit_once("r=").unwrap().1;
        let server_first = format!("r={nonce}srv,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        assert!(exchange
            .evaluate_challenge(server_first.as_bytes())
            .unwrap()
            .is_some());
        let err = exchange
            .evaluate_challenge(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap_err();
        assert_eq!(err.to_string(), "Sasl server signature verification failed");
    }

    /// RFC 7677 §3: the SCRAM-SHA-256 example exchange, byte for byte.
    #[test]
    fn scram_sha_256_rfc_7677_vector() {
        let mut c = ScramClient::with_client_nonce(
            ScramMechanism::Sha256,
            "user",
            "pencil",
            "rOprNGfwEbeRWgbNEkqO".into(),
        );
        assert_eq!(c.client_first(), b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
        let fin = c
            .client_final(b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
            .unwrap();
        assert_eq!(
            String::from_utf8(fin).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        c.verify_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .unwrap();
        assert!(c.verify_server_final(b"v=AAAA").is_err());
    }

    /// RFC 4616 against our `PlainSaslServer` (Kafka: `PlainSaslServer`).
    #[test]
    fn plain_client_against_the_server_side() {
        let mut users = BTreeMap::new();
        users.insert("broker".to_string(), "broker-secret".to_string());
        let users = Arc::new(users);
        let mut server = PlainSaslServer::new(users.clone());
        assert_eq!(
            run(
                &mut server,
                &creds(SaslClientMechanism::Plain, "broker", "broker-secret")
            ),
            Ok("broker".to_string())
        );
        let mut server = PlainSaslServer::new(users);
        assert!(run(
            &mut server,
            &creds(SaslClientMechanism::Plain, "broker", "nope")
        )
        .is_err());
        assert_eq!(SaslClientMechanism::from_name("GSSAPI"), None);
    }
}
