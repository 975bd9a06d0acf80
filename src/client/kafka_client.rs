//! `KafkaClient`: bootstrap, a pool of broker connections, and the metadata cache with its
//! refresh-with-backoff rule.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
use kafka_protocol::messages::{MetadataRequest, TopicName};
use kafka_protocol::protocol::{Request, StrBytes};

use super::connection::BrokerConnection;
use super::error::{ClientError, Result};
use super::metadata::ClusterMetadata;

/// Highest Metadata version this client uses. Kafka 3.9 serves 0..=12; v12 keeps topic names
/// and adds nothing we need beyond v10's topic ids.
pub const METADATA_MAX_VERSION: i16 = 12;

/// Client settings, named as Kafka's client configs.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `bootstrap.servers`: `host:port` list.
    pub bootstrap_servers: Vec<String>,
    /// `client.id`.
    pub client_id: String,
    /// `request.timeout.ms` (Kafka's default: 30000).
    pub request_timeout_ms: u64,
    /// `retry.backoff.ms` (Kafka's default: 100).
    pub retry_backoff_ms: u64,
}

impl ClientConfig {
    /// A config for a comma-separated `bootstrap.servers` value.
    pub fn new(bootstrap_servers: &str) -> Self {
        ClientConfig {
            bootstrap_servers: bootstrap_servers
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            client_id: "zkafka".to_string(),
            request_timeout_ms: 30_000,
            retry_backoff_ms: 100,
        }
    }
}

/// A connection pool plus the cluster metadata cache.
pub struct KafkaClient {
    config: ClientConfig,
    /// Connections by `host:port`; the lock is held only while connecting one address.
    connections: tokio::sync::Mutex<HashMap<String, Arc<BrokerConnection>>>,
    /// Latest merged metadata; short critical sections, never held across `.await`.
    metadata: RwLock<ClusterMetadata>,
}

impl KafkaClient {
    /// Connects to the first reachable bootstrap server and loads brokers and controller.
    pub async fn connect(config: ClientConfig) -> Result<Arc<Self>> {
        if config.bootstrap_servers.is_empty() {
            return Err(ClientError::Config("bootstrap.servers is empty".into()));
        }
        let client = Arc::new(KafkaClient {
            config,
            connections: Default::default(),
            metadata: RwLock::new(ClusterMetadata::default()),
        });
        client.refresh_metadata(Some(&[]), false).await?;
        Ok(client)
    }

    /// The settings this client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// A copy of the cached metadata.
    pub fn metadata(&self) -> ClusterMetadata {
        self.metadata
            .read()
            .expect("metadata lock poisoned")
            .clone()
    }

    /// A connection to `addr`, reusing a live one.
    pub async fn connection(&self, addr: &str) -> Result<Arc<BrokerConnection>> {
        let mut pool = self.connections.lock().await;
        if let Some(c) = pool.get(addr) {
            if !c.is_closed() {
                return Ok(c.clone());
            }
        }
        let timeout = Duration::from_millis(self.config.request_timeout_ms);
        let conn = tokio::time::timeout(
            timeout,
            BrokerConnection::connect(addr, &self.config.client_id),
        )
        .await
        .map_err(|_| ClientError::Timeout {
            what: format!("connection to {addr}"),
            ms: self.config.request_timeout_ms,
        })??;
        pool.insert(addr.to_string(), conn.clone());
        Ok(conn)
    }

    /// A connection to broker `id`, as addressed in the cached metadata.
    pub async fn broker_connection(&self, id: i32) -> Result<Arc<BrokerConnection>> {
        let addr = {
            let md = self.metadata.read().expect("metadata lock poisoned");
            md.brokers.get(&id).map(|b| b.addr())
        };
        match addr {
            Some(a) => self.connection(&a).await,
            None => Err(ClientError::Config(format!(
                "broker {id} is not in the cluster metadata"
            ))),
        }
    }

    /// A connection to any live broker: known brokers first, then the bootstrap list.
    pub async fn any_connection(&self) -> Result<Arc<BrokerConnection>> {
        let mut candidates: Vec<String> = {
            let md = self.metadata.read().expect("metadata lock poisoned");
            md.brokers.values().map(|b| b.addr()).collect()
        };
        candidates.extend(self.config.bootstrap_servers.iter().cloned());
        let mut last = String::from("no servers");
        for addr in candidates {
            match self.connection(&addr).await {
                Ok(c) => return Ok(c),
                Err(e) => last = e.to_string(),
            }
        }
        Err(ClientError::NoBootstrap {
            servers: self.config.bootstrap_servers.join(","),
            last,
        })
    }

