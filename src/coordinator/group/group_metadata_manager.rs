//! The groups cached on this broker, which `__consumer_offsets` partitions it owns or is
//! loading, and every write to / read from those partitions.
//! Kafka: `kafka.coordinator.group.GroupMetadataManager`.
//!
//! # Locking
//! `groups` and `partitions` are `std` mutexes held only to look up, insert or remove. A group's
//! own mutex may be held while taking `groups` or `partitions`, never the reverse.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::config::GroupCoordinatorConfig;
use super::group_metadata::{CommittedOffset, GroupMetadata};
use super::group_metadata_record::{BaseKey, GroupMetadataKey, GroupMetadataValue, MemberRecord};
use super::group_state::GroupState;
use super::member_metadata::MemberMetadata;
use super::offset_commit_record::{OffsetCommitKey, OffsetCommitValue};
use super::offsets_log::OffsetsLog;
use crate::cluster::TopicPartition;
use crate::protocol::errors::ResponseError;
use crate::time::SharedClock;
use crate::utils::java_hash::{java_string_hash_code, kafka_abs};

/// A group shared between request handlers and the ticker.
pub type GroupRef = Arc<Mutex<GroupMetadata>>;

/// Locks a group; a poisoned lock (a panic in another handler) still yields the state.
pub fn lock(group: &GroupRef) -> std::sync::MutexGuard<'_, GroupMetadata> {
    group.lock().unwrap_or_else(|e| e.into_inner())
}

#[derive(Debug, Default)]
struct PartitionStates {
    owned: HashSet<i32>,
    loading: HashSet<i32>,
    /// Leader epoch of the last election/resignation seen per partition (the coordinator epoch).
    epochs: HashMap<i32, i32>,
}

pub struct GroupMetadataManager {
    pub config: GroupCoordinatorConfig,
    pub clock: SharedClock,
    log: Arc<dyn OffsetsLog>,
    groups: Mutex<HashMap<String, GroupRef>>,
    partitions: Mutex<PartitionStates>,
}

impl GroupMetadataManager {
    pub fn new(
        config: GroupCoordinatorConfig,
        clock: SharedClock,
        log: Arc<dyn OffsetsLog>,
    ) -> GroupMetadataManager {
        GroupMetadataManager {
            config,
            clock,
            log,
            groups: Mutex::new(HashMap::new()),
            partitions: Mutex::new(PartitionStates::default()),
        }
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.milliseconds()
    }

    /// The offsets partition coordinating `group_id`. Kafka: `GroupMetadataManager.partitionFor`.
    pub fn partition_for(&self, group_id: &str) -> i32 {
        kafka_abs(java_string_hash_code(group_id)) % self.config.offsets_topic_num_partitions.max(1)
    }

