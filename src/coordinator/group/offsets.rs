//! OffsetCommit, OffsetFetch, OffsetDelete and offset expiry on the group coordinator.
//! Kafka: `GroupCoordinator.handleCommitOffsets`, `handleFetchOffsets`, `handleDeleteOffsets`,
//! `cleanupGroupMetadata`; `GroupMetadataManager.storeOffsets`, `getOffsets`.

use std::collections::HashMap;
use std::sync::Arc;

use super::group_coordinator::{GroupApi, GroupCoordinator};
use super::group_metadata::{CommittedOffset, GroupMetadata};
use super::group_metadata_manager::{lock, GroupRef};
use super::group_state::GroupState;
use super::membership::validate_current_member;
use super::offset_commit_record::OffsetCommitValue;
use crate::cluster::TopicPartition;
use crate::protocol::errors::ResponseError;

/// An OffsetCommit request as the coordinator needs it.
#[derive(Debug, Clone)]
pub struct OffsetCommitParams {
    pub group_id: String,
    /// `""` and -1 for simple (non-member) commits.
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub generation_id: i32,
    pub offsets: Vec<(TopicPartition, OffsetCommitValue)>,
}

/// A fetched offset: -1 / -1 / "" when none is committed. Kafka: `OffsetFetchResponse.PartitionData`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedOffset {
    pub offset: i64,
    pub leader_epoch: i32,
    pub metadata: String,
    pub error: i16,
}

impl FetchedOffset {
    fn none(error: i16) -> FetchedOffset {
        FetchedOffset {
            offset: -1,
            leader_epoch: -1,
            metadata: String::new(),
            error,
        }
    }
}

impl GroupCoordinator {
    /// Kafka: `handleCommitOffsets` → `doCommitOffsets` → `storeOffsets`. One error per offset.
    pub async fn handle_commit_offsets(self: &Arc<Self>, p: OffsetCommitParams) -> Vec<i16> {
        let all = |code: i16| vec![code; p.offsets.len()];
        if let Some(code) = self.validate_group_status(&p.group_id, GroupApi::OffsetCommit) {
            return all(code);
        }
        let gref = match self.manager.get_group(&p.group_id) {
            Some(g) => g,
            // Kafka: a group unknown here with generation < 0 uses Kafka for offsets only.
            None if p.generation_id < 0 => {
                match self.manager.get_or_maybe_create_group(&p.group_id, true) {
                    Some(g) => g,
                    None => return all(ResponseError::CoordinatorNotAvailable.code()),
                }
            }
            None => return all(ResponseError::IllegalGeneration.code()),
        };
        {
            let mut g = lock(&gref);
            if let Some(code) = validate_offset_commit(&g, &p) {
                return all(code);
            }
            match g.state {
                GroupState::Empty => {}
                GroupState::Stable | GroupState::PreparingRebalance => {
                    // Kafka: a commit counts as a heartbeat.
                    self.schedule_heartbeat(&mut g, &p.member_id, None);
                }
                GroupState::CompletingRebalance => {
                    return all(ResponseError::RebalanceInProgress.code())
                }
                GroupState::Dead => return all(ResponseError::CoordinatorNotAvailable.code()),
            }
        }
        self.store_offsets(&gref, &p).await
    }

