//! DeleteTopics (API key 20), versions 0-6 (by name; from v6 by name or topic id), answered
//! only by the active controller.
//!
//! Kafka: `KafkaApis.handleDeleteTopicsRequest` (ZooKeeper mode) and
//! `ZkAdminManager.deleteTopics`: a non-controller answers NOT_CONTROLLER;
//! `delete.topic.enable=false` answers TOPIC_DELETION_DISABLED (INVALID_REQUEST before v3); an
//! unknown id is UNKNOWN_TOPIC_ID, an unknown name UNKNOWN_TOPIC_OR_PARTITION; the others are
//! marked in `/admin/delete_topics` (an existing mark counts as success) and the response waits
//! until the metadata cache no longer has them (`DelayedDeleteTopics`) or `timeoutMs` passes
//! (REQUEST_TIMED_OUT).

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::create_topics::NOT_CONTROLLER;
use super::zk_admin_manager::active_controller_admin;
use super::zk_admin_manager::REQUEST_TIMED_OUT;
use super::{decode_body, respond, KafkaApis};
use crate::admin::AdminError;
use crate::network::{Request, Response};

/// UNKNOWN_TOPIC_OR_PARTITION (3).
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
/// INVALID_REQUEST (42).
const INVALID_REQUEST: i16 = 42;
/// TOPIC_DELETION_DISABLED (73).
const TOPIC_DELETION_DISABLED: i16 = 73;
/// UNKNOWN_TOPIC_ID (100).
const UNKNOWN_TOPIC_ID: i16 = 100;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: DeleteTopicsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    // (name, id) per requested topic, in request order (v0-5 carry names only).
    let requested: Vec<(Option<String>, Uuid)> = if version >= 6 {
        req.topics
            .iter()
            .map(|t| (t.name.as_ref().map(|n| n.0.to_string()), t.topic_id))
            .collect()
    } else {
        req.topic_names
            .iter()
            .map(|n| (Some(n.0.to_string()), Uuid::nil()))
            .collect()
    };
    let result = |name: Option<String>, id: Uuid, code: i16| {
        DeletableTopicResult::default()
            .with_name(name.map(|n| TopicName(StrBytes::from_string(n))))
            .with_topic_id(id)
            .with_error_code(code)
            .with_error_message(None)
    };
    let manager = match active_controller_admin(apis) {
        Some(m) => m,
        None => {
            let responses = requested
                .into_iter()
                .map(|(n, id)| result(n, id, NOT_CONTROLLER))
                .collect();
            return respond(
                request,
                &DeleteTopicsResponse::default().with_responses(responses),
            );
        }
    };
    if !manager.config.delete_topic_enable {
        let code = if version < 3 {
            INVALID_REQUEST
        } else {
            TOPIC_DELETION_DISABLED
        };
        let responses = requested
            .into_iter()
            .map(|(n, id)| result(n, id, code))
            .collect();
        return respond(
            request,
            &DeleteTopicsResponse::default().with_responses(responses),
        );
    }
    let mut results = Vec::with_capacity(requested.len());
    let mut to_delete: Vec<String> = Vec::new();
    for (name, id) in requested {
        if name.is_some() && !id.is_nil() {
            // Kafka throws InvalidRequestException for the whole request, which the generic
            // error path answers with INVALID_REQUEST for every topic.
            let responses = req_all_invalid(version, &req);
            return respond(
                request,
                &DeleteTopicsResponse::default().with_responses(responses),
            );
        }
        let resolved = if id.is_nil() {
            name
        } else {
            manager.metadata_cache.topic_name(id)
        };
        match resolved {
            None => results.push(result(None, id, UNKNOWN_TOPIC_ID)),
            // Kafka: `handleDeleteTopicsRequest` — Delete on each topic (checked before
            // existence, so unauthorized principals learn nothing).
            Some(n)
                if !apis.authorize(
                    &request.context,
                    crate::zk::znodes::AclOperation::Delete,
                    crate::zk::znodes::ResourceType::Topic,
                    &n,
                ) =>
            {
                results.push(result(
                    Some(n),
                    id,
                    kafka_protocol::ResponseError::TopicAuthorizationFailed.code(),
                ))
            }
            Some(n) if !manager.metadata_cache.contains_topic(&n) => {
                results.push(result(Some(n), id, UNKNOWN_TOPIC_OR_PARTITION))
            }
            Some(n) => {
                if !to_delete.contains(&n) {
                    to_delete.push(n.clone());
                }
                results.push(result(Some(n), id, 0));
            }
        }
    }
    // Kafka: ZkAdminManager.deleteTopics — mark each, then wait for the metadata to drop them.
    let mut marked = Vec::new();
    for topic in &to_delete {
        let code = match manager.admin_zk.delete_topic(topic).await {
            Ok(()) | Err(AdminError::TopicAlreadyMarkedForDeletion(_)) => {
                marked.push(topic.clone());
                0
            }
            Err(e) => {
                tracing::error!("Error processing delete topic request for topic {topic}: {e}");
                e.error_code()
            }
        };
        set_code(&mut results, topic, code);
    }
    if !marked.is_empty() {
        for topic in manager.wait_for_deletion(&marked, req.timeout_ms).await {
            set_code(&mut results, &topic, REQUEST_TIMED_OUT);
        }
    }
    respond(
        request,
        &DeleteTopicsResponse::default().with_responses(results),
    )
}

fn set_code(results: &mut [DeletableTopicResult], topic: &str, code: i16) {
    for r in results.iter_mut() {
        if r.name.as_ref().is_some_and(|n| n.0.as_str() == topic) {
            r.error_code = code;
        }
    }
}

/// INVALID_REQUEST for every topic (Kafka's `getErrorResponse` for a request-level error).
fn req_all_invalid(version: i16, req: &DeleteTopicsRequest) -> Vec<DeletableTopicResult> {
    let entries: Vec<(Option<TopicName>, Uuid)> = if version >= 6 {
        req.topics
            .iter()
            .map(|t| (t.name.clone(), t.topic_id))
            .collect()
    } else {
        req.topic_names
            .iter()
            .map(|n| (Some(n.clone()), Uuid::nil()))
            .collect()
    };
    entries
        .into_iter()
        .map(|(name, id)| {
            DeletableTopicResult::default()
                .with_name(name)
                .with_topic_id(id)
                .with_error_code(INVALID_REQUEST)
                .with_error_message(Some(StrBytes::from_static_str(
                    "Topic name and topic ID can not both be specified.",
                )))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
    use kafka_protocol::messages::ApiKey;

    /// Off the controller every topic, by name or by id, is NOT_CONTROLLER, echoing the id
    /// (`KafkaApis.handleDeleteTopicsRequest`).
    #[tokio::test]
    async fn not_controller_echoes_names_and_ids() {
        let apis = apis();
        let req = DeleteTopicsRequest::default().with_topics(vec![
            DeleteTopicState::default().with_name(Some(TopicName(StrBytes::from_static_str("a")))),
            DeleteTopicState::default()
                .with_name(None)
                .with_topic_id(Uuid::from_u128(5)),
        ]);
        let (_, body): (i32, DeleteTopicsResponse) = response(
            apis.handle(&request(ApiKey::DeleteTopics, 6, &req)).await,
            1,
            6,
        );
        assert_eq!(body.responses.len(), 2);
        assert!(body
            .responses
            .iter()
            .all(|r| r.error_code == NOT_CONTROLLER));
        assert_eq!(body.responses[1].topic_id, Uuid::from_u128(5));
        assert!(body.responses[1].name.is_none());
    }
}
