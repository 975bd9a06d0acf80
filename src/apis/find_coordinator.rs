//! FindCoordinator (API key 10), versions 0-6: the broker leading the group's
//! `__consumer_offsets` partition. v4+ batches coordinator keys (KIP-699).
//! Kafka: `KafkaApis.handleFindCoordinatorRequest`, `getCoordinator`.

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::cluster::TopicPartition;
use crate::coordinator::group::GROUP_METADATA_TOPIC_NAME;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

/// `FindCoordinatorRequest.CoordinatorType.GROUP`.
const KEY_TYPE_GROUP: i8 = 0;
/// `FindCoordinatorRequest.CoordinatorType.TRANSACTION`.
const KEY_TYPE_TRANSACTION: i8 = 1;

/// The coordinator of one key: error and `(node id, host, port)` (Kafka `Node.noNode` is
/// `(-1, "", -1)`).
struct Found {
    error: i16,
    node: (i32, String, i32),
}

impl Found {
    fn error(code: i16) -> Found {
        Found {
            error: code,
            node: (-1, String::new(), -1),
        }
    }
}

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: FindCoordinatorRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    if version < 4 {
        let found = get_coordinator(apis, request, req.key_type, &req.key).await;
        let mut resp = FindCoordinatorResponse::default()
            .with_error_code(found.error)
            .with_node_id(BrokerId(found.node.0))
            .with_host(StrBytes::from_string(found.node.1))
            .with_port(found.node.2);
        if version >= 1 {
            resp.error_message = Some(StrBytes::from_static_str(error_message(found.error)));
        }
        return respond(request, &resp);
    }
    let mut coordinators = Vec::with_capacity(req.coordinator_keys.len());
    for key in &req.coordinator_keys {
        let found = get_coordinator(apis, request, req.key_type, key).await;
        coordinators.push(
            Coordinator::default()
                .with_key(key.clone())
                .with_node_id(BrokerId(found.node.0))
                .with_host(StrBytes::from_string(found.node.1))
                .with_port(found.node.2)
                .with_error_code(found.error)
                .with_error_message(Some(StrBytes::from_static_str(error_message(found.error)))),
        );
    }
    respond(
        request,
        &FindCoordinatorResponse::default().with_coordinators(coordinators),
    )
}

/// Kafka: `KafkaApis.getCoordinator`: creates `__consumer_offsets` on first use (answering
/// COORDINATOR_NOT_AVAILABLE meanwhile); the coordinator is the partition leader's endpoint
/// on the request's listener.
async fn get_coordinator(apis: &KafkaApis, request: &Request, key_type: i8, key: &str) -> Found {
    // Kafka: `getCoordinator` — Describe on the group or the transactional id.
    match key_type {
        KEY_TYPE_GROUP
            if !apis.authorize(
                &request.context,
                crate::zk::znodes::AclOperation::Describe,
                crate::zk::znodes::ResourceType::Group,
                key,
            ) =>
        {
            return Found::error(ResponseError::GroupAuthorizationFailed.code())
        }
        KEY_TYPE_TRANSACTION
            if !apis.authorize(
                &request.context,
                crate::zk::znodes::AclOperation::Describe,
                crate::zk::znodes::ResourceType::TransactionalId,
                key,
            ) =>
        {
            return Found::error(ResponseError::TransactionalIdAuthorizationFailed.code())
        }
        _ => {}
    }
    let topic = match key_type {
        KEY_TYPE_GROUP => GROUP_METADATA_TOPIC_NAME,
        // No transaction coordinator in this broker yet: clients retry.
        KEY_TYPE_TRANSACTION => return Found::error(ResponseError::CoordinatorNotAvailable.code()),
        _ => return Found::error(ResponseError::InvalidRequest.code()),
    };
    let Some(coordinator) = apis.group_coordinator.as_ref() else {
        return Found::error(ResponseError::CoordinatorNotAvailable.code());
    };
    let partition = coordinator.partition_for(key);
    if !apis.metadata_cache.contains_topic(topic) {
        if let Some(creator) = apis.auto_topic_creation.as_ref() {
            let topics = [topic.to_string()];
            let created = creator.create_topics(&topics, &request.context).await;
            tracing::debug!(?created, "auto-creating {topic} for FindCoordinator");
        }
        return Found::error(ResponseError::CoordinatorNotAvailable.code());
    }
    let tp = TopicPartition::new(topic, partition);
    match apis
        .metadata_cache
        .partition_leader_endpoint(&tp, &request.context.listener_name)
    {
        Some(Some(node)) => Found {
            error: 0,
            node: (node.id, node.host, node.port),
        },
        _ => Found::error(ResponseError::CoordinatorNotAvailable.code()),
    }
}

/// Kafka's `Errors.message()` for the codes this API answers.
fn error_message(code: i16) -> &'static str {
    match ResponseError::try_from_code(code) {
        None => "NONE",
        Some(ResponseError::CoordinatorNotAvailable) => "The coordinator is not available.",
        Some(ResponseError::InvalidRequest) => "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker. See the broker logs for more details.",
        Some(_) => "",
    }
}
