//! ControlledShutdown (API key 7), versions 0-3, as the controller receiving a stopping broker's
//! request: its leaderships move away, and the answer lists the partitions it still leads.
//! Kafka: `KafkaApis.handleControlledShutdownRequest` (ZK mode; no active check here — the
//! controller event answers NOT_CONTROLLER when not active) → `KafkaController.controlledShutdown`
//! (`controller::controlled_shutdown`).

use kafka_protocol::messages::controlled_shutdown_response::RemainingPartition;
use kafka_protocol::messages::{ControlledShutdownRequest, ControlledShutdownResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::oneshot;

use super::{decode_body, respond, KafkaApis};
use crate::controller::ControllerEvent;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: ControlledShutdownRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let error = |code: i16| ControlledShutdownResponse::default().with_error_code(code);
    // Kafka: `handleControlledShutdownRequest` — ClusterAction on the cluster.
    if !apis.authorize_cluster(
        &request.context,
        crate::zk::znodes::AclOperation::ClusterAction,
    ) {
        return respond(
            request,
            &error(ResponseError::ClusterAuthorizationFailed.code()),
        );
    }
    let Some(controller) = apis.controller.as_ref() else {
        return respond(request, &error(ResponseError::NotController.code()));
    };
    let (tx, rx) = oneshot::channel();
    let event = ControllerEvent::ControlledShutdown {
        broker_id: req.broker_id.0,
        // v0-1 carry no broker epoch: Kafka treats it as unknown (-1).
        broker_epoch: if request.context.header.api_version() >= 2 {
            req.broker_epoch
        } else {
            -1
        },
        respond: tx,
    };
    if !controller.event_sender().put_async(event).await {
        return respond(request, &error(ResponseError::NotController.code()));
    }
    let response = match rx.await {
        Ok(Ok(remaining)) => ControlledShutdownResponse::default().with_remaining_partitions(
            remaining
                .into_iter()
                .map(|tp| {
                    RemainingPartition::default()
                        .with_topic_name(TopicName(StrBytes::from_string(tp.topic)))
                        .with_partition_index(tp.partition)
                })
                .collect(),
        ),
        Ok(Err(code)) => error(code),
        Err(_) => error(ResponseError::NotController.code()),
    };
    respond(request, &response)
}
