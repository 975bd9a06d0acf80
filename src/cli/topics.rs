//! `zkafka topics` — the shapes of Kafka's `kafka-topics.sh` (Kafka: `TopicCommand`), over
//! `--bootstrap-server` only: `--create`, `--list`, `--describe`, `--delete`,
//! `--alter --partitions`.

use std::fmt::Write as _;

use crate::client::admin::{Admin, NewTopic};
use crate::client::metadata::TopicInfo;
use crate::client::{ClientConfig, ClientError, KafkaClient};

/// Arguments of `zkafka topics`, named as `kafka-topics.sh`'s.
#[derive(clap::Args, Debug, Default)]
pub struct TopicsArgs {
    /// REQUIRED: the Kafka server(s) to connect to, `host:port[,host:port]`.
    #[arg(long = "bootstrap-server", value_name = "SERVERS")]
    pub bootstrap_server: String,
    /// Create a new topic.
    #[arg(long)]
    pub create: bool,
    /// List all available topics.
    #[arg(long)]
    pub list: bool,
    /// List details for the given topics (all when no --topic).
    #[arg(long)]
    pub describe: bool,
    /// Delete a topic.
    #[arg(long)]
    pub delete: bool,
    /// Alter the number of partitions of a topic.
    #[arg(long)]
    pub alter: bool,
    /// The topic to create, alter, describe or delete.
    #[arg(long)]
    pub topic: Option<String>,
    /// The number of partitions for the topic being created or altered.
    #[arg(long)]
    pub partitions: Option<i32>,
    /// The replication factor for each partition in the topic being created.
    #[arg(long = "replication-factor")]
    pub replication_factor: Option<i16>,
    /// A topic configuration override, `name=value` (repeatable).
    #[arg(long = "config", value_name = "NAME=VALUE")]
    pub config: Vec<String>,
    /// Manual partition-to-broker assignment: `p0r0:p0r1,p1r0:p1r1,...`.
    #[arg(long = "replica-assignment", value_name = "ASSIGNMENT")]
    pub replica_assignment: Option<String>,
    /// With --create: do nothing if the topic already exists.
    #[arg(long = "if-not-exists")]
    pub if_not_exists: bool,
    /// With --alter, --describe or --delete: do nothing if the topic does not exist.
    #[arg(long = "if-exists")]
    pub if_exists: bool,
    /// Leave internal topics out of --list and --describe.
    #[arg(long = "exclude-internal")]
    pub exclude_internal: bool,
    /// With --describe: only partitions whose ISR is smaller than their replica set.
    #[arg(long = "under-replicated-partitions")]
    pub under_replicated_partitions: bool,
    /// With --describe: only partitions without a live leader.
    #[arg(long = "unavailable-partitions")]
    pub unavailable_partitions: bool,
}

/// Kafka's `TopicCommand` prints this prefix before the error message and exits with 1.
const ERROR_PREFIX: &str = "Error while executing topic command : ";

/// Runs the command; returns the process exit code.
pub fn run(args: TopicsArgs) -> i32 {
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
            println!("{ERROR_PREFIX}{message}");
            1
        }
    }
}

/// Parses `--replica-assignment`: partitions separated by `,`, broker ids by `:`
/// (Kafka: `TopicCommand.parseReplicaAssignment`), rejecting a broker repeated in a partition.
pub fn parse_replica_assignment(text: &str) -> Result<Vec<Vec<i32>>, String> {
    let mut out = Vec::new();
    for (i, part) in text.split(',').enumerate() {
        let mut brokers = Vec::new();
        for b in part.split(':') {
            let id = b.trim().parse::<i32>().map_err(|_| {
                format!("Invalid replica assignment: '{b}' in '{text}' is not a broker id")
            })?;
            if brokers.contains(&id) {
                return Err(format!(
                    "Partition replica lists may not contain duplicate entries: {id}"
                ));
            }
            brokers.push(id);
        }
        if i > 0 && brokers.len() != out.first().map_or(0, |f: &Vec<i32>| f.len()) {
            return Err(format!(
                "Partition {i} has different replication factor: {}",
                brokers
                    .iter()
                    .map(|b| b.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
        }
        out.push(brokers);
    }
    Ok(out)
}

/// Parses `name=value` config overrides.
pub fn parse_configs(items: &[String]) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
            _ => Err(format!("Invalid topic config: all configs to be added must be in the format \"key=val\" but got '{kv}'")),
        })
        .collect()
}

fn validate(args: &TopicsArgs) -> Result<(), String> {
    let actions = [
        args.create,
        args.list,
        args.describe,
        args.delete,
        args.alter,
    ]
    .iter()
    .filter(|a| **a)
    .count();
    if actions != 1 {
        return Err("Command must include exactly one action: --list, --describe, --create, --alter or --delete".into());
    }
    if (args.create || args.delete || args.alter) && args.topic.is_none() {
        return Err("Missing required argument \"[topic]\"".into());
    }
    if args.replica_assignment.is_some()
        && (args.partitions.is_some() || args.replication_factor.is_some())
        && args.create
    {
        return Err("Option \"[replica-assignment]\" can't be used with option \"[partitions],[replication-factor]\"".into());
    }
    if args.alter && args.partitions.is_none() && args.replica_assignment.is_none() {
        return Err("--partitions is required with --alter (zkafka does not alter configs; use the configs tool)".into());
    }
    Ok(())
}

