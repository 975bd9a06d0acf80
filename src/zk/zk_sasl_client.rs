//! A client-side SASL DIGEST-MD5 session for ZooKeeper, for the raw jute session of `null_data`
//! (the regular sessions get the same login from `zookeeper-client`'s `Connector::with_sasl`).
//!
//! The mechanism is `zookeeper-client`'s (realm `zk-sasl-md5`, digest-uri
//! `zookeeper/zk-sasl-md5`, as ZooKeeper's server expects), found through rsasl's static
//! registry where that crate registers it; this module only supplies the credentials.

use std::sync::Arc;

use rsasl::callback::{Context, Request, SessionCallback, SessionData};
use rsasl::prelude::{Mechname, SASLClient, SASLConfig, Session, SessionError};
use rsasl::property::{AuthId, Password};

use super::zk_security::DigestCredentials;

struct Credentials(DigestCredentials);

impl SessionCallback for Credentials {
    fn callback(
        &self,
        _session_data: &SessionData,
        _context: &Context,
        request: &mut Request<'_>,
    ) -> Result<(), SessionError> {
        if request.is::<AuthId>() {
            request.satisfy::<AuthId>(&self.0.username)?;
        } else if request.is::<Password>() {
            request.satisfy::<Password>(self.0.password.as_bytes())?;
        }
        Ok(())
    }
}

/// A DIGEST-MD5 client session logging in as `login`.
pub fn digest_md5_session(login: &DigestCredentials) -> Result<Session, String> {
    let config: Arc<SASLConfig> = SASLConfig::builder()
        .with_defaults()
        .with_callback(Credentials(login.clone()))
        .map_err(|e| format!("SASL configuration: {e}"))?;
    let mechanism =
        Mechname::parse(b"DIGEST-MD5").map_err(|e| format!("SASL mechanism name: {e}"))?;
    SASLClient::new(config)
        .start_suggested(&[mechanism])
        .map_err(|e| format!("SASL DIGEST-MD5 is not available: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The DIGEST-MD5 mechanism `zookeeper-client` registers is reachable through rsasl, and
    /// (like Java's) it waits for the server's challenge: the server speaks first.
    #[test]
    fn digest_md5_is_registered_and_server_first() {
        let s = digest_md5_session(&DigestCredentials {
            username: "kafka".into(),
            password: "secret".into(),
        })
        .unwrap();
        assert_eq!(s.get_mechname().as_str(), "DIGEST-MD5");
        assert!(!s.are_we_first());
    }
}
