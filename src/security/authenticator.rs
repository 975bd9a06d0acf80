//! `SaslServerAuthenticator`: the SASL state machine a SASL_PLAINTEXT/SASL_SSL connection runs
//! before any of its requests reaches `KafkaApis`.
//!
//! Kafka: `org.apache.kafka.common.security.authenticator.SaslServerAuthenticator`
//! (`SaslState`, `handleKafkaRequest`, `handleHandshakeRequest`, `handleSaslToken`,
//! `buildResponseOnAuthenticateFailure`).
//!
//! States: `HandshakeOrVersions` (ApiVersions allowed once) → `Handshake` → `Authenticate`
//! → `Complete` | `Failed`. SaslHandshake v0 switches to raw tokens (each a size-prefixed blob
//! without a Kafka header, answered the same way); v1 carries tokens in SaslAuthenticate
//! requests. Any other request before completion closes the connection
//! (`IllegalSaslStateException`); a failed exchange answers SASL_AUTHENTICATION_FAILED (after
//! `connection.failed.authentication.delay.ms`) and closes.
//!
//! Re-authentication (KIP-368): [`SaslServerAuthenticator::reauthenticating`] starts in
//! `ReauthProcessHandshake` with the SaslHandshake that began it, then joins the flow at
//! `Authenticate`; a different mechanism is acknowledged and then failed (`ReauthBadMechanism`),
//! a different principal fails with SASL_AUTHENTICATION_FAILED ([`super::reauthentication`]).
//!
//! The network layer feeds frames in with [`SaslServerAuthenticator::on_frame`] and does what
//! the returned [`AuthAction`] says, so the machine is pure and unit-tested here.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{
    ApiKey, SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest,
    SaslHandshakeResponse,
};
use kafka_protocol::protocol::{Decodable, StrBytes};
use kafka_protocol::ResponseError;

use super::principal::KafkaPrincipal;
use super::reauthentication::{session_lifetime_ms, PreviousSession};
use super::sasl::plain::PlainSaslServer;
use super::sasl::scram::{ScramCredentialLookup, ScramMechanism, ScramSaslServer};
use super::sasl::{SaslServer, SaslStep};
use crate::protocol::{encode_response, is_api_enabled, parse_request_header, ParsedRequestHeader};

/// What a SASL listener accepts. Built per listener from `server.properties`.
pub struct SaslServerConfig {
    /// `sasl.enabled.mechanisms` (listener-prefixed first), in configured order.
    pub enabled_mechanisms: Vec<String>,
    /// PLAIN users from `listener.name.<l>.plain.sasl.jaas.config` (`user_<name>` options).
    pub plain_users: Arc<BTreeMap<String, String>>,
    /// SCRAM credentials (the broker's cache of `/config/users`).
    pub scram_credentials: Arc<dyn ScramCredentialLookup>,
    /// `connection.failed.authentication.delay.ms` (default 100): failures are answered late
    /// to slow down password guessing. Kafka: `KafkaConfig.FailedAuthenticationDelayMs`.
    pub failed_authentication_delay: Duration,
    /// `connections.max.reauth.ms` by mechanism (0 = sessions never expire). Kafka:
    /// `SaslChannelBuilder.connectionsMaxReauthMsByMechanism`.
    pub connections_max_reauth_ms: BTreeMap<String, i64>,
}

impl std::fmt::Debug for SaslServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaslServerConfig")
            .field("enabled_mechanisms", &self.enabled_mechanisms)
            .field("plain_users", &self.plain_users.keys().collect::<Vec<_>>())
            .field("connections_max_reauth_ms", &self.connections_max_reauth_ms)
            .finish()
    }
}

impl SaslServerConfig {
    fn create_server(&self, mechanism: &str) -> Option<Box<dyn SaslServer>> {
        if mechanism == "PLAIN" {
            return Some(Box::new(PlainSaslServer::new(self.plain_users.clone())));
        }
        ScramMechanism::from_mechanism_name(mechanism).map(|m| {
            Box::new(ScramSaslServer::new(m, self.scram_credentials.clone())) as Box<dyn SaslServer>
        })
    }
}

/// Kafka: `SaslServerAuthenticator.SaslState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaslState {
    /// First request: ApiVersions or SaslHandshake.
    HandshakeOrVersions,
    /// ApiVersions was answered; SaslHandshake next.
    Handshake,
    /// Tokens; `kafka_headers` is false after SaslHandshake v0 (raw tokens).
    Authenticate {
        kafka_headers: bool,
    },
    Complete,
    Failed,
    /// Re-authentication: the SaslHandshake that began it comes next.
    ReauthProcessHandshake,
    /// Re-authentication asked for another mechanism: the handshake was answered, the next
    /// frame fails the re-authentication.
    ReauthBadMechanism,
}

