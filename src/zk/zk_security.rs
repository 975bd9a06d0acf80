//! How the broker authenticates to ZooKeeper, and whether its znodes get secure ACLs.
//!
//! Kafka's ZooKeeper client takes its SASL settings from JVM system properties, which Kafka's
//! scripts pass through the `KAFKA_OPTS` environment variable (`kafka-run-class.sh` expands
//! `$KAFKA_OPTS` unquoted onto the `java` command line). zkafka reads the same `-Dkey=value`
//! words from `KAFKA_OPTS`, so one environment starts either broker:
//! - `java.security.auth.login.config`: the JAAS file; its `Client` section (or the section
//!   named by `zookeeper.sasl.clientconfig`) is the ZooKeeper login. Only ZooKeeper's
//!   `org.apache.zookeeper.server.auth.DigestLoginModule` (SASL DIGEST-MD5, `username`,
//!   `password`) is supported; Kerberos is refused with a message.
//! - `zookeeper.sasl.client` (default true): `false` with a `Client` section present is Kafka's
//!   startup error.
//!
//! Kafka: `JaasUtils.isZkSaslEnabled` / `zkSecuritySysConfigString`, and the check in
//! `KafkaServer.initZkClient` (`zookeeper.set.acl=true` needs SASL or TLS client auth).

use std::collections::BTreeMap;

use crate::security::sasl::jaas;

pub const JAVA_LOGIN_CONFIG_PARAM: &str = "java.security.auth.login.config";
pub const ZK_SASL_CLIENT: &str = "zookeeper.sasl.client";
pub const ZK_LOGIN_CONTEXT_NAME_KEY: &str = "zookeeper.sasl.clientconfig";
const DEFAULT_ZK_LOGIN_CONTEXT_NAME: &str = "Client";
/// ZooKeeper's login module for DIGEST-MD5 (`username`/`password` options).
pub const DIGEST_LOGIN_MODULE: &str = "org.apache.zookeeper.server.auth.DigestLoginModule";
/// The environment variable Kafka's scripts put on the `java` command line.
pub const KAFKA_OPTS_ENV: &str = "KAFKA_OPTS";

/// Why the ZooKeeper client security could not be set up. Messages follow Kafka's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZkSecurityError {
    /// Kafka: `JaasUtils.isZkSaslEnabled` when `Configuration.getConfiguration()` fails.
    #[error("Exception while loading Zookeeper JAAS login context {sys_config}: {reason}")]
    LoadJaas { sys_config: String, reason: String },
    /// Kafka: a JAAS `Client` section is present but `zookeeper.sasl.client=false`.
    #[error("Exception while determining if ZooKeeper is secure {sys_config}")]
    SaslDisabled { sys_config: String },
    /// Kafka: `KafkaServer.initZkClient` (a `java.lang.SecurityException`).
    #[error("zookeeper.set.acl is true, but ZooKeeper client TLS configuration identifying at least zookeeper.ssl.client.enable, zookeeper.clientCnxnSocket, and zookeeper.ssl.keystore.location was not present and the verification of the JAAS login file failed {sys_config}")]
    SecureAclsWithoutAuth { sys_config: String },
    /// The login section uses a module zkafka cannot speak (Kerberos needs GSSAPI).
    #[error("JAAS login context '{context}' uses {module}; zkafka authenticates to ZooKeeper only with {DIGEST_LOGIN_MODULE} (SASL DIGEST-MD5)")]
    UnsupportedLoginModule { context: String, module: String },
    /// `DigestLoginModule` without `username` or `password`.
    #[error("JAAS login context '{context}': {DIGEST_LOGIN_MODULE} needs the option '{option}'")]
    MissingOption {
        context: String,
        option: &'static str,
    },
}

/// JVM system properties as the `java` command line of Kafka's scripts would set them: the
/// `-Dkey=value` words of `KAFKA_OPTS` (later words win, like the JVM; `-Dkey` sets "").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JvmSystemProperties(BTreeMap<String, String>);

impl JvmSystemProperties {
    /// Words are split on whitespace without quote processing, as the shell does for the
    /// unquoted `$KAFKA_OPTS` in `kafka-run-class.sh`.
    pub fn from_kafka_opts(opts: &str) -> Self {
        let mut props = BTreeMap::new();
        for word in opts.split_whitespace() {
            if let Some(def) = word.strip_prefix("-D") {
                let (k, v) = def.split_once('=').unwrap_or((def, ""));
                if !k.is_empty() {
                    props.insert(k.to_string(), v.to_string());
                }
            }
        }
        JvmSystemProperties(props)
    }

