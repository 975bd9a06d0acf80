//! `KafkaConfig`: Kafka's `server.properties` key names, defaults and validation rules.
//!
//! Kafka: `kafka.server.KafkaConfig` (3.9), `org.apache.kafka.common.config.ConfigDef`,
//! `org.apache.kafka.server.config.{ServerConfigs,ZkConfigs,SocketServerConfigs,ReplicationConfigs}`.
//!
//! Loading is two-phase, like Kafka: the file (`java.util.Properties` syntax, see
//! [`properties`]) plus `--override key=value` arguments become one raw property map; then the
//! keys this module types are parsed and cross-validated. The raw map is kept
//! ([`KafkaConfig::originals`]) so later subsystems (log, offsets, security ...) read their own
//! keys with the typed getters here ([`KafkaConfig::get_i32`] and friends), which produce the
//! same error messages.
//!
//! Every key and default is listed in `docs/configuration.md`.

pub mod known_keys;
pub mod properties;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::cluster::{EndPoint, SecurityProtocol};

/// Kafka's key names for the settings typed here (`*_CONFIG` constants in Kafka).
pub mod keys {
    pub const BROKER_ID: &str = "broker.id";
    pub const BROKER_ID_GENERATION_ENABLE: &str = "broker.id.generation.enable";
    pub const RESERVED_BROKER_MAX_ID: &str = "reserved.broker.max.id";
    pub const BROKER_RACK: &str = "broker.rack";
    pub const LISTENERS: &str = "listeners";
    pub const ADVERTISED_LISTENERS: &str = "advertised.listeners";
    pub const LISTENER_SECURITY_PROTOCOL_MAP: &str = "listener.security.protocol.map";
    pub const INTER_BROKER_LISTENER_NAME: &str = "inter.broker.listener.name";
    pub const INTER_BROKER_SECURITY_PROTOCOL: &str = "security.inter.broker.protocol";
    pub const LOG_DIRS: &str = "log.dirs";
    pub const LOG_DIR: &str = "log.dir";
    pub const ZK_CONNECT: &str = "zookeeper.connect";
    pub const ZK_SESSION_TIMEOUT_MS: &str = "zookeeper.session.timeout.ms";
    pub const ZK_CONNECTION_TIMEOUT_MS: &str = "zookeeper.connection.timeout.ms";
    pub const ZK_MAX_IN_FLIGHT_REQUESTS: &str = "zookeeper.max.in.flight.requests";
    pub const CONTROLLED_SHUTDOWN_ENABLE: &str = "controlled.shutdown.enable";
    pub const NUM_PARTITIONS: &str = "num.partitions";
    pub const DEFAULT_REPLICATION_FACTOR: &str = "default.replication.factor";
    pub const AUTO_CREATE_TOPICS_ENABLE: &str = "auto.create.topics.enable";
    pub const SOCKET_REQUEST_MAX_BYTES: &str = "socket.request.max.bytes";
    pub const MAX_CONNECTIONS: &str = "max.connections";
    pub const CONNECTIONS_MAX_IDLE_MS: &str = "connections.max.idle.ms";
}

