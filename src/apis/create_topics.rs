//! CreateTopics (API key 19), versions 0-7, answered only by the active controller.
//!
//! Kafka: `KafkaApis.handleCreateTopicsRequest` (ZooKeeper mode) and
//! `ZkAdminManager.createTopics`: a non-controller answers NOT_CONTROLLER for every topic; a
//! topic named twice is INVALID_REQUEST; each topic is checked and written
//! ([`super::zk_admin_manager`]); then the response waits until the new partitions have
//! leaders in this broker's metadata cache, or the request's `timeoutMs` passes
//! (REQUEST_TIMED_OUT; `timeoutMs <= 0` answers at once with REQUEST_TIMED_OUT for written
//! topics). From v5 a successful topic carries its partition count, replication factor and
//! every topic config with its source; from v7 its topic id.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_response::{
    CreatableTopicConfigs, CreatableTopicResult,
};
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::protocol::StrBytes;

use super::describe_configs::topic_config_entries;
use super::zk_admin_manager::active_controller_admin;
use super::zk_admin_manager::{TopicToCreate, REQUEST_TIMED_OUT};
use super::{decode_body, respond, KafkaApis};
use crate::controller::partition_state_machine::topic_uuid;
use crate::network::{Request, Response};

/// NOT_CONTROLLER (41).
pub const NOT_CONTROLLER: i16 = 41;
/// INVALID_REQUEST (42).
const INVALID_REQUEST: i16 = 42;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: CreateTopicsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let names: Vec<String> = req.topics.iter().map(|t| t.name.0.to_string()).collect();
    // Kafka leaves `errorMessage` at its schema default ("") for topics answered before
    // `createTopics` runs (NOT_CONTROLLER); topics that went through it carry the ApiError's
    // message, null on success (checked against Kafka 3.9.1).
    let mut results: Vec<CreatableTopicResult> = names
        .iter()
        .map(|n| {
            CreatableTopicResult::default().with_name(kafka_protocol::messages::TopicName(
                StrBytes::from_string(n.clone()),
            ))
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
                &CreateTopicsResponse::default().with_topics(results),
            );
        }
    };
    // Kafka: "Found multiple entries for this topic." for a name given twice.
    let mut to_create = Vec::new();
    // Kafka: `handleCreateTopicsRequest` — Create on the cluster, else Create on each topic.
    let cluster_create =
        apis.authorize_cluster(&request.context, crate::zk::znodes::AclOperation::Create);
    for (i, topic) in req.topics.iter().enumerate() {
        if !cluster_create
            && !apis.authorize(
                &request.context,
                crate::zk::znodes::AclOperation::Create,
                crate::zk::znodes::ResourceType::Topic,
                &names[i],
            )
        {
            results[i].error_code = kafka_protocol::ResponseError::TopicAuthorizationFailed.code();
            results[i].error_message = Some(StrBytes::from_static_str("Authorization failed."));
            continue;
        }
        if names.iter().filter(|n| **n == names[i]).count() > 1 {
            results[i].error_code = INVALID_REQUEST;
            results[i].error_message = Some(StrBytes::from_static_str(
                "Found multiple entries for this topic.",
            ));
            continue;
        }
        to_create.push((
            i,
            TopicToCreate {
                name: names[i].clone(),
                num_partitions: topic.num_partitions,
                replication_factor: topic.replication_factor,
                assignments: topic
                    .assignments
                    .iter()
                    .map(|a| {
                        (
                            a.partition_index,
                            a.broker_ids.iter().map(|b| b.0).collect(),
                        )
                    })
                    .collect(),
                configs: topic
                    .configs
                    .iter()
                    .map(|c| (c.name.to_string(), c.value.as_ref().map(|v| v.to_string())))
                    .collect(),
            },
        ));
    }
    let topics: Vec<TopicToCreate> = to_create.iter().map(|(_, t)| t.clone()).collect();
    let outcomes = manager.create_topics(&topics, req.validate_only).await;

    // Kafka: populate configs and metadata for successfully checked topics (v5+ fields are
    // simply not encoded below v5).
    for ((i, _), outcome) in to_create.iter().zip(&outcomes) {
        let r = &mut results[*i];
        r.error_code = outcome.error_code;
        r.error_message = outcome.error_message.clone().map(StrBytes::from_string);
        if outcome.error_code != 0 {
            continue;
        }
        r.num_partitions = outcome.assignment.len() as i32;
        r.replication_factor = outcome
            .assignment
            .get(&0)
            .map(|rs| rs.len() as i16)
            .unwrap_or(-1);
        r.configs = Some(creatable_configs(&manager, &outcome.configs));
        r.topic_id = topic_uuid(outcome.topic_id.as_ref());
    }

    // Kafka: DelayedCreatePartitions — wait for leaders of what was written.
    if !req.validate_only {
        let written: Vec<(String, Vec<i32>)> = outcomes
            .iter()
            .filter(|o| o.error_code == 0)
            .map(|o| (o.name.clone(), o.assignment.keys().copied().collect()))
            .collect();
        if !written.is_empty() {
            let timed_out = manager.wait_for_leaders(&written, req.timeout_ms).await;
            for ((i, t), _) in to_create.iter().zip(&outcomes) {
                if timed_out.contains(&t.name) {
                    let r = &mut results[*i];
                    r.error_code = REQUEST_TIMED_OUT;
                    r.error_message = None;
                }
            }
        }
    }
    // Kafka: a failed (or timed-out) topic's result is reset (no configs, -1 counts).
    for r in &mut results {
        if r.error_code != 0 {
            r.configs = Some(Vec::new());
            r.num_partitions = -1;
            r.replication_factor = -1;
            r.topic_id = uuid::Uuid::nil();
        }
    }
    respond(
        request,
        &CreateTopicsResponse::default().with_topics(results),
    )
}