async fn execute(args: &TopicsArgs) -> Result<String, String> {
    validate(args)?;
    let client = KafkaClient::connect(ClientConfig::new(&args.bootstrap_server))
        .await
        .map_err(|e| e.to_string())?;
    let admin = Admin::new(&client);
    let topic = args.topic.clone().unwrap_or_default();
    if args.create {
        let new_topic = NewTopic {
            name: topic.clone(),
            partitions: args.partitions.unwrap_or(-1),
            replication_factor: args.replication_factor.unwrap_or(-1),
            replica_assignment: match &args.replica_assignment {
                Some(a) => parse_replica_assignment(a)?,
                None => Vec::new(),
            },
            configs: parse_configs(&args.config)?,
        };
        return match admin.create_topic(&new_topic, false).await {
            Ok(()) => Ok(format!("Created topic {topic}.\n")),
            // TOPIC_ALREADY_EXISTS with --if-not-exists is silent, as in Kafka.
            Err(e) if args.if_not_exists && e.kafka_code() == Some(36) => Ok(String::new()),
            Err(e) => Err(e.to_string()),
        };
    }
    if args.list {
        let topics = admin.list_topics().await.map_err(|e| e.to_string())?;
        let mut out = String::new();
        for t in topics
            .iter()
            .filter(|t| !(args.exclude_internal && t.is_internal))
        {
            let _ = writeln!(out, "{}", t.name);
        }
        return Ok(out);
    }
    if args.delete {
        return match admin.delete_topic(&topic).await {
            // Kafka's delete prints nothing on success.
            Ok(()) => Ok(String::new()),
            Err(e) if e.kafka_code() == Some(3) => {
                if args.if_exists {
                    Ok(String::new())
                } else {
                    Err(format!("Topic '{topic}' does not exist as expected"))
                }
            }
            Err(e) => Err(e.to_string()),
        };
    }
    if args.alter {
        let existing = admin
            .describe_topics(Some(std::slice::from_ref(&topic)))
            .await
            .map_err(|e| e.to_string())?;
        let current = existing
            .iter()
            .find(|t| t.name == topic && t.error_code == 0)
            .map(|t| t.partitions.len());
        let Some(current) = current else {
            return if args.if_exists {
                Ok(String::new())
            } else {
                Err(format!("Topic '{topic}' does not exist as expected"))
            };
        };
        let assignment = match &args.replica_assignment {
            // Kafka: the assignment lists every partition; only the new ones are sent.
            Some(a) => Some(
                parse_replica_assignment(a)?
                    .into_iter()
                    .skip(current)
                    .collect(),
            ),
            None => None,
        };
        let count = args.partitions.unwrap_or(current as i32);
        admin
            .create_partitions(&topic, count, assignment)
            .await
            .map_err(|e| e.to_string())?;
        return Ok(String::new());
    }
    // --describe
    let names = args.topic.as_ref().map(|t| vec![t.clone()]);
    let topics = admin
        .describe_topics(names.as_deref())
        .await
        .map_err(|e| e.to_string())?;
    let topics: Vec<TopicInfo> = topics
        .into_iter()
        .filter(|t| t.error_code == 0 && !(args.exclude_internal && t.is_internal))
        .collect();
    if topics.is_empty() && args.topic.is_some() {
        return if args.if_exists {
            Ok(String::new())
        } else {
            Err(format!("Topic '{topic}' does not exist as expected"))
        };
    }
    let names: Vec<String> = topics.iter().map(|t| t.name.clone()).collect();
    let configs = match admin.topic_config_overrides(&names).await {
        Ok(c) => c,
        Err(ClientError::UnsupportedVersion { .. }) => Default::default(),
        Err(e) => return Err(e.to_string()),
    };
    let live: Vec<i32> = client.metadata().brokers.keys().copied().collect();
    let partition_filter = args.under_replicated_partitions || args.unavailable_partitions;
    let mut out = String::new();
    for t in &topics {
        let overrides = configs.get(&t.name).cloned().unwrap_or_default();
        if !partition_filter {
            out.push_str(&describe_topic_line(t, &overrides));
        }
        for p in &t.partitions {
            let under = p.isr.len() < p.replicas.len();
            let unavailable = p.leader < 0 || !live.contains(&p.leader);
            if (args.under_replicated_partitions && !under)
                || (args.unavailable_partitions && !unavailable)
            {
                continue;
            }
            out.push_str(&describe_partition_line(&t.name, p));
        }
    }
    Ok(out)
}

