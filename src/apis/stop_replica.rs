//! StopReplica (API key 5), versions 0-4, as the broker receiving it from the controller.
//! Kafka: `KafkaApis.handleStopReplicaRequest`, `ReplicaManager.stopReplicas`.

use kafka_protocol::messages::stop_replica_response::StopReplicaPartitionError;
use kafka_protocol::messages::{StopReplicaRequest, StopReplicaResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::cluster::TopicPartition;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;
use crate::zk::znodes::AclOperation;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: StopReplicaRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    // Kafka: `authorizeClusterOperation(request, CLUSTER_ACTION)` → the request's error response.
    if !apis.authorize_cluster(&request.context, AclOperation::ClusterAction) {
        let r = kafka_protocol::messages::StopReplicaResponse::default()
            .with_error_code(kafka_protocol::ResponseError::ClusterAuthorizationFailed.code());
        return super::respond(request, &r);
    }
    let Some(rm) = apis.replica_manager.clone() else {
        return Response::Close("StopReplica received before the replica manager started".into());
    };
    // (partition, leader epoch, delete); -1 = no epoch before v3.
    let mut partitions: Vec<(TopicPartition, i32, bool)> = Vec::new();
    match version {
        0 => {
            for p in &req.ungrouped_partitions {
                partitions.push((
                    TopicPartition::new(p.topic_name.0.to_string(), p.partition_index),
                    -1,
                    req.delete_partitions,
                ));
            }
        }
        1 | 2 => {
            for t in &req.topics {
                for &i in &t.partition_indexes {
                    partitions.push((
                        TopicPartition::new(t.name.0.to_string(), i),
                        -1,
                        req.delete_partitions,
                    ));
                }
            }
        }
        _ => {
            for t in &req.topic_states {
                for s in &t.partition_states {
                    partitions.push((
                        TopicPartition::new(t.topic_name.0.to_string(), s.partition_index),
                        s.leader_epoch,
                        s.delete_partition,
                    ));
                }
            }
        }
    }
    let outcome = if version >= 1 && apis.broker_epoch.is_stale(req.broker_epoch) {
        Err(ResponseError::StaleBrokerEpoch.code())
    } else {
        let controller_epoch = req.controller_epoch;
        let parts = partitions.clone();
        match tokio::task::spawn_blocking(move || rm.stop_replicas(controller_epoch, &parts)).await
        {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "StopReplica handling failed");
                Err(ResponseError::UnknownServerError.code())
            }
        }
    };
    let (top, per_partition) = match outcome {
        Ok(v) => (0, v),
        Err(code) => (
            code,
            partitions
                .iter()
                .map(|(tp, _, _)| (tp.clone(), code))
                .collect(),
        ),
    };
    let mut response = StopReplicaResponse::default().with_error_code(top);
    response.partition_errors = per_partition
        .into_iter()
        .map(|(tp, code)| {
            StopReplicaPartitionError::default()
                .with_topic_name(TopicName(StrBytes::from_string(tp.topic)))
                .with_partition_index(tp.partition)
                .with_error_code(code)
        })
        .collect();
    respond(request, &response)
}