    /// From this process's `KAFKA_OPTS` (empty when unset).
    pub fn from_env() -> Self {
        Self::from_kafka_opts(&std::env::var(KAFKA_OPTS_ENV).unwrap_or_default())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Kafka: `JaasUtils.zkSecuritySysConfigString` — `null` / `default:` for unset values.
    pub fn zk_security_sys_config_string(&self) -> String {
        format!(
            "[{JAVA_LOGIN_CONFIG_PARAM}={}, {ZK_SASL_CLIENT}={}, {ZK_LOGIN_CONTEXT_NAME_KEY}={}]",
            self.get(JAVA_LOGIN_CONFIG_PARAM).unwrap_or("null"),
            self.get(ZK_SASL_CLIENT)
                .map(str::to_string)
                .unwrap_or_else(|| "default:true".to_string()),
            self.get(ZK_LOGIN_CONTEXT_NAME_KEY)
                .map(str::to_string)
                .unwrap_or_else(|| format!("default:{DEFAULT_ZK_LOGIN_CONTEXT_NAME}")),
        )
    }
}

/// The DIGEST-MD5 identity of a JAAS `DigestLoginModule` entry.
#[derive(Clone, PartialEq, Eq)]
pub struct DigestCredentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for DigestCredentials {
    /// Never prints the password (it would end up in logs).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DigestCredentials({})", self.username)
    }
}

/// The ZooKeeper session's authentication and ACL policy. Kafka: the `isSecure` flag of
/// `KafkaZkClient` plus the ZooKeeper client's JAAS login.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ZkClientSecurity {
    /// SASL DIGEST-MD5 login, when a JAAS client section is configured.
    pub sasl: Option<DigestCredentials>,
    /// `zookeeper.set.acl`: znodes get `ZkData.defaultAcls(true, path)`.
    pub secure_acls: bool,
}

impl ZkClientSecurity {
    /// No authentication, open ACLs (Kafka's defaults).
    pub fn open() -> Self {
        Self::default()
    }

    /// The broker's setting. Kafka: `KafkaServer.initZkClient` — `isZkSaslEnabled` is always
    /// evaluated (so a broken JAAS setup fails startup), and `zookeeper.set.acl=true` without
    /// an authenticated identity is a `SecurityException`.
    pub fn for_broker(
        props: &JvmSystemProperties,
        set_acl: bool,
    ) -> Result<ZkClientSecurity, ZkSecurityError> {
        let sasl = zk_sasl_credentials(props)?;
        if set_acl && sasl.is_none() {
            return Err(ZkSecurityError::SecureAclsWithoutAuth {
                sys_config: props.zk_security_sys_config_string(),
            });
        }
        Ok(ZkClientSecurity {
            sasl,
            secure_acls: set_acl,
        })
    }

    /// Admin tools writing with `--zookeeper`: Kafka passes
    /// `isSecure = JaasUtils.isZkSaslEnabled` (e.g. `ConfigCommand`), so they use secure ACLs
    /// whenever they authenticate.
    pub fn for_admin_tool(
        props: &JvmSystemProperties,
    ) -> Result<ZkClientSecurity, ZkSecurityError> {
        let sasl = zk_sasl_credentials(props)?;
        let secure_acls = sasl.is_some();
        Ok(ZkClientSecurity { sasl, secure_acls })
    }
}

/// The ZooKeeper login of the JAAS file, if any. Kafka: `JaasUtils.isZkSaslEnabled` (plus
/// ZooKeeper's `ZooKeeperSaslClient`, which logs in with that section).
pub fn zk_sasl_credentials(
    props: &JvmSystemProperties,
) -> Result<Option<DigestCredentials>, ZkSecurityError> {
    let sys_config = || props.zk_security_sys_config_string();
    let sasl_enabled = props
        .get(ZK_SASL_CLIENT)
        .is_none_or(|v| v.eq_ignore_ascii_case("true"));
    let context = props
        .get(ZK_LOGIN_CONTEXT_NAME_KEY)
        .unwrap_or(DEFAULT_ZK_LOGIN_CONTEXT_NAME);
    let Some(file) = props.get(JAVA_LOGIN_CONFIG_PARAM) else {
        return Ok(None);
    };
    // `-Djava.security.auth.login.config==path` (override form) and `file:` URLs name a file too.
    let file = file.strip_prefix('=').unwrap_or(file);
    let file = file.strip_prefix("file:").unwrap_or(file);
    let text = std::fs::read_to_string(file).map_err(|e| ZkSecurityError::LoadJaas {
        sys_config: sys_config(),
        reason: format!("{file}: {e}"),
    })?;
    let sections = parse_jaas_file(&text).map_err(|reason| ZkSecurityError::LoadJaas {
        sys_config: sys_config(),
        reason: format!("{file}: {reason}"),
    })?;
    let Some(entries) = sections.get(context) else {
        return Ok(None);
    };
    if !sasl_enabled {
        tracing::error!("JAAS configuration is present, but system property {ZK_SASL_CLIENT} is set to false, which disables SASL in the ZooKeeper client");
        return Err(ZkSecurityError::SaslDisabled {
            sys_config: sys_config(),
        });
    }
    let Some(entry) = entries
        .iter()
        .find(|e| e.login_module == DIGEST_LOGIN_MODULE)
    else {
        return Err(ZkSecurityError::UnsupportedLoginModule {
            context: context.to_string(),
            module: entries
                .first()
                .map(|e| e.login_module.clone())
                .unwrap_or_default(),
        });
    };
    let option = |name: &'static str| {
        entry
            .options
            .get(name)
            .cloned()
            .ok_or(ZkSecurityError::MissingOption {
                context: context.to_string(),
                option: name,
            })
    };
    Ok(Some(DigestCredentials {
        username: option("username")?,
        password: option("password")?,
    }))
}