    fn partitions(&self) -> std::sync::MutexGuard<'_, PartitionStates> {
        self.partitions.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn group_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, GroupRef>> {
        self.groups.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Kafka: `isGroupLocal`.
    pub fn is_group_local(&self, group_id: &str) -> bool {
        self.partitions()
            .owned
            .contains(&self.partition_for(group_id))
    }
    /// Kafka: `isGroupLoading`.
    pub fn is_group_loading(&self, group_id: &str) -> bool {
        self.partitions()
            .loading
            .contains(&self.partition_for(group_id))
    }
    /// Any partition still loading. Kafka: `isLoading`.
    pub fn is_loading(&self) -> bool {
        !self.partitions().loading.is_empty()
    }

    pub fn get_group(&self, group_id: &str) -> Option<GroupRef> {
        self.group_map().get(group_id).cloned()
    }

    /// The group, created Empty when absent and `create` holds. Kafka: `getOrMaybeCreateGroup`.
    pub fn get_or_maybe_create_group(&self, group_id: &str, create: bool) -> Option<GroupRef> {
        let mut map = self.group_map();
        if let Some(g) = map.get(group_id) {
            return Some(g.clone());
        }
        if !create {
            return None;
        }
        let g = Arc::new(Mutex::new(GroupMetadata::new(
            group_id,
            GroupState::Empty,
            self.now_ms(),
        )));
        map.insert(group_id.to_string(), g.clone());
        Some(g)
    }

    /// Every cached group. Kafka: `currentGroups`.
    pub fn current_groups(&self) -> Vec<GroupRef> {
        self.group_map().values().cloned().collect()
    }

    /// Removes `group` from the cache if it is still the cached instance.
    pub fn remove_group(&self, group_id: &str, group: &GroupRef) -> bool {
        let mut map = self.group_map();
        match map.get(group_id) {
            Some(g) if Arc::ptr_eq(g, group) => {
                map.remove(group_id);
                true
            }
            _ => false,
        }
    }

    /// Local and absent or Dead. Kafka: `groupNotExists`.
    pub fn group_not_exists(&self, group_id: &str) -> bool {
        self.is_group_local(group_id)
            && self
                .get_group(group_id)
                .is_none_or(|g| lock(&g).is(GroupState::Dead))
    }

    /// The error for a group that is absent or Dead here: GROUP_ID_NOT_FOUND when this broker
    /// owns its partition, NOT_COORDINATOR otherwise. Kafka: `handleDeleteGroups`,
    /// `handleDeleteOffsets`.
    pub fn missing_group_error(&self, group_id: &str) -> i16 {
        if self.group_not_exists(group_id) {
            ResponseError::GroupIdNotFound.code()
        } else {
            ResponseError::NotCoordinator.code()
        }
    }

    /// Persists the group's metadata with `assignment` (member id → assignment) and returns
    /// the error to report, mapped as Kafka's `storeGroup` callback does.
    pub async fn store_group(&self, group_id: &str, value: GroupMetadataValue) -> i16 {
        let key = GroupMetadataKey {
            group: group_id.to_string(),
        }
        .encode();
        let r = self
            .log
            .append(
                self.partition_for(group_id),
                vec![(key, Some(value.encode()))],
                self.config.offsets_commit_required_acks,
                self.config.offsets_commit_timeout_ms,
            )
            .await;
        match r {
            Ok(_) => 0,
            Err(code) => {
                tracing::debug!(group = group_id, code, "storing group metadata failed");
                map_store_group_error(code)
            }
        }
    }

    /// Appends offset commits; returns the base offset or the commit error code (Kafka's
    /// `storeOffsets` mapping).
    pub async fn append_offsets(
        &self,
        group_id: &str,
        offsets: &[(TopicPartition, OffsetCommitValue)],
    ) -> Result<i64, i16> {
        let records = offsets
            .iter()
            .map(|(tp, v)| {
                let key = OffsetCommitKey {
                    group: group_id.to_string(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                };
                (key.encode(), Some(v.encode()))
            })
            .collect();
        self.log
            .append(
                self.partition_for(group_id),
                records,
                self.config.offsets_commit_required_acks,
                self.config.offsets_commit_timeout_ms,
            )
            .await
            .map_err(map_store_offsets_error)
    }

    /// Appends tombstones for removed offsets and (when `group_dead_generation` is `Some(g)`
    /// with `g > 0`) for the group's metadata, without waiting for replication (Kafka appends
    /// these with acks 0 to the leader). Kafka: `cleanupGroupMetadata`.
    pub async fn append_tombstones(
        &self,
        group_id: &str,
        removed: &[TopicPartition],
        group_dead_generation: Option<i32>,
    ) {
        let mut records: Vec<(Bytes, Option<Bytes>)> = removed
            .iter()
            .map(|tp| {
                let key = OffsetCommitKey {
                    group: group_id.to_string(),
                    topic: tp.topic.clone(),
                    partition: tp.partition,
                };
                (key.encode(), None)
            })
            .collect();
        // Kafka: no tombstone for generation 0, a group only using Kafka for offset storage.
        if group_dead_generation.is_some_and(|g| g > 0) {
            let key = GroupMetadataKey {
                group: group_id.to_string(),
            };
            records.push((key.encode(), None));
        }
        if records.is_empty() {
            return;
        }
        if let Err(code) = self
            .log
            .append(
                self.partition_for(group_id),
                records,
                1,
                self.config.offsets_commit_timeout_ms,
            )
            .await
        {
            tracing::warn!(group = group_id, code, "appending tombstones failed");
        }
    }

    /// Marks `partition` as loading unless already owned or loading. Kafka: `addLoadingPartition`.
    pub fn add_loading_partition(&self, partition: i32, epoch: i32) -> bool {
        let mut p = self.partitions();
        p.epochs.insert(partition, epoch);
        if p.owned.contains(&partition) {
            return false;
        }
        p.loading.insert(partition)
    }

    /// Loads groups and offsets of `partition` from its log, then owns it. Returns the loaded
    /// groups (the coordinator schedules their members' heartbeats). A resignation while
    /// loading (epoch moved) discards the result. Kafka: `doLoadGroupsAndOffsets`, `loadGroup`.
    pub async fn load_partition(&self, partition: i32, epoch: i32) -> Vec<GroupRef> {
        let started = self.now_ms();
        let records = match self
            .log
            .read_all(partition, self.config.offsets_load_buffer_size)
            .await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(partition, error = %e, "Error loading offsets from __consumer_offsets");
                self.partitions().loading.remove(&partition);
                return Vec::new();
            }
        };
        let mut offsets: HashMap<String, HashMap<TopicPartition, CommittedOffset>> = HashMap::new();
        let mut groups: HashMap<String, GroupMetadataValue> = HashMap::new();
        let mut removed_groups: HashSet<String> = HashSet::new();
        for r in records {
            let Some(key) = r.key else { continue };
            match BaseKey::decode(key) {
                Ok(BaseKey::Offset(k)) => {
                    let tp = TopicPartition::new(k.topic, k.partition);
                    let per_group = offsets.entry(k.group).or_default();
                    match r.value.map(OffsetCommitValue::decode) {
                        None => {
                            per_group.remove(&tp);
                        }
                        Some(Ok(value)) => {
                            per_group.insert(
                                tp,
                                CommittedOffset {
                                    appended_batch_offset: Some(r.offset),
                                    value,
                                },
                            );
                        }
                        Some(Err(e)) => {
                            tracing::warn!(partition, offset = r.offset, error = %e, "skipping unreadable offset record")
                        }
                    }
                }
                Ok(BaseKey::Group(k)) => match r.value.map(GroupMetadataValue::decode) {
                    None => {
                        groups.remove(&k.group);
                        removed_groups.insert(k.group);
                    }
                    Some(Ok(v)) => {
                        removed_groups.remove(&k.group);
                        groups.insert(k.group, v);
                    }
                    Some(Err(e)) => {
                        tracing::warn!(partition, offset = r.offset, error = %e, "skipping unreadable group record")
                    }
                },
                Ok(BaseKey::Unknown(v)) => {
                    tracing::debug!(
                        partition,
                        offset = r.offset,
                        version = v,
                        "ignoring record with unknown key version"
                    )
                }
                Err(e) => {
                    tracing::warn!(partition, offset = r.offset, error = %e, "skipping unreadable key")
                }
            }
        }
        {
            let p = self.partitions();
            if p.epochs.get(&partition) != Some(&epoch) || !p.loading.contains(&partition) {
                tracing::info!(
                    partition,
                    epoch,
                    "discarding a load superseded by a newer leadership change"
                );
                return Vec::new();
            }
        }
        let now = self.now_ms();
        let mut loaded = Vec::new();
        let mut names: HashSet<String> = groups.keys().cloned().collect();
        names.extend(offsets.keys().cloned());
        for name in names {
            let group_offsets = offsets.remove(&name).unwrap_or_default();
            let g = match groups.remove(&name) {
                Some(v) => group_from_record(&name, v, now),
                None => GroupMetadata::new(name.clone(), GroupState::Empty, now),
            };
            let mut g = g;
            g.offsets = group_offsets;
            let gref = Arc::new(Mutex::new(g));
            self.group_map().insert(name, gref.clone());
            loaded.push(gref);
        }
        for name in removed_groups {
            if let Some(g) = self.get_group(&name) {
                if lock(&g).members.is_empty() && lock(&g).offsets.is_empty() {
                    self.remove_group(&name, &g);
                }
            }
        }
        let mut p = self.partitions();
        p.loading.remove(&partition);
        p.owned.insert(partition);
        tracing::info!(
            "Finished loading offsets and group metadata from __consumer_offsets-{partition} in {} milliseconds for epoch {epoch}",
            now - started
        );
        loaded
    }

