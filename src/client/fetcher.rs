//! `Fetcher`: ListOffsets (earliest, latest, by timestamp) and Fetch across partition leaders,
//! without consumer groups (assignment is explicit, positions are kept in memory).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
use kafka_protocol::messages::{BrokerId, FetchRequest, ListOffsetsRequest, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::error::{is_metadata_error, ClientError, Result};
use super::kafka_client::KafkaClient;
use super::records::{batch_next_offset, complete_batches, decode_batch, ConsumerRecord};

/// Highest Fetch version used: v12 is the last that names topics (v13+ uses topic ids only).
/// Kafka 3.9 serves 0..=16 (17 in KRaft); v12 has everything a plain consumer needs.
pub const FETCH_MAX_VERSION: i16 = 12;
/// Highest ListOffsets version used (Kafka 3.9 serves 0..=9).
pub const LIST_OFFSETS_MAX_VERSION: i16 = 9;

/// Where to start reading. Kafka: `ListOffsetsRequest.EARLIEST_TIMESTAMP` (-2) and
/// `LATEST_TIMESTAMP` (-1), or a timestamp, or an explicit offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    Earliest,
    Latest,
    Timestamp(i64),
    Offset(i64),
}

impl OffsetSpec {
    fn list_offsets_timestamp(self) -> Option<i64> {
        match self {
            OffsetSpec::Earliest => Some(-2),
            OffsetSpec::Latest => Some(-1),
            OffsetSpec::Timestamp(t) => Some(t),
            OffsetSpec::Offset(_) => None,
        }
    }
}

/// Consumer fetch settings under Kafka's names and defaults.
#[derive(Debug, Clone)]
pub struct FetchConfig {
    /// `fetch.max.wait.ms` (500).
    pub max_wait_ms: i32,
    /// `fetch.min.bytes` (1).
    pub min_bytes: i32,
    /// `fetch.max.bytes` (52428800).
    pub max_bytes: i32,
    /// `max.partition.fetch.bytes` (1048576).
    pub max_partition_bytes: i32,
    /// `isolation.level`: 0 read_uncommitted (Kafka's default), 1 read_committed.
    pub isolation_level: i8,
    /// Where to go after OFFSET_OUT_OF_RANGE (`auto.offset.reset`).
    pub offset_reset: OffsetSpec,
    /// How long to wait for a topic's leaders before giving up (30000, Kafka's
    /// `request.timeout.ms`).
    pub metadata_timeout_ms: u64,
}

impl Default for FetchConfig {
    fn default() -> Self {
        FetchConfig {
            max_wait_ms: 500,
            min_bytes: 1,
            max_bytes: 52_428_800,
            max_partition_bytes: 1_048_576,
            isolation_level: 0,
            offset_reset: OffsetSpec::Latest,
            metadata_timeout_ms: 30_000,
        }
    }
}

/// Reads assigned partitions of topics from their leaders.
pub struct Fetcher {
    client: Arc<KafkaClient>,
    config: FetchConfig,
    /// Next offset to fetch per (topic, partition).
    positions: BTreeMap<(String, i32), i64>,
    /// Fetches already sent for the positions after the last poll (see [`Fetcher::poll`]).
    prefetch: Option<Vec<FetchTask>>,
}

/// One record with its topic.
pub type FetchedRecord = (String, ConsumerRecord);

impl Fetcher {
    /// A fetcher with no assignment.
    pub fn new(client: Arc<KafkaClient>, config: FetchConfig) -> Self {
        Fetcher {
            client,
            config,
            positions: BTreeMap::new(),
            prefetch: None,
        }
    }

    /// Current positions.
    pub fn positions(&self) -> &BTreeMap<(String, i32), i64> {
        &self.positions
    }

