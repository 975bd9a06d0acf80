//! Fetch (API key 1), versions 4-17, for consumers and follower replicas.
//! Kafka: `KafkaApis.handleFetchRequest`, `ReplicaManager.fetchMessages`.
//!
//! Incremental fetch sessions (KIP-227): every request is answered sessionless — a full
//! response with session id 0. That is exactly what Kafka does when its session cache is full
//! or a client asks for a new session it cannot create (`FetchSession.scala`:
//! `FetchManager.newContext` falls back to a `FullFetchContext` / `SessionlessFetchContext`
//! answering `INVALID_SESSION_ID` = 0), and every client then keeps sending full requests. A
//! request naming an existing session (id ≠ 0, epoch > 0) can only refer to a session we never
//! created and gets FETCH_SESSION_ID_NOT_FOUND, as Kafka answers for an evicted session.
//! Records are the log's bytes as stored; an empty read is `Some(Bytes::new())` (librdkafka
//! 2.0 misreads a null records field). Preferred read replica (KIP-392) is not served: -1.

use bytes::Bytes;
use kafka_protocol::messages::fetch_response::{
    EpochEndOffset, FetchableTopicResponse, PartitionData,
};
use kafka_protocol::messages::{FetchRequest, FetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use uuid::Uuid;

use super::{decode_body, fetch_response, respond, KafkaApis};
use crate::cluster::TopicPartition;
use crate::network::{Request, Response, ResponseSend};
use crate::protocol::errors::ResponseError;
use crate::replica::replica_manager::{FetchParams, FetchPartitionRequest};
use crate::zk::znodes::{AclOperation, ResourceType};

/// A request topic in order: (name, id, partitions with their index into the replica
/// manager's request list or an early error code).
type TopicLayout = (String, Uuid, Vec<(i32, Result<usize, i16>)>);

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: FetchRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    let Some(rm) = apis.replica_manager.as_ref() else {
        return Response::Close("Fetch received before the replica manager started".into());
    };
    if req.session_id != 0 && req.session_epoch > 0 {
        let resp = FetchResponse::default()
            .with_error_code(ResponseError::FetchSessionIdNotFound.code())
            .with_session_id(0);
        return respond(request, &resp);
    }
    let replica_id = if version >= 15 {
        req.replica_state.replica_id.0
    } else {
        req.replica_id.0
    };
    let is_follower = replica_id >= 0;
    // Kafka: `handleFetchRequest` — a follower needs ClusterAction on the cluster (else every
    // partition is TOPIC_AUTHORIZATION_FAILED); a consumer needs Read on each topic.
    let follower_denied =
        is_follower && !apis.authorize_cluster(&request.context, AclOperation::ClusterAction);
    let params = FetchParams {
        replica_id: is_follower.then_some(replica_id),
        max_wait_ms: i64::from(req.max_wait_ms),
        min_bytes: req.min_bytes.max(0) as usize,
        // Kafka: v0-2 have no response limit (hardMaxBytesLimit = false, Int.MaxValue).
        max_bytes: if version >= 3 {
            req.max_bytes.max(0) as usize
        } else {
            i32::MAX as usize
        },
        read_committed: req.isolation_level == 1,
    };
    let mut layout: Vec<TopicLayout> = Vec::new();
    let mut wanted: Vec<FetchPartitionRequest> = Vec::new();
    for topic in &req.topics {
        let (name, id) = if version >= 13 {
            let name = apis.metadata_cache.topic_name(topic.topic_id).or_else(|| {
                rm.online_partitions()
                    .iter()
                    .find(|p| p.topic_id() == Some(*topic.topic_id.as_bytes()))
                    .map(|p| p.topic_partition().topic.clone())
            });
            (name, topic.topic_id)
        } else {
            (Some(topic.topic.0.to_string()), Uuid::nil())
        };
        let denied = follower_denied
            || (!is_follower
                && name.as_ref().is_some_and(|n| {
                    !apis.authorize(&request.context, AclOperation::Read, ResourceType::Topic, n)
                }));
        let mut parts = Vec::with_capacity(topic.partitions.len());
        for fp in &topic.partitions {
            let entry = match &name {
                None => Err(ResponseError::UnknownTopicId.code()),
                Some(_) if denied => Err(ResponseError::TopicAuthorizationFailed.code()),
                Some(n) => {
                    wanted.push(FetchPartitionRequest {
                        topic_partition: TopicPartition::new(n.clone(), fp.partition),
                        fetch_offset: fp.fetch_offset,
                        current_leader_epoch: if version >= 9 {
                            fp.current_leader_epoch
                        } else {
                            -1
                        },
                        last_fetched_epoch: if version >= 12 {
                            fp.last_fetched_epoch
                        } else {
                            -1
                        },
                        log_start_offset: if version >= 5 {
                            fp.log_start_offset
                        } else {
                            -1
                        },
                        partition_max_bytes: fp.partition_max_bytes.max(0) as usize,
                    });
                    Ok(wanted.len() - 1)
                }
            };
            parts.push((fp.partition, entry));
        }
        layout.push((name.unwrap_or_default(), id, parts));
    }
    let results = rm.fetch_messages(&params, &wanted).await;
    let mut response = FetchResponse::default().with_session_id(0);
    for (name, id, parts) in layout {
        let mut t = FetchableTopicResponse::default()
            .with_topic(TopicName(StrBytes::from_string(name)))
            .with_topic_id(id);
        for (index, entry) in parts {
            let mut pd = PartitionData::default()
                .with_partition_index(index)
                .with_high_watermark(-1)
                .with_last_stable_offset(-1)
                .with_log_start_offset(-1)
                .with_preferred_read_replica(kafka_protocol::messages::BrokerId(-1))
                .with_records(Some(Bytes::new()));
            if params.read_committed {
                pd.aborted_transactions = Some(Vec::new());
            }
            match entry {
                Err(code) => pd.error_code = code,
                Ok(i) => {
                    let r = &results[i];
                    pd.error_code = r.error_code;
                    if let Some(read) = &r.read {
                        pd.high_watermark = read.high_watermark;
                        pd.last_stable_offset = read.last_stable_offset;
                        if version >= 5 {
                            pd.log_start_offset = read.log_start_offset;
                        }
                        pd.records = Some(read.records.clone());
                        if let Some(d) = read.diverging_epoch {
                            pd.diverging_epoch = EpochEndOffset::default()
                                .with_epoch(d.epoch)
                                .with_end_offset(d.end_offset);
                        }
                    }
                }
            }
            t.partitions.push(pd);
        }
        response.responses.push(t);
    }
    // Record bytes go out as their own chunks, straight from `Log::read`.
    let correlation_id = request.context.header.correlation_id();
    match fetch_response::encode_fetch_response_chunks(version, correlation_id, &response) {
        Ok(chunks) => Response::Send(ResponseSend::from_chunks(chunks)),
        Err(e) => {
            tracing::debug!(error = %e, "falling back to the crate's Fetch encoding");
            respond(request, &response)
        }
    }
}