/// The sections of a JAAS login configuration file: `Name { <entries> };` with `//` and
/// `/* */` comments. Kafka/Java: `sun.security.provider.ConfigFile` (a `StreamTokenizer`); the
/// entries use the same syntax as `sasl.jaas.config` (`security::sasl::jaas`).
pub fn parse_jaas_file(text: &str) -> Result<BTreeMap<String, Vec<jaas::JaasEntry>>, String> {
    let text = strip_comments(text);
    let mut sections = BTreeMap::new();
    let mut rest = text.as_str();
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            return Ok(sections);
        }
        let open = rest
            .find('{')
            .ok_or_else(|| format!("expected '{{' after '{}'", rest.trim()))?;
        let name = rest[..open].trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!("invalid login context name '{name}'"));
        }
        let body_start = open + 1;
        let close = find_unquoted(&rest[body_start..], '}')
            .ok_or_else(|| format!("login context '{name}' has no closing '}}'"))?
            + body_start;
        let entries = jaas::parse(&rest[body_start..close])
            .map_err(|e| format!("login context '{name}': {e}"))?;
        sections.insert(name.to_string(), entries);
        rest = rest[close + 1..].trim_start();
        rest = rest
            .strip_prefix(';')
            .ok_or_else(|| format!("login context '{name}' does not end with '}};'"))?;
    }
}

