//! `zkafka configs` — the SCRAM credential shapes of Kafka's `kafka-configs.sh`
//! (Kafka: `kafka.admin.ConfigCommand`):
//!
//! ```text
//! zkafka configs --bootstrap-server H:P --alter --entity-type users --entity-name alice \
//!     --add-config 'SCRAM-SHA-256=[password=alice-secret],SCRAM-SHA-512=[iterations=8192,password=x]'
//! zkafka configs --bootstrap-server H:P --alter --entity-type users --entity-name alice --delete-config SCRAM-SHA-512
//! zkafka configs --bootstrap-server H:P --describe --entity-type users [--entity-name alice]
//! zkafka configs --zookeeper H:P[/chroot] --alter --entity-type users ...   (bootstrap before brokers run)
//! ```
//!
//! With `--bootstrap-server` the salted password is computed here and sent with
//! AlterUserScramCredentials (Kafka's AdminClient does the same: a random salt, `Hi(password,
//! salt, iterations)`); with `--zookeeper` the credential is written to `/config/users/<user>`
//! with a change notification, as Kafka 3.9's `--zookeeper` SCRAM bootstrap does.

use std::fmt::Write as _;

use bytes::Bytes;
use kafka_protocol::messages::alter_user_scram_credentials_request::{
    ScramCredentialDeletion, ScramCredentialUpsertion,
};
use kafka_protocol::messages::describe_user_scram_credentials_request::UserName;
use kafka_protocol::messages::{
    AlterUserScramCredentialsRequest, DescribeUserScramCredentialsRequest,
};
use kafka_protocol::protocol::StrBytes;

use crate::client::{ClientConfig, KafkaClient};
use crate::config::ZkConnect;
use crate::security::sasl::scram::{secure_random_string, ScramMechanism};
use crate::security::user_scram_store::{read_user_config, write_user_config};
use crate::zk::KafkaZkClient;

/// Kafka: `ConfigCommand.DefaultScramIterations`.
const DEFAULT_SCRAM_ITERATIONS: i32 = 4096;

/// Arguments of `zkafka configs`, named as `kafka-configs.sh`'s.
#[derive(clap::Args, Debug, Default)]
pub struct ConfigsArgs {
    /// The Kafka server(s) to connect to, `host:port[,host:port]`.
    #[arg(long = "bootstrap-server", value_name = "SERVERS")]
    pub bootstrap_server: Option<String>,
    /// ZooKeeper connection string (SCRAM credentials only), `host:port[/chroot]`.
    #[arg(long)]
    pub zookeeper: Option<String>,
    /// Alter the configuration of the entity.
    #[arg(long)]
    pub alter: bool,
    /// List the configuration of the entity.
    #[arg(long)]
    pub describe: bool,
    /// Entity type; only `users` is handled here.
    #[arg(long = "entity-type")]
    pub entity_type: Option<String>,
    /// Entity name (the user name).
    #[arg(long = "entity-name")]
    pub entity_name: Option<String>,
    /// Configs to add: `SCRAM-SHA-256=[password=...]`, `SCRAM-SHA-512=[iterations=N,password=...]`.
    #[arg(long = "add-config")]
    pub add_config: Option<String>,
    /// Configs to delete: `SCRAM-SHA-256,SCRAM-SHA-512`.
    #[arg(long = "delete-config")]
    pub delete_config: Option<String>,
}

/// One SCRAM upsertion from `--add-config`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ScramAdd {
    mechanism: ScramMechanism,
    iterations: i32,
    password: String,
}

