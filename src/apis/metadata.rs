//! Metadata (key 3), versions 0-12, answered from the metadata cache.
//!
//! Kafka: `KafkaApis.handleTopicMetadataRequest`, `KafkaApis.getTopicMetadata`,
//! `ZkMetadataCache.getTopicMetadata` / `getPartitionMetadata`, `MetadataRequest.isAllTopics`
//! and `getErrorResponse`. Topics are filtered by Describe (and Create for auto-creation); the
//! authorized-operations fields come from `KafkaApis::authorized_operations`
//! (Kafka: `AuthHelper.authorizedOperations`).

use std::collections::HashSet;

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, MetadataRequest, MetadataResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::{decode_body, respond, KafkaApis};
use crate::metadata_cache::{MetadataSnapshot, NO_LEADER};
use crate::network::{Request, Response};
use crate::protocol::errors::{self, ResponseError};
use crate::zk::znodes::{AclOperation, ResourceType, CLUSTER_RESOURCE_NAME};

/// Kafka's `MetadataResponse.NO_CONTROLLER_ID`.
const NO_CONTROLLER_ID: i32 = -1;

/// Bit field of every operation a topic supports (Kafka `AclEntry.supportedOperations(TOPIC)`:
/// READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, DESCRIBE_CONFIGS 10,
/// ALTER_CONFIGS 11; `Utils.to32BitField`).
pub const TOPIC_SUPPORTED_OPERATIONS: i32 =
    (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);

/// Bit field of every operation the cluster supports (Kafka `AclEntry.supportedOperations(CLUSTER)`:
/// CREATE 5, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11,
/// IDEMPOTENT_WRITE 12).
pub const CLUSTER_SUPPORTED_OPERATIONS: i32 =
    (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);

/// Kafka's internal topics (`Topic.isInternal`).
pub fn is_internal_topic(topic: &str) -> bool {
    topic == "__consumer_offsets" || topic == "__transaction_state"
}

