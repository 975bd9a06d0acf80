//! The authenticated SASL session of one connection: when it expires and whether a
//! SaslHandshake on it begins a re-authentication (KIP-368).
//!
//! Kafka: `KafkaChannel.maybeBeginServerReauthentication`, `serverAuthenticationSessionExpired`
//! and `SocketServer.Processor.processCompletedReceives`, which closes a connection whose
//! session expired when its next request is not a re-authentication (and counts it in
//! `expired-connections-killed-count`).

use std::sync::Arc;
use std::time::Duration;

use crate::security::authenticator::{
    AuthenticatedSession, SaslServerAuthenticator, SaslServerConfig,
};
use crate::security::reauthentication::{PreviousSession, MIN_REAUTH_INTERVAL};

/// tokio's clock, like the connection's idle clock, so paused-time tests control expiry.
pub(super) type SessionClock = tokio::time::Instant;

pub(super) struct SaslSession {
    config: Arc<SaslServerConfig>,
    current: AuthenticatedSession,
    /// `None`: the session never expires (`connections.max.reauth.ms` is 0).
    expires_at: Option<SessionClock>,
    last_reauthentication_start: Option<SessionClock>,
}

impl SaslSession {
    pub(super) fn new(
        config: Arc<SaslServerConfig>,
        session: AuthenticatedSession,
        now: SessionClock,
    ) -> SaslSession {
        let mut s = SaslSession {
            config,
            expires_at: None,
            current: session.clone(),
            last_reauthentication_start: None,
        };
        s.renew(session, now);
        s
    }

    #[cfg(test)]
    pub(super) fn current(&self) -> &AuthenticatedSession {
        &self.current
    }

    /// Takes the session of a completed (re-)authentication that ended at `now`.
    pub(super) fn renew(&mut self, session: AuthenticatedSession, now: SessionClock) {
        self.expires_at = session
            .session_lifetime_ms
            .map(|ms| now + Duration::from_millis(u64::try_from(ms).unwrap_or(0)));
        self.current = session;
    }

    pub(super) fn expires_at(&self) -> Option<SessionClock> {
        self.expires_at
    }

    /// Kafka: `KafkaChannel.maybeBeginServerReauthentication` — a SaslHandshake begins a
    /// re-authentication only when the session has an expiry (re-authentication is enabled) and
    /// the previous one began at least [`MIN_REAUTH_INTERVAL`] ago; otherwise it is an ordinary
    /// request. An expired session may still be re-authenticated.
    pub(super) fn begin_reauthentication(
        &mut self,
        now: SessionClock,
    ) -> Option<SaslServerAuthenticator> {
        self.expires_at?;
        if let Some(last) = self.last_reauthentication_start {
            if now.saturating_duration_since(last) < MIN_REAUTH_INTERVAL {
                return None;
            }
        }
        self.last_reauthentication_start = Some(now);
        Some(SaslServerAuthenticator::reauthenticating(
            self.config.clone(),
            PreviousSession {
                mechanism: self.current.mechanism.clone(),
                principal: self.current.principal.clone(),
            },
        ))
    }
}

/// Kafka: `KafkaChannel.serverAuthenticationSessionExpired` — strictly after the expiry.
pub(super) fn session_expired(expires_at: Option<SessionClock>, now: SessionClock) -> bool {
    expires_at.is_some_and(|at| now > at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::KafkaPrincipal;
    use std::collections::BTreeMap;

    fn session(lifetime: Option<i64>) -> SaslSession {
        let config = Arc::new(SaslServerConfig {
            enabled_mechanisms: vec!["PLAIN".into()],
            plain_users: Arc::new(BTreeMap::new()),
            scram_credentials: Arc::new(crate::security::credential_cache::CredentialCache::new()),
            failed_authentication_delay: Duration::ZERO,
            connections_max_reauth_ms: BTreeMap::new(),
        });
        SaslSession::new(
            config,
            AuthenticatedSession {
                principal: KafkaPrincipal::user("alice"),
                mechanism: "PLAIN".into(),
                session_lifetime_ms: lifetime,
            },
            SessionClock::now(),
        )
    }

    /// Kafka `maybeBeginServerReauthentication`: no expiry → never a re-authentication; with
    /// one, at most one re-authentication start per second.
    #[test]
    fn reauthentication_needs_an_expiry_and_is_rate_limited() {
        let now = SessionClock::now();
        assert!(session(None).begin_reauthentication(now).is_none());
        let mut s = session(Some(2000));
        assert!(s.begin_reauthentication(now).is_some());
        assert!(s
            .begin_reauthentication(now + Duration::from_millis(999))
            .is_none());
        assert!(s
            .begin_reauthentication(now + Duration::from_millis(1000))
            .is_some());
    }

    /// Kafka `serverAuthenticationSessionExpired`: expired strictly after the lifetime; a
    /// renewed session moves the expiry.
    #[test]
    fn expiry_follows_the_latest_authentication() {
        let start = SessionClock::now();
        let mut s = session(Some(2000));
        let at = s.expires_at();
        assert!(!session_expired(at, start));
        assert!(session_expired(at, start + Duration::from_millis(2500)));
        assert!(!session_expired(None, start + Duration::from_secs(3600)));
        let later = start + Duration::from_millis(1500);
        s.renew(s.current().clone(), later);
        assert!(!session_expired(
            s.expires_at(),
            start + Duration::from_millis(2500)
        ));
    }
}
