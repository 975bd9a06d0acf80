//! ListGroups, DescribeGroups and DeleteGroups on the group coordinator.
//! Kafka: `GroupCoordinator.handleListGroups`, `handleDescribeGroup`, `handleDeleteGroups`.

use std::sync::Arc;

use bytes::Bytes;

use super::group_coordinator::{GroupApi, GroupCoordinator};
use super::group_metadata_manager::lock;
use super::group_state::GroupState;
use crate::cluster::TopicPartition;
use crate::protocol::errors::ResponseError;

/// One group of ListGroups. Kafka: `GroupOverview`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupOverview {
    pub group_id: String,
    pub protocol_type: String,
    pub state: GroupState,
}

/// One member of DescribeGroups. Kafka: `MemberSummary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSummary {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    pub metadata: Bytes,
    pub assignment: Bytes,
}

/// DescribeGroups' answer for one group. Kafka: `GroupSummary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSummary {
    pub error: i16,
    /// `""` (Kafka `NoState`) with an error, `"Dead"` for an unknown group.
    pub state: String,
    pub protocol_type: String,
    pub protocol: String,
    pub members: Vec<MemberSummary>,
}

impl GroupSummary {
    fn empty(error: i16, state: &str) -> GroupSummary {
        GroupSummary {
            error,
            state: state.to_string(),
            protocol_type: String::new(),
            protocol: String::new(),
            members: Vec::new(),
        }
    }
}

impl GroupCoordinator {
    /// Kafka: `handleListGroups` (state filter case-insensitive; a type filter other than
    /// "classic" matches nothing, as the old coordinator only has classic groups).
    pub fn handle_list_groups(
        &self,
        states: &[String],
        types: &[String],
    ) -> (i16, Vec<GroupOverview>) {
        if !self.is_active() {
            return (ResponseError::CoordinatorNotAvailable.code(), Vec::new());
        }
        let error = if self.manager.is_loading() {
            ResponseError::CoordinatorLoadInProgress.code()
        } else {
            0
        };
        let states: Vec<String> = states.iter().map(|s| s.to_lowercase()).collect();
        let classic = types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case("classic"));
        let mut groups: Vec<GroupOverview> = self
            .manager
            .current_groups()
            .iter()
            .map(|g| {
                let g = lock(g);
                GroupOverview {
                    group_id: g.group_id.clone(),
                    protocol_type: g.protocol_type.clone().unwrap_or_default(),
                    state: g.state,
                }
            })
            .filter(|o| {
                classic && (states.is_empty() || states.contains(&o.state.name().to_lowercase()))
            })
            .collect();
        groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        (error, groups)
    }

    /// Kafka: `handleDescribeGroup` / `GroupMetadata.summary`.
    pub fn handle_describe_group(&self, group_id: &str) -> GroupSummary {
        if let Some(code) = self.validate_group_status(group_id, GroupApi::DescribeGroups) {
            return GroupSummary::empty(code, "");
        }
        let Some(gref) = self.manager.get_group(group_id) else {
            return GroupSummary::empty(0, GroupState::Dead.name());
        };
        let g = lock(&gref);
        let stable = g.is(GroupState::Stable);
        let protocol = if stable {
            g.protocol_name.clone().unwrap_or_default()
        } else {
            String::new()
        };
        GroupSummary {
            error: 0,
            state: g.state.name().to_string(),
            protocol_type: g.protocol_type.clone().unwrap_or_default(),
            members: g
                .members
                .values()
                .map(|m| MemberSummary {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    metadata: if stable {
                        m.metadata(&protocol).cloned().unwrap_or_default()
                    } else {
                        Bytes::new()
                    },
                    assignment: if stable {
                        m.assignment.clone()
                    } else {
                        Bytes::new()
                    },
                })
                .collect(),
            protocol,
        }
    }

    /// Kafka: `handleDeleteGroups`: only Empty groups are deleted (with their offsets).
    pub async fn handle_delete_groups(
        self: &Arc<Self>,
        group_ids: &[String],
    ) -> Vec<(String, i16)> {
        let mut out = Vec::with_capacity(group_ids.len());
        for group_id in group_ids {
            let code = self.delete_group(group_id).await;
            out.push((group_id.clone(), code));
        }
        out
    }

    async fn delete_group(self: &Arc<Self>, group_id: &str) -> i16 {
        if let Some(code) = self.validate_group_status(group_id, GroupApi::DeleteGroups) {
            return code;
        }
        let missing = || self.manager.missing_group_error(group_id);
        let Some(gref) = self.manager.get_group(group_id) else {
            return missing();
        };
        let (removed, dead_generation): (Vec<TopicPartition>, Option<i32>) = {
            let mut g = lock(&gref);
            match g.state {
                GroupState::Dead => {
                    drop(g);
                    return missing();
                }
                GroupState::Empty => {
                    let now = self.now_ms();
                    g.transition_to(GroupState::Dead, now);
                    let removed: Vec<TopicPartition> =
                        g.offsets.drain().map(|(tp, _)| tp).collect();
                    (removed, self.finish_cleanup(&gref, &mut g))
                }
                _ => return ResponseError::NonEmptyGroup.code(),
            }
        };
        self.manager
            .append_tombstones(group_id, &removed, dead_generation)
            .await;
        tracing::info!("The following groups were deleted: {group_id}");
        0
    }
}