/// Kafka's defaults for the keys above (Kafka 3.9 `ConfigDef`, checked against the real jar).
pub mod defaults {
    pub const BROKER_ID: i32 = -1;
    pub const BROKER_ID_GENERATION_ENABLE: bool = true;
    pub const RESERVED_BROKER_MAX_ID: i32 = 1000;
    pub const LISTENERS: &str = "PLAINTEXT://:9092";
    /// `SocketServerConfigs.LISTENER_SECURITY_PROTOCOL_MAP_DEFAULT`, in Kafka's own order.
    pub const LISTENER_SECURITY_PROTOCOL_MAP: &str =
        "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT";
    pub const INTER_BROKER_SECURITY_PROTOCOL: &str = "PLAINTEXT";
    pub const LOG_DIR: &str = "/tmp/kafka-logs";
    pub const ZK_SESSION_TIMEOUT_MS: i32 = 18000;
    pub const ZK_MAX_IN_FLIGHT_REQUESTS: i32 = 10;
    pub const CONTROLLED_SHUTDOWN_ENABLE: bool = true;
    pub const NUM_PARTITIONS: i32 = 1;
    pub const DEFAULT_REPLICATION_FACTOR: i32 = 1;
    pub const AUTO_CREATE_TOPICS_ENABLE: bool = true;
    /// 100 MiB (`SocketServerConfigs.SOCKET_REQUEST_MAX_BYTES_DEFAULT`).
    pub const SOCKET_REQUEST_MAX_BYTES: i32 = 100 * 1024 * 1024;
    pub const MAX_CONNECTIONS: i32 = i32::MAX;
    /// 10 minutes.
    pub const CONNECTIONS_MAX_IDLE_MS: i64 = 600_000;
}

/// Why a configuration was refused. Every message names the key and what is accepted.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("config file {path}: {source}")]
    Syntax {
        path: String,
        source: properties::PropertiesError,
    },
    #[error("invalid --override '{0}': expected key=value")]
    BadOverride(String),
    /// Kafka: `ConfigException("Missing required configuration \"k\" which has no default value.")`.
    #[error("Missing required configuration \"{0}\" which has no default value.")]
    Missing(&'static str),
    /// Kafka: `ConfigException(name, value, message)` → "Invalid value v for configuration k: m".
    #[error("Invalid value {value} for configuration {key}: {reason}")]
    InvalidValue {
        key: String,
        value: String,
        reason: String,
    },
    /// A cross-key rule from `KafkaConfig.validateValues`; the message names the keys involved.
    #[error("{0}")]
    Invalid(String),
}

fn invalid(key: &str, value: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_string(),
        value: value.to_string(),
        reason: reason.into(),
    }
}

/// `zookeeper.connect` split into the host list and the optional chroot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkConnect {
    /// `host:port[,host:port...]` without the chroot.
    pub hosts: String,
    /// `/chroot` (no trailing slash), or `None` for the ZooKeeper root.
    pub chroot: Option<String>,
}

impl ZkConnect {
    /// Parses `host:port[,host:port]/chroot`. Kafka passes the string to the ZooKeeper client,
    /// which splits at the first `/` (`ConnectStringParser`) and validates the chroot path.
    pub fn parse(s: &str) -> Result<ZkConnect, ConfigError> {
        let s = s.trim();
        let (hosts, chroot) = match s.find('/') {
            Some(i) => (&s[..i], Some(&s[i..])),
            None => (s, None),
        };
        if hosts.is_empty() {
            return Err(invalid(
                keys::ZK_CONNECT,
                s,
                "expected host:port[,host:port...][/chroot]",
            ));
        }
        for hp in hosts.split(',') {
            let hp = hp.trim();
            let ok = match hp.rsplit_once(':') {
                Some((h, p)) => !h.is_empty() && p.parse::<u16>().is_ok(),
                // The ZooKeeper client defaults the port to 2181.
                None => !hp.is_empty(),
            };
            if !ok {
                return Err(invalid(
                    keys::ZK_CONNECT,
                    s,
                    format!("'{hp}' is not host:port (port 0-65535)"),
                ));
            }
        }
        let chroot = match chroot {
            None | Some("/") => None,
            Some(c) => {
                if c.ends_with('/') || c.contains("//") {
                    return Err(invalid(
                        keys::ZK_CONNECT,
                        s,
                        "the chroot must be an absolute ZooKeeper path without a trailing '/' or empty segments",
                    ));
                }
                Some(c.to_string())
            }
        };
        Ok(ZkConnect {
            hosts: hosts.to_string(),
            chroot,
        })
    }

    /// The connect string with the chroot, as the ZooKeeper client takes it.
    pub fn with_chroot(&self) -> String {
        match &self.chroot {
            Some(c) => format!("{}{}", self.hosts, c),
            None => self.hosts.clone(),
        }
    }
}

