//! InitProducerId (API key 22), versions 0-5, for idempotent producers (no transactional id):
//! a fresh producer id with epoch 0 from the broker's producer id block.
//! Kafka: `KafkaApis.handleInitProducerIdRequest`, `TransactionCoordinator.handleInitProducerId`
//! (the `transactionalId == null` branch).

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};

use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;
use crate::zk::znodes::{AclOperation, ResourceType};

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: InitProducerIdRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let mut response = InitProducerIdResponse::default()
        .with_producer_id(ProducerId(-1))
        .with_producer_epoch(-1);
    let transactional = req
        .transactional_id
        .as_ref()
        .is_some_and(|t| !t.0.is_empty());
    // Kafka: `handleInitProducerIdRequest` — Write on the transactional id, or for an
    // idempotent producer IdempotentWrite on the cluster or Write on any topic.
    if transactional {
        let id = req
            .transactional_id
            .as_ref()
            .map(|t| t.0.to_string())
            .unwrap_or_default();
        if !apis.authorize(
            &request.context,
            AclOperation::Write,
            ResourceType::TransactionalId,
            &id,
        ) {
            response.error_code = ResponseError::TransactionalIdAuthorizationFailed.code();
            return respond(request, &response);
        }
    } else if !apis.authorize_cluster(&request.context, AclOperation::IdempotentWrite)
        && !apis.authorize_by_resource_type(
            &request.context,
            AclOperation::Write,
            ResourceType::Topic,
        )
    {
        response.error_code = ResponseError::ClusterAuthorizationFailed.code();
        return respond(request, &response);
    }
    if transactional {
        // Transactions need the transaction coordinator (a later part of the project); this
        // broker coordinates no transactional id.
        response.error_code = ResponseError::NotCoordinator.code();
        return respond(request, &response);
    }
    let Some(ids) = apis.producer_id_manager.as_ref() else {
        response.error_code = ResponseError::CoordinatorNotAvailable.code();
        return respond(request, &response);
    };
    // KIP-360 (v3+): an idempotent producer re-initialising with its old id/epoch still gets a
    // new id; Kafka only bumps epochs for transactional ids.
    match ids.generate_producer_id().await {
        Ok(id) => {
            response.producer_id = ProducerId(id);
            response.producer_epoch = 0;
        }
        Err(code) => response.error_code = code,
    }
    respond(request, &response)
}
