//! `Producer`: per-partition batching with linger, acks 0/1/-1, compression, Kafka's
//! partitioner, bounded buffer memory, pipelined requests and retries on metadata errors.
//!
//! Shape follows Kafka's `KafkaProducer` → `RecordAccumulator` → `Sender`:
//! - [`Producer::send`] chooses the partition, reserves `buffer.memory`, and appends the record
//!   to the open batch of its partition (the accumulator, under a `std::sync::Mutex` held only
//!   for the append);
//! - the **sender task** drains ready batches (full, older than `linger.ms`, or flushing),
//!   groups them by partition leader into Produce requests (one batch per partition per
//!   request, as Kafka requires from v3), and sends them with at most
//!   `max.in.flight.requests.per.connection` outstanding per broker;
//! - a **response task** per request completes each record's callback, or puts the batch back
//!   at the head of its queue after a retriable error (and asks for a metadata refresh).
//!
//! Not idempotent: no producer id, so a retried batch may be written twice and batches of one
//! partition may be reordered by a retry — exactly Kafka's behaviour with
//! `enable.idempotence=false`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ProduceRequest, TopicName};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::Compression;
use tokio::sync::{oneshot, Notify, Semaphore};

use super::error::{is_metadata_error, ClientError, Result};
use super::kafka_client::KafkaClient;
use super::partitioner::{partition_for_key, StickyPartitioner};
use super::records::{encode_batch, parse_compression, ProducerRecord, RECORD_BATCH_OVERHEAD};

/// Highest Produce version used. Kafka 3.9 serves 0..=11 (v3+ carries v2 record batches).
pub const PRODUCE_MAX_VERSION: i16 = 11;

/// Producer settings under Kafka's names, with Kafka 3.9's defaults except where noted.
#[derive(Debug, Clone)]
pub struct ProducerConfig {
    /// `acks`: 0, 1 or -1 (`all`). Kafka 3.x defaults to `all`.
    pub acks: i16,
    /// `linger.ms` (Kafka 3.9 default 0; 4.0 changed it to 5 with KIP-1030).
    pub linger_ms: u64,
    /// `batch.size` (16384).
    pub batch_size: usize,
    /// `compression.type` (none).
    pub compression: Compression,
    /// `buffer.memory` (33554432).
    pub buffer_memory: usize,
    /// `max.request.size` (1048576).
    pub max_request_size: usize,
    /// `max.in.flight.requests.per.connection` (5).
    pub max_in_flight: usize,
    /// `retries` (Kafka: Integer.MAX_VALUE, bounded by `delivery.timeout.ms`).
    pub retries: u32,
    /// `delivery.timeout.ms` (120000).
    pub delivery_timeout_ms: u64,
    /// `request.timeout.ms` (30000); also the Produce request's `timeout_ms`.
    pub request_timeout_ms: u64,
    /// `retry.backoff.ms` (100).
    pub retry_backoff_ms: u64,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            acks: -1,
            linger_ms: 0,
            batch_size: 16_384,
            compression: Compression::None,
            buffer_memory: 33_554_432,
            max_request_size: 1_048_576,
            max_in_flight: 5,
            retries: i32::MAX as u32,
            delivery_timeout_ms: 120_000,
            request_timeout_ms: 30_000,
            retry_backoff_ms: 100,
        }
    }
}

impl ProducerConfig {
    /// Applies one `key=value` producer property. Unknown keys are returned as an error so the
    /// caller can decide to warn (Kafka logs "supplied but isn't a known config").
    pub fn set(&mut self, key: &str, value: &str) -> Result<()> {
        let bad = |what: &str| {
            ClientError::Config(format!(
                "Invalid value {value} for configuration {key}: {what}"
            ))
        };
        let num = |v: &str| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| bad("Not a number of type LONG"))
        };
        match key {
            "acks" => {
                self.acks = match value.trim() {
                    "all" | "-1" => -1,
                    "0" => 0,
                    "1" => 1,
                    _ => return Err(bad("String must be one of: all, -1, 0, 1")),
                }
            }
            "linger.ms" => self.linger_ms = num(value)?,
            "batch.size" => self.batch_size = num(value)? as usize,
            "compression.type" => self.compression = parse_compression(value)?,
            "buffer.memory" => self.buffer_memory = num(value)? as usize,
            "max.request.size" => self.max_request_size = num(value)? as usize,
            "max.in.flight.requests.per.connection" => {
                self.max_in_flight = num(value)?.max(1) as usize
            }
            "retries" => self.retries = num(value)?.min(u32::MAX as u64) as u32,
            "delivery.timeout.ms" => self.delivery_timeout_ms = num(value)?,
            "request.timeout.ms" => self.request_timeout_ms = num(value)?,
            "retry.backoff.ms" => self.retry_backoff_ms = num(value)?,
            _ => {
                return Err(ClientError::Config(format!(
                    "unknown producer config {key}"
                )))
            }
        }
        Ok(())
    }
}

