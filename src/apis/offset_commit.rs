//! OffsetCommit (API key 8), versions 0-9. Offsets are stored in `__consumer_offsets` for
//! every version (Kafka 3.9 still writes v0 commits to ZooKeeper; that legacy path is not
//! served). Kafka: `KafkaApis.handleOffsetCommitRequest`.

use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest, OffsetCommitResponse};

use super::{decode_body, respond, KafkaApis};
use crate::cluster::TopicPartition;
use crate::coordinator::group::offset_commit_record::OffsetCommitValue;
use crate::coordinator::group::offsets::OffsetCommitParams;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

/// `OffsetCommitRequest.DEFAULT_RETENTION_TIME` / `DEFAULT_TIMESTAMP`.
const DEFAULT: i64 = -1;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: OffsetCommitRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    // Kafka: a retention time sets an explicit expire timestamp (v2-v4).
    let expire = (req.retention_time_ms != DEFAULT).then(|| now + req.retention_time_ms);
    let mut known = Vec::new();
    // (topic index, partition index, error) for each partition, in request order.
    let mut errors: Vec<Vec<i16>> = Vec::with_capacity(req.topics.len());
    // Kafka: `handleOffsetCommitRequest` — Read on the group (else every partition fails),
    // then Read on each topic.
    let group_ok = apis.authorize(
        &request.context,
        crate::zk::znodes::AclOperation::Read,
        crate::zk::znodes::ResourceType::Group,
        &req.group_id,
    );
    for t in &req.topics {
        let exists = apis.metadata_cache.contains_topic(&t.name);
        let code = if !group_ok {
            ResponseError::GroupAuthorizationFailed.code()
        } else if !apis.authorize(
            &request.context,
            crate::zk::znodes::AclOperation::Read,
            crate::zk::znodes::ResourceType::Topic,
            &t.name,
        ) {
            ResponseError::TopicAuthorizationFailed.code()
        } else if !exists {
            ResponseError::UnknownTopicOrPartition.code()
        } else {
            0
        };
        errors.push(vec![code; t.partitions.len()]);
        if code != 0 {
            continue;
        }
        for p in &t.partitions {
            known.push((
                TopicPartition::new(t.name.to_string(), p.partition_index),
                OffsetCommitValue {
                    offset: p.committed_offset,
                    leader_epoch: p.committed_leader_epoch,
                    metadata: p
                        .committed_metadata
                        .as_ref()
                        .map(|m| m.to_string())
                        .unwrap_or_default(),
                    commit_timestamp_ms: if p.commit_timestamp == DEFAULT {
                        now
                    } else {
                        p.commit_timestamp
                    },
                    expire_timestamp_ms: expire,
                },
            ));
        }
    }
    let results = if known.is_empty() {
        Vec::new()
    } else {
        match apis.group_coordinator.as_ref() {
            None => vec![ResponseError::CoordinatorNotAvailable.code(); known.len()],
            Some(c) => {
                c.handle_commit_offsets(OffsetCommitParams {
                    group_id: req.group_id.to_string(),
                    member_id: req.member_id.to_string(),
                    group_instance_id: req.group_instance_id.as_ref().map(|s| s.to_string()),
                    generation_id: req.generation_id_or_member_epoch,
                    offsets: known,
                })
                .await
            }
        }
    };
    let mut results = results.into_iter();
    let topics = req
        .topics
        .iter()
        .zip(errors)
        .map(|(t, errs)| {
            let partitions = t
                .partitions
                .iter()
                .zip(errs)
                .map(|(p, e)| {
                    let code = if e != 0 {
                        e
                    } else {
                        results.next().unwrap_or(e)
                    };
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code)
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(partitions)
        })
        .collect();
    respond(
        request,
        &OffsetCommitResponse::default().with_topics(topics),
    )
}
