//! Produce (API key 0), versions 0-11. Kafka: `KafkaApis.handleProduceRequest`,
//! `ProduceRequest.validateRecords`, `ReplicaManager.appendRecords`.
//!
//! acks must be 0, 1 or -1 (else every partition answers INVALID_REQUIRED_ACKS). With acks=0
//! no response is sent at all; if any partition failed, the connection is closed instead —
//! Kafka's only way to tell an acks=0 producer that something went wrong (its metadata then
//! refreshes).

use std::collections::{HashMap, HashSet};

use bytes::Bytes;
use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::cluster::TopicPartition;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;
use crate::protocol::record_batch::{BatchIter, CompressionType};
use crate::replica::replica_manager::ProducePartitionResult;
use crate::zk::znodes::{AclOperation, ResourceType};

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: ProduceRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    let Some(rm) = apis.replica_manager.as_ref() else {
        return Response::Close("Produce received before the replica manager started".into());
    };
    // Kafka: `handleProduceRequest` — a transactional producer needs Write on its
    // transactional id (else every partition fails), then Write on each topic.
    let transactional_denied = req.transactional_id.as_ref().is_some_and(|id| {
        !apis.authorize(
            &request.context,
            AclOperation::Write,
            ResourceType::TransactionalId,
            id,
        )
    });
    let acks = req.acks;
    let valid_acks = matches!(acks, -1..=1);
    let mut order: Vec<(String, Vec<i32>)> = Vec::new();
    let mut entries: Vec<(TopicPartition, Bytes)> = Vec::new();
    let mut early: Vec<(TopicPartition, ProducePartitionResult)> = Vec::new();
    let mut seen = HashSet::new();
    for topic in &req.topic_data {
        let name = topic.name.0.to_string();
        let topic_denied = !transactional_denied
            && !apis.authorize(
                &request.context,
                AclOperation::Write,
                ResourceType::Topic,
                &name,
            );
        let mut parts = Vec::with_capacity(topic.partition_data.len());
        for pd in &topic.partition_data {
            parts.push(pd.index);
            let tp = TopicPartition::new(name.clone(), pd.index);
            if !seen.insert(tp.clone()) {
                continue;
            }
            let records = pd.records.clone().unwrap_or_default();
            if transactional_denied {
                early.push((
                    tp,
                    error(
                        ResponseError::TransactionalIdAuthorizationFailed.code(),
                        None,
                    ),
                ));
            } else if topic_denied {
                early.push((
                    tp,
                    error(ResponseError::TopicAuthorizationFailed.code(), None),
                ));
            } else if !valid_acks {
                early.push((tp, error(ResponseError::InvalidRequiredAcks.code(), None)));
            } else if let Err((code, msg)) = validate_records(version, &records) {
                early.push((tp, error(code, Some(msg))));
            } else {
                entries.push((tp, records));
            }
        }
        order.push((name, parts));
    }
    let mut results = if entries.is_empty() {
        Vec::new()
    } else {
        rm.append_records(i64::from(req.timeout_ms), acks, entries)
            .await
    };
    results.extend(early);
    if acks == 0 {
        if let Some((tp, r)) = results.iter().find(|(_, r)| r.error_code != 0) {
            return Response::Close(format!(
                "acks=0 produce to {tp} failed with error {}; closing the connection as Kafka does",
                r.error_code
            ));
        }
        return Response::NoOp;
    }
    let by_partition: HashMap<TopicPartition, ProducePartitionResult> =
        results.into_iter().collect();
    let mut response = ProduceResponse::default();
    for (name, parts) in order {
        let mut t = TopicProduceResponse::default().with_name(kafka_protocol::messages::TopicName(
            StrBytes::from_string(name.clone()),
        ));
        for index in parts {
            let Some(r) = by_partition.get(&TopicPartition::new(name.as_str(), index)) else {
                continue;
            };
            let mut p = PartitionProduceResponse::default()
                .with_index(index)
                .with_error_code(r.error_code)
                .with_base_offset(r.base_offset);
            // Fields newer than the request's version keep their defaults (the codec refuses
            // non-default values it cannot encode).
            if version >= 2 {
                p.log_append_time_ms = r.log_append_time_ms;
            }
            if version >= 5 {
                p.log_start_offset = r.log_start_offset;
            }
            if version >= 8 {
                p.error_message = r.error_message.clone().map(StrBytes::from_string);
            }
            t.partition_responses.push(p);
        }
        response.responses.push(t);
    }
    respond(request, &response)
}

fn error(code: i16, message: Option<String>) -> ProducePartitionResult {
    ProducePartitionResult {
        error_code: code,
        error_message: message,
        base_offset: -1,
        log_append_time_ms: -1,
        log_start_offset: -1,
    }
}

/// Kafka `ProduceRequest.validateRecords`: from v3 a partition carries exactly one v2 batch;
/// zstd needs v7+. Returns the error code and message.
fn validate_records(version: i16, records: &Bytes) -> Result<(), (i16, String)> {
    let invalid = |m: String| (ResponseError::InvalidRecord.code(), m);
    if version < 3 {
        return Ok(());
    }
    let mut count = 0;
    for item in BatchIter::new(records) {
        let Ok((_, h)) = item else {
            // Framing errors are reported by the log as CORRUPT_MESSAGE.
            return Ok(());
        };
        count += 1;
        if !h.is_v2() {
            return Err(invalid(format!("produce requests with version {version} are only allowed to contain record batches with magic version 2")));
        }
        if version < 7 && h.compression_type() == Some(CompressionType::Zstd) {
            return Err((
                ResponseError::UnsupportedCompressionType.code(),
                format!("produce requests with version {version} cannot use zstd compression (needs version 7)"),
            ));
        }
    }
    match count {
        0 => Err(invalid(format!("produce requests with version {version} must have at least one record batch per partition"))),
        1 => Ok(()),
        _ => Err(invalid(format!("produce requests with version {version} are only allowed to contain exactly one record batch per partition"))),
    }
}
