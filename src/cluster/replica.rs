//! `RemoteReplica`: what a partition leader knows about one follower — its log end offset from
//! its last fetch and when it was last caught up. Kafka: `kafka.cluster.Replica`.

/// `UnifiedLog.UnknownOffset`.
pub const UNKNOWN_OFFSET: i64 = -1;

/// A follower as its leader sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteReplica {
    pub broker_id: i32,
    /// The offset of the follower's last fetch (= its log end offset), or -1 before one.
    pub log_end_offset: i64,
    pub log_start_offset: i64,
    /// Leader's log end offset when the previous fetch arrived.
    pub last_fetch_leader_log_end_offset: i64,
    pub last_fetch_time_ms: i64,
    /// The last time the follower had everything the leader had. Drives ISR shrink.
    pub last_caught_up_time_ms: i64,
    /// The high watermark in the last fetch response sent to this follower; a parked fetch
    /// completes early once the leader's HW is above it, so followers learn the HW promptly.
    /// Kafka: `ReplicaState.lastSentHighWatermark`, `DelayedFetch` case H.
    pub last_sent_high_watermark: i64,
}

impl RemoteReplica {
    pub fn new(broker_id: i32) -> RemoteReplica {
        RemoteReplica {
            broker_id,
            log_end_offset: UNKNOWN_OFFSET,
            log_start_offset: UNKNOWN_OFFSET,
            last_fetch_leader_log_end_offset: UNKNOWN_OFFSET,
            last_fetch_time_ms: 0,
            last_caught_up_time_ms: 0,
            last_sent_high_watermark: UNKNOWN_OFFSET,
        }
    }

    /// Records a fetch at `fetch_offset`. The follower was caught up at this fetch if it asked
    /// for the leader's end offset, or at the previous fetch if it now asks for at least the
    /// leader end offset recorded then (it has everything the leader had at that time).
    /// Kafka: `Replica.updateFetchStateOrThrow`.
    pub fn update_fetch_state(
        &mut self,
        fetch_offset: i64,
        follower_log_start_offset: i64,
        fetch_time_ms: i64,
        leader_end_offset: i64,
    ) {
        if fetch_offset >= leader_end_offset {
            self.last_caught_up_time_ms = self.last_caught_up_time_ms.max(fetch_time_ms);
        } else if fetch_offset >= self.last_fetch_leader_log_end_offset {
            self.last_caught_up_time_ms = self.last_caught_up_time_ms.max(self.last_fetch_time_ms);
        }
        self.log_end_offset = fetch_offset;
        self.log_start_offset = follower_log_start_offset;
        self.last_fetch_leader_log_end_offset = leader_end_offset;
        self.last_fetch_time_ms = fetch_time_ms;
    }

    /// In sync by time: it has the leader's end offset, or was caught up within
    /// `replica.lag.time.max.ms`. Kafka: `Replica.isCaughtUp`.
    pub fn is_caught_up(
        &self,
        leader_end_offset: i64,
        now_ms: i64,
        replica_lag_time_max_ms: i64,
    ) -> bool {
        leader_end_offset == self.log_end_offset
            || now_ms - self.last_caught_up_time_ms <= replica_lag_time_max_ms
    }

    /// Resets the state when this broker becomes leader: positions are unknown until the
    /// follower fetches, and an in-sync follower counts as caught up now so it is not shrunk
    /// out before it has had a chance to fetch. Kafka: `Replica.resetReplicaState`.
    pub fn reset(
        &mut self,
        now_ms: i64,
        leader_end_offset: i64,
        is_new_leader: bool,
        in_sync: bool,
    ) {
        if is_new_leader {
            self.last_caught_up_time_ms = if in_sync { now_ms } else { 0 };
            self.log_end_offset = UNKNOWN_OFFSET;
            self.log_start_offset = UNKNOWN_OFFSET;
            self.last_fetch_leader_log_end_offset = UNKNOWN_OFFSET;
            self.last_fetch_time_ms = 0;
            self.last_sent_high_watermark = UNKNOWN_OFFSET;
        } else {
            // Same leader, new epoch: keep positions; an in-sync follower is caught up as of now.
            if in_sync {
                self.last_caught_up_time_ms = now_ms;
            }
            self.last_fetch_leader_log_end_offset = leader_end_offset;
            self.last_fetch_time_ms = now_ms;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka `Replica.updateFetchStateOrThrow`: a fetch at the leader's end offset is caught up
    /// now; a fetch that reaches the leader end offset seen at the previous fetch was caught up
    /// as of that previous fetch; a lagging fetch does not move the time.
    #[test]
    fn last_caught_up_time_follows_kafka_rule() {
        let mut r = RemoteReplica::new(2);
        r.update_fetch_state(10, 0, 1_000, 10);
        assert_eq!(r.last_caught_up_time_ms, 1_000);
        // Leader moved to 20; follower fetches 10 at t=2000: not caught up, but reached the
        // leader end (10) recorded at the previous fetch (t=1000).
        r.update_fetch_state(10, 0, 2_000, 20);
        assert_eq!(r.last_caught_up_time_ms, 1_000);
        // Follower now at 20 ≥ leader end 20 of the previous fetch: caught up as of t=2000.
        r.update_fetch_state(20, 0, 3_000, 30);
        assert_eq!(r.last_caught_up_time_ms, 2_000);
        // Still behind: 25 < 30, time stays.
        r.update_fetch_state(25, 0, 4_000, 40);
        assert_eq!(r.last_caught_up_time_ms, 2_000);
        assert!(r.is_caught_up(40, 32_000, 30_000));
        assert!(!r.is_caught_up(40, 32_001, 30_000));
        assert!(r.is_caught_up(25, 99_999, 30_000));
    }
}
