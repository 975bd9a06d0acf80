//! LeaderAndIsr (API key 4), versions 0-7, as the broker receiving it from the controller.
//! Kafka: `KafkaApis.handleLeaderAndIsrRequest`, `ReplicaManager.becomeLeaderOrFollower`.
//!
//! A stale broker epoch (the request was meant for an earlier registration of this broker)
//! fails the whole request with STALE_BROKER_EPOCH; a stale controller epoch with
//! STALE_CONTROLLER_EPOCH; per-partition outcomes come from the replica manager.

use kafka_protocol::messages::leader_and_isr_response::{
    LeaderAndIsrPartitionError, LeaderAndIsrTopicError,
};
use kafka_protocol::messages::{LeaderAndIsrRequest, LeaderAndIsrResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::{decode_body, respond, KafkaApis};
use crate::cluster::{LeaderAndIsrState, TopicPartition};
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;
use crate::replica::replica_manager::LeaderAndIsrPartition;
use crate::zk::znodes::AclOperation;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: LeaderAndIsrRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    // Kafka: `authorizeClusterOperation(request, CLUSTER_ACTION)` → the request's error response.
    if !apis.authorize_cluster(&request.context, AclOperation::ClusterAction) {
        let r = kafka_protocol::messages::LeaderAndIsrResponse::default()
            .with_error_code(kafka_protocol::ResponseError::ClusterAuthorizationFailed.code());
        return super::respond(request, &r);
    }
    let Some(rm) = apis.replica_manager.clone() else {
        return Response::Close("LeaderAndIsr received before the replica manager started".into());
    };
    // (topic name, topic id) in request order, then the partitions.
    let mut partitions = Vec::new();
    let mut topic_ids: Vec<(String, Uuid)> = Vec::new();
    let mut push =
        |topic: &str,
         id: Uuid,
         s: &kafka_protocol::messages::leader_and_isr_request::LeaderAndIsrPartitionState| {
            let ids = |v: &[kafka_protocol::messages::BrokerId]| {
                v.iter().map(|b| b.0).collect::<Vec<i32>>()
            };
            partitions.push(LeaderAndIsrPartition {
                topic_partition: TopicPartition::new(topic, s.partition_index),
                topic_id: (!id.is_nil()).then(|| *id.as_bytes()),
                state: LeaderAndIsrState {
                    controller_epoch: s.controller_epoch,
                    leader: s.leader.0,
                    leader_epoch: s.leader_epoch,
                    isr: ids(&s.isr),
                    partition_epoch: s.partition_epoch,
                    replicas: ids(&s.replicas),
                    adding_replicas: ids(&s.adding_replicas),
                    removing_replicas: ids(&s.removing_replicas),
                    is_new: s.is_new,
                },
            });
        };
    if version < 2 {
        for s in &req.ungrouped_partition_states {
            push(&s.topic_name.0, Uuid::nil(), s);
        }
    } else {
        for t in &req.topic_states {
            topic_ids.push((t.topic_name.0.to_string(), t.topic_id));
            for s in &t.partition_states {
                push(&t.topic_name.0, t.topic_id, s);
            }
        }
    }
    let outcome: Result<Vec<(TopicPartition, i16)>, i16> =
        if apis.broker_epoch.is_stale(req.broker_epoch) {
            tracing::info!(
                request_epoch = req.broker_epoch,
                current = apis.broker_epoch.get(),
                "ignoring LeaderAndIsr with a stale broker epoch"
            );
            Err(ResponseError::StaleBrokerEpoch.code())
        } else {
            let controller_epoch = req.controller_epoch;
            let parts = partitions.clone();
            match tokio::task::spawn_blocking(move || {
                rm.become_leader_or_follower(controller_epoch, &parts)
            })
            .await
            {
                Ok(r) => r,
                Err(e) => {
                    tracing::error!(error = %e, "LeaderAndIsr handling failed");
                    Err(ResponseError::UnknownServerError.code())
                }
            }
        };
    let (top, per_partition): (i16, Vec<(TopicPartition, i16)>) = match outcome {
        Ok(v) => (0, v),
        Err(code) => (
            code,
            partitions
                .iter()
                .map(|p| (p.topic_partition.clone(), code))
                .collect(),
        ),
    };
    let mut response = LeaderAndIsrResponse::default().with_error_code(top);
    let error = |tp: &TopicPartition, code: i16| {
        LeaderAndIsrPartitionError::default()
            .with_topic_name(TopicName(StrBytes::from_string(tp.topic.clone())))
            .with_partition_index(tp.partition)
            .with_error_code(code)
    };
    if version < 5 {
        response.partition_errors = per_partition.iter().map(|(tp, c)| error(tp, *c)).collect();
    } else {
        for (name, id) in topic_ids {
            let errors = per_partition
                .iter()
                .filter(|(tp, _)| tp.topic == name)
                .map(|(tp, c)| error(tp, *c))
                .collect();
            response.topics.push(
                LeaderAndIsrTopicError::default()
                    .with_topic_id(id)
                    .with_partition_errors(errors),
            );
        }
    }
    respond(request, &response)
}
