//! `zkafka groups` — the shapes of Kafka's `kafka-consumer-groups.sh` (Kafka:
//! `ConsumerGroupCommand`): `--list`, `--describe` (committed offset, log end offset and lag per
//! partition, with the owning member), `--delete`, and `--reset-offsets` with
//! `--to-earliest` / `--to-latest` / `--to-offset` / `--shift-by` under `--dry-run` or `--execute`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Buf, Bytes};
use kafka_protocol::messages::{
    describe_groups_response::DescribedGroup, offset_commit_request, offset_fetch_request,
    DeleteGroupsRequest, DescribeGroupsRequest, FindCoordinatorRequest, GroupId, ListGroupsRequest,
    OffsetCommitRequest, OffsetFetchRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use crate::client::connection::BrokerConnection;
use crate::client::fetcher::{FetchConfig, Fetcher, OffsetSpec};
use crate::client::{ClientConfig, ClientError, KafkaClient};
use crate::protocol::errors::ResponseError;

/// Arguments of `zkafka groups`, named as `kafka-consumer-groups.sh`'s.
#[derive(clap::Args, Debug, Default)]
pub struct GroupsArgs {
    /// REQUIRED: the Kafka server(s) to connect to, `host:port[,host:port]`.
    #[arg(long = "bootstrap-server", value_name = "SERVERS")]
    pub bootstrap_server: String,
    /// List all consumer groups.
    #[arg(long)]
    pub list: bool,
    /// Describe a consumer group: offsets, log end offsets and lag per partition.
    #[arg(long)]
    pub describe: bool,
    /// Delete a consumer group (only when it has no active members).
    #[arg(long)]
    pub delete: bool,
    /// Reset the committed offsets of an inactive group.
    #[arg(long = "reset-offsets")]
    pub reset_offsets: bool,
    /// The consumer group.
    #[arg(long)]
    pub group: Option<String>,
    /// With --reset-offsets: the topic (`topic` or `topic:p0,p1`).
    #[arg(long)]
    pub topic: Option<String>,
    /// With --reset-offsets: every topic the group has offsets for.
    #[arg(long = "all-topics")]
    pub all_topics: bool,
    #[arg(long = "to-earliest")]
    pub to_earliest: bool,
    #[arg(long = "to-latest")]
    pub to_latest: bool,
    #[arg(long = "to-offset", value_name = "OFFSET")]
    pub to_offset: Option<i64>,
    #[arg(long = "shift-by", value_name = "N", allow_hyphen_values = true)]
    pub shift_by: Option<i64>,
    /// Only show the new offsets (the default).
    #[arg(long = "dry-run")]
    pub dry_run: bool,
    /// Commit the new offsets.
    #[arg(long)]
    pub execute: bool,
}

/// Kafka's `ConsumerGroupCommand` prints errors after this prefix and exits with 1.
const ERROR_PREFIX: &str = "Error: ";
/// How long to retry COORDINATOR_NOT_AVAILABLE / COORDINATOR_LOAD_IN_PROGRESS (Kafka's admin
/// client retries until `default.api.timeout.ms`, 60000).
const COORDINATOR_WAIT_MS: u64 = 60_000;

/// Runs the command; returns the process exit code.
pub fn run(args: GroupsArgs) -> i32 {
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

async fn execute(args: &GroupsArgs) -> Result<String, String> {
    let actions = [args.list, args.describe, args.delete, args.reset_offsets];
    if actions.iter().filter(|a| **a).count() != 1 {
        return Err(
            "Command must include exactly one action: --list, --describe, --delete, --reset-offsets"
                .into(),
        );
    }
    let client = KafkaClient::connect(ClientConfig::new(&args.bootstrap_server))
        .await
        .map_err(|e| e.to_string())?;
    if args.list {
        return list(&client).await.map_err(|e| e.to_string());
    }
    let group = args
        .group
        .clone()
        .ok_or("Option [group] is required with this action")?;
    let tool = GroupTool {
        client,
        group: group.clone(),
    };
    if args.describe {
        tool.describe().await.map_err(|e| e.to_string())
    } else if args.delete {
        tool.delete().await
    } else {
        tool.reset(args).await
    }
}

/// ListGroups on every broker. Kafka: `ConsumerGroupCommand.listConsumerGroups`.
async fn list(client: &Arc<KafkaClient>) -> Result<String, ClientError> {
    let md = client.refresh_metadata(Some(&[]), false).await?;
    let mut groups = Vec::new();
    for id in md.brokers.keys() {
        let conn = client.broker_connection(*id).await?;
        let resp = client
            .send_on(&conn, &ListGroupsRequest::default(), 4)
            .await?;
        groups.extend(resp.groups.iter().map(|g| g.group_id.to_string()));
    }
    groups.sort();
    Ok(groups.into_iter().map(|g| g + "\n").collect())
}

struct GroupTool {
    client: Arc<KafkaClient>,
    group: String,
}

/// One row of `--describe`.
struct Row {
    topic: String,
    partition: i32,
    committed: Option<i64>,
    log_end: Option<i64>,
    owner: Option<(String, String, String)>,
}

impl GroupTool {
    /// FindCoordinator, retried while the coordinator is unavailable or loading.
    async fn coordinator(&self) -> Result<Arc<BrokerConnection>, ClientError> {
        let deadline = tokio::time::Instant::now() + Duration::from_millis(COORDINATOR_WAIT_MS);
        loop {
            let conn = self.client.any_connection().await?;
            let version = conn.version_for::<FindCoordinatorRequest>(4)?;
            let key = StrBytes::from_string(self.group.clone());
            let mut req = FindCoordinatorRequest::default();
            if version >= 4 {
                req.coordinator_keys = vec![key];
            } else {
                req.key = key;
            }
            let resp = self.client.send_on(&conn, &req, 4).await?;
            let (code, host, port) = match resp.coordinators.first() {
                Some(c) => (c.error_code, c.host.to_string(), c.port),
                None => (resp.error_code, resp.host.to_string(), resp.port),
            };
            if code == 0 {
                return self.client.connection(&format!("{host}:{port}")).await;
            }
            let retriable = code == ResponseError::CoordinatorNotAvailable.code()
                || code == ResponseError::CoordinatorLoadInProgress.code()
                || code == ResponseError::NotCoordinator.code();
            if !retriable || tokio::time::Instant::now() >= deadline {
                return Err(
                    ClientError::from_code(code, None, "FindCoordinator").expect("non-zero code")
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    async fn describe_group(&self, conn: &BrokerConnection) -> Result<DescribedGroup, ClientError> {
        let req = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_string(self.group.clone()))]);
        let resp = self.client.send_on(conn, &req, 5).await?;
        let g = resp.groups.into_iter().next().unwrap_or_default();
        if let Some(e) = ClientError::from_code(g.error_code, None, "DescribeGroups") {
            return Err(e);
        }
        Ok(g)
    }

    /// Committed offsets of every partition the group has committed. Kafka: `listConsumerGroupOffsets`.
    async fn committed(
        &self,
        conn: &BrokerConnection,
    ) -> Result<BTreeMap<(String, i32), i64>, ClientError> {
        let version = conn.version_for::<OffsetFetchRequest>(7)?;
        let mut req = OffsetFetchRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(self.group.clone())));
        // v2+: a null topic list fetches every committed partition (v0-1 cannot express it).
        req.topics = if version < 2 {
            Some(Vec::<offset_fetch_request::OffsetFetchRequestTopic>::new())
        } else {
            None
        };
        let resp = self.client.send_on(conn, &req, 7).await?;
        if let Some(e) = ClientError::from_code(resp.error_code, None, "OffsetFetch") {
            return Err(e);
        }
        let mut out = BTreeMap::new();
        for t in &resp.topics {
            for p in &t.partitions {
                if p.error_code == 0 && p.committed_offset >= 0 {
                    out.insert((t.name.to_string(), p.partition_index), p.committed_offset);
                }
            }
        }
        Ok(out)
    }

    async fn log_end_offsets(
        &self,
        topic: &str,
        partitions: &[i32],
        spec: OffsetSpec,
    ) -> Result<BTreeMap<i32, i64>, ClientError> {
        Fetcher::new(self.client.clone(), FetchConfig::default())
            .list_offsets(topic, partitions, spec)
            .await
    }

    /// Kafka: `ConsumerGroupCommand.describeGroups` (the default `--offsets` view).
    async fn describe(&self) -> Result<String, ClientError> {
        let conn = self.coordinator().await?;
        let g = self.describe_group(&conn).await?;
        let committed = self.committed(&conn).await?;
        let mut owners: BTreeMap<(String, i32), (String, String, String)> = BTreeMap::new();
        for m in &g.members {
            for (topic, parts) in parse_assignment(&m.member_assignment) {
                for p in parts {
                    owners.insert(
                        (topic.clone(), p),
                        (
                            m.member_id.to_string(),
                            m.client_host.to_string(),
                            m.client_id.to_string(),
                        ),
                    );
                }
            }
        }
        let mut keys: Vec<(String, i32)> = committed.keys().cloned().collect();
        keys.extend(owners.keys().cloned());
        keys.sort();
        keys.dedup();
        let mut by_topic: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        for (t, p) in &keys {
            by_topic.entry(t.clone()).or_default().push(*p);
        }
        let mut ends = BTreeMap::new();
        for (t, ps) in &by_topic {
            for (p, o) in self.log_end_offsets(t, ps, OffsetSpec::Latest).await? {
                ends.insert((t.clone(), p), o);
            }
        }
        let rows: Vec<Row> = keys
            .into_iter()
            .map(|k| Row {
                committed: committed.get(&k).copied(),
                log_end: ends.get(&k).copied(),
                owner: owners.get(&k).cloned(),
                topic: k.0,
                partition: k.1,
            })
            .collect();
        let mut out = String::new();
        if g.group_state.as_str() == "Dead" {
            let _ = writeln!(out, "Consumer group '{}' does not exist.", self.group);
            return Ok(out);
        }
        if g.members.is_empty() {
            let _ = writeln!(
                out,
                "\nConsumer group '{}' has no active members.",
                self.group
            );
        }
        out.push_str(&format_describe(&self.group, &rows));
        Ok(out)
    }

    /// Kafka: `ConsumerGroupCommand.deleteGroups`.
    async fn delete(&self) -> Result<String, String> {
        let conn = self.coordinator().await.map_err(|e| e.to_string())?;
        let req = DeleteGroupsRequest::default()
            .with_groups_names(vec![GroupId(StrBytes::from_string(self.group.clone()))]);
        let resp = self
            .client
            .send_on(&conn, &req, 2)
            .await
            .map_err(|e| e.to_string())?;
        let code = resp.results.first().map_or(0, |r| r.error_code);
        if code == 0 {
            Ok(format!(
                "Deletion of requested consumer groups ('{}') was successful.\n",
                self.group
            ))
        } else {
            let name = crate::client::error::error_name(code);
            Err(format!(
                "Deletion of some consumer groups failed:\n* Group '{}' could not be deleted due to: {name}",
                self.group
            ))
        }
    }

    /// Kafka: `ConsumerGroupCommand.resetOffsets` (only for an inactive group).
    async fn reset(&self, args: &GroupsArgs) -> Result<String, String> {
        let specs = [
            args.to_earliest,
            args.to_latest,
            args.to_offset.is_some(),
            args.shift_by.is_some(),
        ];
        if specs.iter().filter(|s| **s).count() != 1 {
            return Err("Option [reset-offsets] takes exactly one of these options: --to-earliest, --to-latest, --to-offset, --shift-by".into());
        }
        if args.topic.is_none() && !args.all_topics {
            return Err(
                "Option [reset-offsets] takes one of these options: --all-topics, --topic".into(),
            );
        }
        let err = |e: ClientError| e.to_string();
        let conn = self.coordinator().await.map_err(err)?;
        let g = self.describe_group(&conn).await.map_err(err)?;
        let state = g.group_state.to_string();
        if state != "Empty" && state != "Dead" {
            return Err(format!(
                "Assignments can only be reset if the group '{}' is inactive, but the current state is {state}.",
                self.group
            ));
        }
        let committed = self.committed(&conn).await.map_err(err)?;
        let mut targets: BTreeMap<String, Vec<i32>> = BTreeMap::new();
        match &args.topic {
            Some(spec) => {
                let (topic, parts) = match spec.split_once(':') {
                    Some((t, ps)) => (
                        t.to_string(),
                        ps.split(',')
                            .map(|p| {
                                p.trim()
                                    .parse::<i32>()
                                    .map_err(|_| format!("Invalid partition '{p}'"))
                            })
                            .collect::<Result<Vec<_>, _>>()?,
                    ),
                    None => {
                        let md = self
                            .client
                            .wait_for_leaders(std::slice::from_ref(spec), false, 30_000)
                            .await
                            .map_err(err)?;
                        let parts = md
                            .topics
                            .get(spec)
                            .map(|t| t.partitions.iter().map(|p| p.partition).collect())
                            .unwrap_or_default();
                        (spec.clone(), parts)
                    }
                };
                targets.insert(topic, parts);
            }
            None => {
                for (t, p) in committed.keys() {
                    targets.entry(t.clone()).or_default().push(*p);
                }
            }
        }
        let mut new_offsets: Vec<(String, i32, i64)> = Vec::new();
        for (topic, parts) in &targets {
            let earliest = self
                .log_end_offsets(topic, parts, OffsetSpec::Earliest)
                .await
                .map_err(err)?;
            let latest = self
                .log_end_offsets(topic, parts, OffsetSpec::Latest)
                .await
                .map_err(err)?;
            for p in parts {
                let (lo, hi) = (
                    earliest.get(p).copied().unwrap_or(0),
                    latest.get(p).copied().unwrap_or(0),
                );
                let wanted = if args.to_earliest {
                    lo
                } else if args.to_latest {
                    hi
                } else if let Some(o) = args.to_offset {
                    o
                } else {
                    let current = committed.get(&(topic.clone(), *p)).copied().unwrap_or(lo);
                    current + args.shift_by.unwrap_or(0)
                };
                // Kafka `checkOffsetRange`: out-of-range targets are clamped to the log's range.
                new_offsets.push((topic.clone(), *p, wanted.clamp(lo, hi)));
            }
        }
        if args.execute {
            self.commit(&conn, &new_offsets).await?;
        }
        Ok(format_reset(&self.group, &new_offsets))
    }

    /// OffsetCommit as a simple (non-member) consumer: generation -1, no member id.
    async fn commit(
        &self,
        conn: &BrokerConnection,
        offsets: &[(String, i32, i64)],
    ) -> Result<(), String> {
        let mut topics: BTreeMap<String, Vec<offset_commit_request::OffsetCommitRequestPartition>> =
            BTreeMap::new();
        for (t, p, o) in offsets {
            topics.entry(t.clone()).or_default().push(
                offset_commit_request::OffsetCommitRequestPartition::default()
                    .with_partition_index(*p)
                    .with_committed_offset(*o)
                    .with_committed_leader_epoch(-1)
                    .with_committed_metadata(Some(StrBytes::default())),
            );
        }
        let req = OffsetCommitRequest::default()
            .with_group_id(GroupId(StrBytes::from_string(self.group.clone())))
            .with_generation_id_or_member_epoch(-1)
            .with_topics(
                topics
                    .into_iter()
                    .map(|(t, ps)| {
                        offset_commit_request::OffsetCommitRequestTopic::default()
                            .with_name(TopicName(StrBytes::from_string(t)))
                            .with_partitions(ps)
                    })
                    .collect(),
            );
        let resp = self
            .client
            .send_on(conn, &req, 8)
            .await
            .map_err(|e| e.to_string())?;
        for t in &resp.topics {
            for p in &t.partitions {
                if p.error_code != 0 {
                    return Err(format!(
                        "Commit of {}-{} failed: {}",
                        t.name.as_str(),
                        p.partition_index,
                        crate::client::error::error_name(p.error_code)
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `ConsumerProtocolAssignment` (any version): int16 version, then `[topic: string, partitions: [int32]]`.
/// Kafka: `ConsumerProtocol.deserializeAssignment`.
pub fn parse_assignment(raw: &Bytes) -> Vec<(String, Vec<i32>)> {
    let mut b = raw.clone();
    let mut out = Vec::new();
    if b.remaining() < 6 {
        return out;
    }
    let _version = b.get_i16();
    let n = b.get_i32();
    for _ in 0..n.max(0) {
        if b.remaining() < 2 {
            break;
        }
        let len = b.get_i16();
        if len < 0 || b.remaining() < len as usize + 4 {
            break;
        }
        let topic = String::from_utf8_lossy(&b.split_to(len as usize)).into_owned();
        let count = b.get_i32();
        if count < 0 || b.remaining() < count as usize * 4 {
            break;
        }
        out.push((topic, (0..count).map(|_| b.get_i32()).collect()));
    }
    out
}

fn dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".to_string())
}

/// The `--describe` table in `ConsumerGroupCommand.printOffsets`' columns.
fn format_describe(group: &str, rows: &[Row]) -> String {
    let gw = group.len().max(5);
    let tw = rows.iter().map(|r| r.topic.len()).max().unwrap_or(0).max(5);
    let cw = rows
        .iter()
        .filter_map(|r| r.owner.as_ref().map(|o| o.0.len()))
        .max()
        .unwrap_or(0)
        .max(11);
    let hw = rows
        .iter()
        .filter_map(|r| r.owner.as_ref().map(|o| o.1.len()))
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<gw$} {:<tw$} {:<10} {:<15} {:<15} {:<15} {:<cw$} {:<hw$} CLIENT-ID",
        "GROUP",
        "TOPIC",
        "PARTITION",
        "CURRENT-OFFSET",
        "LOG-END-OFFSET",
        "LAG",
        "CONSUMER-ID",
        "HOST"
    );
    for r in rows {
        let lag = match (r.committed, r.log_end) {
            (Some(c), Some(e)) => Some((e - c).max(0).to_string()),
            _ => None,
        };
        let (id, host, client) = match &r.owner {
            Some((i, h, c)) => (i.clone(), h.clone(), c.clone()),
            None => ("-".into(), "-".into(), "-".into()),
        };
        let _ = writeln!(
            out,
            "{:<gw$} {:<tw$} {:<10} {:<15} {:<15} {:<15} {:<cw$} {:<hw$} {}",
            group,
            r.topic,
            r.partition,
            dash(r.committed.map(|c| c.to_string())),
            dash(r.log_end.map(|c| c.to_string())),
            dash(lag),
            id,
            host,
            client
        );
    }
    out
}

/// The `--reset-offsets` table (`ConsumerGroupCommand.printOffsetsToReset`).
fn format_reset(group: &str, offsets: &[(String, i32, i64)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n{:<30} {:<30} {:<10} {:<15}",
        "GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"
    );
    for (t, p, o) in offsets {
        let _ = writeln!(out, "{group:<30} {t:<30} {p:<10} {o:<15}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ConsumerProtocolAssignment` v0: topic "t" partitions [0, 2], no user data.
    #[test]
    fn assignment_parses() {
        let raw = Bytes::from_static(&[
            0, 0, 0, 0, 0, 1, 0, 1, b't', 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2, 255, 255, 255, 255,
        ]);
        assert_eq!(parse_assignment(&raw), vec![("t".to_string(), vec![0, 2])]);
        assert!(parse_assignment(&Bytes::new()).is_empty());
    }

    /// Kafka prints "-" for partitions without a committed offset and the lag otherwise.
    #[test]
    fn describe_table_columns() {
        let rows = vec![Row {
            topic: "t".into(),
            partition: 0,
            committed: Some(3),
            log_end: Some(10),
            owner: None,
        }];
        let table = format_describe("g", &rows);
        let line = table.lines().nth(2).unwrap();
        assert_eq!(
            line.split_whitespace().collect::<Vec<_>>(),
            ["g", "t", "0", "3", "10", "7", "-", "-", "-"]
        );
    }
}
