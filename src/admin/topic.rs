//! Kafka's topic-name rules: legal characters, length, internal topics, and the `.`/`_`
//! collision check (metric names replace `.` with `_`, so `a.b` and `a_b` would share metrics).

use super::AdminError;

/// The group coordinator's topic.
pub const GROUP_METADATA_TOPIC_NAME: &str = "__consumer_offsets";
/// The transaction coordinator's topic.
pub const TRANSACTION_STATE_TOPIC_NAME: &str = "__transaction_state";
/// The share coordinator's topic (KIP-932); internal in Kafka 3.9's `Topic` even though ZK mode
/// never creates it.
pub const SHARE_GROUP_STATE_TOPIC_NAME: &str = "__share_group_state";
/// KRaft's metadata log; a legal name but **not** internal (Kafka 3.9 `Topic.isInternal`).
pub const CLUSTER_METADATA_TOPIC_NAME: &str = "__cluster_metadata";
/// The legal characters, as Kafka documents them.
pub const LEGAL_CHARS: &str = "[a-zA-Z0-9._-]";
/// Longest legal topic name, in UTF-16 code units (Java `String.length`). The limit exists
/// because a partition directory is `<topic>-<partition>` and file names are capped at 255.
pub const MAX_NAME_LENGTH: usize = 249;

/// Why a topic name is invalid, worded as Kafka words it; `None` for a valid name.
///
/// Checks run in Kafka's order: empty, `.`, `..`, length (in UTF-16 units, like Java), then
/// characters.
// Kafka: org.apache.kafka.common.internals.Topic.detectInvalidTopic (3.9)
pub fn detect_invalid_topic(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the empty string is not allowed".to_string());
    }
    if name == "." {
        return Some("'.' is not allowed".to_string());
    }
    if name == ".." {
        return Some("'..' is not allowed".to_string());
    }
    if name.encode_utf16().count() > MAX_NAME_LENGTH {
        return Some(format!(
            "the length of '{name}' is longer than the max allowed length {MAX_NAME_LENGTH}"
        ));
    }
    if !contains_valid_pattern(name) {
        return Some(format!(
            "'{name}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'"
        ));
    }
    None
}

/// Validates a topic name; the error is INVALID_TOPIC_EXCEPTION with Kafka's message
/// (`Topic name is invalid: …`).
// Kafka: Topic.validate
pub fn validate(name: &str) -> Result<(), AdminError> {
    match detect_invalid_topic(name) {
        None => Ok(()),
        Some(reason) => Err(AdminError::InvalidTopic(format!(
            "Topic name is invalid: {reason}"
        ))),
    }
}

/// True for a legal topic name.
// Kafka: Topic.isValid
pub fn is_valid(name: &str) -> bool {
    detect_invalid_topic(name).is_none()
}

/// True for Kafka's internal topics (`__consumer_offsets`, `__transaction_state`,
/// `__share_group_state`), which Metadata reports with `is_internal=true`.
// Kafka: Topic.isInternal (INTERNAL_TOPICS in 3.9)
pub fn is_internal(topic: &str) -> bool {
    matches!(
        topic,
        GROUP_METADATA_TOPIC_NAME | TRANSACTION_STATE_TOPIC_NAME | SHARE_GROUP_STATE_TOPIC_NAME
    )
}

/// True if the name contains `.` or `_`, the characters that can collide in metric names.
// Kafka: Topic.hasCollisionChars
pub fn has_collision_chars(topic: &str) -> bool {
    topic.contains('_') || topic.contains('.')
}

/// The name with every `.` replaced by `_`, used only to compare names.
// Kafka: Topic.unifyCollisionChars
pub fn unify_collision_chars(topic: &str) -> String {
    topic.replace('.', "_")
}

/// True if two names differ only by `.` versus `_` in the same positions (or are equal).
// Kafka: Topic.hasCollision
pub fn has_collision(topic_a: &str, topic_b: &str) -> bool {
    unify_collision_chars(topic_a) == unify_collision_chars(topic_b)
}

/// The name checks CreateTopics runs against the cluster's topics before writing anything:
/// name rules, "marked for deletion", "already exists", then the collision check (only when the
/// name has `.` or `_`).
///
/// `existing_topics` are the topics in `/brokers/topics`; `marked_for_deletion` is whether
/// `/admin/delete_topics/<topic>` exists.
// Kafka: AdminZkClient.validateTopicCreate (name part)
pub fn validate_new_topic_name<'a>(
    topic: &str,
    existing_topics: impl IntoIterator<Item = &'a str>,
    marked_for_deletion: bool,
) -> Result<(), AdminError> {
    validate(topic)?;
    if marked_for_deletion {
        return Err(AdminError::TopicExists(format!(
            "Topic '{topic}' is marked for deletion."
        )));
    }
    let existing: Vec<&str> = existing_topics.into_iter().collect();
    if existing.contains(&topic) {
        return Err(AdminError::TopicExists(format!(
            "Topic '{topic}' already exists."
        )));
    }
    if has_collision_chars(topic) {
        let colliding: Vec<&str> = existing
            .iter()
            .copied()
            .filter(|other| has_collision(topic, other))
            .collect();
        if !colliding.is_empty() {
            return Err(AdminError::InvalidTopic(format!(
                "Topic '{topic}' collides with existing topics: {}",
                colliding.join(", ")
            )));
        }
    }
    Ok(())
}

