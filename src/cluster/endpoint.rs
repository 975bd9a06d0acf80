//! `EndPoint` and `SecurityProtocol`: a listener as brokers advertise it.
//!
//! Kafka: `kafka.cluster.EndPoint`, `org.apache.kafka.common.security.auth.SecurityProtocol`,
//! `org.apache.kafka.common.utils.Utils.formatAddress`.

use std::collections::BTreeMap;
use std::fmt;

/// The security protocol of a listener, with Kafka's wire ids (UpdateMetadata `SecurityProtocol`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecurityProtocol {
    Plaintext,
    Ssl,
    SaslPlaintext,
    SaslSsl,
}

impl SecurityProtocol {
    /// Every protocol, in id order.
    pub const ALL: [SecurityProtocol; 4] = [
        SecurityProtocol::Plaintext,
        SecurityProtocol::Ssl,
        SecurityProtocol::SaslPlaintext,
        SecurityProtocol::SaslSsl,
    ];

    /// Kafka's numeric id (`SecurityProtocol.id`).
    pub fn id(self) -> i16 {
        match self {
            SecurityProtocol::Plaintext => 0,
            SecurityProtocol::Ssl => 1,
            SecurityProtocol::SaslPlaintext => 2,
            SecurityProtocol::SaslSsl => 3,
        }
    }

    /// Kafka's name (`SecurityProtocol.name`), as written in znodes and configs.
    pub fn name(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Parses a protocol name; Kafka accepts them case-insensitively (`SecurityProtocol.forName`).
    pub fn from_name(name: &str) -> Option<SecurityProtocol> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name))
    }

    /// Looks up a wire id.
    pub fn from_id(id: i16) -> Option<SecurityProtocol> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One listener endpoint: `LISTENER_NAME://host:port` plus the listener's security protocol.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EndPoint {
    /// Host name or IP; empty means "all interfaces" in `listeners` (Kafka allows `PLAINTEXT://:9092`).
    pub host: String,
    pub port: u16,
    /// Upper-case listener name, e.g. `PLAINTEXT`, `INTERNAL`.
    pub listener_name: String,
    pub security_protocol: SecurityProtocol,
}

/// Why an endpoint string was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EndPointError {
    #[error("'{0}' is not of the form LISTENER_NAME://host:port")]
    Malformed(String),
    #[error("'{0}' has an invalid port (expected 0-65535)")]
    BadPort(String),
    #[error("listener '{listener}' has no security protocol in listener.security.protocol.map (known: {known})")]
    UnknownListener { listener: String, known: String },
}

impl EndPoint {
    /// Parses `NAME://host:port` (`[v6]:port` allowed) using a listener → protocol map.
    ///
    /// Kafka: `EndPoint.createEndPoint` (regex `^(.*)://\[?([0-9a-zA-Z\-%._:]*)\]?:(-?[0-9]+)`).
    pub fn parse(
        s: &str,
        protocol_map: &BTreeMap<String, SecurityProtocol>,
    ) -> Result<EndPoint, EndPointError> {
        let s = s.trim();
        let (name, rest) = s
            .split_once("://")
            .ok_or_else(|| EndPointError::Malformed(s.to_string()))?;
        if name.is_empty() {
            return Err(EndPointError::Malformed(s.to_string()));
        }
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| EndPointError::Malformed(s.to_string()))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let port: u16 = port
            .parse()
            .map_err(|_| EndPointError::BadPort(s.to_string()))?;
        let listener_name = name.to_ascii_uppercase();
        let security_protocol =
            *protocol_map
                .get(&listener_name)
                .ok_or_else(|| EndPointError::UnknownListener {
                    listener: listener_name.clone(),
                    known: protocol_map.keys().cloned().collect::<Vec<_>>().join(","),
                })?;
        Ok(EndPoint {
            host: host.to_string(),
            port,
            listener_name,
            security_protocol,
        })
    }

    /// `LISTENER://host:port`, bracketing IPv6 hosts (`Utils.formatAddress`), as in broker znodes.
    pub fn connection_string(&self) -> String {
        format!(
            "{}://{}",
            self.listener_name,
            format_address(&self.host, self.port)
        )
    }
}

/// `host:port`, with IPv6 literals in brackets. Kafka: `Utils.formatAddress`.
pub fn format_address(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn default_map() -> BTreeMap<String, SecurityProtocol> {
        SecurityProtocol::ALL
            .iter()
            .map(|p| (p.name().to_string(), *p))
            .collect()
    }

    /// Kafka: `EndPoint.createEndPoint` accepts IPv4, names, IPv6 in brackets and empty hosts.
    #[test]
    fn parses_listener_strings() {
        let m = default_map();
        let e = EndPoint::parse("PLAINTEXT://localhost:9092", &m).unwrap();
        assert_eq!(e.host, "localhost");
        assert_eq!(e.port, 9092);
        assert_eq!(e.security_protocol, SecurityProtocol::Plaintext);
        let e = EndPoint::parse("SASL_SSL://[::1]:9093", &m).unwrap();
        assert_eq!(e.host, "::1");
        assert_eq!(e.connection_string(), "SASL_SSL://[::1]:9093");
        let e = EndPoint::parse("PLAINTEXT://:9092", &m).unwrap();
        assert_eq!(e.host, "");
        assert!(matches!(
            EndPoint::parse("INTERNAL://h:1", &m),
            Err(EndPointError::UnknownListener { .. })
        ));
        assert!(matches!(
            EndPoint::parse("PLAINTEXT://h:99999", &m),
            Err(EndPointError::BadPort(_))
        ));
        assert!(matches!(
            EndPoint::parse("h:1", &m),
            Err(EndPointError::Malformed(_))
        ));
    }

    /// Wire ids from `SecurityProtocol.java`.
    #[test]
    fn protocol_ids_and_names() {
        assert_eq!(
            SecurityProtocol::from_id(3),
            Some(SecurityProtocol::SaslSsl)
        );
        assert_eq!(
            SecurityProtocol::from_name("sasl_plaintext"),
            Some(SecurityProtocol::SaslPlaintext)
        );
        assert_eq!(SecurityProtocol::Ssl.id(), 1);
    }
}
