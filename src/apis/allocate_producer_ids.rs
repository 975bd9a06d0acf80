//! AllocateProducerIds (API key 67), version 0, as the active controller handing a broker its
//! next block of producer ids (KIP-730, IBP ≥ 3.0-IV0).
//! Kafka: `KafkaApis.handleAllocateProducerIdsRequest` (ZK mode: NOT_CONTROLLER unless active)
//! → `KafkaController.allocateProducerIds` (the `/latest_producer_id_block` update is in
//! `controller::producer_id_block`).

use kafka_protocol::messages::{
    AllocateProducerIdsRequest, AllocateProducerIdsResponse, ProducerId,
};
use tokio::sync::oneshot;

use super::{decode_body, respond, KafkaApis};
use crate::controller::ControllerEvent;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: AllocateProducerIdsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    // Kafka: `handleAllocateProducerIdsRequest` — ClusterAction on the cluster.
    if !apis.authorize_cluster(
        &request.context,
        crate::zk::znodes::AclOperation::ClusterAction,
    ) {
        let r = AllocateProducerIdsResponse::default()
            .with_error_code(ResponseError::ClusterAuthorizationFailed.code());
        return respond(request, &r);
    }
    let not_controller =
        AllocateProducerIdsResponse::default().with_error_code(ResponseError::NotController.code());
    let Some(controller) = apis.controller.as_ref().filter(|c| c.is_active()) else {
        return respond(request, &not_controller);
    };
    let (tx, rx) = oneshot::channel();
    let event = ControllerEvent::AllocateProducerIds {
        broker_id: req.broker_id.0,
        broker_epoch: req.broker_epoch,
        respond: tx,
    };
    if !controller.event_sender().put_async(event).await {
        return respond(request, &not_controller);
    }
    let response = match rx.await {
        Ok(Ok(block)) => AllocateProducerIdsResponse::default()
            .with_producer_id_start(ProducerId(block.first_producer_id))
            .with_producer_id_len(block.size),
        Ok(Err(code)) => AllocateProducerIdsResponse::default().with_error_code(code),
        Err(_) => not_controller,
    };
    respond(request, &response)
}