/// Kafka: `ConfigCommand.parseConfigsToBeAdded` splits on commas outside `[...]`, and
/// `preProcessScramCredentials` reads `[iterations=N,password=P]`.
fn parse_add_config(s: &str) -> Result<Vec<ScramAdd>, String> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut cur = String::new();
    for c in s.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        parts.push(cur);
    }
    let mut out = Vec::new();
    for part in parts {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("Invalid config '{part}': expected key=value"))?;
        let mechanism = ScramMechanism::from_mechanism_name(k.trim()).ok_or_else(|| {
            format!("Only SCRAM-SHA-256 and SCRAM-SHA-512 user configs are supported, not '{k}'")
        })?;
        let inner = v
            .trim()
            .strip_prefix('[')
            .and_then(|x| x.strip_suffix(']'))
            .ok_or_else(|| format!("Invalid SCRAM config '{v}': expected [password=...]"))?;
        let mut iterations = DEFAULT_SCRAM_ITERATIONS;
        let mut password = None;
        for kv in inner.split(',') {
            match kv.split_once('=') {
                Some(("iterations", n)) => {
                    iterations = n
                        .trim()
                        .parse()
                        .map_err(|_| format!("Invalid iterations '{n}'"))?
                }
                Some(("password", p)) => password = Some(p.to_string()),
                _ => return Err(format!("Invalid SCRAM credential '{kv}'")),
            }
        }
        let password = password.ok_or_else(|| format!("{k}: password is required"))?;
        if iterations < mechanism.min_iterations() {
            return Err(format!(
                "Iterations {iterations} is less than the minimum {} required for {k}",
                mechanism.min_iterations()
            ));
        }
        out.push(ScramAdd {
            mechanism,
            iterations,
            password,
        });
    }
    Ok(out)
}

fn parse_delete_config(s: &str) -> Result<Vec<ScramMechanism>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|m| {
            ScramMechanism::from_mechanism_name(m)
                .ok_or_else(|| format!("Unknown SCRAM mechanism '{m}'"))
        })
        .collect()
}

/// Runs the command; returns the process exit code.
pub fn run(args: ConfigsArgs) -> i32 {
    let runtime = match crate::client::tool_runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(execute(&args)) {
        Ok(out) => {
            print!("{out}");
            0
        }
        Err(message) => {
            println!(
                "Error while executing config command with args '{}': {message}",
                std::env::args().skip(1).collect::<Vec<_>>().join(" ")
            );
            1
        }
    }
}

async fn execute(args: &ConfigsArgs) -> Result<String, String> {
    if args.entity_type.as_deref() != Some("users") {
        return Err("only --entity-type users (SCRAM credentials) is supported".into());
    }
    if args.alter == args.describe {
        return Err("Command must include exactly one action: --describe, --alter".into());
    }
    let adds = args
        .add_config
        .as_deref()
        .map(parse_add_config)
        .transpose()?
        .unwrap_or_default();
    let deletes = args
        .delete_config
        .as_deref()
        .map(parse_delete_config)
        .transpose()?
        .unwrap_or_default();
    if let Some(zk) = &args.zookeeper {
        return via_zookeeper(args, zk, &adds, &deletes).await;
    }
    let bootstrap = args.bootstrap_server.as_deref().ok_or(
        "One of the required --bootstrap-server or --zookeeper arguments must be specified",
    )?;
    let client = KafkaClient::connect(ClientConfig::new(bootstrap))
        .await
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    if args.alter {
        let user = args
            .entity_name
            .clone()
            .ok_or("--entity-name is required with --alter")?;
        let req = AlterUserScramCredentialsRequest::default()
            .with_deletions(
                deletes
                    .iter()
                    .map(|m| {
                        ScramCredentialDeletion::default()
                            .with_name(StrBytes::from_string(user.clone()))
                            .with_mechanism(m.wire_type())
                    })
                    .collect(),
            )
            .with_upsertions(
                adds.iter()
                    .map(|a| {
                        let salt = secure_random_string().into_bytes();
                        let salted = a.mechanism.salted_password(
                            a.password.as_bytes(),
                            &salt,
                            a.iterations as u32,
                        );
                        ScramCredentialUpsertion::default()
                            .with_name(StrBytes::from_string(user.clone()))
                            .with_mechanism(a.mechanism.wire_type())
                            .with_iterations(a.iterations)
                            .with_salt(Bytes::from(salt))
                            .with_salted_password(Bytes::from(salted))
                    })
                    .collect(),
            );
        let conn = client
            .controller_connection()
            .await
            .map_err(|e| e.to_string())?;
        let resp = client
            .send_on(&conn, &req, 0)
            .await
            .map_err(|e| e.to_string())?;
        for r in resp.results {
            if r.error_code != 0 {
                return Err(format!(
                    "{}: {}",
                    crate::client::error::error_name(r.error_code),
                    r.error_message.map(|m| m.to_string()).unwrap_or_default()
                ));
            }
        }
        let _ = writeln!(out, "Completed updating config for user {user}.");
    } else {
        let req = DescribeUserScramCredentialsRequest::default().with_users(
            args.entity_name
                .as_ref()
                .map(|u| vec![UserName::default().with_name(StrBytes::from_string(u.clone()))]),
        );
        let conn = client.any_connection().await.map_err(|e| e.to_string())?;
        let resp = client
            .send_on(&conn, &req, 0)
            .await
            .map_err(|e| e.to_string())?;
        if resp.error_code != 0 {
            return Err(crate::client::error::error_name(resp.error_code));
        }
        for r in resp.results {
            if r.error_code != 0 {
                continue;
            }
            let creds: Vec<String> = r
                .credential_infos
                .iter()
                .filter_map(|c| {
                    ScramMechanism::from_wire_type(c.mechanism)
                        .map(|m| format!("{}=iterations={}", m.mechanism_name(), c.iterations))
                })
                .collect();
            let _ = writeln!(
                out,
                "SCRAM credential configs for user-principal '{}' are {}",
                r.user,
                creds.join(", ")
            );
        }
    }
    Ok(out)
}