/// The topic line of `--describe` (Kafka 3.9: `TopicCommand.TopicDescription.printDescription`).
pub fn describe_topic_line(t: &TopicInfo, configs: &[(String, Option<String>)]) -> String {
    let rf = t.partitions.first().map_or(0, |p| p.replicas.len());
    let configs = configs
        .iter()
        .map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("null")))
        .collect::<Vec<_>>()
        .join(",");
    format!(
        "Topic: {}\tTopicId: {}\tPartitionCount: {}\tReplicationFactor: {}\tConfigs: {}\n",
        t.name,
        t.topic_id_string(),
        t.partitions.len(),
        rf,
        configs
    )
}

/// A partition line of `--describe` (Kafka 3.9: `TopicCommand.PartitionDescription`). ZooKeeper
/// mode has no ELR, so Kafka prints `Elr: N/A\tLastKnownElr: N/A`.
pub fn describe_partition_line(topic: &str, p: &crate::client::metadata::PartitionInfo) -> String {
    let join = |v: &[i32]| {
        v.iter()
            .map(|b| b.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let leader = if p.leader >= 0 {
        p.leader.to_string()
    } else {
        "none".to_string()
    };
    format!(
        "\tTopic: {topic}\tPartition: {}\tLeader: {leader}\tReplicas: {}\tIsr: {}\tElr: N/A\tLastKnownElr: N/A\n",
        p.partition,
        join(&p.replicas),
        join(&p.isr)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::metadata::PartitionInfo;

    /// `--replica-assignment 1:2,2:3` means partition 0 on brokers 1,2 and partition 1 on 2,3
    /// (Kafka: `TopicCommand.parseReplicaAssignment`); duplicates and mixed RFs are refused.
    #[test]
    fn replica_assignment_parses_like_kafka() {
        assert_eq!(
            parse_replica_assignment("1:2,2:3").unwrap(),
            vec![vec![1, 2], vec![2, 3]]
        );
        assert_eq!(parse_replica_assignment("1").unwrap(), vec![vec![1]]);
        assert!(parse_replica_assignment("1:1").is_err());
        assert!(parse_replica_assignment("1:2,3").is_err());
        assert!(parse_replica_assignment("a:2").is_err());
    }

    /// `--config k=v` must contain '='; the value may contain '='.
    #[test]
    fn configs_parse_as_key_value() {
        assert_eq!(
            parse_configs(&["retention.ms=1000".into(), "x=a=b".into()]).unwrap(),
            vec![
                ("retention.ms".into(), "1000".into()),
                ("x".into(), "a=b".into())
            ]
        );
        assert!(parse_configs(&["novalue".into()]).is_err());
    }

    /// The exact lines Kafka 3.9.1's `kafka-topics.sh --describe` printed on the reference
    /// broker (see docs/cli.md), rebuilt from the same metadata.
    #[test]
    fn describe_lines_match_kafka_3_9() {
        let mut id = [0u8; 16];
        id.copy_from_slice(&base64_decode("AOZhYSfyQNqDcfGpvQmlxw"));
        let t = TopicInfo {
            name: "clref1".into(),
            error_code: 0,
            topic_id: id,
            is_internal: false,
            partitions: (0..3)
                .map(|p| PartitionInfo {
                    partition: p,
                    error_code: 0,
                    leader: 1,
                    leader_epoch: 0,
                    replicas: vec![1],
                    isr: vec![1],
                    offline_replicas: vec![],
                })
                .collect(),
        };
        let configs = vec![
            ("cleanup.policy".to_string(), Some("compact".to_string())),
            ("retention.ms".to_string(), Some("1000000".to_string())),
        ];
        assert_eq!(
            describe_topic_line(&t, &configs),
            "Topic: clref1\tTopicId: AOZhYSfyQNqDcfGpvQmlxw\tPartitionCount: 3\tReplicationFactor: 1\tConfigs: cleanup.policy=compact,retention.ms=1000000\n"
        );
        assert_eq!(
            describe_partition_line("clref1", &t.partitions[0]),
            "\tTopic: clref1\tPartition: 0\tLeader: 1\tReplicas: 1\tIsr: 1\tElr: N/A\tLastKnownElr: N/A\n"
        );
        let mut leaderless = t.partitions[1].clone();
        leaderless.leader = -1;
        leaderless.replicas = vec![1, 2, 3];
        leaderless.isr = vec![];
        assert_eq!(
            describe_partition_line("clref1", &leaderless),
            "\tTopic: clref1\tPartition: 1\tLeader: none\tReplicas: 1,2,3\tIsr: \tElr: N/A\tLastKnownElr: N/A\n"
        );
    }

    fn base64_decode(s: &str) -> Vec<u8> {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(s)
            .unwrap()
    }

    /// Exactly one action is required, and --create needs --topic (Kafka: `TopicCommandOptions.checkArgs`).
    #[test]
    fn actions_are_validated() {
        let mut a = TopicsArgs {
            bootstrap_server: "x:1".into(),
            ..Default::default()
        };
        assert!(validate(&a).is_err());
        a.create = true;
        assert!(validate(&a).is_err(), "create without topic");
        a.topic = Some("t".into());
        assert!(validate(&a).is_ok());
        a.list = true;
        assert!(validate(&a).is_err(), "two actions");
    }
}