/// Every topic config of the new topic with its source (v5+).
fn creatable_configs(
    manager: &super::zk_admin_manager::ZkAdminManager,
    overrides: &BTreeMap<String, String>,
) -> Vec<CreatableTopicConfigs> {
    topic_config_entries(
        manager.admin_zk.base_log_config(),
        overrides,
        &manager.config.broker_originals,
    )
    .into_iter()
    .map(|e| {
        CreatableTopicConfigs::default()
            .with_name(StrBytes::from_string(e.name))
            .with_value(e.value.map(StrBytes::from_string))
            .with_read_only(e.read_only)
            .with_config_source(e.source)
            .with_is_sensitive(e.is_sensitive)
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use kafka_protocol::messages::create_topics_request::CreatableTopic;
    use kafka_protocol::messages::{ApiKey, TopicName};

    /// A broker that is not the active controller answers NOT_CONTROLLER for every topic at
    /// every version (`KafkaApis.handleCreateTopicsRequest`, ZooKeeper mode).
    #[tokio::test]
    async fn not_controller_for_every_topic() {
        let apis = apis();
        for v in 0..=7 {
            let req = CreateTopicsRequest::default().with_topics(vec![
                CreatableTopic::default()
                    .with_name(TopicName(StrBytes::from_static_str("a")))
                    .with_num_partitions(1)
                    .with_replication_factor(1),
                CreatableTopic::default()
                    .with_name(TopicName(StrBytes::from_static_str("b")))
                    .with_num_partitions(-1)
                    .with_replication_factor(-1),
            ]);
            let header_version = if v >= 5 { 1 } else { 0 };
            let (_, body): (i32, CreateTopicsResponse) = response(
                apis.handle(&request(ApiKey::CreateTopics, v, &req)).await,
                header_version,
                v,
            );
            let codes: Vec<(String, i16)> = body
                .topics
                .iter()
                .map(|t| (t.name.0.to_string(), t.error_code))
                .collect();
            assert_eq!(
                codes,
                vec![("a".into(), NOT_CONTROLLER), ("b".into(), NOT_CONTROLLER)],
                "v{v}"
            );
        }
    }
}