    /// Offsets for `spec` of each partition of `topic` (Kafka's ListOffsets), by partition.
    pub async fn list_offsets(
        &self,
        topic: &str,
        partitions: &[i32],
        spec: OffsetSpec,
    ) -> Result<BTreeMap<i32, i64>> {
        let Some(ts) = spec.list_offsets_timestamp() else {
            let OffsetSpec::Offset(o) = spec else {
                unreachable!("only Offset has no timestamp")
            };
            return Ok(partitions.iter().map(|p| (*p, o)).collect());
        };
        let mut result = BTreeMap::new();
        let mut remaining: Vec<i32> = partitions.to_vec();
        let mut backoff_ms = 100;
        for _attempt in 0..20 {
            let md = self
                .client
                .wait_for_leaders(&[topic.to_string()], false, self.config.metadata_timeout_ms)
                .await?;
            let mut by_leader: HashMap<i32, Vec<i32>> = HashMap::new();
            for p in &remaining {
                let leader = md
                    .topics
                    .get(topic)
                    .and_then(|t| t.partitions.iter().find(|x| x.partition == *p))
                    .map(|x| x.leader)
                    .ok_or_else(|| {
                        ClientError::Config(format!(
                            "partition {p} of topic {topic} does not exist"
                        ))
                    })?;
                by_leader.entry(leader).or_default().push(*p);
            }
            let mut retry = Vec::new();
            for (leader, parts) in by_leader {
                let request = ListOffsetsRequest::default()
                    .with_replica_id(BrokerId(-1))
                    .with_isolation_level(self.config.isolation_level)
                    .with_topics(vec![ListOffsetsTopic::default()
                        .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                        .with_partitions(
                            parts
                                .iter()
                                .map(|p| {
                                    ListOffsetsPartition::default()
                                        .with_partition_index(*p)
                                        .with_timestamp(ts)
                                })
                                .collect(),
                        )]);
                let conn = self.client.broker_connection(leader).await?;
                let response = self
                    .client
                    .send_on(&conn, &request, LIST_OFFSETS_MAX_VERSION)
                    .await?;
                for t in &response.topics {
                    for p in &t.partitions {
                        if p.error_code == 0 {
                            // v0 answers in old_style_offsets.
                            let offset = if conn
                                .version_for::<ListOffsetsRequest>(LIST_OFFSETS_MAX_VERSION)?
                                == 0
                            {
                                p.old_style_offsets.first().copied().unwrap_or(-1)
                            } else {
                                p.offset
                            };
                            result.insert(p.partition_index, offset);
                        } else if is_metadata_error(p.error_code) {
                            retry.push(p.partition_index);
                        } else {
                            return Err(ClientError::from_code(
                                p.error_code,
                                None,
                                format!("ListOffsets for {topic}-{}", p.partition_index),
                            )
                            .expect("non-zero code"));
                        }
                    }
                }
            }
            if retry.is_empty() {
                return Ok(result);
            }
            remaining = retry;
            tokio::time::sleep(Duration::from_millis(backoff_ms)).await;
            backoff_ms = (backoff_ms * 2).min(1000);
        }
        Err(ClientError::Timeout {
            what: format!("ListOffsets for {topic} partitions {remaining:?}"),
            ms: 30_000,
        })
    }

    /// Assigns `partitions` of `topic` (all when `None`), starting at `start`.
    pub async fn assign(
        &mut self,
        topic: &str,
        partitions: Option<Vec<i32>>,
        start: OffsetSpec,
    ) -> Result<()> {
        self.cancel_prefetch();
        let md = self
            .client
            .wait_for_leaders(&[topic.to_string()], false, self.config.metadata_timeout_ms)
            .await?;
        let all: Vec<i32> = md
            .topics
            .get(topic)
            .map(|t| t.partitions.iter().map(|p| p.partition).collect())
            .unwrap_or_default();
        let chosen = partitions.unwrap_or_else(|| all.clone());
        for p in &chosen {
            if !all.contains(p) {
                return Err(ClientError::Config(format!(
                    "partition {p} of topic {topic} does not exist"
                )));
            }
        }
        let mut offsets = self.list_offsets(topic, &chosen, start).await?;
        if matches!(start, OffsetSpec::Timestamp(_)) {
            // No record at or after the timestamp: Kafka answers -1; start at the end.
            let missing: Vec<i32> = offsets
                .iter()
                .filter(|(_, o)| **o < 0)
                .map(|(p, _)| *p)
                .collect();
            if !missing.is_empty() {
                offsets.extend(
                    self.list_offsets(topic, &missing, OffsetSpec::Latest)
                        .await?,
                );
            }
        }
        for (p, o) in offsets {
            self.positions.insert((topic.to_string(), p), o);
        }
        Ok(())
    }

