//! The controller events of replication and leadership, processed on the event loop:
//! AlterPartition, ControlledShutdown, AllocateProducerIds, ReplicaLeaderElection and the
//! auto-rebalance tick, plus the broker-failure / broker-startup / failover hooks that elect
//! leaders for Offline partitions. The decisions live in the sibling modules
//! (`alter_partition`, `controlled_shutdown`, `producer_id_block`, `preferred_election`,
//! `broker_failure`); this file only wires them to the loop's state.
//!
//! Kafka: the `process*` methods of `KafkaController` for `AlterPartitionReceived`,
//! `ControlledShutdown`, `AllocateProducerIds`, `ReplicaLeaderElection`,
//! `AutoPreferredReplicaLeaderElection`, and `scheduleAutoLeaderRebalanceTask`.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use super::{ControllerEvent, ControllerEventLoop};
use crate::controller::broker_request_batch::ControllerIo;
use crate::controller::controller_event::ElectionTrigger;
use crate::controller::election::ElectionType;
use crate::controller::{
    alter_partition, broker_failure, controlled_shutdown, preferred_election, producer_id_block,
};
use crate::protocol::errors::ResponseError;
use crate::zk::client::ZNodeChangeHandler;
use crate::zk::znodes::PreferredReplicaElectionZNode;
use crate::zk::ZkError;

/// Kafka: the first auto-rebalance check runs 5 s after failover (`onControllerFailover`,
/// `scheduleAutoLeaderRebalanceTask(delay = 5, unit = TimeUnit.SECONDS)`).
const FIRST_REBALANCE_CHECK_DELAY: Duration = Duration::from_secs(5);

/// The loop's I/O handles, borrowed field by field so `self.ctx` can be borrowed mutably beside.
macro_rules! io {
    ($s:ident) => {
        ControllerIo {
            controller_id: $s.broker_id,
            zk: &$s.zk,
            channel: $s.channel.as_ref(),
            inter_broker_listener: &$s.inter_broker_listener_name,
            config: &$s.config,
        }
    };
}
pub(super) use io;

/// Kafka: `PreferredReplicaElectionHandler` — existence watch on
/// `/admin/preferred_replica_election`.
struct PreferredReplicaElectionHandler(crate::controller::ControllerEventSender);

impl ZNodeChangeHandler for PreferredReplicaElectionHandler {
    fn path(&self) -> String {
        PreferredReplicaElectionZNode::PATH.to_string()
    }
    fn handle_creation(&self) {
        self.0.put(ControllerEvent::ReplicaLeaderElection {
            partitions: None,
            election_type: ElectionType::Preferred,
            trigger: ElectionTrigger::Zk,
            respond: None,
        });
    }
}

