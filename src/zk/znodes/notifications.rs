//! Controller-only sequential notifications: `/isr_change_notification/isr_change_<seq>` and
//! `/log_dir_event_notification/log_dir_event_<seq>`. The controller deletes them right after
//! processing (and all of them at failover).
//!
//! Kafka: `ZkData.IsrChangeNotificationZNode`, `IsrChangeNotificationSequenceZNode`,
//! `LogDirEventNotificationZNode`, `LogDirEventNotificationSequenceZNode`.

use super::admin::{decode_partition_list, partition_list_json};
use super::json::{parse_object, Fields, Json};
use super::ZNodeError;
use crate::cluster::TopicPartition;

/// `/isr_change_notification` — persistent, null data; the controller child-watches it.
pub struct IsrChangeNotificationZNode;

impl IsrChangeNotificationZNode {
    pub const PATH: &'static str = "/isr_change_notification";
}

/// `/isr_change_notification/isr_change_<seq>` — persistent-sequential, written only by leaders
/// on IBP < 2.7-IV2: `{"version":1,"partitions":[{"topic":"my-topic","partition":0}]}`.
pub struct IsrChangeNotificationSequenceZNode;

impl IsrChangeNotificationSequenceZNode {
    pub const SEQUENCE_NUMBER_PREFIX: &'static str = "isr_change_";

    /// `sequence_number` empty gives the create path for a sequential create.
    pub fn path(sequence_number: &str) -> String {
        format!(
            "{}/{}{}",
            IsrChangeNotificationZNode::PATH,
            Self::SEQUENCE_NUMBER_PREFIX,
            sequence_number
        )
    }

    /// Kafka: `IsrChangeNotificationSequenceZNode.encode` (`IsrChangeNotificationHandler.Version` = 1).
    pub fn encode(partitions: &[TopicPartition]) -> Vec<u8> {
        partition_list_json(partitions)
    }

    /// Kafka: `IsrChangeNotificationSequenceZNode.decode`.
    pub fn decode(path: &str, bytes: &[u8]) -> Result<Vec<TopicPartition>, ZNodeError> {
        decode_partition_list(path, bytes)
    }

    /// Kafka: `sequenceNumber` — the text after the last prefix occurrence.
    pub fn sequence_number(path: &str) -> &str {
        sequence_number(path, Self::SEQUENCE_NUMBER_PREFIX)
    }
}

/// `/log_dir_event_notification` — persistent, null data; the controller child-watches it.
pub struct LogDirEventNotificationZNode;

impl LogDirEventNotificationZNode {
    pub const PATH: &'static str = "/log_dir_event_notification";
}

/// `/log_dir_event_notification/log_dir_event_<seq>` — persistent-sequential, written by a broker
/// whose log directory failed: `{"version":1,"broker":1,"event":1}` (Scala `Map3`; event 1 =
/// LogDirFailure).
pub struct LogDirEventNotificationSequenceZNode;

impl LogDirEventNotificationSequenceZNode {
    pub const SEQUENCE_NUMBER_PREFIX: &'static str = "log_dir_event_";
    /// Kafka: `LogDirEventNotificationSequenceZNode.LogDirFailureEvent`.
    pub const LOG_DIR_FAILURE_EVENT: i32 = 1;

    pub fn path(sequence_number: &str) -> String {
        format!(
            "{}/{}{}",
            LogDirEventNotificationZNode::PATH,
            Self::SEQUENCE_NUMBER_PREFIX,
            sequence_number
        )
    }

    /// Kafka: `LogDirEventNotificationSequenceZNode.encode`.
    pub fn encode(broker_id: i32) -> Vec<u8> {
        Json::Obj(vec![
            ("version".into(), Json::Int(1)),
            ("broker".into(), Json::Int(i64::from(broker_id))),
            (
                "event".into(),
                Json::Int(i64::from(Self::LOG_DIR_FAILURE_EVENT)),
            ),
        ])
        .to_bytes()
    }

    /// Kafka: `LogDirEventNotificationSequenceZNode.decode` — the broker id (only `broker` is read).
    pub fn decode(path: &str, bytes: &[u8]) -> Result<i32, ZNodeError> {
        let map = parse_object(path, bytes)?;
        Fields::new(path, &map).req_i32("broker")
    }

    pub fn sequence_number(path: &str) -> &str {
        sequence_number(path, Self::SEQUENCE_NUMBER_PREFIX)
    }
}

fn sequence_number<'a>(path: &'a str, prefix: &str) -> &'a str {
    match path.rfind(prefix) {
        Some(i) => &path[i + prefix.len()..],
        None => path,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference §2.14 / §2.15: exact notification bytes and sequence-number parsing.
    #[test]
    fn golden_notifications() {
        let golden = br#"{"version":1,"partitions":[{"topic":"my-topic","partition":0}]}"#;
        let p = vec![TopicPartition::new("my-topic", 0)];
        assert_eq!(
            IsrChangeNotificationSequenceZNode::encode(&p),
            golden.to_vec()
        );
        let path = IsrChangeNotificationSequenceZNode::path("0000000007");
        assert_eq!(path, "/isr_change_notification/isr_change_0000000007");
        assert_eq!(
            IsrChangeNotificationSequenceZNode::decode(&path, golden).unwrap(),
            p
        );
        assert_eq!(
            IsrChangeNotificationSequenceZNode::sequence_number(&path),
            "0000000007"
        );

        let golden = br#"{"version":1,"broker":1,"event":1}"#;
        assert_eq!(
            LogDirEventNotificationSequenceZNode::encode(1),
            golden.to_vec()
        );
        let path = LogDirEventNotificationSequenceZNode::path("0000000000");
        assert_eq!(
            LogDirEventNotificationSequenceZNode::decode(&path, golden).unwrap(),
            1
        );
        assert_eq!(
            LogDirEventNotificationSequenceZNode::sequence_number(&path),
            "0000000000"
        );
    }
}
