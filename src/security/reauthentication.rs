//! KIP-368 re-authentication on the server side: how long an authenticated SASL session lives
//! (`connections.max.reauth.ms`), and what a re-authentication must keep unchanged.
//!
//! Kafka: `SaslServerAuthenticator.ReauthInfo` (`calcCompletionTimesAndReturnSessionLifetimeMs`,
//! `ensurePrincipalUnchanged`, `saslMechanismUnchanged`), `SaslChannelBuilder`
//! (`createConnectionsMaxReauthMsMap`) and `KafkaChannel.maybeBeginServerReauthentication` /
//! `serverAuthenticationSessionExpired`.
//!
//! The network layer (`network::connection`) drives it: a SaslHandshake that arrives on an
//! authenticated connection whose session has an expiry starts a re-authentication with a
//! fresh [`super::authenticator::SaslServerAuthenticator::reauthenticating`]; any other request
//! that arrives after the session expired closes the connection.

use std::collections::BTreeMap;
use std::time::Duration;

use super::principal::KafkaPrincipal;

/// Kafka: `BrokerSecurityConfigs.CONNECTIONS_MAX_REAUTH_MS_CONFIG`.
pub const CONNECTIONS_MAX_REAUTH_MS: &str = "connections.max.reauth.ms";

/// Kafka: `KafkaChannel.MIN_REAUTH_INTERVAL_ONE_SECOND_NANOS` — a SaslHandshake less than a
/// second after the previous re-authentication began is not a re-authentication (an attacker
/// could otherwise make the broker re-authenticate in a loop); it is handled as an ordinary
/// request, which `KafkaApis` answers ILLEGAL_SASL_STATE.
pub const MIN_REAUTH_INTERVAL: Duration = Duration::from_secs(1);

/// Why `connections.max.reauth.ms` was refused.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("Invalid value {value} for configuration {key}: Not a number of type LONG")]
pub struct ReauthConfigError {
    pub key: String,
    pub value: String,
}

/// `connections.max.reauth.ms` of each enabled mechanism of one listener, looked up as Kafka
/// does: `listener.name.<l>.<mechanism lower-case>.connections.max.reauth.ms`, then
/// `listener.name.<l>.connections.max.reauth.ms`, then `connections.max.reauth.ms` (default 0).
/// A mechanism-prefixed key without the listener prefix is not read (Kafka only strips the
/// secondary prefix inside `valuesWithPrefixOverride(listenerPrefix)`).
///
/// Kafka: `SaslChannelBuilder.createConnectionsMaxReauthMsMap`,
/// `AbstractConfig.valuesWithPrefixOverride`.
pub fn connections_max_reauth_ms_by_mechanism(
    originals: &BTreeMap<String, String>,
    listener: &str,
    mechanisms: &[String],
) -> Result<BTreeMap<String, i64>, ReauthConfigError> {
    let listener_prefix = format!("listener.name.{}.", listener.to_ascii_lowercase());
    let mut out = BTreeMap::new();
    for mechanism in mechanisms {
        let candidates = [
            format!(
                "{listener_prefix}{}.{CONNECTIONS_MAX_REAUTH_MS}",
                mechanism.to_ascii_lowercase()
            ),
            format!("{listener_prefix}{CONNECTIONS_MAX_REAUTH_MS}"),
            CONNECTIONS_MAX_REAUTH_MS.to_string(),
        ];
        let found = candidates
            .iter()
            .find_map(|k| originals.get(k).map(|v| (k, v)));
        let ms = match found {
            None => 0,
            Some((key, value)) => value.trim().parse::<i64>().map_err(|_| ReauthConfigError {
                key: key.clone(),
                value: value.clone(),
            })?,
        };
        out.insert(mechanism.clone(), ms);
    }
    Ok(out)
}

/// The session lifetime sent in SaslAuthenticate (`session_lifetime_ms`) and after which the
/// connection must re-authenticate; `None` when the session never expires (the response then
/// carries 0).
///
/// Kafka: `ReauthInfo.calcCompletionTimesAndReturnSessionLifetimeMs` — the configured maximum
/// when it is positive, capped by the time left on the credential when the mechanism reports
/// one (OAUTHBEARER tokens, SCRAM delegation tokens; neither is served here, so
/// `credential_remaining_ms` is `None` for PLAIN and SCRAM), never negative.
pub fn session_lifetime_ms(
    max_reauth_ms: i64,
    credential_remaining_ms: Option<i64>,
) -> Option<i64> {
    let max_reauth_set = max_reauth_ms > 0;
    match (credential_remaining_ms, max_reauth_set) {
        (None, false) => None,
        (None, true) => Some(max_reauth_ms),
        (Some(remaining), false) => Some(remaining.max(0)),
        (Some(remaining), true) => Some(remaining.min(max_reauth_ms).max(0)),
    }
}