impl ControllerEventLoop {
    /// Processes one replication event. The events that carry a reply always get one: on a
    /// ZooKeeper error (controller moved, session closed) they are answered NOT_CONTROLLER so the
    /// sender retries against the new controller, and the error goes back to the loop.
    pub(super) async fn process_replication_event(
        &mut self,
        event: ControllerEvent,
    ) -> Result<(), ZkError> {
        let is_active = self.is_active();
        match event {
            ControllerEvent::AlterPartition {
                request,
                version,
                respond,
            } => {
                let io = io!(self);
                let r = alter_partition::process_alter_partition(
                    &io,
                    &mut self.ctx,
                    is_active,
                    &request,
                    version,
                )
                .await;
                let _ = respond.send(match &r {
                    Ok(response) => response.clone(),
                    Err(_) => alter_partition::error_response(ResponseError::NotController.code()),
                });
                r.map(|_| ())
            }
            ControllerEvent::ControlledShutdown {
                broker_id,
                broker_epoch,
                respond,
            } => {
                let io = io!(self);
                let r = controlled_shutdown::do_controlled_shutdown(
                    &io,
                    &mut self.ctx,
                    is_active,
                    broker_id,
                    broker_epoch,
                )
                .await;
                let _ = respond.send(match &r {
                    Ok(answer) => answer.clone(),
                    Err(_) => Err(ResponseError::NotController.code()),
                });
                r.map(|_| ())
            }
            ControllerEvent::AllocateProducerIds {
                broker_id,
                broker_epoch,
                respond,
            } => {
                let r = producer_id_block::process_allocate_producer_ids(
                    &self.zk,
                    &self.ctx,
                    is_active,
                    broker_id,
                    broker_epoch,
                )
                .await;
                let _ = respond.send(match &r {
                    Ok(answer) => *answer,
                    Err(_) => Err(ResponseError::NotController.code()),
                });
                r.map(|_| ())
            }
            ControllerEvent::ReplicaLeaderElection {
                partitions,
                election_type,
                trigger,
                respond,
            } => {
                let asked: BTreeSet<_> = partitions.iter().flatten().cloned().collect();
                let io = io!(self);
                let r = preferred_election::process_replica_leader_election(
                    &io,
                    &mut self.ctx,
                    is_active,
                    partitions,
                    election_type,
                    trigger,
                )
                .await;
                if let Some(respond) = respond {
                    let _ = respond.send(match &r {
                        Ok(results) => results.clone(),
                        Err(_) => asked
                            .into_iter()
                            .map(|tp| (tp, Err((ResponseError::NotController.code(), None))))
                            .collect(),
                    });
                }
                r.map(|_| ())
            }
            ControllerEvent::AutoPreferredReplicaLeaderElection => {
                if !is_active {
                    return Ok(());
                }
                tracing::info!("Processing automatic preferred replica leader election");
                let io = io!(self);
                let r =
                    preferred_election::check_and_trigger_auto_leader_rebalance(&io, &mut self.ctx)
                        .await;
                // Kafka reschedules in `finally`, whatever the check did.
                let interval = Duration::from_secs(
                    self.config.leader_imbalance_check_interval_seconds.max(1) as u64,
                );
                self.schedule_auto_leader_rebalance(interval);
                r
            }
            other => {
                tracing::error!("{} is not a replication event", other.name());
                Ok(())
            }
        }
    }

    /// Kafka: `scheduleAutoLeaderRebalanceTask` — one pending tick at a time; resignation
    /// aborts it.
    pub(super) fn schedule_auto_leader_rebalance(&mut self, delay: Duration) {
        if !self.config.auto_leader_rebalance_enable {
            return;
        }
        if let Some(task) = self.rebalance_task.take() {
            task.abort();
        }
        let events = self.events.clone();
        self.rebalance_task = Some(tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            events.put(ControllerEvent::AutoPreferredReplicaLeaderElection);
        }));
    }

    /// The replication part of `onControllerFailover`, after every live replica got its
    /// LeaderAndIsr: replicas on dead brokers → OfflineReplica, Offline partitions elected,
    /// pending `/admin/preferred_replica_election` processed, auto-rebalance scheduled.
    pub(super) async fn on_controller_failover_replication(&mut self) -> Result<(), ZkError> {
        let io = io!(self);
        broker_failure::on_failover(&io, &mut self.ctx).await?;
        let handler = Arc::new(PreferredReplicaElectionHandler(self.events.clone()));
        if self
            .zk
            .register_znode_change_handler_and_check_existence(handler)
            .await?
        {
            self.events.put(ControllerEvent::ReplicaLeaderElection {
                partitions: None,
                election_type: ElectionType::Preferred,
                trigger: ElectionTrigger::Zk,
                respond: None,
            });
        }
        self.schedule_auto_leader_rebalance(FIRST_REBALANCE_CHECK_DELAY);
        Ok(())
    }

    /// The replication part of `onControllerResignation`.
    pub(super) fn on_controller_resignation_replication(&mut self) {
        if let Some(task) = self.rebalance_task.take() {
            task.abort();
        }
        self.zk
            .unregister_znode_change_handler(PreferredReplicaElectionZNode::PATH);
    }

    /// The partition part of `onBrokerFailure` (elections, ISR removal, UpdateMetadata).
    pub(super) async fn on_broker_failure_replication(
        &mut self,
        dead: &BTreeSet<i32>,
    ) -> Result<(), ZkError> {
        let io = io!(self);
        broker_failure::on_broker_failure(&io, &mut self.ctx, dead).await
    }

    /// The election part of `onBrokerStartup` (`triggerOnlinePartitionStateChange`).
    pub(super) async fn on_broker_startup_replication(&mut self) -> Result<(), ZkError> {
        let io = io!(self);
        broker_failure::on_broker_startup(&io, &mut self.ctx).await
    }
}
