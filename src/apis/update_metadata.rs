//! UpdateMetadata (key 6), versions 0-8: the controller's push of live brokers and partition
//! states into this broker's metadata cache.
//!
//! Kafka: `KafkaApis.handleUpdateMetadataRequest`, `ReplicaManager.maybeUpdateMetadataCache`,
//! `ZkMetadataCache.updateMetadata`, and `UpdateMetadataRequest`'s normalisation of old
//! versions (v0 single host/port = PLAINTEXT; v1-2 listener name = security protocol name).
//! CLUSTER_ACTION authorization joins when the authorizer exists.

use kafka_protocol::messages::update_metadata_request::UpdateMetadataPartitionState;
use kafka_protocol::messages::{UpdateMetadataRequest, UpdateMetadataResponse};

use super::{decode_body, respond, KafkaApis};
use crate::cluster::{EndPoint, SecurityProtocol, TopicPartition};
use crate::metadata_cache::{Broker, MetadataUpdate, PartitionState, TopicStateUpdate};
use crate::network::{Request, Response};
use crate::protocol::errors::{self, ResponseError};
use crate::zk::znodes::AclOperation;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let body: UpdateMetadataRequest = match decode_body(request) {
        Ok(b) => b,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    // Kafka: `authorizeClusterOperation(request, CLUSTER_ACTION)` → the request's error response.
    if !apis.authorize_cluster(&request.context, AclOperation::ClusterAction) {
        return respond(
            request,
            &UpdateMetadataResponse::default()
                .with_error_code(kafka_protocol::ResponseError::ClusterAuthorizationFailed.code()),
        );
    }
    let (error, deleted) = apply(apis, &body, version);
    if !deleted.is_empty() {
        // Kafka hands these to the group coordinator (`onPartitionsDeleted`); that joins here
        // when the coordinator exists.
        tracing::debug!("UpdateMetadata deleted partitions {deleted:?}");
    }
    respond(
        request,
        &UpdateMetadataResponse::default().with_error_code(errors::code(error)),
    )
}

/// Checks the epochs and applies the request; returns the error (if any) and the partitions
/// it deleted.
pub fn apply(
    apis: &KafkaApis,
    body: &UpdateMetadataRequest,
    version: i16,
) -> (Option<ResponseError>, Vec<TopicPartition>) {
    if apis.broker_epoch.is_stale(body.broker_epoch) {
        // "When the broker restarts very quickly, it is possible for this broker to receive
        // request intended for its previous generation" (KafkaApis).
        tracing::info!(
            "received UpdateMetadata with broker epoch {} smaller than the current broker epoch {} from controller {} with epoch {}",
            body.broker_epoch,
            apis.broker_epoch.get(),
            body.controller_id.0,
            body.controller_epoch
        );
        return (Some(ResponseError::StaleBrokerEpoch), Vec::new());
    }
    let update = to_metadata_update(body, version);
    match apis
        .controller_epoch
        .apply_if_current(body.controller_epoch, || {
            apis.metadata_cache.update_metadata(&update)
        }) {
        Ok(deleted) => (None, deleted),
        Err(stale) => {
            tracing::warn!(
                "received UpdateMetadata from an old controller {}: {stale}",
                body.controller_id.0
            );
            // Kafka throws `ControllerMovedException`, which maps to STALE_CONTROLLER_EPOCH.
            (Some(ResponseError::StaleControllerEpoch), Vec::new())
        }
    }
}

/// The request's content independent of its version.
pub fn to_metadata_update(body: &UpdateMetadataRequest, version: i16) -> MetadataUpdate {
    let live_brokers = body
        .live_brokers
        .iter()
        .map(|b| {
            let endpoints = if version == 0 {
                // v0 carried one PLAINTEXT host and port per broker.
                endpoint(
                    b.id.0,
                    b.v0_host.as_str(),
                    b.v0_port,
                    None,
                    SecurityProtocol::Plaintext.id(),
                )
                .into_iter()
                .collect()
            } else {
                b.endpoints
                    .iter()
                    .filter_map(|ep| {
                        let listener = (version >= 3).then(|| ep.listener.as_str());
                        endpoint(b.id.0, &ep.host, ep.port, listener, ep.security_protocol)
                    })
                    .collect()
            };
            Broker {
                id: b.id.0,
                endpoints,
                rack: b.rack.as_ref().map(|r| r.to_string()),
            }
        })
        .collect();

    let topic_states = if version >= 5 {
        body.topic_states
            .iter()
            .map(|ts| TopicStateUpdate {
                topic: ts.topic_name.0.to_string(),
                topic_id: ts.topic_id,
                partition_states: ts.partition_states.iter().map(partition_state).collect(),
            })
            .collect()
    } else {
        // v0-4 list partitions one by one with their topic name; group them, keeping order.
        let mut grouped: Vec<TopicStateUpdate> = Vec::new();
        for ps in &body.ungrouped_partition_states {
            let topic = ps.topic_name.0.as_str();
            match grouped.iter_mut().find(|t| t.topic == topic) {
                Some(t) => t.partition_states.push(partition_state(ps)),
                None => grouped.push(TopicStateUpdate {
                    topic: topic.to_string(),
                    topic_id: uuid::Uuid::nil(),
                    partition_states: vec![partition_state(ps)],
                }),
            }
        }
        grouped
    };
    MetadataUpdate {
        controller_id: body.controller_id.0,
        live_brokers,
        topic_states,
    }
}