/// Kafka's legal topic names (`Topic.validate`): 1-249 characters from `[a-zA-Z0-9._-]`,
/// and neither "." nor "..".
pub fn is_valid_topic_name(topic: &str) -> bool {
    !topic.is_empty()
        && topic != "."
        && topic != ".."
        && topic.len() <= 249
        && topic
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'-')
}

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let body: MetadataRequest = match decode_body(request) {
        Ok(b) => b,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();

    // Kafka: topic names cannot be null and topic ids cannot be used before v12; the
    // InvalidRequestException becomes the request's error response.
    if let Some(topics) = &body.topics {
        if version < 12
            && topics
                .iter()
                .any(|t| t.name.is_none() || !t.topic_id.is_nil())
        {
            return respond(
                request,
                &error_response(&body, ResponseError::InvalidRequest),
            );
        }
    }

    let snapshot = apis.metadata_cache.snapshot();
    let listener: &str = &request.context.listener_name;
    let requested = body.topics.as_deref().unwrap_or(&[]);
    // Kafka: `MetadataRequest.isAllTopics` — null topics, or an empty list in v0.
    let all_topics = body.topics.is_none() || (version == 0 && requested.is_empty());

    let mut topic_ids: Vec<Uuid> = Vec::new();
    for t in requested {
        if !t.topic_id.is_nil() && !topic_ids.contains(&t.topic_id) {
            topic_ids.push(t.topic_id);
        }
    }
    let use_topic_id = !topic_ids.is_empty();
    let mut response_topics: Vec<MetadataResponseTopic> = Vec::new();
    for id in &topic_ids {
        if !snapshot.topic_names.contains_key(id) {
            response_topics.push(
                MetadataResponseTopic::default()
                    .with_error_code(ResponseError::UnknownTopicId.code())
                    .with_name(None)
                    .with_topic_id(*id),
            );
        }
    }

    let topics: Vec<String> = if all_topics {
        let mut all: Vec<String> = snapshot.partition_states.keys().cloned().collect();
        all.sort();
        all
    } else if use_topic_id {
        topic_ids
            .iter()
            .filter_map(|id| snapshot.topic_names.get(id).cloned())
            .collect()
    } else {
        let mut seen = HashSet::new();
        requested
            .iter()
            .filter_map(|t| t.name.as_ref().map(|n| n.0.to_string()))
            .filter(|n| seen.insert(n.clone()))
            .collect()
    };

    // Kafka: `filterByAuthorized(DESCRIBE, TOPIC)` — an all-topics request silently leaves out
    // topics the principal may not describe; named ones are TOPIC_AUTHORIZATION_FAILED.
    let (topics, unauthorized): (Vec<String>, Vec<String>) = topics.into_iter().partition(|t| {
        apis.authorize(
            &request.context,
            AclOperation::Describe,
            ResourceType::Topic,
            t,
        )
    });
    if !all_topics {
        for topic in &unauthorized {
            let t = MetadataResponseTopic::default()
                .with_error_code(ResponseError::TopicAuthorizationFailed.code())
                .with_is_internal(is_internal_topic(topic));
            response_topics.push(if use_topic_id {
                t.with_name(None)
                    .with_topic_id(snapshot.topic_ids.get(topic).copied().unwrap_or_default())
            } else {
                t.with_name(Some(topic_name(topic)))
            });
        }
    }

    // In v0 unavailable replicas were reported as errors; later versions just leave the
    // broker out. From v6 a leader without the request's listener is LISTENER_NOT_FOUND.
    let error_unavailable_endpoints = version == 0;
    let error_unavailable_listeners = version >= 6;
    let mut topic_metadata = Vec::with_capacity(topics.len());
    let mut missing = Vec::new();
    for topic in &topics {
        match topic_response(
            &snapshot,
            topic,
            listener,
            error_unavailable_endpoints,
            error_unavailable_listeners,
        ) {
            Some(t) => topic_metadata.push(t),
            None => missing.push(topic.clone()),
        }
    }
    // Kafka keeps these apart from `topicMetadata`: they never carry authorized operations.
    let mut unauthorized_for_create = Vec::new();
    if !all_topics && !missing.is_empty() {
        let allow_auto_creation =
            apis.config.auto_create_topics_enable && body.allow_auto_topic_creation && !all_topics;
        // Kafka: auto-creation needs Create on the cluster, else Create on each topic; the
        // others are TOPIC_AUTHORIZATION_FAILED.
        let mut missing = missing;
        if allow_auto_creation && !apis.authorize_cluster(&request.context, AclOperation::Create) {
            let (allowed, denied): (Vec<String>, Vec<String>) =
                missing.into_iter().partition(|t| {
                    apis.authorize(
                        &request.context,
                        AclOperation::Create,
                        ResourceType::Topic,
                        t,
                    )
                });
            for topic in &denied {
                unauthorized_for_create.push(
                    MetadataResponseTopic::default()
                        .with_error_code(ResponseError::TopicAuthorizationFailed.code())
                        .with_name(Some(topic_name(topic)))
                        .with_is_internal(is_internal_topic(topic)),
                );
            }
            missing = allowed;
        }
        match (&apis.auto_topic_creation, allow_auto_creation) {
            (Some(_), true) if missing.is_empty() => {}
            (Some(manager), true) => {
                for created in manager.create_topics(&missing, &request.context).await {
                    topic_metadata.push(
                        MetadataResponseTopic::default()
                            .with_error_code(created.error_code)
                            .with_name(Some(topic_name(&created.name)))
                            .with_is_internal(is_internal_topic(&created.name)),
                    );
                }
            }
            _ => {
                for topic in &missing {
                    let error = if is_valid_topic_name(topic) {
                        ResponseError::UnknownTopicOrPartition
                    } else {
                        ResponseError::InvalidTopicException
                    };
                    topic_metadata.push(
                        MetadataResponseTopic::default()
                            .with_error_code(error.code())
                            .with_name(Some(topic_name(topic)))
                            .with_topic_id(
                                snapshot.topic_ids.get(topic).copied().unwrap_or_default(),
                            )
                            .with_is_internal(is_internal_topic(topic)),
                    );
                }
            }
        }
    }

    // Kafka: `handleTopicMetadataRequest` — the cluster's operations (v8-10 only) need Describe
    // on the cluster, else 0; each topic answered (errors included) gets its own operations.
    let mut cluster_authorized_operations = i32::MIN; // the schema default
    if version >= 8 {
        if version <= 10 && body.include_cluster_authorized_operations {
            cluster_authorized_operations =
                if apis.authorize_cluster(&request.context, AclOperation::Describe) {
                    apis.authorized_operations(
                        &request.context,
                        ResourceType::Cluster,
                        CLUSTER_RESOURCE_NAME,
                    )
                } else {
                    0
                };
        }
        if body.include_topic_authorized_operations {
            for t in &mut topic_metadata {
                let name = t.name.as_ref().map(|n| n.0.to_string()).unwrap_or_default();
                t.topic_authorized_operations =
                    apis.authorized_operations(&request.context, ResourceType::Topic, &name);
            }
        }
    }
    // Kafka's order: denied Create, denied Describe, then the answered topics.
    response_topics.splice(0..0, unauthorized_for_create);
    response_topics.extend(topic_metadata);

    let brokers = snapshot
        .alive_brokers
        .keys()
        .filter_map(|id| snapshot.alive_endpoint(*id, listener))
        .map(|node| {
            MetadataResponseBroker::default()
                .with_node_id(BrokerId(node.id))
                .with_host(StrBytes::from_string(node.host.clone()))
                .with_port(node.port)
                .with_rack(node.rack.clone().map(StrBytes::from_string))
        })
        .collect();
    let response = MetadataResponse::default()
        .with_brokers(brokers)
        .with_cluster_id(Some(StrBytes::from_string(apis.config.cluster_id.clone())))
        .with_controller_id(BrokerId(snapshot.controller_id.unwrap_or(NO_CONTROLLER_ID)))
        .with_topics(response_topics)
        .with_cluster_authorized_operations(cluster_authorized_operations);
    respond(request, &response)
}

