//! TLS for SSL and SASL_SSL listeners on rustls (ring provider), configured with Kafka's
//! `ssl.*` keys in their PEM forms.
//!
//! Kafka: `SslFactory`, `DefaultSslEngineFactory` (PEM support from KIP-651:
//! `ssl.keystore.type=PEM` with `ssl.keystore.location` or `ssl.keystore.certificate.chain` +
//! `ssl.keystore.key`; `ssl.truststore.type=PEM` with `ssl.truststore.location` or
//! `ssl.truststore.certificates`), `SslChannelBuilder`, `ssl.client.auth`.
//!
//! Every key is read as `listener.name.<listener lower-case>.<key>` first, then `<key>`
//! (Kafka: `ListenerName.configPrefix`, `KafkaConfig.valuesWithPrefixOverride`).
//! JKS/PKCS12 keystores and encrypted private keys (`ssl.key.password`) are refused with a
//! message: convert them to PEM (see docs/configuration.md).

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};

/// Why a listener's TLS settings were refused. Messages name the key.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    #[error(
        "listener {listener}: {key}={value} is not supported; use PEM (see docs/configuration.md)"
    )]
    UnsupportedStoreType {
        listener: String,
        key: String,
        value: String,
    },
    #[error("listener {listener}: no server certificate: set ssl.keystore.location (PEM) or ssl.keystore.certificate.chain and ssl.keystore.key")]
    NoKeystore { listener: String },
    #[error("listener {listener}: cannot read {key} ({path}): {reason}")]
    Read {
        listener: String,
        key: String,
        path: String,
        reason: String,
    },
    #[error("listener {listener}: {key}: {reason}")]
    Invalid {
        listener: String,
        key: String,
        reason: String,
    },
}

/// `ssl.client.auth`. Kafka: `SslClientAuth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslClientAuth {
    None,
    Requested,
    Required,
}

impl SslClientAuth {
    pub fn parse(s: &str) -> Option<SslClientAuth> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" => Some(SslClientAuth::None),
            "requested" => Some(SslClientAuth::Requested),
            "required" => Some(SslClientAuth::Required),
            _ => None,
        }
    }
}

/// Builds a listener's rustls server config. `get` looks a key up with the listener prefix
/// applied.
pub fn server_config(
    listener: &str,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<ServerConfig>, TlsConfigError> {
    let invalid = |key: &str, reason: String| TlsConfigError::Invalid {
        listener: listener.to_string(),
        key: key.to_string(),
        reason,
    };
    let read_file = |key: &str, path: &str| {
        std::fs::read(path).map_err(|e| TlsConfigError::Read {
            listener: listener.to_string(),
            key: key.to_string(),
            path: path.to_string(),
            reason: e.to_string(),
        })
    };
    let store_type = |key: &str, default: &str| -> Result<(), TlsConfigError> {
        let t = get(key).unwrap_or_else(|| default.to_string());
        if t.eq_ignore_ascii_case("PEM") {
            Ok(())
        } else {
            Err(TlsConfigError::UnsupportedStoreType {
                listener: listener.to_string(),
                key: key.to_string(),
                value: t,
            })
        }
    };
    // Kafka's default store type is JKS; a PEM keystore given inline implies PEM.
    let inline_chain = get("ssl.keystore.certificate.chain");
    let inline_key = get("ssl.keystore.key");
    let (chain_pem, key_pem): (Vec<u8>, Vec<u8>) = match (inline_chain, inline_key) {
        (Some(c), Some(k)) => (c.into_bytes(), k.into_bytes()),
        _ => {
            let Some(location) = get("ssl.keystore.location") else {
                return Err(TlsConfigError::NoKeystore {
                    listener: listener.to_string(),
                });
            };
            store_type("ssl.keystore.type", "JKS")?;
            let pem = read_file("ssl.keystore.location", &location)?;
            (pem.clone(), pem)
        }
    };
    if get("ssl.key.password").is_some_and(|p| !p.is_empty()) {
        return Err(invalid(
            "ssl.key.password",
            "encrypted private keys are not supported; store the key unencrypted (PKCS#8 PEM)"
                .into(),
        ));
    }
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&chain_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| invalid("ssl.keystore.certificate.chain", e.to_string()))?;
    if chain.is_empty() {
        return Err(invalid(
            "ssl.keystore.certificate.chain",
            "no CERTIFICATE in the PEM".into(),
        ));
    }
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| invalid("ssl.keystore.key", format!("no usable PRIVATE KEY: {e}")))?;

    let client_auth = match get("ssl.client.auth") {
        None => SslClientAuth::None,
        Some(v) => SslClientAuth::parse(&v).ok_or_else(|| {
            invalid(
                "ssl.client.auth",
                format!("'{v}': expected none, requested or required"),
            )
        })?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&protocol_versions(get("ssl.enabled.protocols")))
        .map_err(|e| invalid("ssl.enabled.protocols", e.to_string()))?;
    let builder = if client_auth == SslClientAuth::None {
        builder.with_no_client_auth()
    } else {
        let trust_pem = match get("ssl.truststore.certificates") {
            Some(inline) => inline.into_bytes(),
            None => {
                let location = get("ssl.truststore.location").ok_or_else(|| {
                    invalid(
                        "ssl.truststore.location",
                        "ssl.client.auth needs a truststore (PEM) to verify client certificates"
                            .into(),
                    )
                })?;
                store_type("ssl.truststore.type", "JKS")?;
                read_file("ssl.truststore.location", &location)?
            }
        };
        let roots = root_cert_store(listener, &trust_pem)?;
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
        let verifier = if client_auth == SslClientAuth::Requested {
            verifier.allow_unauthenticated()
        } else {
            verifier
        };
        let verifier = verifier
            .build()
            .map_err(|e| invalid("ssl.truststore.certificates", e.to_string()))?;
        builder.with_client_cert_verifier(verifier)
    };
    let config = builder
        .with_single_cert(chain, key)
        .map_err(|e| invalid("ssl.keystore.key", e.to_string()))?;
    Ok(Arc::new(config))
}

/// The CA certificates of a PEM truststore (file or `ssl.truststore.certificates`).
pub(crate) fn root_cert_store(
    listener: &str,
    trust_pem: &[u8],
) -> Result<RootCertStore, TlsConfigError> {
    let invalid = |e: String| TlsConfigError::Invalid {
        listener: listener.to_string(),
        key: "ssl.truststore.certificates".to_string(),
        reason: e,
    };
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(trust_pem) {
        roots
            .add(c.map_err(|e| invalid(e.to_string()))?)
            .map_err(|e| invalid(e.to_string()))?;
    }
    Ok(roots)
}

/// `ssl.enabled.protocols` (default `TLSv1.2,TLSv1.3`); names rustls does not implement
/// (TLSv1, TLSv1.1) are ignored, as a JDK with them disabled would.
pub(crate) fn protocol_versions(
    value: Option<String>,
) -> Vec<&'static rustls::SupportedProtocolVersion> {
    let value = value.unwrap_or_else(|| "TLSv1.2,TLSv1.3".to_string());
    let mut out = Vec::new();
    for p in value.split(',').map(str::trim) {
        match p {
            "TLSv1.3" => out.push(&rustls::version::TLS13),
            "TLSv1.2" => out.push(&rustls::version::TLS12),
            _ => {}
        }
    }
    if out.is_empty() {
        out = vec![&rustls::version::TLS13, &rustls::version::TLS12];
    }
    out
}
