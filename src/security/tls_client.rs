//! The client side of TLS for inter-broker connections (replica fetchers, the controller
//! channel, broker → controller RPCs) on SSL and SASL_SSL inter-broker listeners.
//!
//! Kafka: `SslFactory` in `Mode.CLIENT` as `ChannelBuilders.clientChannelBuilder` builds it for
//! the inter-broker listener, with the listener's `ssl.*` settings
//! (`KafkaConfig.valuesWithPrefixOverride(listenerName.configPrefix)`): the truststore verifies
//! the peer broker, the keystore (when set) is the client certificate a listener with
//! `ssl.client.auth=required` asks for, and `ssl.endpoint.identification.algorithm` (default
//! `https`, KIP-294) decides whether the peer's host name or IP must match its certificate.
//! Stores are PEM only, as on the server side ([`super::tls`]).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, SignatureScheme};

use super::tls::{protocol_versions, root_cert_store, TlsConfigError};

/// A listener's TLS client settings.
#[derive(Debug, Clone)]
pub struct TlsClientSettings {
    pub config: Arc<ClientConfig>,
    /// `ssl.endpoint.identification.algorithm` is not empty: the certificate must name the host.
    pub verify_host: bool,
}

/// Builds the TLS client settings of `listener`; `get` looks keys up with the listener prefix
/// applied.
pub fn client_settings(
    listener: &str,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<TlsClientSettings, TlsConfigError> {
    let invalid = |key: &str, reason: String| TlsConfigError::Invalid {
        listener: listener.to_string(),
        key: key.to_string(),
        reason,
    };
    let read_pem = |key: &str, type_key: &str, path: &str| -> Result<Vec<u8>, TlsConfigError> {
        // Kafka's default store type is JKS: a PEM file must say so.
        let t = get(type_key).unwrap_or_else(|| "JKS".to_string());
        if !t.eq_ignore_ascii_case("PEM") {
            return Err(TlsConfigError::UnsupportedStoreType {
                listener: listener.to_string(),
                key: type_key.to_string(),
                value: t,
            });
        }
        std::fs::read(path).map_err(|e| TlsConfigError::Read {
            listener: listener.to_string(),
            key: key.to_string(),
            path: path.to_string(),
            reason: e.to_string(),
        })
    };

    // The truststore: without one a JVM would fall back on its default CA bundle, which has no
    // place here (no system roots, brokers use private CAs), so it is required.
    let trust_pem = match (
        get("ssl.truststore.certificates"),
        get("ssl.truststore.location"),
    ) {
        (Some(inline), _) => inline.into_bytes(),
        (None, Some(location)) => {
            read_pem("ssl.truststore.location", "ssl.truststore.type", &location)?
        }
        (None, None) => {
            return Err(invalid(
                "ssl.truststore.location",
                "inter-broker TLS needs a truststore (PEM) to verify the other brokers".into(),
            ))
        }
    };
    let roots = root_cert_store(listener, &trust_pem)?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| invalid("ssl.truststore.certificates", e.to_string()))?;
    // Kafka: an empty `ssl.endpoint.identification.algorithm` disables host name checks only;
    // the chain is still verified against the truststore.
    let verify_host = get("ssl.endpoint.identification.algorithm")
        .map(|v| !v.trim().is_empty())
        .unwrap_or(true);
    let verifier: Arc<dyn ServerCertVerifier> = if verify_host {
        webpki
    } else {
        Arc::new(ChainOnlyVerifier(webpki))
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&protocol_versions(get("ssl.enabled.protocols")))
        .map_err(|e| invalid("ssl.enabled.protocols", e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);

    // The keystore, when configured, is offered as the client certificate.
    if get("ssl.key.password").is_some_and(|p| !p.is_empty()) {
        return Err(invalid(
            "ssl.key.password",
            "encrypted private keys are not supported; store the key unencrypted (PKCS#8 PEM)"
                .into(),
        ));
    }
    let keystore: Option<(Vec<u8>, Vec<u8>)> = match (
        get("ssl.keystore.certificate.chain"),
        get("ssl.keystore.key"),
        get("ssl.keystore.location"),
    ) {
        (Some(c), Some(k), _) => Some((c.into_bytes(), k.into_bytes())),
        (_, _, Some(location)) => {
            let pem = read_pem("ssl.keystore.location", "ssl.keystore.type", &location)?;
            Some((pem.clone(), pem))
        }
        _ => None,
    };
    let config = match keystore {
        None => builder.with_no_client_auth(),
        Some((chain_pem, key_pem)) => {
            let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&chain_pem)
                .collect::<Result<_, _>>()
                .map_err(|e| invalid("ssl.keystore.certificate.chain", e.to_string()))?;
            let key = PrivateKeyDer::from_pem_slice(&key_pem)
                .map_err(|e| invalid("ssl.keystore.key", format!("no usable PRIVATE KEY: {e}")))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| invalid("ssl.keystore.key", e.to_string()))?
        }
    };
    Ok(TlsClientSettings {
        config: Arc::new(config),
        verify_host,
    })
}