/// An authenticated session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatedSession {
    pub principal: KafkaPrincipal,
    pub mechanism: String,
    /// `None`: the session never expires (`connections.max.reauth.ms` is 0).
    pub session_lifetime_ms: Option<i64>,
}

/// What the network layer must do with one frame.
#[derive(Debug)]
pub enum AuthAction {
    /// An ApiVersions request (allowed before the handshake): let the request handler answer it.
    ApiVersions,
    /// Write this frame and read the next one.
    Send(Bytes),
    /// Write this frame; the connection is authenticated as `session.principal`.
    Complete {
        send: Bytes,
        session: AuthenticatedSession,
    },
    /// Authentication failed: wait `delay`, write `send` (if any), close with `reason`.
    Fail {
        send: Option<Bytes>,
        delay: Duration,
        reason: String,
    },
}

/// One connection's SASL server state.
pub struct SaslServerAuthenticator {
    config: Arc<SaslServerConfig>,
    state: SaslState,
    server: Option<Box<dyn SaslServer>>,
    /// Set when re-authenticating.
    previous: Option<PreviousSession>,
    bad_mechanism_message: Option<String>,
}

fn frame(bytes: &[u8]) -> Bytes {
    let mut b = BytesMut::with_capacity(4 + bytes.len());
    b.put_i32(bytes.len() as i32);
    b.put_slice(bytes);
    b.freeze()
}

impl SaslServerAuthenticator {
    pub fn new(config: Arc<SaslServerConfig>) -> SaslServerAuthenticator {
        SaslServerAuthenticator {
            config,
            state: SaslState::HandshakeOrVersions,
            server: None,
            previous: None,
            bad_mechanism_message: None,
        }
    }

    /// A re-authentication of a connection authenticated as `previous`; the next frame is the
    /// SaslHandshake that began it. Kafka: `SaslServerAuthenticator.reauthenticate`.
    pub fn reauthenticating(
        config: Arc<SaslServerConfig>,
        previous: PreviousSession,
    ) -> SaslServerAuthenticator {
        SaslServerAuthenticator {
            config,
            state: SaslState::ReauthProcessHandshake,
            server: None,
            previous: Some(previous),
            bad_mechanism_message: None,
        }
    }

    /// Kafka: `ReauthInfo.calcCompletionTimesAndReturnSessionLifetimeMs` and
    /// `ensurePrincipalUnchanged`: the session of a completed exchange, or the message of a
    /// re-authentication that changed the principal.
    fn completed_session(
        &self,
        mechanism: &str,
        authorization_id: String,
    ) -> Result<AuthenticatedSession, String> {
        let principal = KafkaPrincipal::user(authorization_id);
        if let Some(message) = self
            .previous
            .as_ref()
            .and_then(|p| p.principal_change_message(&principal))
        {
            return Err(message);
        }
        let max_reauth_ms = self
            .config
            .connections_max_reauth_ms
            .get(mechanism)
            .copied()
            .unwrap_or(0);
        let credential = self
            .server
            .as_ref()
            .and_then(|s| s.credential_remaining_ms());
        Ok(AuthenticatedSession {
            principal,
            mechanism: mechanism.to_string(),
            session_lifetime_ms: session_lifetime_ms(max_reauth_ms, credential),
        })
    }

    pub fn state(&self) -> SaslState {
        self.state
    }

    fn fail(&mut self, send: Option<Bytes>, reason: String) -> AuthAction {
        self.state = SaslState::Failed;
        AuthAction::Fail {
            send,
            delay: self.config.failed_authentication_delay,
            reason,
        }
    }

    fn close(&mut self, reason: String) -> AuthAction {
        self.state = SaslState::Failed;
        AuthAction::Fail {
            send: None,
            delay: Duration::ZERO,
            reason,
        }
    }