/// Where a record landed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordMetadata {
    pub topic: String,
    pub partition: i32,
    /// -1 with acks=0 (Kafka reports -1 when it cannot know).
    pub offset: i64,
    pub timestamp_ms: i64,
}

/// A failed delivery, shared by every record of the failed batch.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryError(pub Arc<ClientError>);

impl DeliveryError {
    /// The Kafka error code behind the failure, if any.
    pub fn kafka_code(&self) -> Option<i16> {
        self.0.kafka_code()
    }
}

/// Called once per record when its batch is acknowledged or fails.
pub type Callback = Box<dyn FnOnce(std::result::Result<RecordMetadata, DeliveryError>) + Send>;

struct Batch {
    topic: String,
    partition: i32,
    records: Vec<ProducerRecord>,
    callbacks: Vec<Callback>,
    bytes: usize,
    created: Instant,
    attempts: u32,
    encoded: Option<Bytes>,
}

#[derive(Default)]
struct Accumulator {
    /// Batches per partition; the open batch (still accepting records) is at the back.
    queues: HashMap<(String, i32), VecDeque<Batch>>,
    sticky: HashMap<String, StickyPartitioner>,
    /// Partition count per topic, learned once from metadata (a later CreatePartitions is
    /// not picked up by a running producer).
    partitions_of: HashMap<String, i32>,
}

struct Inner {
    client: Arc<KafkaClient>,
    config: ProducerConfig,
    acc: Mutex<Accumulator>,
    /// Wakes the sender: a batch filled up, a flush started, or a batch came back for retry.
    wake: Notify,
    /// Bytes of `buffer.memory` not yet reserved by queued records.
    memory: Semaphore,
    /// Per-broker `max.in.flight.requests.per.connection`.
    in_flight: Mutex<HashMap<i32, Arc<Semaphore>>>,
    /// Records accepted by `send` and not yet completed; `idle` fires when it reaches zero.
    outstanding: AtomicUsize,
    idle: Notify,
    flushing: AtomicUsize,
    closed: AtomicBool,
    metadata_stale: AtomicBool,
}