/// A validated broker configuration. Field names carry units; the Kafka key is in each doc.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `broker.id`; -1 means "generate one" (or take it from `meta.properties`).
    pub broker_id: i32,
    /// `broker.id.generation.enable`.
    pub broker_id_generation_enable: bool,
    /// `reserved.broker.max.id`: generated ids start above it.
    pub reserved_broker_max_id: i32,
    /// `broker.rack`.
    pub broker_rack: Option<String>,
    /// `listeners`, in configured order.
    pub listeners: Vec<EndPoint>,
    /// `advertised.listeners` (defaults to `listeners`), in configured order — the order of
    /// `endpoints` in `/brokers/ids/<id>`.
    pub advertised_listeners: Vec<EndPoint>,
    /// `listener.security.protocol.map` (upper-cased listener names).
    pub listener_security_protocol_map: BTreeMap<String, SecurityProtocol>,
    /// `inter.broker.listener.name`, or the name of `security.inter.broker.protocol`.
    pub inter_broker_listener_name: String,
    /// The security protocol of the inter-broker listener.
    pub inter_broker_security_protocol: SecurityProtocol,
    /// `log.dirs`, else `log.dir`.
    pub log_dirs: Vec<PathBuf>,
    /// `zookeeper.connect`.
    pub zk_connect: ZkConnect,
    /// `zookeeper.session.timeout.ms`.
    pub zk_session_timeout_ms: u32,
    /// `zookeeper.connection.timeout.ms` (defaults to the session timeout).
    pub zk_connection_timeout_ms: u32,
    /// `zookeeper.max.in.flight.requests`.
    pub zk_max_in_flight_requests: u32,
    /// `controlled.shutdown.enable`.
    pub controlled_shutdown_enable: bool,
    /// `num.partitions`.
    pub num_partitions: i32,
    /// `default.replication.factor`.
    pub default_replication_factor: i32,
    /// `auto.create.topics.enable`.
    pub auto_create_topics_enable: bool,
    /// `socket.request.max.bytes`: the largest request frame accepted.
    pub socket_request_max_bytes: i32,
    /// `max.connections`.
    pub max_connections: i32,
    /// `connections.max.idle.ms`.
    pub connections_max_idle_ms: i64,
    /// Every property as given (file, then overrides), trimmed like Kafka's `ConfigDef`.
    originals: BTreeMap<String, String>,
}

