//! `KafkaPrincipal`: who sent a request, as ACLs name it (`User:alice`).
//!
//! Kafka: `org.apache.kafka.common.security.auth.KafkaPrincipal`,
//! `DefaultKafkaPrincipalBuilder` (PLAINTEXT → `User:ANONYMOUS`; SASL → `User:<authorization id>`;
//! SSL → `User:<certificate subject DN>` after `ssl.principal.mapping.rules`).

use std::fmt;

/// A principal: a type (always `User` for the built-in builder) and a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KafkaPrincipal {
    pub principal_type: String,
    pub name: String,
}

/// Kafka: `KafkaPrincipal.USER_TYPE`.
pub const USER_TYPE: &str = "User";

/// Why a principal string was refused. Kafka: `SecurityUtils.parseKafkaPrincipal`.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("Principal '{0}' is not in the form of principalType:principalName")]
pub struct PrincipalParseError(pub String);

impl KafkaPrincipal {
    pub fn user(name: impl Into<String>) -> KafkaPrincipal {
        KafkaPrincipal {
            principal_type: USER_TYPE.to_string(),
            name: name.into(),
        }
    }

    /// `User:ANONYMOUS`, the principal of PLAINTEXT connections and of SSL connections
    /// without a client certificate. Kafka: `KafkaPrincipal.ANONYMOUS`.
    pub fn anonymous() -> KafkaPrincipal {
        KafkaPrincipal::user("ANONYMOUS")
    }

    /// Parses `Type:name` (split at the first `:`). Kafka: `SecurityUtils.parseKafkaPrincipal`.
    pub fn parse(s: &str) -> Result<KafkaPrincipal, PrincipalParseError> {
        match s.split_once(':') {
            Some((t, n)) if !t.is_empty() && !s.is_empty() => Ok(KafkaPrincipal {
                principal_type: t.to_string(),
                name: n.to_string(),
            }),
            _ => Err(PrincipalParseError(s.to_string())),
        }
    }
}

impl Default for KafkaPrincipal {
    fn default() -> Self {
        KafkaPrincipal::anonymous()
    }
}

impl fmt::Display for KafkaPrincipal {
    /// Kafka: `KafkaPrincipal.toString` — `Type:name`, the form stored in ACL znodes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.principal_type, self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka: `SecurityUtils.parseKafkaPrincipal` splits at the first colon, so DN names with
    /// colons survive, and `toString` gives back the same text.
    #[test]
    fn parse_and_display_round_trip() {
        let p = KafkaPrincipal::parse("User:CN=a:b,O=org").unwrap();
        assert_eq!(p.principal_type, "User");
        assert_eq!(p.name, "CN=a:b,O=org");
        assert_eq!(p.to_string(), "User:CN=a:b,O=org");
        assert!(KafkaPrincipal::parse("alice").is_err());
        assert!(KafkaPrincipal::parse(":alice").is_err());
        assert_eq!(KafkaPrincipal::anonymous().to_string(), "User:ANONYMOUS");
    }
}
