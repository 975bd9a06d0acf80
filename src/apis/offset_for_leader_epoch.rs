//! OffsetForLeaderEpoch (API key 23), versions 0-4: the end offset of a leader epoch in the
//! leader's log, used by followers (older IBPs) and by consumers to detect truncation (KIP-320).
//! Kafka: `KafkaApis.handleOffsetForLeaderEpochRequest`, `Partition.lastOffsetForLeaderEpoch`.

use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use kafka_protocol::messages::{OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse};

use super::{decode_body, respond, KafkaApis};
use crate::cluster::TopicPartition;
use crate::network::{Request, Response};
use crate::zk::znodes::{AclOperation, ResourceType};

/// `OffsetsForLeaderEpochRequest.DEBUGGING_REPLICA_ID`.
const DEBUGGING_REPLICA_ID: i32 = -2;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: OffsetForLeaderEpochRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    let Some(rm) = apis.replica_manager.as_ref() else {
        return Response::Close(
            "OffsetForLeaderEpoch received before the replica manager started".into(),
        );
    };
    // v0-2 come only from brokers; v3+ say who asks.
    let replica_id = if version >= 3 { req.replica_id.0 } else { 0 };
    let fetch_only_from_leader = replica_id != DEBUGGING_REPLICA_ID;
    let mut response = OffsetForLeaderEpochResponse::default();
    // Kafka: `handleOffsetForLeaderEpochRequest` — ClusterAction on the cluster covers every
    // topic; otherwise Describe on each topic.
    let cluster_action = apis.authorize_cluster(&request.context, AclOperation::ClusterAction);
    for topic in &req.topics {
        let mut t = OffsetForLeaderTopicResult::default().with_topic(topic.topic.clone());
        let denied = !cluster_action
            && !apis.authorize(
                &request.context,
                AclOperation::Describe,
                ResourceType::Topic,
                &topic.topic,
            );
        for p in &topic.partitions {
            let tp = TopicPartition::new(topic.topic.0.to_string(), p.partition);
            let current = if version >= 2 {
                p.current_leader_epoch
            } else {
                -1
            };
            let mut out = EpochEndOffset::default()
                .with_partition(p.partition)
                .with_leader_epoch(-1)
                .with_end_offset(-1);
            let allowed = if denied {
                Err(kafka_protocol::ResponseError::TopicAuthorizationFailed.code())
            } else {
                Ok(())
            };
            match allowed
                .and_then(|_| rm.partition_or_error(&tp))
                .and_then(|part| {
                    part.last_offset_for_leader_epoch(
                        current,
                        p.leader_epoch,
                        fetch_only_from_leader,
                    )
                    .map_err(|e| e.error_code())
                }) {
                Ok(e) => {
                    out.leader_epoch = e.epoch;
                    out.end_offset = e.end_offset;
                }
                Err(code) => out.error_code = code,
            }
            t.partitions.push(out);
        }
        response.topics.push(t);
    }
    respond(request, &response)
}
