//! Java `String.hashCode` and Kafka's `Utils.abs`, the two pieces of Java arithmetic that decide
//! which `__consumer_offsets` / `__transaction_state` partition coordinates a group or a
//! transactional id.
//!
//! Every client computes nothing here (it asks FindCoordinator), but the *broker* must pick the
//! same partition Kafka picks, or offsets committed by a real Kafka cluster (or read back by
//! Kafka's tools) land in a different partition than the one we load. So the arithmetic must be
//! bit-exact: 32-bit two's-complement wrap-around over UTF-16 code units, and `Utils.abs`, which
//! maps `i32::MIN` to 0 instead of leaving it negative like `Math.abs` does.

/// Java's `String.hashCode`: `s[0]*31^(n-1) + s[1]*31^(n-2) + … + s[n-1]` over the string's
/// **UTF-16 code units**, in `int` arithmetic that wraps on overflow.
///
/// Characters outside the Basic Multilingual Plane count as two code units (a surrogate pair),
/// exactly as Java stores them.
// Kafka: java.lang.String.hashCode (used by GroupMetadataManager.partitionFor and
// TransactionStateManager.partitionFor).
pub fn java_string_hash_code(s: &str) -> i32 {
    s.encode_utf16().fold(0i32, |hash, unit| {
        hash.wrapping_mul(31).wrapping_add(i32::from(unit))
    })
}

/// Kafka's `Utils.abs`: the absolute value, except that `i32::MIN` (whose absolute value does not
/// fit in an `i32`) maps to 0. `Math.abs(Integer.MIN_VALUE)` would stay negative and produce a
/// negative partition number; Kafka avoids that with this helper.
// Kafka: org.apache.kafka.common.utils.Utils.abs
pub fn kafka_abs(n: i32) -> i32 {
    if n == i32::MIN {
        0
    } else {
        n.abs()
    }
}

/// Error returned when the partition count of a coordinator topic is not positive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cannot pick a coordinator partition among {partitions} partitions: the partition count must be positive")]
pub struct InvalidPartitionCount {
    /// The rejected partition count.
    pub partitions: i32,
}

/// The coordinator partition for a group id or transactional id:
/// `Utils.abs(id.hashCode) % partitions`, with `partitions` the partition count of
/// `__consumer_offsets` (`offsets.topic.num.partitions`, default 50) or `__transaction_state`
/// (`transaction.state.log.num.partitions`, default 50).
// Kafka: GroupMetadataManager.partitionFor, TransactionStateManager.partitionFor
pub fn partition_for(id: &str, partitions: i32) -> Result<i32, InvalidPartitionCount> {
    if partitions <= 0 {
        return Err(InvalidPartitionCount { partitions });
    }
    Ok(kafka_abs(java_string_hash_code(id)) % partitions)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Test vectors for `String.hashCode`, `Utils.abs` and `partitionFor` with 50 and 7
    /// partitions, printed by Java 17 running Kafka 3.9.1's `Utils.abs` over these exact strings
    /// (`String.hashCode`, `org.apache.kafka.common.utils.Utils.abs`). The non-ASCII rows pin the
    /// UTF-16 behaviour (a BMP accent, CJK, and an emoji that is a surrogate pair); the three
    /// `i32::MIN` rows pin `Utils.abs(MIN_VALUE) = 0`.
    const VECTORS: &[(&str, i32, i32, i32, i32)] = &[
        // (string, hashCode, Utils.abs, % 50, % 7)
        ("", 0, 0, 0, 0),
        ("hello", 99162322, 99162322, 22, 0),
        ("polygenelubricants", i32::MIN, 0, 0, 0),
        ("GydZG_", i32::MIN, 0, 0, 0),
        ("DESIGNING WORKHOUSES", i32::MIN, 0, 0, 0),
        ("my-group", -1906497762, 1906497762, 12, 1),
        ("console-consumer-12345", 158455506, 158455506, 6, 6),
        ("\u{e9}t\u{e9}", 227742, 227742, 42, 4),
        ("\u{1F600}emoji", -1233692477, 1233692477, 27, 3),
        ("group-\u{4e2d}\u{6587}", 506956552, 506956552, 2, 4),
        ("txn-1", 110810510, 110810510, 10, 6),
        ("a", 97, 97, 47, 6),
        ("Aa", 2112, 2112, 12, 5),
        ("BB", 2112, 2112, 12, 5),
    ];

    /// `String.hashCode` over UTF-16 code units with int32 wrap-around matches Java for every
    /// vector (java.lang.String.hashCode).
    #[test]
    fn java_string_hash_code_matches_java() {
        for &(s, hash, _, _, _) in VECTORS {
            assert_eq!(java_string_hash_code(s), hash, "hashCode of {s:?}");
        }
    }

    /// `Utils.abs` maps `Integer.MIN_VALUE` to 0 and is `Math.abs` elsewhere
    /// (org.apache.kafka.common.utils.Utils.abs).
    #[test]
    fn kafka_abs_matches_utils_abs() {
        for &(s, hash, abs, _, _) in VECTORS {
            assert_eq!(kafka_abs(hash), abs, "Utils.abs(hashCode) of {s:?}");
        }
        assert_eq!(kafka_abs(i32::MIN), 0);
        assert_eq!(kafka_abs(i32::MIN + 1), i32::MAX);
        assert_eq!(kafka_abs(-1), 1);
        assert_eq!(kafka_abs(0), 0);
    }

    /// Coordinator partition = `Utils.abs(id.hashCode) % partitions` for 50 (the
    /// `offsets.topic.num.partitions` default) and 7 partitions (GroupMetadataManager.partitionFor,
    /// TransactionStateManager.partitionFor).
    #[test]
    fn partition_for_matches_kafka() {
        for &(s, _, _, p50, p7) in VECTORS {
            assert_eq!(partition_for(s, 50), Ok(p50), "partitionFor({s:?}, 50)");
            assert_eq!(partition_for(s, 7), Ok(p7), "partitionFor({s:?}, 7)");
        }
    }

    /// A non-positive partition count is refused instead of dividing by zero.
    #[test]
    fn partition_for_rejects_non_positive_counts() {
        assert_eq!(
            partition_for("g", 0),
            Err(InvalidPartitionCount { partitions: 0 })
        );
        assert!(partition_for("g", -3).is_err());
    }

    /// Property: the partition is always in `[0, partitions)`, including for ids whose hash is
    /// `i32::MIN` (the case `Math.abs` would get wrong).
    #[test]
    fn partition_for_is_always_in_range() {
        use proptest::prelude::*;
        proptest!(|(id in ".*", partitions in 1i32..1000)| {
            let p = partition_for(&id, partitions).expect("positive partition count");
            prop_assert!((0..partitions).contains(&p));
        });
    }
}
