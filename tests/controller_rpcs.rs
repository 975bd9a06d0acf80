//! Integration tests of the controller's broker-facing RPCs against real ZooKeeper and real
//! `zkafka broker` processes: AlterPartition validation and its conditional write
//! (`KafkaController.tryProcessAlterPartition`, semantics doc §1.8), AllocateProducerIds
//! (`processAllocateProducerIds`, §5.1) and the NOT_CONTROLLER answer of non-controllers.
//! The requests are sent the way a partition leader / broker sends them (AlterPartition v3 with
//! topic ids, AllocateProducerIds v0), on a raw connection, so every error path can be reached.

mod common;

use std::time::Duration;

use common::*;
use kafka_protocol::messages::alter_partition_request::{BrokerState, PartitionData, TopicData};
use kafka_protocol::messages::{
    AllocateProducerIdsRequest, AlterPartitionRequest, AlterPartitionResponse, BrokerId,
};
use uuid::Uuid;
use zkafka::network::client::BrokerConnection;
use zookeeper_client as zkc;

const TOPIC_ID: &str = "AAAAAAAAAAAAAAAAAAAAAQ"; // Kafka Uuid.toString of 1

async fn create(zk: &zkc::Client, path: &str, data: &[u8]) {
    let mode = zkc::CreateMode::Persistent;
    match zk
        .create(path, data, &mode.with_acls(zkc::Acls::anyone_all()))
        .await
    {
        Ok(_) | Err(zkc::Error::NodeExists) => {}
        Err(e) => panic!("create {path}: {e}"),
    }
}

async fn broker_epoch(zk: &zkc::Client, id: i32) -> i64 {
    get(zk, &format!("/brokers/ids/{id}"))
        .await
        .expect("registration")
        .1
        .czxid
}

fn alter(
    broker: i32,
    epoch: i64,
    leader_epoch: i32,
    isr: &[i32],
    partition_epoch: i32,
) -> AlterPartitionRequest {
    let p = PartitionData::default()
        .with_partition_index(0)
        .with_leader_epoch(leader_epoch)
        .with_new_isr_with_epochs(
            isr.iter()
                .map(|&b| {
                    BrokerState::default()
                        .with_broker_id(BrokerId(b))
                        .with_broker_epoch(-1)
                })
                .collect(),
        )
        .with_partition_epoch(partition_epoch);
    AlterPartitionRequest::default()
        .with_broker_id(BrokerId(broker))
        .with_broker_epoch(epoch)
        .with_topics(vec![TopicData::default()
            .with_topic_id(Uuid::from_u128(1))
            .with_partitions(vec![p])])
}

async fn send(c: &mut BrokerConnection, req: AlterPartitionRequest) -> AlterPartitionResponse {
    c.send(3, &req).await.expect("AlterPartition round trip")
}

fn partition_result(r: &AlterPartitionResponse) -> (i16, i32, Vec<i32>) {
    assert_eq!(r.error_code, 0, "top-level error {}", r.error_code);
    let p = &r.topics[0].partitions[0];
    (
        p.error_code,
        p.partition_epoch,
        p.isr.iter().map(|b| b.0).collect(),
    )
}