/// Index of the first `c` outside double quotes.
fn find_unquoted(s: &str, c: char) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, ch) in s.char_indices() {
        match ch {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            _ if ch == c && !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// Removes `// ...` and `/* ... */` comments outside double quotes.
fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                quoted = false;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                quoted = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    prev = n;
                }
                out.push(' ');
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(opts: &str) -> JvmSystemProperties {
        JvmSystemProperties::from_kafka_opts(opts)
    }

    fn jaas_file(text: &str) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), text).unwrap();
        f
    }

    const CLIENT_AND_SERVER: &str = r#"
        // Kafka's documented broker JAAS file (docs/security.html, "ZooKeeper authentication")
        KafkaServer {
            org.apache.kafka.common.security.plain.PlainLoginModule required
            username="admin" password="admin-secret" user_admin="admin-secret";
        };
        /* the ZooKeeper login */
        Client {
            org.apache.zookeeper.server.auth.DigestLoginModule required
            username="kafka"
            password="kafka-secret";
        };
    "#;

    /// `kafka-run-class.sh` word-splits `$KAFKA_OPTS`; only `-D` words are system properties.
    #[test]
    fn kafka_opts_system_properties() {
        let p = props("-Xmx1g -Djava.security.auth.login.config=/etc/k/jaas.conf -Dzookeeper.sasl.client=false -Dflag -Da=1 -Da=2");
        assert_eq!(p.get(JAVA_LOGIN_CONFIG_PARAM), Some("/etc/k/jaas.conf"));
        assert_eq!(p.get(ZK_SASL_CLIENT), Some("false"));
        assert_eq!(p.get("flag"), Some(""));
        assert_eq!(p.get("a"), Some("2"));
        assert_eq!(p.get("Xmx1g"), None);
    }

    /// Kafka: `JaasUtils.zkSecuritySysConfigString` — `null` and `default:` markers.
    #[test]
    fn sys_config_string_like_kafka() {
        assert_eq!(
            props("").zk_security_sys_config_string(),
            "[java.security.auth.login.config=null, zookeeper.sasl.client=default:true, zookeeper.sasl.clientconfig=default:Client]"
        );
        assert_eq!(
            props("-Djava.security.auth.login.config=/j -Dzookeeper.sasl.clientconfig=ZkC -Dzookeeper.sasl.client=true")
                .zk_security_sys_config_string(),
            "[java.security.auth.login.config=/j, zookeeper.sasl.client=true, zookeeper.sasl.clientconfig=ZkC]"
        );
    }

    /// Kafka: `KafkaServer.initZkClient` — `zookeeper.set.acl=true` without a JAAS client
    /// login is a `SecurityException` with this message; without set.acl it is fine.
    #[test]
    fn set_acl_requires_a_login() {
        let e = ZkClientSecurity::for_broker(&props(""), true).unwrap_err();
        assert_eq!(
            e.to_string(),
            "zookeeper.set.acl is true, but ZooKeeper client TLS configuration identifying at least zookeeper.ssl.client.enable, zookeeper.clientCnxnSocket, and zookeeper.ssl.keystore.location was not present and the verification of the JAAS login file failed [java.security.auth.login.config=null, zookeeper.sasl.client=default:true, zookeeper.sasl.clientconfig=default:Client]"
        );
        assert_eq!(
            ZkClientSecurity::for_broker(&props(""), false).unwrap(),
            ZkClientSecurity::open()
        );
        // A JAAS file without the client section does not authenticate either.
        let f = jaas_file("KafkaServer { a.B required; };");
        let p = props(&format!(
            "-D{JAVA_LOGIN_CONFIG_PARAM}={}",
            f.path().display()
        ));
        assert!(matches!(
            ZkClientSecurity::for_broker(&p, true),
            Err(ZkSecurityError::SecureAclsWithoutAuth { .. })
        ));
    }

    /// The `Client` section's DigestLoginModule is the login; another context name is honoured;
    /// `zookeeper.sasl.client=false` with the section present is Kafka's error.
    #[test]
    fn digest_login_from_client_section() {
        let f = jaas_file(CLIENT_AND_SERVER);
        let path = f.path().display().to_string();
        let s = ZkClientSecurity::for_broker(
            &props(&format!("-D{JAVA_LOGIN_CONFIG_PARAM}={path}")),
            true,
        )
        .unwrap();
        assert!(s.secure_acls);
        assert_eq!(
            s.sasl,
            Some(DigestCredentials {
                username: "kafka".into(),
                password: "kafka-secret".into()
            })
        );
        assert!(!format!("{s:?}").contains("kafka-secret"));
        let other = props(&format!(
            "-D{JAVA_LOGIN_CONFIG_PARAM}={path} -D{ZK_LOGIN_CONTEXT_NAME_KEY}=Other"
        ));
        assert_eq!(zk_sasl_credentials(&other).unwrap(), None);
        let disabled = props(&format!(
            "-D{JAVA_LOGIN_CONFIG_PARAM}={path} -D{ZK_SASL_CLIENT}=false"
        ));
        assert!(matches!(
            zk_sasl_credentials(&disabled),
            Err(ZkSecurityError::SaslDisabled { .. })
        ));
        let missing = props(&format!("-D{JAVA_LOGIN_CONFIG_PARAM}={path}.missing"));
        let e = zk_sasl_credentials(&missing).unwrap_err().to_string();
        assert!(e.starts_with("Exception while loading Zookeeper JAAS login context [java.security.auth.login.config="), "{e}");
    }

    /// Kerberos (or anything but DigestLoginModule) in the client section is refused.
    #[test]
    fn kerberos_login_is_refused() {
        let f = jaas_file(
            "Client { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab=\"/k\" principal=\"kafka/h@R\"; };",
        );
        let p = props(&format!(
            "-D{JAVA_LOGIN_CONFIG_PARAM}={}",
            f.path().display()
        ));
        assert!(matches!(
            zk_sasl_credentials(&p),
            Err(ZkSecurityError::UnsupportedLoginModule { .. })
        ));
    }

    /// Comments, quoted braces and malformed files.
    #[test]
    fn jaas_file_syntax() {
        let s = parse_jaas_file(
            "A { m.M required k=\"}{;//\"; }; /* B { x.X required; }; */ C{ n.N optional; };",
        )
        .unwrap();
        assert_eq!(s.keys().collect::<Vec<_>>(), vec!["A", "C"]);
        assert_eq!(s["A"][0].options["k"], "}{;//");
        assert!(parse_jaas_file("A { m.M required; }").is_err());
        assert!(parse_jaas_file("A m.M required; };").is_err());
        assert!(parse_jaas_file("A { m.M required;").is_err());
    }
}