/// A Kafka producer.
pub struct Producer {
    inner: Arc<Inner>,
    sender: tokio::task::JoinHandle<()>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Producer {
    /// Starts a producer (and its sender task) on `client`.
    pub fn new(client: Arc<KafkaClient>, config: ProducerConfig) -> Self {
        let inner = Arc::new(Inner {
            client,
            memory: Semaphore::new(config.buffer_memory.min(Semaphore::MAX_PERMITS)),
            config,
            acc: Mutex::default(),
            wake: Notify::new(),
            in_flight: Mutex::default(),
            outstanding: AtomicUsize::new(0),
            idle: Notify::new(),
            flushing: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            metadata_stale: AtomicBool::new(false),
        });
        let sender = tokio::spawn(sender_loop(inner.clone()));
        Producer { inner, sender }
    }

    /// The settings in force.
    pub fn config(&self) -> &ProducerConfig {
        &self.inner.config
    }

    /// Queues `record`; returns a receiver for its metadata.
    pub async fn send(
        &self,
        record: ProducerRecord,
    ) -> Result<oneshot::Receiver<std::result::Result<RecordMetadata, DeliveryError>>> {
        let (tx, rx) = oneshot::channel();
        self.send_with_callback(
            record,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        )
        .await?;
        Ok(rx)
    }

    /// Queues `record`; `callback` runs when it is acknowledged or fails. Waits while
    /// `buffer.memory` is exhausted (Kafka blocks up to `max.block.ms`; we wait without limit).
    pub async fn send_with_callback(
        &self,
        mut record: ProducerRecord,
        callback: Callback,
    ) -> Result<()> {
        let inner = &self.inner;
        let size = record.estimated_size();
        if size + RECORD_BATCH_OVERHEAD > inner.config.max_request_size {
            return Err(ClientError::Config(format!(
                "The message is {} bytes when serialized which is larger than {}, which is the value of the max.request.size configuration.",
                size + RECORD_BATCH_OVERHEAD,
                inner.config.max_request_size
            )));
        }
        if size > inner.config.buffer_memory {
            return Err(ClientError::Config(format!(
                "The message is {size} bytes when serialized which is larger than the total memory buffer you have configured with the buffer.memory configuration."
            )));
        }
        let num_partitions = self.partition_count(&record.topic).await?;
        if let Some(p) = record.partition {
            if p < 0 || p >= num_partitions {
                return Err(ClientError::Config(format!(
                    "Invalid partition given with record: {p} is not in the range [0...{num_partitions}]."
                )));
            }
        }
        inner
            .memory
            .acquire_many(size as u32)
            .await
            .map_err(|_| ClientError::Config("producer is closed".into()))?
            .forget();
        if record.timestamp_ms.is_none() {
            record.timestamp_ms = Some(now_ms());
        }
        inner.outstanding.fetch_add(1, Ordering::AcqRel);
        let wake = {
            let mut acc = inner.acc.lock().expect("accumulator lock poisoned");
            let partition = match (record.partition, record.key.as_ref()) {
                (Some(p), _) => p,
                (None, Some(k)) => partition_for_key(k, num_partitions),
                (None, None) => acc
                    .sticky
                    .entry(record.topic.clone())
                    .or_insert_with(|| StickyPartitioner::new(inner.config.batch_size))
                    .partition(num_partitions, size),
            };
            let batch_size = inner.config.batch_size;
            let queue = acc
                .queues
                .entry((record.topic.clone(), partition))
                .or_default();
            let needs_new = match queue.back() {
                Some(b) => {
                    b.encoded.is_some() || (b.bytes + size > batch_size && !b.records.is_empty())
                }
                None => true,
            };
            if needs_new {
                queue.push_back(Batch {
                    topic: record.topic.clone(),
                    partition,
                    records: Vec::new(),
                    callbacks: Vec::new(),
                    bytes: RECORD_BATCH_OVERHEAD,
                    created: Instant::now(),
                    attempts: 0,
                    encoded: None,
                });
            }
            let queued = queue.len();
            let batch = queue.back_mut().expect("a batch was just ensured");
            batch.bytes += size;
            batch.records.push(record);
            batch.callbacks.push(callback);
            // Wake the sender when a batch became sendable without waiting for linger.
            queued > 1 || batch.bytes >= batch_size || inner.config.linger_ms == 0
        };
        if wake {
            inner.wake.notify_one();
        }
        Ok(())
    }

    async fn partition_count(&self, topic: &str) -> Result<i32> {
        {
            let acc = self.inner.acc.lock().expect("accumulator lock poisoned");
            if let Some(n) = acc.partitions_of.get(topic) {
                return Ok(*n);
            }
        }
        let md = self
            .inner
            .client
            .wait_for_leaders(
                &[topic.to_string()],
                true,
                self.inner.config.request_timeout_ms.min(60_000),
            )
            .await?;
        let n = md
            .topics
            .get(topic)
            .map(|t| t.partitions.len() as i32)
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                ClientError::from_code(3, None, format!("topic {topic}"))
                    .expect("3 is an error code")
            })?;
        self.inner
            .acc
            .lock()
            .expect("accumulator lock poisoned")
            .partitions_of
            .insert(topic.to_string(), n);
        Ok(n)
    }

    /// Sends everything queued now, regardless of `linger.ms`, and waits until every record
    /// sent so far is acknowledged or failed.
    pub async fn flush(&self) {
        let inner = &self.inner;
        inner.flushing.fetch_add(1, Ordering::AcqRel);
        loop {
            let idle = inner.idle.notified();
            if inner.outstanding.load(Ordering::Acquire) == 0 {
                break;
            }
            inner.wake.notify_one();
            idle.await;
        }
        inner.flushing.fetch_sub(1, Ordering::AcqRel);
    }

    /// Flushes and stops the sender task.
    pub async fn close(self) {
        self.flush().await;
        self.inner.closed.store(true, Ordering::Release);
        self.inner.wake.notify_one();
        let _ = self.sender.await;
    }
}

fn complete(inner: &Inner, batch: Batch, result: std::result::Result<(i64, i64), DeliveryError>) {
    let n = batch.callbacks.len();
    let freed = batch.bytes - RECORD_BATCH_OVERHEAD;
    for (i, (cb, rec)) in batch.callbacks.into_iter().zip(batch.records).enumerate() {
        let r = match &result {
            Ok((base, append_time)) => Ok(RecordMetadata {
                topic: batch.topic.clone(),
                partition: batch.partition,
                offset: if *base < 0 { -1 } else { base + i as i64 },
                timestamp_ms: if *append_time >= 0 {
                    *append_time
                } else {
                    rec.timestamp_ms.unwrap_or(-1)
                },
            }),
            Err(e) => Err(e.clone()),
        };
        cb(r);
    }
    inner.memory.add_permits(freed);
    if inner.outstanding.fetch_sub(n, Ordering::AcqRel) == n {
        inner.idle.notify_waiters();
    }
}

