//! AlterPartition (API key 56), versions 0-3, as the active controller receiving a partition
//! leader's ISR change. Only the active controller answers; any other broker says NOT_CONTROLLER
//! and the leader retries against the controller named in its metadata.
//! Kafka: `KafkaApis.handleAlterPartitionRequest` (ZK mode) → `KafkaController.alterPartitions`
//! (an `AlterPartitionReceived` event; validation and the conditional ZooKeeper write are in
//! `controller::alter_partition`).

use kafka_protocol::messages::AlterPartitionRequest;
use tokio::sync::oneshot;

use super::{decode_body, respond, KafkaApis};
use crate::controller::alter_partition::error_response;
use crate::controller::ControllerEvent;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: AlterPartitionRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    let not_controller = error_response(ResponseError::NotController.code());
    let Some(controller) = apis.controller.as_ref().filter(|c| c.is_active()) else {
        return respond(request, &not_controller);
    };
    let (tx, rx) = oneshot::channel();
    let event = ControllerEvent::AlterPartition {
        request: req,
        version,
        respond: tx,
    };
    if !controller.event_sender().put_async(event).await {
        return respond(request, &not_controller);
    }
    match rx.await {
        Ok(response) => respond(request, &response),
        // The controller stopped before answering (shutdown): the leader retries elsewhere.
        Err(_) => respond(request, &not_controller),
    }
}
