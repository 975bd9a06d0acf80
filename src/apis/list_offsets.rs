//! ListOffsets (API key 2), versions 0-8: earliest (-2), latest (-1), max timestamp (-3, v7+),
//! earliest local (-4, v8+) or the first offset at/after a timestamp.
//! Kafka: `KafkaApis.handleListOffsetRequest` (`handleListOffsetRequestV0` / `V1AndAbove`),
//! `ReplicaManager.fetchOffsetForTimestamp`, `Partition.fetchOffsetForTimestamp`.

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use super::{decode_body, respond, KafkaApis};
use crate::cluster::TopicPartition;
use crate::network::{Request, Response};
use crate::zk::znodes::{AclOperation, ResourceType};

/// `ListOffsetsRequest.DEBUGGING_REPLICA_ID`: may read from any replica.
const DEBUGGING_REPLICA_ID: i32 = -2;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: ListOffsetsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    let Some(rm) = apis.replica_manager.as_ref() else {
        return Response::Close("ListOffsets received before the replica manager started".into());
    };
    let replica_id = req.replica_id.0;
    // Clients (replica id < 0) read up to the HW (or LSO); brokers up to the log end.
    let isolation = (replica_id < 0).then_some(version >= 2 && req.isolation_level == 1);
    let fetch_only_from_leader = replica_id != DEBUGGING_REPLICA_ID;
    let mut response = ListOffsetsResponse::default();
    for topic in &req.topics {
        let mut t = ListOffsetsTopicResponse::default().with_name(topic.name.clone());
        // Kafka: `handleListOffsetRequest` — Describe on the topic.
        let denied = !apis.authorize(
            &request.context,
            AclOperation::Describe,
            ResourceType::Topic,
            &topic.name,
        );
        for p in &topic.partitions {
            let tp = TopicPartition::new(topic.name.0.to_string(), p.partition_index);
            let mut out = ListOffsetsPartitionResponse::default()
                .with_partition_index(p.partition_index)
                .with_timestamp(-1)
                .with_offset(-1)
                .with_leader_epoch(-1);
            let current_epoch = if version >= 4 {
                p.current_leader_epoch
            } else {
                -1
            };
            let found = if denied {
                Err(kafka_protocol::ResponseError::TopicAuthorizationFailed.code())
            } else {
                Ok(())
            };
            let found = found
                .and_then(|_| rm.partition_or_error(&tp))
                .and_then(|part| {
                    part.fetch_offset_for_timestamp(
                        p.timestamp,
                        isolation,
                        current_epoch,
                        fetch_only_from_leader,
                    )
                    .map_err(|e| e.error_code())
                });
            match found {
                Err(code) => out.error_code = code,
                Ok(None) => {}
                Ok(Some(f)) => {
                    if version == 0 {
                        // v0 answers a list of offsets; `max_num_offsets` ≥ 1 gets the one
                        // lookup result (Kafka's segment-boundary list is long deprecated).
                        if p.max_num_offsets > 0 {
                            out.old_style_offsets = vec![f.offset];
                        }
                    } else {
                        out.timestamp = f.timestamp;
                        out.offset = f.offset;
                        if version >= 4 {
                            out.leader_epoch = f.leader_epoch.unwrap_or(-1);
                        }
                    }
                }
            }
            t.partitions.push(out);
        }
        response.topics.push(t);
    }
    respond(request, &response)
}