    /// One fetch round: a Fetch to every leader of an assigned partition, concurrently.
    /// Returns the records in partition order per leader (order within a partition is kept).
    pub async fn poll(&mut self) -> Result<Vec<FetchedRecord>> {
        let tasks = match self.prefetch.take() {
            Some(tasks) => tasks,
            None => {
                let (tasks, stale) = self.spawn_round();
                if stale || tasks.is_empty() {
                    let topics: Vec<String> =
                        self.positions.keys().map(|(t, _)| t.clone()).collect();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    self.client.refresh_metadata(Some(&topics), false).await?;
                    if tasks.is_empty() {
                        return Ok(Vec::new());
                    }
                }
                tasks
            }
        };
        let mut records = Vec::new();
        let mut refresh = false;
        let mut resets: Vec<(String, i32)> = Vec::new();
        for task in tasks {
            let outcome = task
                .await
                .map_err(|e| ClientError::Config(format!("fetch task failed: {e}")))?;
            match outcome {
                Ok(o) => {
                    for (topic, partition, next) in o.next_offsets {
                        self.positions.insert((topic, partition), next);
                    }
                    records.extend(o.records);
                    refresh |= o.refresh_metadata;
                    resets.extend(o.out_of_range);
                }
                Err(
                    e @ (ClientError::Io { .. }
                    | ClientError::Disconnected { .. }
                    | ClientError::Timeout { .. }),
                ) => {
                    tracing::warn!("fetch failed, will retry: {e}");
                    refresh = true;
                }
                Err(e) => return Err(e),
            }
        }
        let had_resets = !resets.is_empty();
        for (topic, partition) in resets {
            let o = self
                .list_offsets(&topic, &[partition], self.config.offset_reset)
                .await?;
            if let Some(o) = o.get(&partition) {
                self.positions.insert((topic, partition), *o);
            }
        }
        if refresh {
            let topics: Vec<String> = self.positions.keys().map(|(t, _)| t.clone()).collect();
            tokio::time::sleep(Duration::from_millis(100)).await;
            self.client.refresh_metadata(Some(&topics), false).await?;
        } else if !had_resets {
            // Prefetch: the next round is on the wire while the caller handles these records,
            // as Kafka's consumer sends the next fetch before returning from poll.
            let (tasks, stale) = self.spawn_round();
            if stale {
                tasks.iter().for_each(|t| t.abort());
            } else if !tasks.is_empty() {
                self.prefetch = Some(tasks);
            }
        }
        Ok(records)
    }

    /// Starts one Fetch per leader for the current positions; `stale` when some partition
    /// has no known leader.
    fn spawn_round(&self) -> (Vec<FetchTask>, bool) {
        let md = self.client.metadata();
        let mut by_leader: HashMap<i32, Vec<(String, i32, i64)>> = HashMap::new();
        let mut stale = false;
        for ((topic, partition), offset) in &self.positions {
            match md.leader_of(topic, *partition) {
                Some(b) => {
                    by_leader
                        .entry(b.id)
                        .or_default()
                        .push((topic.clone(), *partition, *offset))
                }
                None => stale = true,
            }
        }
        let tasks = by_leader
            .into_iter()
            .map(|(leader, parts)| {
                let client = self.client.clone();
                let config = self.config.clone();
                tokio::spawn(async move { fetch_from(&client, &config, leader, parts).await })
            })
            .collect();
        (tasks, stale)
    }