    /// Stops owning `partition` and returns its groups, removed from the cache, for the
    /// coordinator to fail their parked requests. Ignored if `epoch` is older than the last
    /// election. Kafka: `removeGroupsForPartition`.
    pub fn unload_partition(&self, partition: i32, epoch: Option<i32>) -> Vec<GroupRef> {
        {
            let mut p = self.partitions();
            if let (Some(e), Some(current)) = (epoch, p.epochs.get(&partition)) {
                if e < *current {
                    return Vec::new();
                }
            }
            if let Some(e) = epoch {
                p.epochs.insert(partition, e);
            }
            p.owned.remove(&partition);
            p.loading.remove(&partition);
        }
        let mut map = self.group_map();
        let names: Vec<String> = map
            .keys()
            .filter(|g| self.partition_for(g) == partition)
            .cloned()
            .collect();
        let out = names
            .iter()
            .filter_map(|n| map.remove(n))
            .collect::<Vec<_>>();
        if !out.is_empty() {
            tracing::info!(
                "Finished unloading __consumer_offsets-{partition}. Removed {} cached groups.",
                out.len()
            );
        }
        out
    }
}

/// Kafka `GroupMetadata.loadGroup`: Empty without members, Stable with them.
fn group_from_record(group_id: &str, v: GroupMetadataValue, now_ms: i64) -> GroupMetadata {
    let state = if v.members.is_empty() {
        GroupState::Empty
    } else {
        GroupState::Stable
    };
    let mut g = GroupMetadata::new(group_id, state, now_ms);
    g.current_state_timestamp_ms =
        (v.current_state_timestamp_ms >= 0).then_some(v.current_state_timestamp_ms);
    g.protocol_type = (!v.protocol_type.is_empty()).then_some(v.protocol_type.clone());
    g.protocol_name = v.protocol.clone();
    g.generation_id = v.generation;
    let protocol = v.protocol.clone().unwrap_or_default();
    for m in v.members {
        g.add(member_from_record(m, &v.protocol_type, &protocol));
    }
    g.leader_id = v.leader;
    g.subscribed_topics = g.compute_subscribed_topics();
    g
}