    /// Kafka: `GroupMetadataManager.storeOffsets`.
    async fn store_offsets(&self, gref: &GroupRef, p: &OffsetCommitParams) -> Vec<i16> {
        let max = self.config.offset_metadata_max_bytes;
        let valid: Vec<(TopicPartition, OffsetCommitValue)> = p
            .offsets
            .iter()
            .filter(|(_, v)| v.metadata.len() <= max)
            .cloned()
            .collect();
        let too_large = ResponseError::OffsetMetadataTooLarge.code();
        let per_offset = |error: i16| -> Vec<i16> {
            p.offsets
                .iter()
                .map(|(_, v)| {
                    if v.metadata.len() <= max {
                        error
                    } else {
                        too_large
                    }
                })
                .collect()
        };
        if valid.is_empty() {
            return per_offset(too_large);
        }
        {
            let mut g = lock(gref);
            for (tp, _) in &valid {
                *g.pending_offset_commits.entry(tp.clone()).or_default() += 1;
            }
        }
        let appended = self.manager.append_offsets(&p.group_id, &valid).await;
        let error = {
            let mut g = lock(gref);
            for (tp, v) in &valid {
                if let Some(n) = g.pending_offset_commits.get_mut(tp) {
                    *n = n.saturating_sub(1);
                    if *n == 0 {
                        g.pending_offset_commits.remove(tp);
                    }
                }
                if let (Ok(base), false) = (&appended, g.is(GroupState::Dead)) {
                    on_offset_commit_append(&mut g, tp, *base, v);
                }
            }
            appended.err().unwrap_or(0)
        };
        per_offset(error)
    }

    /// Kafka: `handleFetchOffsets` → `getOffsets`. `partitions = None` fetches every committed
    /// partition. Returns the group error and the offsets.
    pub fn handle_fetch_offsets(
        &self,
        group_id: &str,
        require_stable: bool,
        partitions: Option<&[TopicPartition]>,
    ) -> (i16, Vec<(TopicPartition, FetchedOffset)>) {
        if let Some(code) = self.validate_group_status(group_id, GroupApi::OffsetFetch) {
            return (code, Vec::new());
        }
        let none_for = |tps: Option<&[TopicPartition]>| {
            tps.unwrap_or_default()
                .iter()
                .map(|tp| (tp.clone(), FetchedOffset::none(0)))
                .collect()
        };
        let Some(gref) = self.manager.get_group(group_id) else {
            return (0, none_for(partitions));
        };
        let g = lock(&gref);
        if g.is(GroupState::Dead) {
            return (0, none_for(partitions));
        }
        let tps: Vec<TopicPartition> = match partitions {
            Some(p) => p.to_vec(),
            None => g.offsets.keys().cloned().collect(),
        };
        let out = tps
            .into_iter()
            .map(|tp| {
                let r = if require_stable && g.has_pending_offset_commits(&tp) {
                    FetchedOffset::none(ResponseError::UnstableOffsetCommit.code())
                } else {
                    match g.offsets.get(&tp) {
                        None => FetchedOffset::none(0),
                        Some(c) => FetchedOffset {
                            offset: c.value.offset,
                            leader_epoch: c.value.leader_epoch,
                            metadata: c.value.metadata.clone(),
                            error: 0,
                        },
                    }
                };
                (tp, r)
            })
            .collect();
        (0, out)
    }

    /// Kafka: `handleDeleteOffsets`. Returns the group error and per-partition errors.
    pub async fn handle_delete_offsets(
        &self,
        group_id: &str,
        partitions: &[TopicPartition],
    ) -> (i16, Vec<(TopicPartition, i16)>) {
        if let Some(code) = self.validate_group_status(group_id, GroupApi::OffsetDelete) {
            return (code, Vec::new());
        }
        let missing = || self.manager.missing_group_error(group_id);
        let Some(gref) = self.manager.get_group(group_id) else {
            return (missing(), Vec::new());
        };
        let mut errors = Vec::new();
        let (removed, dead_generation) = {
            let mut g = lock(&gref);
            let eligible: Vec<TopicPartition> = match g.state {
                GroupState::Dead => {
                    drop(g);
                    return (missing(), Vec::new());
                }
                GroupState::Empty => partitions.to_vec(),
                _ if g.protocol_type.as_deref()
                    == Some(super::group_metadata::CONSUMER_PROTOCOL_TYPE) =>
                {
                    let mut out = Vec::new();
                    for tp in partitions {
                        if g.is_subscribed_to_topic(&tp.topic) {
                            errors.push((tp.clone(), ResponseError::GroupSubscribedToTopic.code()));
                        } else {
                            out.push(tp.clone());
                        }
                    }
                    out
                }
                _ => return (ResponseError::NonEmptyGroup.code(), Vec::new()),
            };
            if eligible.is_empty() {
                return (0, errors);
            }
            let removed: Vec<TopicPartition> = eligible
                .iter()
                .filter(|tp| g.offsets.remove(*tp).is_some())
                .cloned()
                .collect();
            errors.extend(eligible.into_iter().map(|tp| (tp, 0)));
            (removed, self.finish_cleanup(&gref, &mut g))
        };
        self.manager
            .append_tombstones(group_id, &removed, dead_generation)
            .await;
        (0, errors)
    }