/// Takes at most one ready batch per partition. Returns the batches and how long until the
/// next batch will be ready by linger.
fn drain_ready(inner: &Inner) -> (Vec<Batch>, Option<Duration>) {
    let linger = Duration::from_millis(inner.config.linger_ms);
    let flushing =
        inner.flushing.load(Ordering::Acquire) > 0 || inner.closed.load(Ordering::Acquire);
    let mut acc = inner.acc.lock().expect("accumulator lock poisoned");
    let mut ready = Vec::new();
    let mut next: Option<Duration> = None;
    for queue in acc.queues.values_mut() {
        let Some(front) = queue.front() else { continue };
        if front.records.is_empty() {
            continue;
        }
        let age = front.created.elapsed();
        let full = queue.len() > 1 || front.bytes >= inner.config.batch_size;
        let retry_wait = if front.attempts > 0 {
            Duration::from_millis(inner.config.retry_backoff_ms)
        } else {
            Duration::ZERO
        };
        if (full || flushing || age >= linger) && age >= retry_wait {
            ready.push(queue.pop_front().expect("front exists"));
        } else {
            let wait = linger.max(retry_wait).saturating_sub(age);
            next = Some(next.map_or(wait, |n| n.min(wait)));
        }
    }
    (ready, next)
}

fn requeue(inner: &Inner, mut batch: Batch) {
    batch.attempts += 1;
    batch.created = Instant::now();
    let mut acc = inner.acc.lock().expect("accumulator lock poisoned");
    acc.queues
        .entry((batch.topic.clone(), batch.partition))
        .or_default()
        .push_front(batch);
}

fn in_flight_permits(inner: &Inner, broker: i32) -> Arc<Semaphore> {
    inner
        .in_flight
        .lock()
        .expect("in-flight lock poisoned")
        .entry(broker)
        .or_insert_with(|| Arc::new(Semaphore::new(inner.config.max_in_flight)))
        .clone()
}

async fn sender_loop(inner: Arc<Inner>) {
    loop {
        if inner.metadata_stale.swap(false, Ordering::AcqRel) {
            let topics: Vec<String> = {
                let acc = inner.acc.lock().expect("accumulator lock poisoned");
                acc.partitions_of.keys().cloned().collect()
            };
            if inner
                .client
                .refresh_metadata(Some(&topics), false)
                .await
                .is_err()
            {
                inner.metadata_stale.store(true, Ordering::Release);
            }
            tokio::time::sleep(Duration::from_millis(inner.config.retry_backoff_ms)).await;
        }
        let (ready, next) = drain_ready(&inner);
        if ready.is_empty() {
            if inner.closed.load(Ordering::Acquire)
                && inner.outstanding.load(Ordering::Acquire) == 0
            {
                return;
            }
            let wait = next.unwrap_or(Duration::from_millis(100));
            let _ = tokio::time::timeout(wait, inner.wake.notified()).await;
            continue;
        }
        // Group by leader; batches whose leader is unknown go back and trigger a refresh.
        let md = inner.client.metadata();
        let mut by_leader: HashMap<i32, Vec<Batch>> = HashMap::new();
        for batch in ready {
            let leader = md
                .topics
                .get(&batch.topic)
                .and_then(|t| t.partitions.iter().find(|p| p.partition == batch.partition))
                .map(|p| p.leader)
                .filter(|l| *l >= 0 && md.brokers.contains_key(l));
            match leader {
                Some(l) => by_leader.entry(l).or_default().push(batch),
                None => {
                    inner.metadata_stale.store(true, Ordering::Release);
                    retry_or_fail(
                        &inner,
                        batch,
                        ClientError::from_code(5, None, "no leader known")
                            .expect("5 is an error code"),
                    );
                }
            }
        }
        for (leader, batches) in by_leader {
            let permits = in_flight_permits(&inner, leader);
            // Waiting here is the back-pressure of max.in.flight: the accumulator keeps
            // filling meanwhile.
            let Ok(permit) = permits.acquire_owned().await else {
                continue;
            };
            let inner = inner.clone();
            tokio::spawn(async move {
                send_produce(&inner, leader, batches).await;
                drop(permit);
            });
        }
    }
}