fn member_from_record(m: MemberRecord, protocol_type: &str, protocol: &str) -> MemberMetadata {
    MemberMetadata {
        member_id: m.member_id,
        group_instance_id: m.group_instance_id,
        client_id: m.client_id,
        client_host: m.client_host,
        rebalance_timeout_ms: m.rebalance_timeout_ms,
        session_timeout_ms: m.session_timeout_ms,
        protocol_type: protocol_type.to_string(),
        supported_protocols: vec![(protocol.to_string(), m.subscription)],
        assignment: m.assignment,
        awaiting_join: None,
        awaiting_sync: None,
        is_new: false,
        heartbeat_deadline_ms: None,
    }
}

/// The record of a group as `storeGroup` writes it. Kafka: `GroupMetadataManager.groupMetadataValue`.
pub fn group_record(g: &GroupMetadata, assignment: &HashMap<String, Bytes>) -> GroupMetadataValue {
    let protocol = g.protocol_name.clone();
    GroupMetadataValue {
        protocol_type: g.protocol_type.clone().unwrap_or_default(),
        generation: g.generation_id,
        protocol: protocol.clone(),
        leader: g.leader_id.clone(),
        current_state_timestamp_ms: g.current_state_timestamp_ms.unwrap_or(-1),
        members: g
            .members
            .values()
            .map(|m| MemberRecord {
                member_id: m.member_id.clone(),
                group_instance_id: m.group_instance_id.clone(),
                client_id: m.client_id.clone(),
                client_host: m.client_host.clone(),
                rebalance_timeout_ms: m.rebalance_timeout_ms,
                session_timeout_ms: m.session_timeout_ms,
                subscription: protocol
                    .as_deref()
                    .and_then(|p| m.metadata(p).cloned())
                    .unwrap_or_default(),
                assignment: assignment.get(&m.member_id).cloned().unwrap_or_default(),
            })
            .collect(),
    }
}

/// Kafka `storeGroup`'s mapping of append errors.
fn map_store_group_error(code: i16) -> i16 {
    use ResponseError as E;
    match E::try_from_code(code) {
        Some(
            E::UnknownTopicOrPartition
            | E::NotEnoughReplicas
            | E::NotEnoughReplicasAfterAppend
            | E::RequestTimedOut,
        ) => E::CoordinatorNotAvailable.code(),
        Some(E::NotLeaderOrFollower | E::KafkaStorageError) => E::NotCoordinator.code(),
        Some(E::MessageTooLarge | E::RecordListTooLarge | E::InvalidFetchSize) => {
            E::UnknownServerError.code()
        }
        _ => code,
    }
}

/// Kafka `storeOffsets`' mapping of append errors.
fn map_store_offsets_error(code: i16) -> i16 {
    use ResponseError as E;
    match E::try_from_code(code) {
        Some(
            E::UnknownTopicOrPartition | E::NotEnoughReplicas | E::NotEnoughReplicasAfterAppend,
        ) => E::CoordinatorNotAvailable.code(),
        Some(E::NotLeaderOrFollower | E::KafkaStorageError) => E::NotCoordinator.code(),
        Some(E::MessageTooLarge | E::RecordListTooLarge | E::InvalidFetchSize) => {
            E::InvalidCommitOffsetSize.code()
        }
        _ => code,
    }
}
