//! Security: who a connection is (authentication) and what it may do (authorization).
//!
//! Kafka 3.9 ZooKeeper mode: `org.apache.kafka.common.security.*` (SASL, SSL, principals) and
//! `kafka.security.authorizer.AclAuthorizer`.
//!
//! - [`principal`]: `KafkaPrincipal` (`User:alice`), carried in every `RequestContext`.
//! - [`authenticator`]: the SaslHandshake/SaslAuthenticate state machine the network layer runs
//!   on SASL listeners before any request reaches `KafkaApis`; mechanisms in [`sasl`] (PLAIN from
//!   the listener's JAAS config, SCRAM-SHA-256/512 from [`credential_cache`]).
//! - [`tls`]: rustls server configs from Kafka's `ssl.*` keys (PEM), [`dn`]: the certificate
//!   subject, [`ssl_principal_mapper`]: `ssl.principal.mapping.rules` turning it into the SSL
//!   principal.
//! - [`authorizer`]: `AclAuthorizer` — ACLs from `/kafka-acl*`, cached, refreshed through
//!   [`change_notification`] listeners, and the decision rules.
//! - [`config`]: per-listener settings from `server.properties`.
//! - [`reauthentication`]: KIP-368 session lifetimes (`connections.max.reauth.ms`).
//! - [`inter_broker_client`]: the client side of the inter-broker listener (TLS in
//!   [`tls_client`], SASL PLAIN/SCRAM in [`client_auth`]) for broker-to-broker connections.

pub mod authenticator;
pub mod authorizer;
pub mod change_notification;
pub mod client_auth;
pub mod config;
pub mod credential_cache;
pub mod dn;
pub mod inter_broker_client;
pub mod manager;
pub mod principal;
pub mod reauthentication;
pub mod sasl;
pub mod ssl_principal_mapper;
pub mod tls;
pub mod tls_client;
pub mod user_scram_store;

pub use authorizer::AclAuthorizer;
pub use principal::KafkaPrincipal;