impl KafkaConfig {
    /// Loads `path` and applies `key=value` overrides (later wins), like `kafka.Kafka.getPropsFromArgs`.
    pub fn load(path: &Path, overrides: &[String]) -> Result<KafkaConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        let mut props = properties::to_map(&text).map_err(|source| ConfigError::Syntax {
            path: path.display().to_string(),
            source,
        })?;
        for o in overrides {
            let (k, v) = o
                .split_once('=')
                .ok_or_else(|| ConfigError::BadOverride(o.clone()))?;
            if k.trim().is_empty() {
                return Err(ConfigError::BadOverride(o.clone()));
            }
            props.insert(k.trim().to_string(), v.to_string());
        }
        KafkaConfig::from_props(props)
    }

    /// Parses and validates a raw property map. Kafka: `KafkaConfig(props)` + `validateValues`.
    pub fn from_props(props: BTreeMap<String, String>) -> Result<KafkaConfig, ConfigError> {
        let originals: BTreeMap<String, String> = props
            .into_iter()
            .map(|(k, v)| (k, v.trim().to_string()))
            .collect();
        let get = |k: &str| originals.get(k).map(String::as_str);

        let broker_id = parse_i32(keys::BROKER_ID, get(keys::BROKER_ID), defaults::BROKER_ID)?;
        let broker_id_generation_enable = parse_bool(
            keys::BROKER_ID_GENERATION_ENABLE,
            get(keys::BROKER_ID_GENERATION_ENABLE),
            defaults::BROKER_ID_GENERATION_ENABLE,
        )?;
        let reserved_broker_max_id = parse_i32(
            keys::RESERVED_BROKER_MAX_ID,
            get(keys::RESERVED_BROKER_MAX_ID),
            defaults::RESERVED_BROKER_MAX_ID,
        )?;
        at_least(
            keys::RESERVED_BROKER_MAX_ID,
            reserved_broker_max_id as i64,
            0,
        )?;
        let broker_rack = get(keys::BROKER_RACK)
            .filter(|s| !s.is_empty())
            .map(str::to_string);

        // ZooKeeper.
        let zk_connect = ZkConnect::parse(
            get(keys::ZK_CONNECT)
                .filter(|s| !s.is_empty())
                .ok_or(ConfigError::Missing(keys::ZK_CONNECT))?,
        )?;
        let zk_session_timeout_ms = parse_i32(
            keys::ZK_SESSION_TIMEOUT_MS,
            get(keys::ZK_SESSION_TIMEOUT_MS),
            defaults::ZK_SESSION_TIMEOUT_MS,
        )?;
        at_least(keys::ZK_SESSION_TIMEOUT_MS, zk_session_timeout_ms as i64, 1)?;
        let zk_connection_timeout_ms = parse_i32(
            keys::ZK_CONNECTION_TIMEOUT_MS,
            get(keys::ZK_CONNECTION_TIMEOUT_MS),
            zk_session_timeout_ms,
        )?;
        at_least(
            keys::ZK_CONNECTION_TIMEOUT_MS,
            zk_connection_timeout_ms as i64,
            1,
        )?;
        let zk_max_in_flight_requests = parse_i32(
            keys::ZK_MAX_IN_FLIGHT_REQUESTS,
            get(keys::ZK_MAX_IN_FLIGHT_REQUESTS),
            defaults::ZK_MAX_IN_FLIGHT_REQUESTS,
        )?;
        at_least(
            keys::ZK_MAX_IN_FLIGHT_REQUESTS,
            zk_max_in_flight_requests as i64,
            1,
        )?;

        // Kafka: KafkaConfig.validateValues (ZK mode).
        if broker_id_generation_enable {
            if broker_id < -1 || broker_id > reserved_broker_max_id {
                return Err(ConfigError::Invalid(format!(
                    "broker.id must be greater than or equal to -1 and not greater than \
                     reserved.broker.max.id ({reserved_broker_max_id}); got broker.id={broker_id}"
                )));
            }
        } else if broker_id < 0 {
            return Err(ConfigError::Invalid(format!(
                "broker.id must be greater than or equal to 0 when broker.id.generation.enable=false; got broker.id={broker_id}"
            )));
        }

        // Listeners. Kafka: KafkaConfig.listeners / effectiveAdvertisedBrokerListeners /
        // listenerSecurityProtocolMap / interBrokerListenerNameAndSecurityProtocol.
        let map_text = get(keys::LISTENER_SECURITY_PROTOCOL_MAP)
            .unwrap_or(defaults::LISTENER_SECURITY_PROTOCOL_MAP);
        let listener_security_protocol_map = parse_protocol_map(map_text)?;
        let listeners_text = get(keys::LISTENERS).unwrap_or(defaults::LISTENERS);
        let listeners = parse_listeners(
            keys::LISTENERS,
            listeners_text,
            &listener_security_protocol_map,
        )?;
        let advertised_listeners = match get(keys::ADVERTISED_LISTENERS).filter(|s| !s.is_empty()) {
            Some(text) => parse_listeners(
                keys::ADVERTISED_LISTENERS,
                text,
                &listener_security_protocol_map,
            )?,
            None => listeners.clone(),
        };
        if let Some(e) = advertised_listeners.iter().find(|e| e.host == "0.0.0.0") {
            return Err(ConfigError::Invalid(format!(
                "advertised.listeners cannot use the nonroutable meta-address 0.0.0.0 ({}). Use a routable IP address.",
                e.connection_string()
            )));
        }
        let listener_names: Vec<&str> =
            listeners.iter().map(|e| e.listener_name.as_str()).collect();
        for e in &advertised_listeners {
            if !listener_names.contains(&e.listener_name.as_str()) {
                return Err(ConfigError::Invalid(format!(
                    "advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. \
                     Found {}. The valid options based on the current configuration are {}",
                    e.listener_name,
                    listener_names.join(",")
                )));
            }
        }
        let (inter_broker_listener_name, inter_broker_security_protocol) =
            match (get(keys::INTER_BROKER_LISTENER_NAME).filter(|s| !s.is_empty()),
                   get(keys::INTER_BROKER_SECURITY_PROTOCOL).filter(|s| !s.is_empty())) {
                (Some(_), Some(_)) => {
                    return Err(ConfigError::Invalid(
                        "Only one of inter.broker.listener.name and security.inter.broker.protocol should be set."
                            .to_string(),
                    ))
                }
                (Some(name), None) => {
                    let name = name.to_ascii_uppercase();
                    let protocol = *listener_security_protocol_map.get(&name).ok_or_else(|| {
                        ConfigError::Invalid(format!(
                            "Listener with name {name} defined in inter.broker.listener.name not found in \
                             listener.security.protocol.map (known: {}).",
                            listener_security_protocol_map.keys().cloned().collect::<Vec<_>>().join(",")
                        ))
                    })?;
                    (name, protocol)
                }
                (None, proto) => {
                    let text = proto.unwrap_or(defaults::INTER_BROKER_SECURITY_PROTOCOL);
                    let protocol = SecurityProtocol::from_name(text).ok_or_else(|| {
                        invalid(
                            keys::INTER_BROKER_SECURITY_PROTOCOL,
                            text,
                            "expected one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL",
                        )
                    })?;
                    (protocol.name().to_string(), protocol)
                }
            };
        if !advertised_listeners
            .iter()
            .any(|e| e.listener_name == inter_broker_listener_name)
        {
            return Err(ConfigError::Invalid(format!(
                "inter.broker.listener.name must be a listener name defined in advertised.listeners \
                 (got {inter_broker_listener_name}). The valid options based on currently configured listeners are {}",
                advertised_listeners
                    .iter()
                    .map(|e| e.listener_name.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            )));
        }

        // Log directories. Kafka: `Option(log.dirs).getOrElse(log.dir)` split on commas.
        let dirs_text = get(keys::LOG_DIRS)
            .filter(|s| !s.is_empty())
            .or(get(keys::LOG_DIR).filter(|s| !s.is_empty()))
            .unwrap_or(defaults::LOG_DIR);
        let log_dirs: Vec<PathBuf> = dirs_text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(PathBuf::from)
            .collect();
        if log_dirs.is_empty() {
            return Err(invalid(
                keys::LOG_DIRS,
                dirs_text,
                "expected a comma-separated list of directories",
            ));
        }

        let controlled_shutdown_enable = parse_bool(
            keys::CONTROLLED_SHUTDOWN_ENABLE,
            get(keys::CONTROLLED_SHUTDOWN_ENABLE),
            defaults::CONTROLLED_SHUTDOWN_ENABLE,
        )?;
        let num_partitions = parse_i32(
            keys::NUM_PARTITIONS,
            get(keys::NUM_PARTITIONS),
            defaults::NUM_PARTITIONS,
        )?;
        at_least(keys::NUM_PARTITIONS, num_partitions as i64, 1)?;
        let default_replication_factor = parse_i32(
            keys::DEFAULT_REPLICATION_FACTOR,
            get(keys::DEFAULT_REPLICATION_FACTOR),
            defaults::DEFAULT_REPLICATION_FACTOR,
        )?;
        let auto_create_topics_enable = parse_bool(
            keys::AUTO_CREATE_TOPICS_ENABLE,
            get(keys::AUTO_CREATE_TOPICS_ENABLE),
            defaults::AUTO_CREATE_TOPICS_ENABLE,
        )?;
        let socket_request_max_bytes = parse_i32(
            keys::SOCKET_REQUEST_MAX_BYTES,
            get(keys::SOCKET_REQUEST_MAX_BYTES),
            defaults::SOCKET_REQUEST_MAX_BYTES,
        )?;
        at_least(
            keys::SOCKET_REQUEST_MAX_BYTES,
            socket_request_max_bytes as i64,
            1,
        )?;
        let max_connections = parse_i32(
            keys::MAX_CONNECTIONS,
            get(keys::MAX_CONNECTIONS),
            defaults::MAX_CONNECTIONS,
        )?;
        at_least(keys::MAX_CONNECTIONS, max_connections as i64, 0)?;
        let connections_max_idle_ms = parse_i64(
            keys::CONNECTIONS_MAX_IDLE_MS,
            get(keys::CONNECTIONS_MAX_IDLE_MS),
            defaults::CONNECTIONS_MAX_IDLE_MS,
        )?;

        Ok(KafkaConfig {
            broker_id,
            broker_id_generation_enable,
            reserved_broker_max_id,
            broker_rack,
            listeners,
            advertised_listeners,
            listener_security_protocol_map,
            inter_broker_listener_name,
            inter_broker_security_protocol,
            log_dirs,
            zk_connect,
            zk_session_timeout_ms: zk_session_timeout_ms as u32,
            zk_connection_timeout_ms: zk_connection_timeout_ms as u32,
            zk_max_in_flight_requests: zk_max_in_flight_requests as u32,
            controlled_shutdown_enable,
            num_partitions,
            default_replication_factor,
            auto_create_topics_enable,
            socket_request_max_bytes,
            max_connections,
            connections_max_idle_ms,
            originals,
        })
    }

    /// Every property as given (trimmed), for subsystems that read their own keys.
    pub fn originals(&self) -> &BTreeMap<String, String> {
        &self.originals
    }

    /// Keys that are neither Kafka 3.9 broker keys nor per-listener overrides. Kafka logs
    /// "The configuration 'k' was supplied but isn't a known config." for each
    /// (`AbstractConfig.logUnused`); the broker logs these as warnings at startup.
    pub fn unknown_keys(&self) -> Vec<&str> {
        self.originals
            .keys()
            .map(String::as_str)
            .filter(|k| !known_keys::is_known_kafka_key(k))
            .collect()
    }

    /// The raw string for `key`, if set.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.originals.get(key).map(String::as_str)
    }

    /// `key` as an INT, or `default` when unset; Kafka's error message on a bad value.
    pub fn get_i32(&self, key: &str, default: i32) -> Result<i32, ConfigError> {
        parse_i32(key, self.get_str(key), default)
    }

    /// `key` as a LONG, or `default` when unset.
    pub fn get_i64(&self, key: &str, default: i64) -> Result<i64, ConfigError> {
        parse_i64(key, self.get_str(key), default)
    }

    /// `key` as a BOOLEAN (`true`/`false`, any case), or `default` when unset.
    pub fn get_bool(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        parse_bool(key, self.get_str(key), default)
    }

    /// `key` as a LIST (comma-separated, trimmed, empty items dropped), or `default` when unset.
    pub fn get_list(&self, key: &str, default: &[&str]) -> Vec<String> {
        match self.get_str(key) {
            Some(s) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            None => default.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The advertised endpoint of the inter-broker listener.
    pub fn inter_broker_endpoint(&self) -> Option<&EndPoint> {
        self.advertised_listeners
            .iter()
            .find(|e| e.listener_name == self.inter_broker_listener_name)
    }
}

fn parse_i32(key: &str, value: Option<&str>, default: i32) -> Result<i32, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i32>()
            .map_err(|_| invalid(key, v, "Not a number of type INT")),
    }
}

