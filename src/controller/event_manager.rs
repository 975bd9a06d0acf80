//! `ControllerEventManager`: the bounded queue in front of the controller's single event loop.
//!
//! Kafka: `ControllerEventManager` (one `controller-event-thread` draining a
//! `LinkedBlockingQueue`). Kafka's queue is unbounded; ours is bounded so memory has a stated
//! limit, and senders never drop events: watch/session callbacks run outside the loop and, when
//! the queue is full, hand the event to a task that waits for room (back-pressure instead of loss).

use tokio::sync::mpsc;

use super::controller_event::ControllerEvent;

/// Queue capacity. Why 10 000: ZooKeeper watches are one-shot and we keep at most one armed
/// watch per (path, kind), so outstanding watch events are bounded by the number of watched
/// znodes (`/controller`, `/brokers/ids`, one per live broker, and — in later issues — one per
/// topic); 10 000 covers clusters of thousands of topics without back-pressure while capping
/// the queue at a few hundred KiB. Beyond it senders wait; nothing is dropped.
pub const CONTROLLER_EVENT_QUEUE_CAPACITY: usize = 10_000;

/// A cloneable handle that enqueues controller events.
///
/// Senders: ZooKeeper watch handlers, the session state handler, `KafkaController::shutdown`,
/// and (later) API handlers. Receiver: the controller event loop only.
#[derive(Clone, Debug)]
pub struct ControllerEventSender {
    tx: mpsc::Sender<ControllerEvent>,
}

impl ControllerEventSender {
    /// Enqueues from a synchronous callback without blocking: if the queue is full, a task waits
    /// for room. Events are lost only if the loop has stopped (then they do not matter).
    pub fn put(&self, event: ControllerEvent) {
        match self.tx.try_send(event) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(event)) => {
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let _ = tx.send(event).await;
                });
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Enqueues, waiting for room. Returns false if the event loop has stopped.
    pub async fn put_async(&self, event: ControllerEvent) -> bool {
        self.tx.send(event).await.is_ok()
    }
}

/// Creates the queue: the sender half for producers, the receiver for the event loop.
pub fn channel() -> (ControllerEventSender, mpsc::Receiver<ControllerEvent>) {
    let (tx, rx) = mpsc::channel(CONTROLLER_EVENT_QUEUE_CAPACITY);
    (ControllerEventSender { tx }, rx)
}