/// Valid characters for Kafka topics are the ASCII alphanumerics, `.`, `_`, and `-`.
// Kafka: Topic.containsValidPattern
fn contains_valid_pattern(topic: &str) -> bool {
    topic
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || c == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Topic.validate` outcomes and messages, as printed by Kafka 3.9.1's own
    /// `org.apache.kafka.common.internals.Topic.validate` for these exact names (and, for `a b`,
    /// `.` and the 250-character name, as answered by a real 3.9.1 broker to CreateTopics).
    #[test]
    fn validate_matches_kafka_messages() {
        let long_ok = "x".repeat(249);
        let too_long = "x".repeat(250);
        let too_long_msg = format!(
            "Topic name is invalid: the length of '{too_long}' is longer than the max allowed length 249"
        );
        let cases: Vec<(&str, Option<&str>)> = vec![
            ("", Some("Topic name is invalid: the empty string is not allowed")),
            (".", Some("Topic name is invalid: '.' is not allowed")),
            ("..", Some("Topic name is invalid: '..' is not allowed")),
            ("...", None),
            ("a b", Some("Topic name is invalid: 'a b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'")),
            ("ok.topic_name-1", None),
            ("t\u{f6}", Some("Topic name is invalid: 't\u{f6}' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'")),
            (&long_ok, None),
            (&too_long, Some(&too_long_msg)),
            ("a/b", Some("Topic name is invalid: 'a/b' contains one or more characters other than ASCII alphanumerics, '.', '_' and '-'")),
        ];
        for (name, expected) in cases {
            let got = validate(name).err();
            assert_eq!(
                got.as_ref().map(|e| e.to_string()),
                expected.map(String::from),
                "{name:?}"
            );
            if let Some(err) = got {
                assert_eq!(err.error_code(), 17, "INVALID_TOPIC_EXCEPTION for {name:?}");
            }
            assert_eq!(is_valid(name), expected.is_none());
        }
    }

    /// Length is counted in UTF-16 units, before the character check, as Java does: 200 `ö`
    /// (400 UTF-8 bytes) is a character error, not a length error (Topic.detectInvalidTopic).
    #[test]
    fn length_counts_utf16_units() {
        let name = "\u{f6}".repeat(200);
        let msg = validate(&name).unwrap_err().to_string();
        assert!(msg.contains("contains one or more characters"), "{msg}");
    }

    /// Internal topics of Kafka 3.9 (`Topic.isInternal` printed true, true, false, true for
    /// these four names by Kafka 3.9.1).
    #[test]
    fn internal_topics() {
        assert!(is_internal("__consumer_offsets"));
        assert!(is_internal("__transaction_state"));
        assert!(!is_internal("__cluster_metadata"));
        assert!(is_internal("__share_group_state"));
        assert!(!is_internal("consumer_offsets"));
    }

    /// `.`/`_` collisions (Topic.hasCollision, hasCollisionChars; Kafka 3.9.1 printed
    /// true, true, false, false, true for these calls).
    #[test]
    fn collisions() {
        assert!(has_collision("a.b", "a_b"));
        assert!(has_collision("a.b", "a.b"));
        assert!(!has_collision("a-b", "a_b"));
        assert!(!has_collision_chars("ab"));
        assert!(has_collision_chars("a_b"));
    }

    /// CreateTopics name checks in AdminZkClient.validateTopicCreate order: invalid name, marked
    /// for deletion, exists, collision with the list of colliding topics. The collision and
    /// "already exists" wording is what a real Kafka 3.9.1 broker answered.
    #[test]
    fn new_topic_name_against_cluster() {
        let existing = ["metrics_app", "metrics.app2", "other"];
        assert_eq!(
            validate_new_topic_name("metrics.app", existing, false),
            Err(AdminError::InvalidTopic(
                "Topic 'metrics.app' collides with existing topics: metrics_app".into()
            ))
        );
        assert_eq!(
            validate_new_topic_name("other", existing, false),
            Err(AdminError::TopicExists(
                "Topic 'other' already exists.".into()
            ))
        );
        assert_eq!(
            validate_new_topic_name("gone", existing, true),
            Err(AdminError::TopicExists(
                "Topic 'gone' is marked for deletion.".into()
            ))
        );
        assert!(matches!(
            validate_new_topic_name("..", existing, true),
            Err(AdminError::InvalidTopic(_))
        ));
        assert_eq!(
            validate_new_topic_name("metrics-app", existing, false),
            Ok(())
        );
        assert_eq!(validate_new_topic_name("new_one", existing, false), Ok(()));
    }
}