/// AlterPartition on the active controller, in Kafka's order of checks: a stale broker epoch
/// (STALE_BROKER_EPOCH, 77), a newer leader epoch (NOT_CONTROLLER, 41), an older one
/// (FENCED_LEADER_EPOCH, 74), a non-live ISR member (INELIGIBLE_REPLICA, 107); a valid shrink is
/// written conditionally and answered with the new partition epoch = the state znode's
/// zkVersion, keeping the leader epoch; a proposal on a stale partition epoch is
/// INVALID_UPDATE_VERSION (95). A non-controller answers NOT_CONTROLLER for everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alter_partition_is_validated_and_written_by_the_controller() {
    let server = ZooKeeper::start();
    let b1 = Broker::start(&server, Some(1), "auto.leader.rebalance.enable=false\n");
    let zk = server.client().await;
    wait_registered(&zk, &["1"]).await;
    wait_for(
        "broker 1 to be controller",
        Duration::from_secs(30),
        || async { (controller_id(&zk).await == Some(1)).then_some(()) },
    )
    .await;
    let b2 = Broker::start(&server, Some(2), "");
    wait_registered(&zk, &["1", "2"]).await;
    // Partition 0 on [1, 2, 3]: broker 3 never exists, so the ISR starts as [1, 2].
    create(&zk, "/config/topics/t", br#"{"version":1,"config":{}}"#).await;
    create(
        &zk,
        "/brokers/topics/t",
        format!(r#"{{"partitions":{{"0":[1,2,3]}},"topic_id":"{TOPIC_ID}","adding_replicas":{{}},"removing_replicas":{{}},"version":3}}"#).as_bytes(),
    )
    .await;
    let state_path = "/brokers/topics/t/partitions/0/state";
    let (data, stat) = wait_for("the state znode", Duration::from_secs(30), || async {
        get(&zk, state_path).await
    })
    .await;
    let state: serde_json::Value = serde_json::from_slice(&data).unwrap();
    assert_eq!(state["isr"], serde_json::json!([1, 2]));
    assert_eq!((state["leader"].as_i64(), stat.version), (Some(1), 0));

    let epoch1 = broker_epoch(&zk, 1).await;
    let mut c = BrokerConnection::connect(("127.0.0.1", b1.port), "test-leader")
        .await
        .unwrap();
    let r = send(&mut c, alter(1, epoch1 - 1, 0, &[1], 0)).await;
    assert_eq!(r.error_code, 77, "stale broker epoch");
    let r = send(&mut c, alter(1, epoch1, 1, &[1], 0)).await;
    assert_eq!(partition_result(&r).0, 41, "newer leader epoch");
    let r = send(&mut c, alter(1, epoch1, -1, &[1], 0)).await;
    assert_eq!(partition_result(&r).0, 74, "older leader epoch");
    let r = send(&mut c, alter(1, epoch1, 0, &[1, 2, 3], 0)).await;
    assert_eq!(partition_result(&r).0, 107, "broker 3 is not live");

    // A valid shrink to [1] (as if broker 2 lagged): written, partition epoch 1, leader epoch 0.
    // The real leader may re-expand the ISR right after, so the znode is checked for at least it.
    let r = send(&mut c, alter(1, epoch1, 0, &[1], 0)).await;
    let (code, partition_epoch, isr) = partition_result(&r);
    assert_eq!((code, isr.as_slice()), (0, &[1][..]));
    assert_eq!(partition_epoch, 1);
    assert_eq!(r.topics[0].topic_id, Uuid::from_u128(1));
    let (data, stat) = get(&zk, state_path).await.unwrap();
    let state: serde_json::Value = serde_json::from_slice(&data).unwrap();
    assert!(stat.version >= 1);
    assert_eq!(
        state["leader_epoch"], 0,
        "leader-driven ISR changes keep the leader epoch"
    );
    // Proposed on the old partition epoch, with content that differs from the current state.
    let r = send(&mut c, alter(1, epoch1, 0, &[2], 0)).await;
    assert_eq!(partition_result(&r).0, 95, "stale partition epoch");

    // Broker 2 is not the controller.
    let epoch2 = broker_epoch(&zk, 2).await;
    let mut c2 = BrokerConnection::connect(("127.0.0.1", b2.port), "test-leader")
        .await
        .unwrap();
    let r: AlterPartitionResponse = c2.send(3, &alter(1, epoch1, 0, &[1], 1)).await.unwrap();
    assert_eq!(r.error_code, 41);

    // AllocateProducerIds: unknown broker, stale epoch, then consecutive blocks of 1000 written
    // to /latest_producer_id_block in Kafka's JSON.
    let ids = |broker: i32, epoch: i64| {
        AllocateProducerIdsRequest::default()
            .with_broker_id(BrokerId(broker))
            .with_broker_epoch(epoch)
    };
    let r = c.send(0, &ids(9, 1)).await.unwrap();
    assert_eq!(r.error_code, 102, "BROKER_ID_NOT_REGISTERED");
    let r = c.send(0, &ids(2, epoch2 + 1)).await.unwrap();
    assert_eq!(r.error_code, 77, "STALE_BROKER_EPOCH");
    let (_, before) = get(&zk, "/latest_producer_id_block").await.unwrap();
    let first = c.send(0, &ids(2, epoch2)).await.unwrap();
    let second = c.send(0, &ids(1, epoch1)).await.unwrap();
    assert_eq!((first.error_code, first.producer_id_len), (0, 1000));
    assert_eq!(second.producer_id_start.0, first.producer_id_start.0 + 1000);
    let (data, after) = get(&zk, "/latest_producer_id_block").await.unwrap();
    assert_eq!(after.version, before.version + 2);
    let end = second.producer_id_start.0 + 999;
    assert_eq!(
        String::from_utf8(data).unwrap(),
        format!(
            r#"{{"version":1,"broker":1,"block_start":"{}","block_end":"{end}"}}"#,
            second.producer_id_start.0
        )
    );
    let r = c2.send(0, &ids(2, epoch2)).await.unwrap();
    assert_eq!(r.error_code, 41, "only the controller allocates");
}