fn parse_i64(key: &str, value: Option<&str>, default: i64) -> Result<i64, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map_err(|_| invalid(key, v, "Not a number of type LONG")),
    }
}

/// Kafka's BOOLEAN: `true`/`false` in any case (`ConfigDef.parseType`).
fn parse_bool(key: &str, value: Option<&str>, default: bool) -> Result<bool, ConfigError> {
    match value {
        None => Ok(default),
        Some(v) if v.trim().eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.trim().eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(invalid(key, v, "Expected value to be either true or false")),
    }
}

/// Kafka's `ConfigDef.Range.atLeast` validator.
fn at_least(key: &str, value: i64, min: i64) -> Result<(), ConfigError> {
    if value < min {
        Err(invalid(
            key,
            &value.to_string(),
            format!("Value must be at least {min}"),
        ))
    } else {
        Ok(())
    }
}

/// Parses `NAME:PROTOCOL,...`. Kafka: `KafkaConfig.getMap` + `SecurityProtocol.forName`.
fn parse_protocol_map(text: &str) -> Result<BTreeMap<String, SecurityProtocol>, ConfigError> {
    let key = keys::LISTENER_SECURITY_PROTOCOL_MAP;
    let mut map = BTreeMap::new();
    for entry in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (name, proto) = entry.split_once(':').ok_or_else(|| {
            invalid(
                key,
                text,
                format!("map entry '{entry}' is not of the form LISTENER_NAME:SECURITY_PROTOCOL"),
            )
        })?;
        let protocol = SecurityProtocol::from_name(proto.trim()).ok_or_else(|| {
            invalid(
                key,
                text,
                format!("'{}' is not a security protocol (expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)", proto.trim()),
            )
        })?;
        map.insert(name.trim().to_ascii_uppercase(), protocol);
    }
    if map.is_empty() {
        return Err(invalid(
            key,
            text,
            "expected at least one LISTENER_NAME:SECURITY_PROTOCOL entry",
        ));
    }
    Ok(map)
}

