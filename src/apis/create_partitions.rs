//! CreatePartitions (API key 37), versions 0-3, answered only by the active controller.
//!
//! Kafka: `KafkaApis.handleCreatePartitionsRequest` (ZooKeeper mode) and
//! `ZkAdminManager.createPartitions`: NOT_CONTROLLER off the controller; a topic named twice is
//! INVALID_REQUEST ("Duplicate topic in request."); a topic queued for deletion is
//! INVALID_TOPIC_EXCEPTION; otherwise the new partitions are assigned and
//! `/brokers/topics/<t>` rewritten ([`crate::admin::AdminZkClient::add_partitions`]), and the
//! response waits for their leaders (`DelayedCreatePartitions`) until `timeoutMs`.

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::protocol::StrBytes;

use super::create_topics::NOT_CONTROLLER;
use super::zk_admin_manager::active_controller_admin;
use super::zk_admin_manager::REQUEST_TIMED_OUT;
use super::{decode_body, respond, KafkaApis};
use crate::network::{Request, Response};

/// INVALID_TOPIC_EXCEPTION (17).
const INVALID_TOPIC_EXCEPTION: i16 = 17;
/// INVALID_REQUEST (42).
const INVALID_REQUEST: i16 = 42;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: CreatePartitionsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let names: Vec<String> = req.topics.iter().map(|t| t.name.0.to_string()).collect();
    let mut results: Vec<CreatePartitionsTopicResult> = req
        .topics
        .iter()
        .map(|t| {
            CreatePartitionsTopicResult::default()
                .with_name(t.name.clone())
                .with_error_message(None)
        })
        .collect();
    let manager = match active_controller_admin(apis) {
        Some(m) => m,
        None => {
            for r in &mut results {
                r.error_code = NOT_CONTROLLER;
            }
            return respond(
                request,
                &CreatePartitionsResponse::default().with_results(results),
            );
        }
    };
    let mut written: Vec<(String, Vec<i32>)> = Vec::new();
    for (i, topic) in req.topics.iter().enumerate() {
        let name = &names[i];
        let fail = |r: &mut CreatePartitionsTopicResult, code: i16, message: Option<String>| {
            r.error_code = code;
            r.error_message = message.map(StrBytes::from_string);
        };
        // Kafka: `handleCreatePartitionsRequest` — Alter on each topic.
        if !apis.authorize(
            &request.context,
            crate::zk::znodes::AclOperation::Alter,
            crate::zk::znodes::ResourceType::Topic,
            name,
        ) {
            fail(
                &mut results[i],
                kafka_protocol::ResponseError::TopicAuthorizationFailed.code(),
                Some("Authorization failed.".into()),
            );
            continue;
        }
        if names.iter().filter(|n| *n == name).count() > 1 {
            fail(
                &mut results[i],
                INVALID_REQUEST,
                Some("Duplicate topic in request.".into()),
            );
            continue;
        }
        match manager.admin_zk.is_topic_marked_for_deletion(name).await {
            Ok(true) => {
                fail(
                    &mut results[i],
                    INVALID_TOPIC_EXCEPTION,
                    Some("The topic is queued for deletion.".into()),
                );
                continue;
            }
            Ok(false) => {}
            Err(e) => {
                fail(&mut results[i], e.error_code(), e.wire_message());
                continue;
            }
        }
        let explicit: Option<Vec<Vec<i32>>> = topic.assignments.as_ref().map(|a| {
            a.iter()
                .map(|x| x.broker_ids.iter().map(|b| b.0).collect())
                .collect()
        });
        match manager
            .admin_zk
            .add_partitions(name, topic.count, explicit.as_deref(), req.validate_only)
            .await
        {
            Ok(added) => written.push((name.clone(), added.keys().copied().collect())),
            Err(e) => {
                tracing::info!("Error processing create partitions request for {name}: {e}");
                fail(&mut results[i], e.error_code(), e.wire_message());
            }
        }
    }
    if !req.validate_only && !written.is_empty() {
        let timed_out = manager.wait_for_leaders(&written, req.timeout_ms).await;
        for (i, name) in names.iter().enumerate() {
            if timed_out.contains(name) {
                results[i].error_code = REQUEST_TIMED_OUT;
            }
        }
    }
    respond(
        request,
        &CreatePartitionsResponse::default().with_results(results),
    )
}