fn endpoint(
    broker_id: i32,
    host: &str,
    port: i32,
    listener: Option<&str>,
    security_protocol: i16,
) -> Option<EndPoint> {
    let Some(protocol) = SecurityProtocol::from_id(security_protocol) else {
        tracing::warn!("broker {broker_id}: unknown security protocol id {security_protocol}, endpoint ignored");
        return None;
    };
    let Ok(port) = u16::try_from(port) else {
        tracing::warn!("broker {broker_id}: port {port} out of range, endpoint ignored");
        return None;
    };
    Some(EndPoint {
        host: host.to_string(),
        port,
        // Before v3 the listener was named after its security protocol
        // (Kafka: `ListenerName.forSecurityProtocol`).
        listener_name: listener.map_or_else(|| protocol.name().to_string(), str::to_string),
        security_protocol: protocol,
    })
}

fn partition_state(ps: &UpdateMetadataPartitionState) -> PartitionState {
    let ids = |v: &[kafka_protocol::messages::BrokerId]| v.iter().map(|b| b.0).collect();
    PartitionState {
        partition: ps.partition_index,
        controller_epoch: ps.controller_epoch,
        leader: ps.leader.0,
        leader_epoch: ps.leader_epoch,
        isr: ids(&ps.isr),
        zk_version: ps.zk_version,
        replicas: ids(&ps.replicas),
        offline_replicas: ids(&ps.offline_replicas),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use kafka_protocol::messages::update_metadata_request::{
        UpdateMetadataBroker, UpdateMetadataEndpoint, UpdateMetadataTopicState,
    };
    use kafka_protocol::messages::{ApiKey, BrokerId, TopicName};
    use kafka_protocol::protocol::StrBytes;
    use uuid::Uuid;

    fn request_v8(controller_epoch: i32, broker_epoch: i64, leader: i32) -> UpdateMetadataRequest {
        let ps = UpdateMetadataPartitionState::default()
            .with_partition_index(0)
            .with_controller_epoch(controller_epoch)
            .with_leader(BrokerId(leader))
            .with_leader_epoch(2)
            .with_isr(vec![BrokerId(1)])
            .with_zk_version(4)
            .with_replicas(vec![BrokerId(1), BrokerId(2)])
            .with_offline_replicas(vec![BrokerId(2)]);
        UpdateMetadataRequest::default()
            .with_controller_id(BrokerId(1))
            .with_controller_epoch(controller_epoch)
            .with_broker_epoch(broker_epoch)
            .with_topic_states(vec![UpdateMetadataTopicState::default()
                .with_topic_name(TopicName(StrBytes::from_static_str("t")))
                .with_topic_id(Uuid::from_u128(1))
                .with_partition_states(vec![ps])])
            .with_live_brokers(vec![UpdateMetadataBroker::default()
                .with_id(BrokerId(1))
                .with_endpoints(vec![UpdateMetadataEndpoint::default()
                    .with_host(StrBytes::from_static_str("localhost"))
                    .with_port(9092)
                    .with_listener(StrBytes::from_static_str("PLAINTEXT"))
                    .with_security_protocol(0)])
                .with_rack(Some(StrBytes::from_static_str("rack-a")))])
    }

    async fn send(apis: &KafkaApis, version: i16, body: &UpdateMetadataRequest) -> i16 {
        let r = request(ApiKey::UpdateMetadata, version, body);
        let hv = if version >= 6 { 1 } else { 0 };
        let (_, resp): (i32, UpdateMetadataResponse) = response(apis.handle(&r).await, hv, version);
        resp.error_code
    }

    /// Kafka: `handleUpdateMetadataRequest` fills the cache (v8 from a 3.9 controller).
    #[tokio::test]
    async fn v8_fills_the_cache() {
        let apis = apis();
        assert_eq!(send(&apis, 8, &request_v8(3, -1, 1)).await, 0);
        let c = &apis.metadata_cache;
        assert_eq!(c.controller_id(), Some(1));
        assert_eq!(c.topic_id("t"), Uuid::from_u128(1));
        let s = c.partition_state(&TopicPartition::new("t", 0)).unwrap();
        assert_eq!(
            (s.leader, s.leader_epoch, s.zk_version, s.offline_replicas),
            (1, 2, 4, vec![2])
        );
        let nodes = c.alive_broker_nodes("PLAINTEXT");
        assert_eq!(nodes[0].rack.as_deref(), Some("rack-a"));
        assert_eq!(apis.controller_epoch.current(), 3);
    }

    /// Kafka: an UpdateMetadata whose controller epoch is older than the highest seen gets
    /// STALE_CONTROLLER_EPOCH and changes nothing (`ReplicaManager.maybeUpdateMetadataCache`).
    #[tokio::test]
    async fn stale_controller_epoch() {
        let apis = apis();
        assert_eq!(send(&apis, 8, &request_v8(5, -1, 1)).await, 0);
        assert_eq!(send(&apis, 8, &request_v8(4, -1, -2)).await, 11);
        assert!(apis.metadata_cache.contains_topic("t"));
        // Same epoch is accepted: leader −2 deletes the partition.
        assert_eq!(send(&apis, 8, &request_v8(5, -1, -2)).await, 0);
        assert!(!apis.metadata_cache.contains_topic("t"));
    }

    /// Kafka: `ZkBrokerEpochManager.isBrokerEpochStale` — a broker epoch below ours is
    /// STALE_BROKER_EPOCH; −1 and newer epochs are accepted.
    #[tokio::test]
    async fn stale_broker_epoch() {
        let apis = apis();
        apis.broker_epoch.set(1000);
        assert_eq!(send(&apis, 8, &request_v8(1, 999, 1)).await, 77);
        assert!(!apis.metadata_cache.contains_topic("t"));
        assert_eq!(send(&apis, 8, &request_v8(1, 1000, 1)).await, 0);
        assert_eq!(send(&apis, 8, &request_v8(1, -1, 1)).await, 0);
    }

    /// Old versions: v0 host/port become a PLAINTEXT endpoint; v1-2 name listeners after
    /// their security protocol; v0-4 partitions arrive ungrouped with topic names.
    #[tokio::test]
    async fn old_versions_are_normalised() {
        let apis = apis();
        let ps = UpdateMetadataPartitionState::default()
            .with_topic_name(TopicName(StrBytes::from_static_str("old")))
            .with_partition_index(3)
            .with_leader(BrokerId(7))
            .with_isr(vec![BrokerId(7)])
            .with_replicas(vec![BrokerId(7)]);
        let v0 = UpdateMetadataRequest::default()
            .with_controller_id(BrokerId(7))
            .with_controller_epoch(1)
            .with_ungrouped_partition_states(vec![ps.clone()])
            .with_live_brokers(vec![UpdateMetadataBroker::default()
                .with_id(BrokerId(7))
                .with_v0_host(StrBytes::from_static_str("h7"))
                .with_v0_port(9000)]);
        assert_eq!(send(&apis, 0, &v0).await, 0);
        let n = apis
            .metadata_cache
            .alive_broker_node(7, "PLAINTEXT")
            .unwrap();
        assert_eq!((n.host.as_str(), n.port), ("h7", 9000));
        assert!(apis
            .metadata_cache
            .contains_partition(&TopicPartition::new("old", 3)));

        let v2 = UpdateMetadataRequest::default()
            .with_controller_id(BrokerId(7))
            .with_controller_epoch(1)
            .with_ungrouped_partition_states(vec![ps])
            .with_live_brokers(vec![UpdateMetadataBroker::default()
                .with_id(BrokerId(7))
                .with_endpoints(vec![UpdateMetadataEndpoint::default()
                    .with_host(StrBytes::from_static_str("s7"))
                    .with_port(9093)
                    .with_security_protocol(SecurityProtocol::Ssl.id())])]);
        assert_eq!(send(&apis, 2, &v2).await, 0);
        assert!(apis
            .metadata_cache
            .alive_broker_node(7, "PLAINTEXT")
            .is_none());
        assert_eq!(
            apis.metadata_cache
                .alive_broker_node(7, "SSL")
                .unwrap()
                .port,
            9093
        );
    }
}