/// Parses a listener list. Kafka: `CoreUtils.listenerListToEndPoints` — names must be unique;
/// for `listeners` (not `advertised.listeners`) non-zero ports must be unique too, unless
/// exactly two listeners share a port and one host is an IPv4 and the other an IPv6 literal.
fn parse_listeners(
    key: &str,
    text: &str,
    map: &BTreeMap<String, SecurityProtocol>,
) -> Result<Vec<EndPoint>, ConfigError> {
    let mut out: Vec<EndPoint> = Vec::new();
    for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let ep = EndPoint::parse(item, map).map_err(|e| invalid(key, text, e.to_string()))?;
        if out.iter().any(|o| o.listener_name == ep.listener_name) {
            return Err(invalid(
                key,
                text,
                format!(
                    "Each listener must have a different name; {} appears twice",
                    ep.listener_name
                ),
            ));
        }
        out.push(ep);
    }
    if out.is_empty() {
        return Err(invalid(
            key,
            text,
            "expected at least one LISTENER_NAME://host:port",
        ));
    }
    if key == keys::LISTENERS {
        let mut by_port: BTreeMap<u16, Vec<&EndPoint>> = BTreeMap::new();
        for e in out.iter().filter(|e| e.port != 0) {
            by_port.entry(e.port).or_default().push(e);
        }
        for (port, eps) in by_port {
            let v4_and_v6 = eps.len() == 2 && {
                let v4 = |h: &str| h.parse::<std::net::Ipv4Addr>().is_ok();
                let v6 = |h: &str| h.parse::<std::net::Ipv6Addr>().is_ok();
                (v4(&eps[0].host) && v6(&eps[1].host)) || (v6(&eps[0].host) && v4(&eps[1].host))
            };
            if eps.len() > 1 && !v4_and_v6 {
                return Err(invalid(
                    key,
                    text,
                    format!(
                        "Each listener must have a different port unless exactly one listener has an IPv4 address \
                         and the other IPv6 address, port: {port}"
                    ),
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