    fn cancel_prefetch(&mut self) {
        if let Some(tasks) = self.prefetch.take() {
            tasks.iter().for_each(|t| t.abort());
        }
    }
}

type FetchTask = tokio::task::JoinHandle<Result<FetchOutcome>>;

struct FetchOutcome {
    records: Vec<FetchedRecord>,
    next_offsets: Vec<(String, i32, i64)>,
    refresh_metadata: bool,
    out_of_range: Vec<(String, i32)>,
}

async fn fetch_from(
    client: &KafkaClient,
    config: &FetchConfig,
    leader: i32,
    parts: Vec<(String, i32, i64)>,
) -> Result<FetchOutcome> {
    let mut topics: Vec<FetchTopic> = Vec::new();
    for (topic, partition, offset) in &parts {
        let fp = FetchPartition::default()
            .with_partition(*partition)
            .with_fetch_offset(*offset)
            .with_partition_max_bytes(config.max_partition_bytes);
        match topics.iter_mut().find(|t| t.topic.0.as_str() == topic) {
            Some(t) => t.partitions.push(fp),
            None => topics.push(
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(topic.clone())))
                    .with_partitions(vec![fp]),
            ),
        }
    }
    // session_id 0 with epoch -1: a full fetch outside any fetch session (KIP-227).
    let request = FetchRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_max_wait_ms(config.max_wait_ms)
        .with_min_bytes(config.min_bytes)
        .with_max_bytes(config.max_bytes)
        .with_isolation_level(config.isolation_level)
        .with_session_id(0)
        .with_session_epoch(-1)
        .with_topics(topics);
    let conn = client.broker_connection(leader).await?;
    let response = client.send_on(&conn, &request, FETCH_MAX_VERSION).await?;
    if let Some(e) = ClientError::from_code(
        response.error_code,
        None,
        format!("Fetch from broker {leader}"),
    ) {
        return Err(e);
    }
    let mut outcome = FetchOutcome {
        records: Vec::new(),
        next_offsets: Vec::new(),
        refresh_metadata: false,
        out_of_range: Vec::new(),
    };
    for t in response.responses {
        let topic = t.topic.0.to_string();
        for p in t.partitions {
            let Some(&(_, _, fetch_offset)) = parts
                .iter()
                .find(|(tp, pp, _)| *tp == topic && *pp == p.partition_index)
            else {
                continue;
            };
            match p.error_code {
                0 => {}
                1 => {
                    outcome
                        .out_of_range
                        .push((topic.clone(), p.partition_index));
                    continue;
                }
                c if is_metadata_error(c) || c == 7 => {
                    outcome.refresh_metadata = true;
                    continue;
                }
                c => {
                    return Err(ClientError::from_code(
                        c,
                        None,
                        format!("Fetch {topic}-{}", p.partition_index),
                    )
                    .expect("non-zero code"));
                }
            }
            let Some(bytes) = p.records else { continue };
            let mut next = fetch_offset;
            let mut decoded = Vec::new();
            for batch in complete_batches(bytes) {
                let batch_end = batch_next_offset(&batch);
                decode_batch(p.partition_index, batch, fetch_offset, &mut decoded)?;
                if let Some(end) = batch_end {
                    next = next.max(end);
                }
            }
            if let Some(last) = decoded.last() {
                next = next.max(last.offset + 1);
            }
            if next != fetch_offset {
                outcome
                    .next_offsets
                    .push((topic.clone(), p.partition_index, next));
            }
            outcome
                .records
                .extend(decoded.into_iter().map(|r| (topic.clone(), r)));
        }
    }
    Ok(outcome)
}
