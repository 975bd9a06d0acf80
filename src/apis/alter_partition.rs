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
    // Kafka: `handleAlterPartitionRequest` — ClusterAction on the cluster.
    if !apis.authorize_cluster(
        &request.context,
        crate::zk::znodes::AclOperation::ClusterAction,
    ) {
        return respond(
            request,
            &error_response(ResponseError::ClusterAuthorizationFailed.code()),
        );
    }
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

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::{
        AllocateProducerIdsRequest, AllocateProducerIdsResponse, AlterPartitionResponse, ApiKey,
        BrokerId, ControlledShutdownRequest, ControlledShutdownResponse,
    };

    use crate::apis::test_support::{apis, request, response};
    use crate::protocol::errors::ResponseError;

    /// Kafka `KafkaApis` (ZK mode): AlterPartition and AllocateProducerIds are answered
    /// NOT_CONTROLLER by a broker that is not the active controller, and ControlledShutdown by a
    /// broker without a controller module; the requests are not lost silently.
    #[tokio::test]
    async fn non_controller_answers_not_controller() {
        let apis = apis();
        let not_controller = ResponseError::NotController.code();
        let req = kafka_protocol::messages::AlterPartitionRequest::default()
            .with_broker_id(BrokerId(1))
            .with_broker_epoch(5);
        let r = apis.handle(&request(ApiKey::AlterPartition, 3, &req)).await;
        let (_, body): (i32, AlterPartitionResponse) = response(r, 1, 3);
        assert_eq!(body.error_code, not_controller);
        let req = AllocateProducerIdsRequest::default()
            .with_broker_id(BrokerId(1))
            .with_broker_epoch(5);
        let r = apis
            .handle(&request(ApiKey::AllocateProducerIds, 0, &req))
            .await;
        let (_, body): (i32, AllocateProducerIdsResponse) = response(r, 1, 0);
        assert_eq!(body.error_code, not_controller);
        let req = ControlledShutdownRequest::default()
            .with_broker_id(BrokerId(1))
            .with_broker_epoch(5);
        let r = apis
            .handle(&request(ApiKey::ControlledShutdown, 3, &req))
            .await;
        let (_, body): (i32, ControlledShutdownResponse) = response(r, 1, 3);
        assert_eq!(body.error_code, not_controller);
        assert!(body.remaining_partitions.is_empty());
    }
}