fn topic_name(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

/// One cached topic's metadata, or `None` when the cache does not know it.
/// Kafka: `ZkMetadataCache.getTopicMetadata`.
fn topic_response(
    snapshot: &MetadataSnapshot,
    topic: &str,
    listener: &str,
    error_unavailable_endpoints: bool,
    error_unavailable_listeners: bool,
) -> Option<MetadataResponseTopic> {
    let partitions = snapshot.partition_states.get(topic)?;
    let filter = |brokers: &[i32]| -> Vec<i32> {
        if error_unavailable_endpoints {
            brokers
                .iter()
                .copied()
                .filter(|b| snapshot.alive_endpoint(*b, listener).is_some())
                .collect()
        } else {
            brokers.to_vec()
        }
    };
    let ids = |v: Vec<i32>| v.into_iter().map(BrokerId).collect::<Vec<_>>();
    let partitions = partitions
        .values()
        .map(|state| {
            let replicas = filter(&state.replicas);
            let isr = filter(&state.isr);
            let leader = snapshot.alive_endpoint(state.leader, listener);
            // Kafka: `ZkMetadataCache.getPartitionMetadata`.
            let (error, leader_id) = match leader {
                None if !snapshot.is_broker_alive(state.leader) => {
                    (Some(ResponseError::LeaderNotAvailable), NO_LEADER)
                }
                None if error_unavailable_listeners => {
                    (Some(ResponseError::ListenerNotFound), NO_LEADER)
                }
                None => (Some(ResponseError::LeaderNotAvailable), NO_LEADER),
                Some(node) => {
                    let error = (replicas.len() < state.replicas.len()
                        || isr.len() < state.isr.len())
                    .then_some(ResponseError::ReplicaNotAvailable);
                    (error, node.id)
                }
            };
            MetadataResponsePartition::default()
                .with_error_code(errors::code(error))
                .with_partition_index(state.partition)
                .with_leader_id(BrokerId(leader_id))
                .with_leader_epoch(state.leader_epoch)
                .with_replica_nodes(ids(replicas))
                .with_isr_nodes(ids(isr))
                .with_offline_replicas(ids(state.offline_replicas.clone()))
        })
        .collect();
    Some(
        MetadataResponseTopic::default()
            .with_error_code(errors::NONE)
            .with_name(Some(topic_name(topic)))
            .with_topic_id(snapshot.topic_ids.get(topic).copied().unwrap_or_default())
            .with_is_internal(is_internal_topic(topic))
            .with_partitions(partitions),
    )
}

/// Kafka: `MetadataRequest.getErrorResponse` — every requested topic with the error, no brokers.
fn error_response(body: &MetadataRequest, error: ResponseError) -> MetadataResponse {
    let topics = body
        .topics
        .iter()
        .flatten()
        .map(|t| {
            MetadataResponseTopic::default()
                .with_error_code(error.code())
                .with_name(Some(t.name.clone().unwrap_or_default()))
                .with_topic_id(t.topic_id)
                .with_is_internal(false)
        })
        .collect();
    MetadataResponse::default().with_topics(topics)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::apis::{AutoCreatedTopic, AutoTopicCreationManager};
    use crate::cluster::{EndPoint, SecurityProtocol};
    use crate::metadata_cache::{Broker, MetadataUpdate, PartitionState, TopicStateUpdate};
    use crate::network::{BoxFuture, RequestContext};
    use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    use kafka_protocol::messages::ApiKey;
    use std::sync::Arc;

    fn endpoint(listener: &str, host: &str, port: u16) -> EndPoint {
        EndPoint {
            host: host.into(),
            port,
            listener_name: listener.into(),
            security_protocol: SecurityProtocol::Plaintext,
        }
    }

    fn state(partition: i32, leader: i32, replicas: Vec<i32>, isr: Vec<i32>) -> PartitionState {
        PartitionState {
            partition,
            controller_epoch: 1,
            leader,
            leader_epoch: 5,
            isr,
            zk_version: 3,
            replicas,
            offline_replicas: vec![],
        }
    }

    /// Brokers 1 (rack r1, PLAINTEXT + INTERNAL) and 2 (PLAINTEXT only); broker 3 is dead.
    /// Topic "a": p0 led by 1, p1 led by dead 3, p2 led by 2 (which has no INTERNAL listener),
    /// p3 led by 1 with dead replica 3.
    fn filled() -> KafkaApis {
        let apis = apis();
        apis.metadata_cache.update_metadata(&MetadataUpdate {
            controller_id: 2,
            live_brokers: vec![
                Broker {
                    id: 1,
                    endpoints: vec![
                        endpoint("PLAINTEXT", "h1", 9092),
                        endpoint("INTERNAL", "i1", 9093),
                    ],
                    rack: Some("r1".into()),
                },
                Broker {
                    id: 2,
                    endpoints: vec![endpoint("PLAINTEXT", "h2", 9092)],
                    rack: None,
                },
            ],
            topic_states: vec![TopicStateUpdate {
                topic: "a".into(),
                topic_id: Uuid::from_u128(0xabc),
                partition_states: vec![
                    state(0, 1, vec![1, 2], vec![1, 2]),
                    state(1, 3, vec![3, 1], vec![3]),
                    state(2, 2, vec![2, 1], vec![2, 1]),
                    state(3, 1, vec![1, 3], vec![1]),
                ],
            }],
        });
        apis
    }

    fn named(names: &[&str]) -> MetadataRequest {
        MetadataRequest::default().with_topics(Some(
            names
                .iter()
                .map(|n| MetadataRequestTopic::default().with_name(Some(topic_name(n))))
                .collect(),
        ))
    }

    async fn call(
        apis: &KafkaApis,
        listener: &str,
        v: i16,
        req: &MetadataRequest,
    ) -> MetadataResponse {
        let header_version = if v >= 9 { 1 } else { 0 };
        let r = request_on(listener, ApiKey::Metadata, v, req);
        response(apis.handle(&r).await, header_version, v).1
    }

    /// Kafka: `handleTopicMetadataRequest` — brokers on the request's listener with racks,
    /// cluster id, controller id, topic id, partitions with leader, epoch, replicas, ISR; a
    /// dead leader gives LEADER_NOT_AVAILABLE with leader −1.
    #[tokio::test]
    async fn v12_answers_from_the_cache() {
        let apis = filled();
        let resp = call(&apis, "PLAINTEXT", 12, &named(&["a"])).await;
        assert_eq!(resp.brokers.len(), 2);
        assert_eq!(resp.brokers[0].host.as_str(), "h1");
        assert_eq!(resp.brokers[0].rack.as_deref(), Some("r1"));
        assert_eq!(resp.brokers[1].rack, None);
        assert_eq!(resp.cluster_id.as_deref(), Some("test-cluster"));
        assert_eq!(resp.controller_id, BrokerId(2));
        let t = &resp.topics[0];
        assert_eq!(t.error_code, 0);
        assert_eq!(t.topic_id, Uuid::from_u128(0xabc));
        assert_eq!(t.topic_authorized_operations, i32::MIN);
        let p: Vec<(i32, i16, i32)> = t
            .partitions
            .iter()
            .map(|p| (p.partition_index, p.error_code, p.leader_id.0))
            .collect();
        assert_eq!(p, vec![(0, 0, 1), (1, 5, -1), (2, 0, 2), (3, 0, 1)]);
        assert_eq!(t.partitions[0].leader_epoch, 5);
        assert_eq!(t.partitions[0].isr_nodes, vec![BrokerId(1), BrokerId(2)]);
        // v1+ does not filter dead replicas.
        assert_eq!(
            t.partitions[3].replica_nodes,
            vec![BrokerId(1), BrokerId(3)]
        );
    }

    /// Kafka: v6+ reports LISTENER_NOT_FOUND for a live leader without the request's listener;
    /// v5 and below LEADER_NOT_AVAILABLE; brokers without the listener are left out.
    #[tokio::test]
    async fn listener_not_found_by_version() {
        let apis = filled();
        let resp = call(&apis, "INTERNAL", 6, &named(&["a"])).await;
        assert_eq!(resp.brokers.len(), 1);
        assert_eq!(resp.topics[0].partitions[2].error_code, 72);
        let resp = call(&apis, "INTERNAL", 5, &named(&["a"])).await;
        assert_eq!(resp.topics[0].partitions[2].error_code, 5);
    }

    /// Kafka v0: dead replicas are filtered out and reported as REPLICA_NOT_AVAILABLE; an
    /// empty topic list means all topics.
    #[tokio::test]
    async fn v0_filters_unavailable_replicas() {
        let apis = filled();
        let resp = call(&apis, "PLAINTEXT", 0, &named(&[])).await;
        assert_eq!(resp.topics.len(), 1);
        let p3 = &resp.topics[0].partitions[3];
        assert_eq!(p3.error_code, 9);
        assert_eq!(p3.replica_nodes, vec![BrokerId(1)]);
    }

    /// Unknown topics: UNKNOWN_TOPIC_OR_PARTITION, illegal names INVALID_TOPIC_EXCEPTION
    /// (Kafka: `getTopicMetadata` without auto-creation); v1 null topics = all topics.
    #[tokio::test]
    async fn unknown_and_invalid_topics() {
        let apis = filled();
        let resp = call(&apis, "PLAINTEXT", 1, &named(&["nope", "bad/name", "a"])).await;
        let errs: Vec<(String, i16)> = resp
            .topics
            .iter()
            .map(|t| (t.name.as_ref().unwrap().to_string(), t.error_code))
            .collect();
        assert_eq!(
            errs,
            vec![("a".into(), 0), ("nope".into(), 3), ("bad/name".into(), 17)]
        );
        let all = call(
            &apis,
            "PLAINTEXT",
            1,
            &MetadataRequest::default().with_topics(None),
        )
        .await;
        assert_eq!(all.topics.len(), 1);
        let none = call(&apis, "PLAINTEXT", 1, &named(&[])).await;
        assert!(none.topics.is_empty());
    }

    /// v12 lookups by topic id; unknown ids get UNKNOWN_TOPIC_ID with a null name; ids before
    /// v12 are an INVALID_REQUEST for every topic (Kafka: `MetadataRequest.getErrorResponse`).
    #[tokio::test]
    async fn topic_ids() {
        let apis = filled();
        let req = MetadataRequest::default().with_topics(Some(vec![
            MetadataRequestTopic::default().with_topic_id(Uuid::from_u128(0xabc)),
            MetadataRequestTopic::default().with_topic_id(Uuid::from_u128(0xdef)),
        ]));
        let resp = call(&apis, "PLAINTEXT", 12, &req).await;
        assert_eq!(resp.topics.len(), 2);
        assert_eq!(resp.topics[0].error_code, 100);
        assert_eq!(resp.topics[0].name, None);
        assert_eq!(resp.topics[1].name.as_ref().unwrap().as_str(), "a");

        // v10 carries topic ids on the wire but may not use them.
        let req =
            MetadataRequest::default().with_topics(Some(vec![MetadataRequestTopic::default()
                .with_topic_id(Uuid::from_u128(0xabc))
                .with_name(Some(topic_name("a")))]));
        let resp = call(&apis, "PLAINTEXT", 10, &req).await;
        assert_eq!(resp.topics[0].error_code, 42);
        assert!(resp.brokers.is_empty());
    }

    /// v8+: authorized operations when asked (all supported operations without an authorizer),
    /// Kafka's `Int.MinValue` default otherwise; cluster operations only up to v10.
    #[tokio::test]
    async fn authorized_operations() {
        let apis = filled();
        let mut req = named(&["a"]);
        req.include_topic_authorized_operations = true;
        req.include_cluster_authorized_operations = true;
        let resp = call(&apis, "PLAINTEXT", 10, &req).await;
        assert_eq!(resp.topics[0].topic_authorized_operations, 3576);
        assert_eq!(resp.cluster_authorized_operations, 8096);
        req.include_cluster_authorized_operations = false;
        let resp = call(&apis, "PLAINTEXT", 11, &req).await;
        assert_eq!(resp.cluster_authorized_operations, i32::MIN);
    }

    struct Creator;
    impl AutoTopicCreationManager for Creator {
        fn create_topics<'a>(
            &'a self,
            topics: &'a [String],
            _context: &'a RequestContext,
        ) -> BoxFuture<'a, Vec<AutoCreatedTopic>> {
            Box::pin(async move {
                topics
                    .iter()
                    .map(|t| AutoCreatedTopic {
                        name: t.clone(),
                        error_code: ResponseError::LeaderNotAvailable.code(),
                    })
                    .collect()
            })
        }
    }

    /// Kafka: auto-creation only when `auto.create.topics.enable` and the request allow it,
    /// answered LEADER_NOT_AVAILABLE while the controller elects leaders.
    #[tokio::test]
    async fn auto_creation_hook() {
        let apis = filled().with_auto_topic_creation(Arc::new(Creator));
        let resp = call(&apis, "PLAINTEXT", 12, &named(&["new"])).await;
        assert_eq!(resp.topics[0].error_code, 5);
        let mut req = named(&["new"]);
        req.allow_auto_topic_creation = false;
        let resp = call(&apis, "PLAINTEXT", 12, &req).await;
        assert_eq!(resp.topics[0].error_code, 3);
        let mut apis = apis;
        apis.config.auto_create_topics_enable = false;
        let resp = call(&apis, "PLAINTEXT", 12, &named(&["new"])).await;
        assert_eq!(resp.topics[0].error_code, 3);
    }

    /// Kafka: `Topic.validate` and `Topic.isInternal`.
    #[test]
    fn topic_names() {
        assert!(is_valid_topic_name("a.b_c-1"));
        assert!(!is_valid_topic_name(""));
        assert!(!is_valid_topic_name(".."));
        assert!(!is_valid_topic_name(&"x".repeat(250)));
        assert!(is_valid_topic_name(&"x".repeat(249)));
        assert!(is_internal_topic("__consumer_offsets"));
        assert!(!is_internal_topic("__other"));
    }
}
