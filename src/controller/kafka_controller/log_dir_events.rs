//! The controller events of failed log directories, wired to the event loop: the
//! `/log_dir_event_notification` child watch (registered at failover, pending notifications
//! deleted), `LogDirEventNotification` and `LeaderAndIsrResponseReceived`. The decisions live in
//! [`crate::controller::log_dir_event`].
//!
//! Kafka: `KafkaController.onControllerFailover` (the `logDirEventNotificationHandler` part),
//! `processLogDirEventNotification`, `processLeaderAndIsrResponseReceived`, and
//! `ControllerBrokerRequestBatch.sendLeaderAndIsrRequest`'s response callback.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::replication_events::io;
use super::{ControllerEvent, ControllerEventLoop};
use crate::controller::broker_request_batch::ControllerIo;
use crate::controller::channel_manager::LeaderAndIsrResponseHandler;
use crate::controller::log_dir_event::{self, LogDirEventNotificationHandler};
use crate::zk::znodes::LogDirEventNotificationZNode;
use crate::zk::ZkError;

impl ControllerEventLoop {
    /// Processes `LogDirEventNotification` or `LeaderAndIsrResponseReceived` (ignored when not
    /// active, as in Kafka).
    pub(super) async fn process_log_dir_event(
        &mut self,
        event: ControllerEvent,
    ) -> Result<(), ZkError> {
        if !self.is_active() {
            return Ok(());
        }
        let io = io!(self);
        match event {
            ControllerEvent::LogDirEventNotification => {
                log_dir_event::process_log_dir_event_notification(&io, &mut self.ctx).await
            }
            ControllerEvent::LeaderAndIsrResponseReceived {
                broker_id,
                response,
            } => {
                log_dir_event::process_leader_and_isr_response_received(
                    &io,
                    &mut self.ctx,
                    broker_id,
                    &response,
                )
                .await
            }
            other => {
                tracing::error!("{} is not a log dir event", other.name());
                Ok(())
            }
        }
    }

    /// Every LeaderAndIsr response goes back to the loop as `LeaderAndIsrResponseReceived`.
    pub(super) fn leader_and_isr_response_handler(&self) -> LeaderAndIsrResponseHandler {
        let events = self.events.clone();
        Arc::new(move |broker_id, response| {
            events.put(ControllerEvent::LeaderAndIsrResponseReceived {
                broker_id,
                response,
            })
        })
    }

    /// The failover part: register the child watch, delete pending notifications (fenced).
    pub(super) async fn on_controller_failover_log_dirs(&mut self) -> Result<(), ZkError> {
        self.zk
            .register_znode_child_change_handler(Arc::new(LogDirEventNotificationHandler(
                self.events.clone(),
            )));
        log_dir_event::on_controller_failover(&self.zk, self.ctx.epoch_zk_version).await
    }

    /// The resignation part: stop watching `/log_dir_event_notification`.
    pub(super) fn on_controller_resignation_log_dirs(&mut self) {
        self.zk
            .unregister_znode_child_change_handler(LogDirEventNotificationZNode::PATH);
    }

    /// A broker that starts or dies has no replicas in failed dirs any more (a restarted broker
    /// reports its dirs anew). Kafka: `onBrokerStartup` / `onBrokerFailure`,
    /// `replicasOnOfflineDirs.remove`.
    pub(super) fn forget_offline_dirs(&mut self, broker_ids: &BTreeSet<i32>) {
        for id in broker_ids {
            self.ctx.replicas_on_offline_dirs.remove(id);
        }
    }
}