/// What a re-authentication must not change. Kafka: `ReauthInfo.reauthenticating`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviousSession {
    pub mechanism: String,
    pub principal: KafkaPrincipal,
}

impl PreviousSession {
    /// Kafka: `ReauthInfo.saslMechanismUnchanged` — the message of the failure that follows a
    /// handshake naming another mechanism.
    pub fn bad_mechanism_message(&self, requested: &str) -> Option<String> {
        (requested != self.mechanism).then(|| {
            format!(
                "SASL mechanism '{requested}' requested by client is not supported for re-authentication of mechanism '{}'",
                self.mechanism
            )
        })
    }

    /// Kafka: `ReauthInfo.ensurePrincipalUnchanged` — the message sent with
    /// SASL_AUTHENTICATION_FAILED when the new identity differs.
    pub fn principal_change_message(&self, new: &KafkaPrincipal) -> Option<String> {
        (new != &self.principal).then(|| {
            format!(
                "Cannot change principals during re-authentication from {}.{}: {}.{}",
                self.principal.principal_type, self.principal.name, new.principal_type, new.name
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// Kafka `SaslChannelBuilder.createConnectionsMaxReauthMsMap`: the listener-and-mechanism
    /// key wins, then the listener key, then the global key; the default is 0 (off).
    #[test]
    fn max_reauth_lookup_order() {
        let mechs = vec!["PLAIN".to_string(), "SCRAM-SHA-256".to_string()];
        let m =
            connections_max_reauth_ms_by_mechanism(&props(&[]), "SASL_PLAINTEXT", &mechs).unwrap();
        assert_eq!(m["PLAIN"], 0);
        let p = props(&[
            ("connections.max.reauth.ms", "1000"),
            (
                "listener.name.sasl_plaintext.connections.max.reauth.ms",
                "2000",
            ),
            (
                "listener.name.sasl_plaintext.scram-sha-256.connections.max.reauth.ms",
                "3000",
            ),
            // Not read: the mechanism prefix needs the listener prefix.
            ("plain.connections.max.reauth.ms", "4000"),
        ]);
        let m = connections_max_reauth_ms_by_mechanism(&p, "SASL_PLAINTEXT", &mechs).unwrap();
        assert_eq!(m["PLAIN"], 2000);
        assert_eq!(m["SCRAM-SHA-256"], 3000);
        let m = connections_max_reauth_ms_by_mechanism(&p, "OTHER", &mechs).unwrap();
        assert_eq!(m["SCRAM-SHA-256"], 1000);
        let bad = props(&[("connections.max.reauth.ms", "soon")]);
        assert_eq!(
            connections_max_reauth_ms_by_mechanism(&bad, "L", &mechs)
                .unwrap_err()
                .to_string(),
            "Invalid value soon for configuration connections.max.reauth.ms: Not a number of type LONG"
        );
    }

    /// Kafka `calcCompletionTimesAndReturnSessionLifetimeMs`: no expiry when the maximum is
    /// not positive and the credential has no lifetime; otherwise the smaller of the two,
    /// never negative.
    #[test]
    fn session_lifetime_rules() {
        assert_eq!(session_lifetime_ms(0, None), None);
        assert_eq!(session_lifetime_ms(-5, None), None);
        assert_eq!(session_lifetime_ms(2000, None), Some(2000));
        assert_eq!(session_lifetime_ms(0, Some(500)), Some(500));
        assert_eq!(session_lifetime_ms(2000, Some(500)), Some(500));
        assert_eq!(session_lifetime_ms(2000, Some(5000)), Some(2000));
        assert_eq!(session_lifetime_ms(2000, Some(-1)), Some(0));
    }

    /// Kafka `ReauthInfo`: the messages of a mechanism change and of a principal change.
    #[test]
    fn unchanged_checks() {
        let p = PreviousSession {
            mechanism: "SCRAM-SHA-256".into(),
            principal: KafkaPrincipal::user("alice"),
        };
        assert_eq!(p.bad_mechanism_message("SCRAM-SHA-256"), None);
        assert_eq!(
            p.bad_mechanism_message("PLAIN").unwrap(),
            "SASL mechanism 'PLAIN' requested by client is not supported for re-authentication of mechanism 'SCRAM-SHA-256'"
        );
        assert_eq!(
            p.principal_change_message(&KafkaPrincipal::user("alice")),
            None
        );
        assert_eq!(
            p.principal_change_message(&KafkaPrincipal::user("bob"))
                .unwrap(),
            "Cannot change principals during re-authentication from User.alice: User.bob"
        );
    }
}
