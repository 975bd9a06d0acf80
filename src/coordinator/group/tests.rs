//! The coordinator's state machine driven through its public handlers, with a mock clock and
//! an in-memory `__consumer_offsets` (the log path itself is covered by the integration tests).

use std::sync::{Arc, Mutex};

use bytes::Bytes;

use super::group_coordinator::GroupCoordinator;
use super::membership::{JoinGroupParams, LeavingMember, SyncGroupParams};
use super::offset_commit_record::OffsetCommitValue;
use super::offsets::OffsetCommitParams;
use super::offsets_log::{LoadedRecord, OffsetsLog};
use super::GroupCoordinatorConfig;
use crate::cluster::TopicPartition;
use crate::network::BoxFuture;
use crate::protocol::errors::ResponseError;
use crate::time::MockClock;

/// `__consumer_offsets` as a list of records per partition.
#[derive(Default)]
struct MemoryLog {
    records: Mutex<Vec<(i32, LoadedRecord)>>,
}

impl OffsetsLog for MemoryLog {
    fn append(
        &self,
        partition: i32,
        records: Vec<(Bytes, Option<Bytes>)>,
        _acks: i16,
        _timeout_ms: i64,
    ) -> BoxFuture<'_, Result<i64, i16>> {
        let mut log = self.records.lock().unwrap();
        let base = log.len() as i64;
        for (i, (k, v)) in records.into_iter().enumerate() {
            log.push((
                partition,
                LoadedRecord {
                    offset: base + i as i64,
                    key: Some(k),
                    value: v,
                },
            ));
        }
        Box::pin(async move { Ok(base) })
    }

    fn read_all(
        &self,
        partition: i32,
        _: usize,
    ) -> BoxFuture<'_, Result<Vec<LoadedRecord>, String>> {
        let out = self
            .records
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| *p == partition)
            .map(|(_, r)| r.clone())
            .collect();
        Box::pin(async move { Ok(out) })
    }
}

fn config() -> GroupCoordinatorConfig {
    GroupCoordinatorConfig {
        group_initial_rebalance_delay_ms: 100,
        ..GroupCoordinatorConfig::default()
    }
}