/// Verifies the chain against the truststore but accepts a certificate that does not name the
/// host (`ssl.endpoint.identification.algorithm=`).
#[derive(Debug)]
struct ChainOnlyVerifier(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnlyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            // webpki checks the name only after the chain, so this error means the chain is good.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A CA and a leaf certificate for `names` signed by it: (CA PEM, leaf PEM, leaf key PEM).
    fn ca_and_leaf(names: &[&str]) -> (String, String, String) {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let ca = ca_params.self_signed(&ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let leaf = rcgen::CertificateParams::new(names)
            .unwrap()
            .signed_by(&leaf_key, &ca, &ca_key)
            .unwrap();
        (ca.pem(), leaf.pem(), leaf_key.serialize_pem())
    }

    /// A TLS handshake to our listener's server config at 127.0.0.1, then one read.
    async fn handshake(
        chain: &str,
        key: &str,
        trust: &str,
        algorithm: Option<&str>,
    ) -> Result<(), String> {
        // The server requires a client certificate chaining to the same truststore: the
        // client's keystore (the same leaf) is its client certificate, as between brokers.
        let server_get = |k: &str| match k {
            "ssl.keystore.certificate.chain" => Some(chain.to_string()),
            "ssl.keystore.key" => Some(key.to_string()),
            "ssl.truststore.certificates" => Some(trust.to_string()),
            "ssl.client.auth" => Some("required".to_string()),
            _ => None,
        };
        let server = super::super::tls::server_config("INTERNAL", &server_get).unwrap();
        let client_get = |k: &str| match k {
            "ssl.keystore.certificate.chain" => Some(chain.to_string()),
            "ssl.keystore.key" => Some(key.to_string()),
            "ssl.truststore.certificates" => Some(trust.to_string()),
            "ssl.endpoint.identification.algorithm" => algorithm.map(str::to_string),
            _ => None,
        };
        let client = client_settings("INTERNAL", &client_get).map_err(|e| e.to_string())?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(server);
        let srv = tokio::spawn(async move {
            let (s, _) = listener.accept().await.ok()?;
            let mut t = acceptor.accept(s).await.ok()?;
            t.write_all(b"ok").await.ok()?;
            t.flush().await.ok()
        });
        let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        let result = async {
            let mut tls = tokio_rustls::TlsConnector::from(client.config.clone())
                .connect(name, tcp)
                .await
                .map_err(|e| e.to_string())?;
            let mut buf = [0u8; 2];
            tls.read_exact(&mut buf).await.map_err(|e| e.to_string())?;
            Ok(())
        }
        .await;
        srv.abort();
        result
    }

    /// Kafka (KIP-294): `ssl.endpoint.identification.algorithm` defaults to `https`, so a peer
    /// certificate that does not name the address it was reached at is refused; empty turns
    /// only the host check off — the chain must still lead to the truststore.
    #[tokio::test]
    async fn endpoint_identification() {
        let (ca, localhost_only, key) = ca_and_leaf(&["localhost"]);
        let err = handshake(&localhost_only, &key, &ca, None)
            .await
            .unwrap_err();
        assert!(err.contains("not valid for name"), "{err}");
        handshake(&localhost_only, &key, &ca, Some(""))
            .await
            .unwrap();

        let (ca_ip, with_ip, key_ip) = ca_and_leaf(&["127.0.0.1"]);
        handshake(&with_ip, &key_ip, &ca_ip, Some("https"))
            .await
            .unwrap();
        // Another CA's certificate is refused even without the host check.
        let err = handshake(&with_ip, &key_ip, &ca, Some(""))
            .await
            .unwrap_err();
        // (rcgen CAs share a subject, so webpki finds the issuer and the signature fails.)
        assert!(err.contains("invalid peer certificate"), "{err}");
        // Without a truststore, inter-broker TLS cannot start.
        let none = |_: &str| None;
        assert!(client_settings("INTERNAL", &none).is_err());
    }
}