/// Kafka 3.9 `ConfigCommand --zookeeper` (SCRAM bootstrap): writes the credential znode directly.
async fn via_zookeeper(
    args: &ConfigsArgs,
    zk_connect: &str,
    adds: &[ScramAdd],
    deletes: &[ScramMechanism],
) -> Result<String, String> {
    let connect = ZkConnect::parse(zk_connect).map_err(|e| e.to_string())?;
    // Kafka: ConfigCommand passes `isSecure = JaasUtils.isZkSaslEnabled` (JAAS via KAFKA_OPTS).
    let security = crate::zk::zk_security::ZkClientSecurity::for_admin_tool(
        &crate::zk::zk_security::JvmSystemProperties::from_env(),
    )
    .map_err(|e| e.to_string())?;
    let zk = KafkaZkClient::connect(connect, 18_000, 18_000, 10, security)
        .await
        .map_err(|e| e.to_string())?;
    let user = args
        .entity_name
        .clone()
        .ok_or("--entity-name is required with --zookeeper")?;
    let mut config = read_user_config(&zk, &user)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    if args.alter {
        for a in adds {
            let salt = secure_random_string().into_bytes();
            let v = a
                .mechanism
                .credential(&a.password, &salt, a.iterations)
                .to_config_string();
            match config
                .iter_mut()
                .find(|(k, _)| k == a.mechanism.mechanism_name())
            {
                Some(e) => e.1 = v,
                None => config.push((a.mechanism.mechanism_name().to_string(), v)),
            }
        }
        config.retain(|(k, _)| !deletes.iter().any(|m| m.mechanism_name() == k));
        write_user_config(&zk, &user, &config, false)
            .await
            .map_err(|e| e.to_string())?;
        let _ = writeln!(
            out,
            "Completed updating config for entity: user-principal '{user}'."
        );
    } else {
        let shown: Vec<String> = config
            .iter()
            .map(|(k, v)| {
                if ScramMechanism::from_mechanism_name(k).is_some() {
                    let iterations = v.rsplit("iterations=").next().unwrap_or("");
                    format!("{k}=iterations={iterations}")
                } else {
                    format!("{k}={v}")
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "Configs for user-principal '{user}' are {}",
            shown.join(",")
        );
    }
    zk.close().await;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka `ConfigCommand.parseConfigsToBeAdded`: commas inside `[...]` do not split, and
    /// iterations default to 4096 (`DefaultScramIterations`), with 4096 the minimum.
    #[test]
    fn parses_scram_add_config() {
        let v = parse_add_config(
            "SCRAM-SHA-256=[password=a,b],SCRAM-SHA-512=[iterations=8192,password=x]",
        );
        // "a,b" is not a key=value pair inside the brackets, so the first is refused.
        assert!(v.is_err());
        let v = parse_add_config(
            "SCRAM-SHA-256=[password=secret],SCRAM-SHA-512=[iterations=8192,password=x]",
        )
        .unwrap();
        assert_eq!(
            v[0],
            ScramAdd {
                mechanism: ScramMechanism::Sha256,
                iterations: 4096,
                password: "secret".into()
            }
        );
        assert_eq!(v[1].iterations, 8192);
        assert!(parse_add_config("SCRAM-SHA-256=[iterations=100,password=x]").is_err());
        assert!(parse_add_config("consumer_byte_rate=100").is_err());
        assert_eq!(
            parse_delete_config("SCRAM-SHA-512").unwrap(),
            vec![ScramMechanism::Sha512]
        );
    }
}