fn retry_or_fail(inner: &Inner, batch: Batch, error: ClientError) {
    let retriable = match &error {
        ClientError::Kafka { error, .. } => error.is_retriable(),
        ClientError::Io { .. } | ClientError::Disconnected { .. } | ClientError::Timeout { .. } => {
            true
        }
        _ => false,
    };
    let age_ms = batch.created.elapsed().as_millis() as u64;
    if retriable
        && batch.attempts < inner.config.retries
        && age_ms < inner.config.delivery_timeout_ms
    {
        if error.kafka_code().is_none_or(is_metadata_error) {
            inner.metadata_stale.store(true, Ordering::Release);
        }
        requeue(inner, batch);
        inner.wake.notify_one();
    } else {
        complete(inner, batch, Err(DeliveryError(Arc::new(error))));
    }
}

async fn send_produce(inner: &Arc<Inner>, leader: i32, mut batches: Vec<Batch>) {
    let now = now_ms();
    let mut topics: Vec<TopicProduceData> = Vec::new();
    let mut i = 0;
    while i < batches.len() {
        if batches[i].encoded.is_none() {
            match encode_batch(&batches[i].records, inner.config.compression, now) {
                Ok(b) => batches[i].encoded = Some(b),
                Err(e) => {
                    let b = batches.swap_remove(i);
                    complete(inner, b, Err(DeliveryError(Arc::new(e))));
                    continue;
                }
            }
        }
        let b = &batches[i];
        let data = PartitionProduceData::default()
            .with_index(b.partition)
            .with_records(b.encoded.clone());
        match topics.iter_mut().find(|t| t.name.0.as_str() == b.topic) {
            Some(t) => t.partition_data.push(data),
            None => topics.push(
                TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_string(b.topic.clone())))
                    .with_partition_data(vec![data]),
            ),
        }
        i += 1;
    }
    if batches.is_empty() {
        return;
    }
    let request = ProduceRequest::default()
        .with_acks(inner.config.acks)
        .with_timeout_ms(inner.config.request_timeout_ms.min(i32::MAX as u64) as i32)
        .with_topic_data(topics);
    let conn = match inner.client.broker_connection(leader).await {
        Ok(c) => c,
        Err(e) => return fail_all_retriable(inner, batches, e),
    };
    if inner.config.acks == 0 {
        let result = match conn.version_for::<ProduceRequest>(PRODUCE_MAX_VERSION) {
            Ok(v) => conn.send_without_response(&request, v).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(()) => batches
                .into_iter()
                .for_each(|b| complete(inner, b, Ok((-1, -1)))),
            Err(e) => fail_all_retriable(inner, batches, e),
        }
        return;
    }
    let response = match inner
        .client
        .send_on(&conn, &request, PRODUCE_MAX_VERSION)
        .await
    {
        Ok(r) => r,
        Err(e) => return fail_all_retriable(inner, batches, e),
    };
    for batch in batches {
        let p = response
            .responses
            .iter()
            .filter(|t| t.name.0.as_str() == batch.topic)
            .flat_map(|t| t.partition_responses.iter())
            .find(|p| p.index == batch.partition);
        match p {
            None => {
                let e = ClientError::Protocol {
                    addr: conn.addr().to_string(),
                    message: format!(
                        "Produce response has no result for {}-{}",
                        batch.topic, batch.partition
                    ),
                };
                complete(inner, batch, Err(DeliveryError(Arc::new(e))));
            }
            Some(p) if p.error_code == 0 => {
                complete(inner, batch, Ok((p.base_offset, p.log_append_time_ms)))
            }
            Some(p) => {
                let message = p.error_message.as_ref().map(|m| m.to_string());
                let e = ClientError::from_code(
                    p.error_code,
                    message,
                    format!("produce to {}-{}", batch.topic, batch.partition),
                )
                .expect("error code is non-zero");
                retry_or_fail(inner, batch, e);
            }
        }
    }
}

fn fail_all_retriable(inner: &Inner, batches: Vec<Batch>, error: ClientError) {
    let shared = Arc::new(error.to_string());
    for b in batches {
        let e = match &error {
            ClientError::Io { addr, .. } | ClientError::Disconnected { addr, .. } => {
                ClientError::Disconnected {
                    addr: addr.clone(),
                    reason: shared.to_string(),
                }
            }
            ClientError::Timeout { what, ms } => ClientError::Timeout {
                what: what.clone(),
                ms: *ms,
            },
            _ => ClientError::Config(shared.to_string()),
        };
        retry_or_fail(inner, b, e);
    }
}
