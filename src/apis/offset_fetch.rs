//! OffsetFetch (API key 9), versions 0-9: one group (v0-7) or a batch of groups (v8+, KIP-709);
//! a null topic list (v2+) fetches every committed partition; `require_stable` (v7+) answers
//! UNSTABLE_OFFSET_COMMIT for partitions with a commit in flight.
//! Kafka: `KafkaApis.handleOffsetFetchRequest`, `OffsetFetchRequest.getErrorResponse`.

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{GroupId, OffsetFetchRequest, OffsetFetchResponse, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{decode_body, respond, KafkaApis};
use crate::cluster::TopicPartition;
use crate::coordinator::group::offsets::FetchedOffset;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: OffsetFetchRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let version = request.context.header.api_version();
    if version >= 8 {
        let groups = req
            .groups
            .iter()
            .map(|g| {
                let tps = g
                    .topics
                    .as_ref()
                    .map(|ts| partitions(ts.iter().map(|t| (&t.name, &t.partition_indexes))));
                let (error, offsets) = fetch(
                    apis,
                    request,
                    &g.group_id,
                    req.require_stable,
                    tps.as_deref(),
                );
                OffsetFetchResponseGroup::default()
                    .with_group_id(g.group_id.clone())
                    .with_error_code(error)
                    .with_topics(
                        group_topics(offsets, |tp, o| {
                            OffsetFetchResponsePartitions::default()
                                .with_partition_index(tp.partition)
                                .with_committed_offset(o.offset)
                                .with_committed_leader_epoch(o.leader_epoch)
                                .with_metadata(Some(StrBytes::from_string(o.metadata)))
                                .with_error_code(o.error)
                        })
                        .into_iter()
                        .map(|(name, partitions)| {
                            OffsetFetchResponseTopics::default()
                                .with_name(name)
                                .with_partitions(partitions)
                        })
                        .collect(),
                    )
            })
            .collect();
        return respond(request, &OffsetFetchResponse::default().with_groups(groups));
    }
    let tps = req
        .topics
        .as_ref()
        .map(|ts| partitions(ts.iter().map(|t| (&t.name, &t.partition_indexes))));
    let (error, mut offsets) = fetch(
        apis,
        request,
        &req.group_id,
        req.require_stable,
        tps.as_deref(),
    );
    let mut resp = OffsetFetchResponse::default();
    if error != 0 {
        if version < 2 {
            // Kafka `getErrorResponse`: before v2 the error goes on every requested partition.
            offsets = tps
                .unwrap_or_default()
                .into_iter()
                .map(|tp| {
                    let mut o = FetchedOffset {
                        offset: -1,
                        leader_epoch: -1,
                        metadata: String::new(),
                        error,
                    };
                    o.error = error;
                    (tp, o)
                })
                .collect();
        } else {
            offsets.clear();
        }
    }
    if version >= 2 {
        resp.error_code = error;
    }
    resp.topics = group_topics(offsets, |tp, o| {
        OffsetFetchResponsePartition::default()
            .with_partition_index(tp.partition)
            .with_committed_offset(o.offset)
            .with_committed_leader_epoch(o.leader_epoch)
            .with_metadata(Some(StrBytes::from_string(o.metadata)))
            .with_error_code(o.error)
    })
    .into_iter()
    .map(|(name, partitions)| {
        OffsetFetchResponseTopic::default()
            .with_name(name)
            .with_partitions(partitions)
    })
    .collect();
    respond(request, &resp)
}

/// The requested partitions of one group, in request order.
fn partitions<'a>(
    topics: impl Iterator<Item = (&'a TopicName, &'a Vec<i32>)>,
) -> Vec<TopicPartition> {
    topics
        .flat_map(|(name, ps)| ps.iter().map(|p| TopicPartition::new(name.to_string(), *p)))
        .collect()
}

/// Kafka: `handleOffsetFetchRequest` — Describe on the group (else GROUP_AUTHORIZATION_FAILED),
/// then Describe on each topic: requested partitions of other topics get
/// TOPIC_AUTHORIZATION_FAILED, and an all-partitions fetch leaves them out.
fn fetch(
    apis: &KafkaApis,
    request: &Request,
    group_id: &GroupId,
    require_stable: bool,
    tps: Option<&[TopicPartition]>,
) -> (i16, Vec<(TopicPartition, FetchedOffset)>) {
    let ctx = &request.context;
    if !apis.authorize(
        ctx,
        crate::zk::znodes::AclOperation::Describe,
        crate::zk::znodes::ResourceType::Group,
        group_id,
    ) {
        return (ResponseError::GroupAuthorizationFailed.code(), Vec::new());
    }
    let (error, offsets) = match apis.group_coordinator.as_ref() {
        None => (ResponseError::CoordinatorNotAvailable.code(), Vec::new()),
        Some(c) => c.handle_fetch_offsets(group_id, require_stable, tps),
    };
    let offsets = offsets
        .into_iter()
        .filter_map(|(tp, mut o)| {
            if apis.authorize(
                ctx,
                crate::zk::znodes::AclOperation::Describe,
                crate::zk::znodes::ResourceType::Topic,
                &tp.topic,
            ) {
                return Some((tp, o));
            }
            tps.is_some().then(|| {
                o.offset = -1;
                o.leader_epoch = -1;
                o.metadata = String::new();
                o.error = ResponseError::TopicAuthorizationFailed.code();
                (tp, o)
            })
        })
        .collect();
    (error, offsets)
}

/// Groups partitions by topic, keeping first-seen topic order.
fn group_topics<P>(
    offsets: Vec<(TopicPartition, FetchedOffset)>,
    partition: impl Fn(&TopicPartition, FetchedOffset) -> P,
) -> Vec<(TopicName, Vec<P>)> {
    let mut out: Vec<(TopicName, Vec<P>)> = Vec::new();
    for (tp, o) in offsets {
        let p = partition(&tp, o);
        match out.iter_mut().find(|(n, _)| n.0.as_str() == tp.topic) {
            Some((_, ps)) => ps.push(p),
            None => out.push((TopicName(StrBytes::from_string(tp.topic.clone())), vec![p])),
        }
    }
    out
}