    /// A connection to the active controller (admin requests in ZK mode go there, as Kafka's
    /// `AdminClient` sends CreateTopics/DeleteTopics/CreatePartitions to the controller).
    pub async fn controller_connection(&self) -> Result<Arc<BrokerConnection>> {
        let controller = self
            .metadata
            .read()
            .expect("metadata lock poisoned")
            .controller_id;
        if controller >= 0 {
            if let Ok(c) = self.broker_connection(controller).await {
                return Ok(c);
            }
        }
        self.refresh_metadata(Some(&[]), false).await?;
        let controller = self
            .metadata
            .read()
            .expect("metadata lock poisoned")
            .controller_id;
        if controller >= 0 {
            self.broker_connection(controller).await
        } else {
            self.any_connection().await
        }
    }

    /// Sends `request` on `conn` with the request timeout.
    pub async fn send_on<R: Request>(
        &self,
        conn: &BrokerConnection,
        request: &R,
        cap: i16,
    ) -> Result<R::Response> {
        let ms = self.config.request_timeout_ms;
        tokio::time::timeout(Duration::from_millis(ms), conn.send(request, cap))
            .await
            .map_err(|_| ClientError::Timeout {
                what: format!(
                    "{} response from {}",
                    super::connection::api_name(R::KEY),
                    conn.addr()
                ),
                ms,
            })?
    }

    /// Sends Metadata for `topics` (`None` = all topics) and merges the answer into the cache.
    pub async fn refresh_metadata(
        &self,
        topics: Option<&[String]>,
        allow_auto_create: bool,
    ) -> Result<ClusterMetadata> {
        let conn = self.any_connection().await?;
        let request = MetadataRequest::default()
            .with_topics(topics.map(|ts| {
                ts.iter()
                    .map(|t| {
                        MetadataRequestTopic::default()
                            .with_name(Some(TopicName(StrBytes::from_string(t.clone()))))
                    })
                    .collect()
            }))
            .with_allow_auto_topic_creation(allow_auto_create);
        let response = self.send_on(&conn, &request, METADATA_MAX_VERSION).await?;
        let snapshot = ClusterMetadata::from_response(&response);
        self.metadata
            .write()
            .expect("metadata lock poisoned")
            .merge(snapshot.clone());
        Ok(snapshot)
    }

    /// Refreshes `topics` until each has a leader for every partition, backing off
    /// `retry.backoff.ms` doubling up to 1 s between tries (Kafka's `retry.backoff.max.ms`
    /// default is 1000), for at most `timeout_ms`. Topics that do not exist are reported with
    /// UNKNOWN_TOPIC_OR_PARTITION once the time is up.
    pub async fn wait_for_leaders(
        &self,
        topics: &[String],
        allow_auto_create: bool,
        timeout_ms: u64,
    ) -> Result<ClusterMetadata> {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms);
        let mut backoff_ms = self.config.retry_backoff_ms.max(1);
        loop {
            let md = self
                .refresh_metadata(Some(topics), allow_auto_create)
                .await?;
            let missing: Vec<&String> = topics
                .iter()
                .filter(|t| !md.topics.get(*t).is_some_and(|i| i.all_leaders_known()))
                .collect();
            if missing.is_empty() {
                return Ok(self.metadata());
            }
            if tokio::time::Instant::now() + Duration::from_millis(backoff_ms) > deadline {
                let t = missing[0];
                let code = md
                    .topics
                    .get(t)
                    .map(|i| i.error_code)
                    .filter(|c| *c != 0)
                    .unwrap_or(5);
                return Err(
                    ClientError::from_code(code, None, format!("metadata for topic {t}"))
                        .unwrap_or_else(|| ClientError::Timeout {
                            what: format!("leaders of topic {t}"),
                            ms: timeout_ms,
                        }),
                );
            }
            tokio::time::sleep(Duration::from_millis(backoff_ms)).await;
            backoff_ms = (backoff_ms * 2).min(1000);
        }
    }
}
