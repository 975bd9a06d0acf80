//! ElectLeaders (API key 43), versions 0-2 (KIP-460): PREFERRED or UNCLEAN leader election on
//! the controller; the answer waits until this broker's metadata shows the elected leaders, or
//! the request's timeout (REQUEST_TIMED_OUT for those still pending).
//! Kafka: `KafkaApis.handleElectLeaders` (a null partition list means every partition in the
//! metadata cache, and then ELECTION_NOT_NEEDED results are left out),
//! `ReplicaManager.electLeaders` + `DelayedElectLeader`, `KafkaController.electLeaders`
//! (`controller::preferred_election`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use kafka_protocol::messages::elect_leaders_response::{PartitionResult, ReplicaElectionResult};
use kafka_protocol::messages::{ElectLeadersRequest, ElectLeadersResponse, TopicName};
use kafka_protocol::protocol::StrBytes;
use tokio::sync::oneshot;

use super::{decode_body, respond, KafkaApis};
use crate::cluster::TopicPartition;
use crate::controller::controller_event::{ElectionResults, ElectionTrigger};
use crate::controller::election::ElectionType;
use crate::controller::ControllerEvent;
use crate::network::{Request, Response};
use crate::protocol::errors::ResponseError;

/// How often the delayed answer re-checks the metadata cache. Kafka's `DelayedElectLeader` is
/// completed by metadata updates; polling at 20 ms adds at most that to the answer.
const METADATA_POLL: Duration = Duration::from_millis(20);

pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response {
    let req: ElectLeadersRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let all_partitions = req.topic_partitions.is_none();
    let partitions: BTreeSet<TopicPartition> = match &req.topic_partitions {
        Some(topics) => topics
            .iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .map(|&p| TopicPartition::new(t.topic.0.to_string(), p))
            })
            .collect(),
        None => {
            let snapshot = apis.metadata_cache.snapshot();
            snapshot
                .partition_states
                .iter()
                .flat_map(|(topic, ps)| ps.keys().map(|&p| TopicPartition::new(topic.clone(), p)))
                .collect()
        }
    };
    // v0 has no ElectionType field: it is PREFERRED (the crate decodes the default 0).
    let Some(election_type) = ElectionType::from_value(req.election_type) else {
        let response =
            ElectLeadersResponse::default().with_error_code(ResponseError::InvalidRequest.code());
        return respond(request, &response);
    };
    let not_controller = |ps: &BTreeSet<TopicPartition>| -> ElectionResults {
        ps.iter()
            .map(|tp| (tp.clone(), Err((ResponseError::NotController.code(), None))))
            .collect()
    };
    // Kafka: `handleElectLeaders` — Alter on the cluster (the documentation table says
    // ClusterAction; the code checks ALTER), else every partition CLUSTER_AUTHORIZATION_FAILED.
    let authorized =
        apis.authorize_cluster(&request.context, crate::zk::znodes::AclOperation::Alter);
    let results = match apis.controller.as_ref() {
        _ if !authorized => partitions
            .iter()
            .map(|tp| {
                (
                    tp.clone(),
                    Err((ResponseError::ClusterAuthorizationFailed.code(), None)),
                )
            })
            .collect(),
        None => not_controller(&partitions),
        Some(controller) => {
            let (tx, rx) = oneshot::channel();
            let event = ControllerEvent::ReplicaLeaderElection {
                partitions: Some(partitions.clone()),
                election_type,
                trigger: ElectionTrigger::AdminClient,
                respond: Some(tx),
            };
            if controller.event_sender().put_async(event).await {
                rx.await.unwrap_or_else(|_| not_controller(&partitions))
            } else {
                not_controller(&partitions)
            }
        }
    };
    let results = wait_for_leaders(apis, results, req.timeout_ms).await;
    let mut by_topic: BTreeMap<String, Vec<PartitionResult>> = BTreeMap::new();
    for (tp, r) in results {
        let (code, message) = match r {
            Ok(_) => (0, None),
            Err((code, message)) => (code, message),
        };
        if all_partitions && code == ResponseError::ElectionNotNeeded.code() {
            continue;
        }
        by_topic.entry(tp.topic).or_default().push(
            PartitionResult::default()
                .with_partition_id(tp.partition)
                .with_error_code(code)
                .with_error_message(message.map(StrBytes::from_string)),
        );
    }
    let response = ElectLeadersResponse::default().with_replica_election_results(
        by_topic
            .into_iter()
            .map(|(topic, partition_result)| {
                ReplicaElectionResult::default()
                    .with_topic(TopicName(StrBytes::from_string(topic)))
                    .with_partition_result(partition_result)
            })
            .collect(),
    );
    respond(request, &response)
}

/// Kafka `DelayedElectLeader`: elected partitions succeed once this broker's metadata cache
/// names the expected leader; those still pending at the timeout get REQUEST_TIMED_OUT.
async fn wait_for_leaders(
    apis: &KafkaApis,
    mut results: ElectionResults,
    timeout_ms: i32,
) -> ElectionResults {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(timeout_ms.max(0) as u64);
    loop {
        let pending: Vec<TopicPartition> = results
            .iter()
            .filter(|(tp, r)| match r {
                Ok(leader) => apis
                    .metadata_cache
                    .partition_state(tp)
                    .is_none_or(|s| s.leader != *leader),
                Err(_) => false,
            })
            .map(|(tp, _)| tp.clone())
            .collect();
        if pending.is_empty() {
            return results;
        }
        if tokio::time::Instant::now() >= deadline {
            for tp in pending {
                results.insert(tp, Err((ResponseError::RequestTimedOut.code(), None)));
            }
            return results;
        }
        tokio::time::sleep(METADATA_POLL).await;
    }
}