    /// Handles one frame (the bytes after the size prefix). For [`AuthAction::ApiVersions`]
    /// the caller parses the frame again as a normal request.
    pub fn on_frame(&mut self, frame_bytes: Bytes) -> AuthAction {
        match self.state {
            SaslState::Authenticate {
                kafka_headers: false,
            } => self.raw_token(&frame_bytes),
            SaslState::Complete | SaslState::Failed => {
                self.close("frame after the end of authentication".into())
            }
            SaslState::ReauthBadMechanism => {
                // Kafka: a SaslAuthenticationException without a response; the close is still
                // delayed like any failed authentication.
                let reason = self.bad_mechanism_message.clone().unwrap_or_default();
                self.fail(None, reason)
            }
            _ => {
                let mut body = frame_bytes;
                let header = match parse_request_header(&mut body) {
                    Ok(h) => h,
                    // Kafka would try a raw GSSAPI token here (0.9 clients); no GSSAPI here.
                    Err(e) => return self.close(format!("invalid SASL request: {e}")),
                };
                if !is_api_enabled(header.api_key, header.api_version()) {
                    return self.close(format!(
                        "unsupported {:?} v{} during SASL authentication",
                        header.api_key,
                        header.api_version()
                    ));
                }
                self.kafka_request(header, body)
            }
        }
    }

    fn kafka_request(&mut self, header: ParsedRequestHeader, mut body: Bytes) -> AuthAction {
        let version = header.api_version();
        let correlation_id = header.correlation_id();
        match (self.state, header.api_key) {
            (SaslState::HandshakeOrVersions, ApiKey::ApiVersions) => {
                // Kafka: `handleApiVersionsRequest` — an ApiVersions of a version we do not
                // know is answered (v0, UNSUPPORTED_VERSION) without leaving this state, so
                // the client can retry with a lower version (KIP-511).
                if !crate::protocol::api_keys::is_unsupported_api_versions_request(
                    header.api_key,
                    version,
                ) {
                    self.state = SaslState::Handshake;
                }
                AuthAction::ApiVersions
            }
            (
                SaslState::HandshakeOrVersions
                | SaslState::Handshake
                | SaslState::ReauthProcessHandshake,
                ApiKey::SaslHandshake,
            ) => {
                let request = match SaslHandshakeRequest::decode(&mut body, version) {
                    Ok(r) => r,
                    Err(e) => return self.close(format!("cannot parse SaslHandshake: {e}")),
                };
                let mechanism = request.mechanism.to_string();
                let enabled = self.config.enabled_mechanisms.clone();
                let mut response = SaslHandshakeResponse::default().with_mechanisms(
                    enabled
                        .iter()
                        .map(|m| StrBytes::from_string(m.clone()))
                        .collect(),
                );
                let server = if enabled.contains(&mechanism) {
                    self.config.create_server(&mechanism)
                } else {
                    None
                };
                let Some(server) = server else {
                    // Kafka: `handleHandshakeRequest` → UnsupportedSaslMechanismException.
                    response.error_code = ResponseError::UnsupportedSaslMechanism.code();
                    let send =
                        encode_response(ApiKey::SaslHandshake, version, correlation_id, &response)
                            .ok();
                    return self.close_after(
                        send,
                        format!(
                            "Unsupported SASL mechanism {mechanism} (enabled: {})",
                            enabled.join(",")
                        ),
                    );
                };
                self.server = Some(server);
                self.state = SaslState::Authenticate {
                    kafka_headers: version >= 1,
                };
                if let Some(message) = self
                    .previous
                    .as_ref()
                    .and_then(|p| p.bad_mechanism_message(&mechanism))
                {
                    // Kafka answers the handshake normally and fails on the next frame, so
                    // the failed re-authentication is counted (`REAUTH_BAD_MECHANISM`).
                    self.bad_mechanism_message = Some(message);
                    self.server = None;
                    self.state = SaslState::ReauthBadMechanism;
                }
                match encode_response(ApiKey::SaslHandshake, version, correlation_id, &response) {
                    Ok(send) => AuthAction::Send(send),
                    Err(e) => self.close(e.to_string()),
                }
            }
            (
                SaslState::Authenticate {
                    kafka_headers: true,
                },
                ApiKey::SaslAuthenticate,
            ) => {
                let request = match SaslAuthenticateRequest::decode(&mut body, version) {
                    Ok(r) => r,
                    Err(e) => return self.close(format!("cannot parse SaslAuthenticate: {e}")),
                };
                let Some(server) = self.server.as_mut() else {
                    return self.close("no SASL mechanism selected".into());
                };
                let mechanism = server.mechanism();
                let reauthenticating = self.previous.is_some();
                let respond = |r: &SaslAuthenticateResponse| {
                    encode_response(ApiKey::SaslAuthenticate, version, correlation_id, r).ok()
                };
                match server.evaluate_response(&request.auth_bytes) {
                    Ok(SaslStep::Challenge(bytes)) => {
                        let r = SaslAuthenticateResponse::default().with_auth_bytes(bytes.into());
                        match respond(&r) {
                            Some(send) => AuthAction::Send(send),
                            None => self.close("cannot encode SaslAuthenticate".into()),
                        }
                    }
                    Ok(SaslStep::Complete {
                        response,
                        authorization_id,
                    }) => {
                        let session = match self.completed_session(mechanism, authorization_id) {
                            Ok(s) => s,
                            Err(message) => {
                                let r = SaslAuthenticateResponse::default()
                                    .with_error_code(ResponseError::SaslAuthenticationFailed.code())
                                    .with_error_message(Some(StrBytes::from_string(
                                        message.clone(),
                                    )));
                                let send = respond(&r);
                                return self.fail(send, message);
                            }
                        };
                        // Only v1+ carries session_lifetime_ms (0 when the session never
                        // expires); a v0 client's session still expires.
                        let r = SaslAuthenticateResponse::default()
                            .with_auth_bytes(response.into())
                            .with_session_lifetime_ms(session.session_lifetime_ms.unwrap_or(0));
                        self.state = SaslState::Complete;
                        match respond(&r) {
                            Some(send) => AuthAction::Complete { send, session },
                            None => self.close("cannot encode SaslAuthenticate".into()),
                        }
                    }
                    Err(e) => {
                        let message = e.client_message(mechanism, reauthenticating);
                        let r = SaslAuthenticateResponse::default()
                            .with_error_code(ResponseError::SaslAuthenticationFailed.code())
                            .with_error_message(Some(StrBytes::from_string(message.clone())));
                        let send = respond(&r);
                        self.fail(send, format!("Failed authentication ({mechanism}): {e}"))
                    }
                }
            }
            (state, api_key) => {
                // Kafka: IllegalSaslStateException("Unexpected Kafka request of type ... during
                // SASL handshake/authentication") — the connection is closed.
                self.close(format!(
                    "Unexpected Kafka request of type {api_key:?} during SASL authentication (state {state:?})"
                ))
            }
        }
    }

