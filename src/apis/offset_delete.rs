//! OffsetDelete (API key 47), version 0: deletes committed offsets of partitions the group no
//! longer consumes (KIP-496). Kafka: `KafkaApis.handleOffsetDeleteRequest`.

use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};

use super::{decode_body, respond, KafkaApis};
use crate::cluster::TopicPartition;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: OffsetDeleteRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    // Kafka: `handleDeleteOffsetsRequest` — Delete on the group, then Read on each topic.
    if !apis.authorize(
        &request.context,
        crate::zk::znodes::AclOperation::Delete,
        crate::zk::znodes::ResourceType::Group,
        &req.group_id,
    ) {
        return respond(
            request,
            &OffsetDeleteResponse::default()
                .with_error_code(ResponseError::GroupAuthorizationFailed.code()),
        );
    }
    let Some(c) = apis.group_coordinator.as_ref() else {
        return respond(
            request,
            &OffsetDeleteResponse::default()
                .with_error_code(ResponseError::CoordinatorNotAvailable.code()),
        );
    };
    let mut errors: Vec<(TopicPartition, i16)> = Vec::new();
    let mut known = Vec::new();
    for t in &req.topics {
        for p in &t.partitions {
            let tp = TopicPartition::new(t.name.to_string(), p.partition_index);
            if !apis.authorize(
                &request.context,
                crate::zk::znodes::AclOperation::Read,
                crate::zk::znodes::ResourceType::Topic,
                &t.name,
            ) {
                errors.push((tp, ResponseError::TopicAuthorizationFailed.code()));
            } else if apis.metadata_cache.contains_partition(&tp) {
                known.push(tp);
            } else {
                errors.push((tp, ResponseError::UnknownTopicOrPartition.code()));
            }
        }
    }
    let (group_error, results) = c.handle_delete_offsets(&req.group_id, &known).await;
    if group_error != 0 {
        return respond(
            request,
            &OffsetDeleteResponse::default().with_error_code(group_error),
        );
    }
    errors.extend(results);
    let topics = req
        .topics
        .iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let code = errors
                        .iter()
                        .find(|(tp, _)| {
                            tp.topic == t.name.as_str() && tp.partition == p.partition_index
                        })
                        .map_or(0, |(_, e)| *e);
                    OffsetDeleteResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(code)
                })
                .collect();
            OffsetDeleteResponseTopic::default()
                .with_name(t.name.clone())
                .with_partitions(partitions)
        })
        .collect();
    respond(
        request,
        &OffsetDeleteResponse::default().with_topics(topics),
    )
}
