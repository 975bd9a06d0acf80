//! `OffsetCommitKey` / `OffsetCommitValue`: one committed offset in `__consumer_offsets`.
//!
//! Both are an int16 version prefix followed by the struct (Kafka `MessageUtil.toVersionPrefixedBytes`;
//! schemas `group-coordinator/src/main/resources/common/message/OffsetCommitKey.json`, `OffsetCommitValue.json`):
//!
//! | schema | version | fields |
//! |---|---|---|
//! | key | 0, 1 | `group: string, topic: string, partition: int32` (written as v1) |
//! | value | 0 | `offset: int64, metadata: string, commitTimestamp: int64` |
//! | value | 1 | v0 + `expireTimestamp: int64` |
//! | value | 2 | as v0 |
//! | value | 3 | `offset, leaderEpoch: int32, metadata, commitTimestamp` (written on IBP ≥ 2.1-IV1) |
//! | value | 4 | v3, flexible (read only) |
//!
//! A null value (tombstone) deletes the offset.

use bytes::Bytes;

use super::record_codec::{versioned_reader, Reader, RecordError, Writer};

/// The key version Kafka writes. Kafka: `GroupMetadataManager.offsetCommitKey` (version 1).
pub const OFFSET_COMMIT_KEY_VERSION: i16 = 1;

/// `OffsetCommitKey`: which group committed which partition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OffsetCommitKey {
    pub group: String,
    pub topic: String,
    pub partition: i32,
}

impl OffsetCommitKey {
    /// Kafka: `GroupMetadataManager.offsetCommitKey`.
    pub fn encode(&self) -> Bytes {
        let mut w = Writer::with_version(OFFSET_COMMIT_KEY_VERSION, false);
        w.string(&self.group);
        w.string(&self.topic);
        w.i32(self.partition);
        w.finish()
    }

    /// Decodes the struct after the version prefix (versions 0 and 1 are the same).
    pub fn decode_body(body: Bytes) -> Result<OffsetCommitKey, RecordError> {
        let mut r = Reader::new(body, false, "OffsetCommitKey");
        Ok(OffsetCommitKey {
            group: r.string("group")?,
            topic: r.string("topic")?,
            partition: r.i32("partition")?,
        })
    }
}

/// `OffsetCommitValue`: the committed offset with its metadata. Kafka: `OffsetAndMetadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitValue {
    pub offset: i64,
    /// -1 when the commit carried no leader epoch (`Optional.empty`).
    pub leader_epoch: i32,
    pub metadata: String,
    pub commit_timestamp_ms: i64,
    /// Set only by OffsetCommit v2–v4 with an explicit retention time; such commits are written
    /// as value v1, the only version that stores it.
    pub expire_timestamp_ms: Option<i64>,
}

impl OffsetCommitValue {
    /// The version Kafka 3.9 writes: v1 when the commit has an expire timestamp, else v3.
    /// Kafka: `GroupMetadataManager.offsetCommitValue`, `MetadataVersion.offsetCommitValueVersion`.
    pub fn write_version(&self) -> i16 {
        if self.expire_timestamp_ms.is_some() {
            1
        } else {
            3
        }
    }

    /// Encodes at [`Self::write_version`].
    pub fn encode(&self) -> Bytes {
        self.encode_version(self.write_version())
    }

    /// Encodes at `version` (0–4); fields the version lacks are dropped.
    pub fn encode_version(&self, version: i16) -> Bytes {
        let mut w = Writer::with_version(version, version >= 4);
        w.i64(self.offset);
        if version >= 3 {
            w.i32(self.leader_epoch);
        }
        w.string(&self.metadata);
        w.i64(self.commit_timestamp_ms);
        if version == 1 {
            w.i64(self.expire_timestamp_ms.unwrap_or(-1));
        }
        w.end_struct();
        w.finish()
    }

    /// Decodes a version-prefixed value. Kafka: `GroupMetadataManager.readOffsetMessageValue`.
    pub fn decode(value: Bytes) -> Result<OffsetCommitValue, RecordError> {
        let (version, mut r) = versioned_reader(value, "OffsetCommitValue", 4, 4)?;
        let offset = r.i64("offset")?;
        let leader_epoch = if version >= 3 {
            r.i32("leaderEpoch")?
        } else {
            -1
        };
        let metadata = r.string("metadata")?;
        let commit_timestamp_ms = r.i64("commitTimestamp")?;
        let expire_timestamp_ms = if version == 1 {
            Some(r.i64("expireTimestamp")?).filter(|t| *t != -1)
        } else {
            None
        };
        r.end_struct()?;
        Ok(OffsetCommitValue {
            offset,
            leader_epoch,
            metadata,
            commit_timestamp_ms,
            expire_timestamp_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// Bytes produced by Kafka 3.9.1's own serializers (`MessageUtil.toVersionPrefixedBytes`
    /// on the generated `OffsetCommitKey`/`OffsetCommitValue`, run with
    /// `java -cp 'integration-tests/lib/*'`): group "g1", topic "t", partition 3; offset 42,
    /// leader epoch 5, metadata "md", commit timestamp 1000, expire timestamp 2000 (v1 only).
    const GOLDEN_VALUES: &[(i16, &str)] = &[
        (0, "0000000000000000002a00026d6400000000000003e8"),
        (
            1,
            "0001000000000000002a00026d6400000000000003e800000000000007d0",
        ),
        (2, "0002000000000000002a00026d6400000000000003e8"),
        (3, "0003000000000000002a0000000500026d6400000000000003e8"),
        (4, "0004000000000000002a00000005036d6400000000000003e800"),
    ];

    fn value(version: i16) -> OffsetCommitValue {
        OffsetCommitValue {
            offset: 42,
            leader_epoch: if version >= 3 { 5 } else { -1 },
            metadata: "md".into(),
            commit_timestamp_ms: 1000,
            expire_timestamp_ms: (version == 1).then_some(2000),
        }
    }

    /// Keys and values are byte-identical to Kafka's (GMM `offsetCommitKey`/`offsetCommitValue`).
    #[test]
    fn matches_kafka_bytes_at_every_version() {
        let key = OffsetCommitKey {
            group: "g1".into(),
            topic: "t".into(),
            partition: 3,
        };
        assert_eq!(hex(&key.encode()), "00010002673100017400000003");
        for (version, golden) in GOLDEN_VALUES {
            let v = value(*version);
            assert_eq!(hex(&v.encode_version(*version)), *golden, "v{version}");
            let raw: Vec<u8> = (0..golden.len() / 2)
                .map(|i| u8::from_str_radix(&golden[2 * i..2 * i + 2], 16).unwrap())
                .collect();
            assert_eq!(
                OffsetCommitValue::decode(Bytes::from(raw)).unwrap(),
                v,
                "v{version}"
            );
        }
    }

    /// Kafka 3.9 writes v3, or v1 when the commit has an explicit expire timestamp.
    #[test]
    fn write_version_follows_kafka() {
        assert_eq!(value(3).write_version(), 3);
        assert_eq!(value(1).write_version(), 1);
    }

    #[test]
    fn truncated_value_is_an_error() {
        let b = value(3).encode();
        let err = OffsetCommitValue::decode(b.slice(..b.len() - 3)).unwrap_err();
        assert!(matches!(err, RecordError::Truncated { .. }), "{err}");
    }
}