async fn coordinator(log: Arc<MemoryLog>) -> (Arc<GroupCoordinator>, Arc<MockClock>) {
    let clock = Arc::new(MockClock::new(1_000_000));
    let c = GroupCoordinator::new(config(), clock.clone(), log);
    c.startup();
    for p in 0..50 {
        c.on_election(p, 0);
    }
    // Loads run on spawned tasks.
    for _ in 0..100 {
        if !c.manager.is_loading() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    (c, clock)
}

fn join(group: &str, member: &str, protocols: &[&str]) -> JoinGroupParams {
    JoinGroupParams {
        group_id: group.into(),
        member_id: member.into(),
        group_instance_id: None,
        require_known_member_id: true,
        support_skipping_assignment: true,
        client_id: "client".into(),
        client_host: "/127.0.0.1".into(),
        rebalance_timeout_ms: 10_000,
        session_timeout_ms: 10_000,
        protocol_type: "consumer".into(),
        protocols: protocols
            .iter()
            .map(|p| (p.to_string(), Bytes::from_static(b"meta")))
            .collect(),
        reason: None,
    }
}

/// Advances mock time and fires the delayed operations until `done` completes.
async fn drive<T>(
    c: &Arc<GroupCoordinator>,
    clock: &MockClock,
    step_ms: i64,
    fut: tokio::task::JoinHandle<T>,
) -> T {
    let mut fut = fut;
    loop {
        tokio::select! {
            r = &mut fut => return r.unwrap(),
            _ = tokio::time::sleep(std::time::Duration::from_millis(2)) => {
                clock.advance_ms(step_ms);
                c.tick(c.now_ms());
            }
        }
    }
}

/// Kafka `GroupCoordinator`: a v4+ dynamic member first gets MEMBER_ID_REQUIRED with a
/// generated `clientId-UUID`; after the initial rebalance delay both members are in
/// generation 1, the leader alone gets the member list; SyncGroup delivers the leader's
/// assignment to each member and the group is Stable; a commit by a member round-trips.
#[tokio::test]
async fn two_members_join_sync_commit_and_fetch() {
    let log = Arc::new(MemoryLog::default());
    let (c, clock) = coordinator(log.clone()).await;
    let first = c.handle_join_group(join("g", "", &["range"])).await;
    assert_eq!(first.error, ResponseError::MemberIdRequired.code());
    assert!(
        first.member_id.starts_with("client-"),
        "{}",
        first.member_id
    );
    let second = c
        .handle_join_group(join("g", "", &["range", "roundrobin"]))
        .await;
    let (a, b) = (first.member_id.clone(), second.member_id.clone());
    let (c1, c2) = (c.clone(), c.clone());
    let (pa, pb) = (
        join("g", &a, &["range"]),
        join("g", &b, &["range", "roundrobin"]),
    );
    let ja = tokio::spawn(async move { c1.handle_join_group(pa).await });
    let jb = tokio::spawn(async move { c2.handle_join_group(pb).await });
    let ja = drive(&c, &clock, 20, ja).await;
    let jb = jb.await.unwrap();
    assert_eq!((ja.error, jb.error), (0, 0));
    assert_eq!((ja.generation_id, jb.generation_id), (1, 1));
    assert_eq!(ja.protocol_name.as_deref(), Some("range"));
    assert_eq!(ja.leader_id, a);
    assert_eq!(ja.members.len(), 2);
    assert!(jb.members.is_empty());
    assert_eq!(c.handle_describe_group("g").state, "CompletingRebalance");

    let follower = {
        let c = c.clone();
        let p = SyncGroupParams {
            group_id: "g".into(),
            generation_id: 1,
            member_id: b.clone(),
            protocol_type: None,
            protocol_name: None,
            group_instance_id: None,
            assignments: Default::default(),
        };
        tokio::spawn(async move { c.handle_sync_group(p).await })
    };
    let leader = c
        .handle_sync_group(SyncGroupParams {
            group_id: "g".into(),
            generation_id: 1,
            member_id: a.clone(),
            protocol_type: Some("consumer".into()),
            protocol_name: Some("range".into()),
            group_instance_id: None,
            assignments: [
                (a.clone(), Bytes::from_static(b"A")),
                (b.clone(), Bytes::from_static(b"B")),
            ]
            .into_iter()
            .collect(),
        })
        .await;
    assert_eq!(leader.assignment, Bytes::from_static(b"A"));
    assert_eq!(follower.await.unwrap().assignment, Bytes::from_static(b"B"));
    assert_eq!(c.handle_describe_group("g").state, "Stable");
    assert_eq!(c.handle_heartbeat("g", &a, None, 1), 0);
    assert_eq!(
        c.handle_heartbeat("g", &a, None, 0),
        ResponseError::IllegalGeneration.code()
    );

    let tp = TopicPartition::new("t", 0);
    let value = OffsetCommitValue {
        offset: 42,
        leader_epoch: 3,
        metadata: "m".into(),
        commit_timestamp_ms: 5,
        expire_timestamp_ms: None,
    };
    let errors = c
        .handle_commit_offsets(OffsetCommitParams {
            group_id: "g".into(),
            member_id: a.clone(),
            group_instance_id: None,
            generation_id: 1,
            offsets: vec![(tp.clone(), value.clone())],
        })
        .await;
    assert_eq!(errors, vec![0]);
    let (err, fetched) = c.handle_fetch_offsets("g", true, Some(std::slice::from_ref(&tp)));
    assert_eq!(err, 0);
    assert_eq!((fetched[0].1.offset, fetched[0].1.leader_epoch), (42, 3));
    // A stale generation is refused.
    let stale = c
        .handle_commit_offsets(OffsetCommitParams {
            group_id: "g".into(),
            member_id: a.clone(),
            group_instance_id: None,
            generation_id: 7,
            offsets: vec![(tp.clone(), value.clone())],
        })
        .await;
    assert_eq!(stale, vec![ResponseError::IllegalGeneration.code()]);

    // The follower leaves: the group rebalances.
    let (e, per) = c.handle_leave_group(
        "g",
        &[LeavingMember {
            member_id: b.clone(),
            group_instance_id: None,
        }],
        None,
    );
    assert_eq!((e, per), (0, vec![0]));
    assert_eq!(c.handle_describe_group("g").state, "PreparingRebalance");
    assert_eq!(
        c.handle_heartbeat("g", &a, None, 1),
        ResponseError::RebalanceInProgress.code()
    );

    // Failover: a fresh coordinator loading the same log sees the offset.
    let (c2, _) = coordinator(log).await;
    let (_, fetched) = c2.handle_fetch_offsets("g", false, None);
    assert_eq!(fetched.len(), 1);
    assert_eq!(fetched[0].1.offset, 42);
    assert_eq!(c2.handle_describe_group("g").state, "Stable");
}

/// Kafka `onExpireHeartbeat`: a member that stops heartbeating is removed after its session
/// timeout and the group rebalances; the remaining member becomes leader of the next
/// generation.
#[tokio::test]
async fn session_expiry_removes_a_silent_member() {
    let (c, clock) = coordinator(Arc::new(MemoryLog::default())).await;
    let mut p1 = join("h", "", &["range"]);
    p1.require_known_member_id = false;
    let mut p2 = p1.clone();
    p2.session_timeout_ms = 6000;
    let (c1, c2) = (c.clone(), c.clone());
    let j1 = tokio::spawn(async move { c1.handle_join_group(p1).await });
    let j2 = tokio::spawn(async move { c2.handle_join_group(p2).await });
    let r1 = drive(&c, &clock, 20, j1).await;
    let r2 = j2.await.unwrap();
    assert_eq!(r1.generation_id, 1);
    let silent = if r1.leader_id == r1.member_id {
        r2.member_id.clone()
    } else {
        r1.member_id.clone()
    };
    let alive = if silent == r1.member_id {
        r2.member_id.clone()
    } else {
        r1.member_id.clone()
    };
    // Only `alive` heartbeats, every 3 s, for 12 s.
    for _ in 0..4 {
        clock.advance_ms(3000);
        c.tick(c.now_ms());
        let code = c.handle_heartbeat("h", &alive, None, 1);
        assert!(
            code == 0 || code == ResponseError::RebalanceInProgress.code(),
            "{code}"
        );
    }
    let d = c.handle_describe_group("h");
    assert_eq!(d.state, "PreparingRebalance");
    assert!(d.members.iter().all(|m| m.member_id != silent));
    let c1 = c.clone();
    let mut p = join("h", &alive, &["range"]);
    p.require_known_member_id = false;
    let r = drive(
        &c,
        &clock,
        20,
        tokio::spawn(async move { c1.handle_join_group(p).await }),
    )
    .await;
    assert_eq!((r.generation_id, r.leader_id.clone()), (2, alive));
}

/// KIP-345: a static member rejoining with a new member id while the group is Stable takes
/// over its old member's place without a rebalance (same generation), and the old member id
/// is fenced.
#[tokio::test]
async fn static_member_rejoin_does_not_rebalance() {
    let (c, clock) = coordinator(Arc::new(MemoryLog::default())).await;
    let mut p = join("s", "", &["range"]);
    p.group_instance_id = Some("inst-1".into());
    let c1 = c.clone();
    let p1 = p.clone();
    let first = drive(
        &c,
        &clock,
        20,
        tokio::spawn(async move { c1.handle_join_group(p1).await }),
    )
    .await;
    assert_eq!(first.generation_id, 1);
    let sync = c
        .handle_sync_group(SyncGroupParams {
            group_id: "s".into(),
            generation_id: 1,
            member_id: first.member_id.clone(),
            protocol_type: None,
            protocol_name: None,
            group_instance_id: Some("inst-1".into()),
            assignments: [(first.member_id.clone(), Bytes::from_static(b"X"))]
                .into_iter()
                .collect(),
        })
        .await;
    assert_eq!(sync.error, 0);
    let again = c.handle_join_group(p).await;
    assert_eq!(again.error, 0);
    assert_eq!(again.generation_id, 1);
    assert!(
        again.skip_assignment,
        "the rejoining static leader skips the assignor (v9)"
    );
    assert_ne!(again.member_id, first.member_id);
    assert_eq!(c.handle_describe_group("s").state, "Stable");
    assert_eq!(
        c.handle_heartbeat("s", &first.member_id, Some("inst-1"), 1),
        ResponseError::FencedInstanceId.code()
    );
    assert_eq!(
        c.handle_heartbeat("s", &again.member_id, Some("inst-1"), 1),
        0
    );
}