    /// After offsets were removed from a group: an Empty group without offsets becomes Dead
    /// and leaves the cache. Returns `Some(generation)` when the group died.
    /// Kafka: the per-group step of `cleanupGroupMetadata`.
    pub(crate) fn finish_cleanup(&self, gref: &GroupRef, g: &mut GroupMetadata) -> Option<i32> {
        if g.is(GroupState::Empty) && g.offsets.is_empty() && g.pending_offset_commits.is_empty() {
            tracing::info!(
                "Group {} transitioned to Dead in generation {}",
                g.group_id,
                g.generation_id
            );
            g.transition_to(GroupState::Dead, self.now_ms());
        }
        if g.is(GroupState::Dead) && self.manager.remove_group(&g.group_id, gref) {
            Some(g.generation_id)
        } else {
            None
        }
    }

    /// Expires offsets past `offsets.retention.minutes` on every group and writes tombstones.
    /// Kafka: `GroupMetadataManager.cleanupGroupMetadata` (the periodic task).
    pub async fn cleanup_expired_offsets(self: Arc<Self>) {
        let now = self.now_ms();
        let mut work: Vec<(String, Vec<TopicPartition>, Option<i32>)> = Vec::new();
        for gref in self.manager.current_groups() {
            let mut g = lock(&gref);
            let removed = g.remove_expired_offsets(now, self.config.offsets_retention_ms);
            let dead = self.finish_cleanup(&gref, &mut g);
            if !removed.is_empty() || dead.is_some() {
                work.push((g.group_id.clone(), removed, dead));
            }
        }
        let mut total = 0;
        for (group_id, removed, dead) in work {
            total += removed.len();
            self.manager
                .append_tombstones(&group_id, &removed, dead)
                .await;
        }
        if total > 0 {
            tracing::info!("Removed {total} expired offsets");
        }
    }
}

/// Kafka: `GroupCoordinator.validateOffsetCommit`.
fn validate_offset_commit(g: &GroupMetadata, p: &OffsetCommitParams) -> Option<i16> {
    if g.is(GroupState::Dead) {
        return Some(ResponseError::CoordinatorNotAvailable.code());
    }
    if p.generation_id >= 0 || !p.member_id.is_empty() || p.group_instance_id.is_some() {
        validate_current_member(g, &p.member_id, p.group_instance_id.as_deref()).or_else(|| {
            (p.generation_id != g.generation_id).then(|| ResponseError::IllegalGeneration.code())
        })
    } else if !g.is(GroupState::Empty) {
        // Kafka: when the group is non-empty, only members can commit offsets.
        Some(ResponseError::UnknownMemberId.code())
    } else {
        None
    }
}

/// Kafka: `GroupMetadata.onOffsetCommitAppend`: the newer record wins.
fn on_offset_commit_append(
    g: &mut GroupMetadata,
    tp: &TopicPartition,
    base_offset: i64,
    value: &OffsetCommitValue,
) {
    let newer = g
        .offsets
        .get(tp)
        .is_none_or(|c| c.appended_batch_offset.is_none_or(|o| o <= base_offset));
    if newer {
        g.offsets.insert(
            tp.clone(),
            CommittedOffset {
                appended_batch_offset: Some(base_offset),
                value: value.clone(),
            },
        );
    }
}

/// Group ids → errors, as `DeleteGroups` reports them.
pub type GroupErrors = HashMap<String, i16>;