    fn close_after(&mut self, send: Option<Bytes>, reason: String) -> AuthAction {
        self.state = SaslState::Failed;
        AuthAction::Fail {
            send,
            delay: Duration::ZERO,
            reason,
        }
    }

    /// After SaslHandshake v0 each token is a bare size-prefixed blob.
    fn raw_token(&mut self, token: &[u8]) -> AuthAction {
        let Some(server) = self.server.as_mut() else {
            return self.close("no SASL mechanism selected".into());
        };
        let mechanism = server.mechanism();
        match server.evaluate_response(token) {
            Ok(SaslStep::Challenge(bytes)) => AuthAction::Send(frame(&bytes)),
            Ok(SaslStep::Complete {
                response,
                authorization_id,
            }) => match self.completed_session(mechanism, authorization_id) {
                Ok(session) => {
                    self.state = SaslState::Complete;
                    AuthAction::Complete {
                        send: frame(&response),
                        session,
                    }
                }
                Err(message) => self.fail(None, message),
            },
            // v0 has no way to carry an error: the connection is just closed.
            Err(e) => self.fail(None, format!("Failed authentication ({mechanism}): {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{encode_request, RequestHeader};
    use crate::security::sasl::scram::ScramCredential;
    use bytes::Buf;
    use kafka_protocol::messages::ResponseHeader;
    use kafka_protocol::protocol::Encodable;

    struct NoScram;
    impl ScramCredentialLookup for NoScram {
        fn credential(&self, _: &str, _: ScramMechanism) -> Option<ScramCredential> {
            None
        }
    }

    fn authenticator() -> SaslServerAuthenticator {
        let mut users = BTreeMap::new();
        users.insert("alice".to_string(), "alice-secret".to_string());
        users.insert("bob".to_string(), "bob-secret".to_string());
        SaslServerAuthenticator::new(Arc::new(SaslServerConfig {
            enabled_mechanisms: vec!["PLAIN".into(), "SCRAM-SHA-256".into()],
            plain_users: Arc::new(users),
            scram_credentials: Arc::new(NoScram),
            failed_authentication_delay: Duration::from_millis(100),
            connections_max_reauth_ms: BTreeMap::from([("PLAIN".to_string(), 2000)]),
        }))
    }

    fn req<T: Encodable>(key: ApiKey, version: i16, body: &T) -> Bytes {
        let h = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(5)
            .with_client_id(Some(StrBytes::from_static_str("t")));
        let mut f = encode_request(&h, body).unwrap();
        f.advance(4);
        f
    }

    fn decode<T: Decodable>(mut send: Bytes, key: ApiKey, version: i16) -> T {
        send.advance(4);
        ResponseHeader::decode(&mut send, key.response_header_version(version)).unwrap();
        T::decode(&mut send, version).unwrap()
    }

    fn handshake(a: &mut SaslServerAuthenticator, version: i16, mechanism: &str) -> AuthAction {
        a.on_frame(req(
            ApiKey::SaslHandshake,
            version,
            &SaslHandshakeRequest::default()
                .with_mechanism(StrBytes::from_string(mechanism.into())),
        ))
    }

    /// Kafka `SaslServerAuthenticator`: ApiVersions, SaslHandshake v1, SaslAuthenticate with a
    /// good PLAIN token → complete as `User:alice`.
    #[test]
    fn v1_flow_with_plain() {
        let mut a = authenticator();
        assert!(matches!(
            a.on_frame(req(
                ApiKey::ApiVersions,
                3,
                &kafka_protocol::messages::ApiVersionsRequest::default()
            )),
            AuthAction::ApiVersions
        ));
        let AuthAction::Send(send) = handshake(&mut a, 1, "PLAIN") else {
            panic!()
        };
        let r: SaslHandshakeResponse = decode(send, ApiKey::SaslHandshake, 1);
        assert_eq!(r.error_code, 0);
        assert_eq!(r.mechanisms.len(), 2);
        let token = SaslAuthenticateRequest::default()
            .with_auth_bytes(Bytes::from_static(b"\0alice\0alice-secret"));
        match a.on_frame(req(ApiKey::SaslAuthenticate, 2, &token)) {
            AuthAction::Complete { session, send } => {
                assert_eq!(session.principal.to_string(), "User:alice");
                let r: SaslAuthenticateResponse = decode(send, ApiKey::SaslAuthenticate, 2);
                assert_eq!(r.error_code, 0);
                assert_eq!(r.session_lifetime_ms, 2000);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(a.state(), SaslState::Complete);
    }

    /// A wrong password answers SASL_AUTHENTICATION_FAILED (58) with Kafka's message, after
    /// the failed-authentication delay, then closes.
    #[test]
    fn wrong_password_fails_with_error_response() {
        let mut a = authenticator();
        handshake(&mut a, 1, "PLAIN");
        let token =
            SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from_static(b"\0alice\0bad"));
        match a.on_frame(req(ApiKey::SaslAuthenticate, 1, &token)) {
            AuthAction::Fail { send, delay, .. } => {
                assert_eq!(delay, Duration::from_millis(100));
                let r: SaslAuthenticateResponse =
                    decode(send.unwrap(), ApiKey::SaslAuthenticate, 1);
                assert_eq!(r.error_code, 58);
                assert_eq!(
                    r.error_message.as_deref(),
                    Some("Authentication failed: Invalid username or password")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    /// SaslHandshake v0: the next frame is a raw token and the answer is a raw frame.
    #[test]
    fn v0_flow_uses_raw_tokens() {
        let mut a = authenticator();
        assert!(matches!(handshake(&mut a, 0, "PLAIN"), AuthAction::Send(_)));
        match a.on_frame(Bytes::from_static(b"\0alice\0alice-secret")) {
            AuthAction::Complete { send, session } => {
                assert_eq!(&send[..], &[0, 0, 0, 0]);
                assert_eq!(session.principal.name, "alice");
                assert_eq!(session.session_lifetime_ms, Some(2000));
            }
            other => panic!("{other:?}"),
        }
    }

    /// Kafka: an unknown mechanism → UNSUPPORTED_SASL_MECHANISM (33) with the enabled list,
    /// then close; any other API before authentication closes without reaching a handler.
    #[test]
    fn bad_mechanism_and_early_requests_close() {
        let mut a = authenticator();
        let AuthAction::Fail {
            send: Some(send), ..
        } = handshake(&mut a, 1, "GSSAPI")
        else {
            panic!()
        };
        let r: SaslHandshakeResponse = decode(send, ApiKey::SaslHandshake, 1);
        assert_eq!(r.error_code, 33);
        let mut a = authenticator();
        let metadata = req(
            ApiKey::Metadata,
            12,
            &kafka_protocol::messages::MetadataRequest::default(),
        );
        assert!(matches!(
            a.on_frame(metadata.clone()),
            AuthAction::Fail { send: None, .. }
        ));
        let mut a = authenticator();
        handshake(&mut a, 1, "PLAIN");
        assert!(matches!(
            a.on_frame(metadata),
            AuthAction::Fail { send: None, .. }
        ));
    }

    fn reauth(a: &SaslServerAuthenticator) -> SaslServerAuthenticator {
        SaslServerAuthenticator::reauthenticating(
            a.config.clone(),
            PreviousSession {
                mechanism: "PLAIN".into(),
                principal: KafkaPrincipal::user("alice"),
            },
        )
    }

    fn plain_token(user: &str, password: &str) -> Bytes {
        let token = format!("\0{user}\0{password}");
        req(
            ApiKey::SaslAuthenticate,
            2,
            &SaslAuthenticateRequest::default().with_auth_bytes(Bytes::from(token.into_bytes())),
        )
    }

    /// KIP-368 (Kafka `SaslServerAuthenticator.reauthenticate`): a re-authentication starts
    /// with the SaslHandshake, then SaslAuthenticate; same mechanism and principal → a new
    /// session with a fresh `session_lifetime_ms`.
    #[test]
    fn reauthentication_keeps_the_principal() {
        let mut a = reauth(&authenticator());
        assert_eq!(a.state(), SaslState::ReauthProcessHandshake);
        let AuthAction::Send(send) = handshake(&mut a, 1, "PLAIN") else {
            panic!()
        };
        let r: SaslHandshakeResponse = decode(send, ApiKey::SaslHandshake, 1);
        assert_eq!(r.error_code, 0);
        match a.on_frame(plain_token("alice", "alice-secret")) {
            AuthAction::Complete { session, send } => {
                assert_eq!(session.principal, KafkaPrincipal::user("alice"));
                let r: SaslAuthenticateResponse = decode(send, ApiKey::SaslAuthenticate, 2);
                assert_eq!(r.session_lifetime_ms, 2000);
            }
            other => panic!("{other:?}"),
        }
    }

    /// Kafka `ReauthInfo.ensurePrincipalUnchanged`: another principal fails with
    /// SASL_AUTHENTICATION_FAILED and Kafka's message; a wrong password uses the
    /// "re-authentication" wording.
    #[test]
    fn reauthentication_failures() {
        let mut a = reauth(&authenticator());
        handshake(&mut a, 1, "PLAIN");
        let AuthAction::Fail {
            send: Some(send), ..
        } = a.on_frame(plain_token("bob", "bob-secret"))
        else {
            panic!()
        };
        let r: SaslAuthenticateResponse = decode(send, ApiKey::SaslAuthenticate, 2);
        assert_eq!(r.error_code, 58);
        assert_eq!(
            r.error_message.as_deref(),
            Some("Cannot change principals during re-authentication from User.alice: User.bob")
        );
        let mut a = reauth(&authenticator());
        handshake(&mut a, 1, "PLAIN");
        let AuthAction::Fail {
            send: Some(send), ..
        } = a.on_frame(plain_token("alice", "wrong"))
        else {
            panic!()
        };
        let r: SaslAuthenticateResponse = decode(send, ApiKey::SaslAuthenticate, 2);
        assert_eq!(r.error_code, 58);
    }

    /// Kafka `REAUTH_BAD_MECHANISM`: a handshake naming another enabled mechanism is answered
    /// without error, and the next frame fails the re-authentication without a response.
    #[test]
    fn reauthentication_with_another_mechanism_fails_on_the_next_frame() {
        let mut a = reauth(&authenticator());
        let AuthAction::Send(send) = handshake(&mut a, 1, "SCRAM-SHA-256") else {
            panic!()
        };
        let r: SaslHandshakeResponse = decode(send, ApiKey::SaslHandshake, 1);
        assert_eq!(r.error_code, 0);
        assert_eq!(a.state(), SaslState::ReauthBadMechanism);
        match a.on_frame(plain_token("alice", "alice-secret")) {
            AuthAction::Fail { send: None, reason, .. } => assert_eq!(
                reason,
                "SASL mechanism 'SCRAM-SHA-256' requested by client is not supported for re-authentication of mechanism 'PLAIN'"
            ),
            other => panic!("{other:?}"),
        }
        // ApiVersions is not part of a re-authentication.
        let mut a = reauth(&authenticator());
        assert!(matches!(
            a.on_frame(req(
                ApiKey::ApiVersions,
                3,
                &kafka_protocol::messages::ApiVersionsRequest::default()
            )),
            AuthAction::Fail { .. }
        ));
    }
}
