//! `GroupMetadataKey` / `GroupMetadataValue`: a group's generation, protocol, leader and members
//! with their subscriptions and assignments, and the key dispatcher for `__consumer_offsets`.
//!
//! Version-prefixed like the offset records (schemas
//! `group-coordinator/src/main/resources/common/message/GroupMetadataKey.json`, `GroupMetadataValue.json`):
//!
//! | schema | version | fields |
//! |---|---|---|
//! | key | 2 | `group: string` |
//! | value | 0 | `protocolType: string, generation: int32, protocol: string?, leader: string?, members[]{memberId, clientId, clientHost, sessionTimeout: int32, subscription: bytes, assignment: bytes}` |
//! | value | 1 | members gain `rebalanceTimeout: int32` (before `sessionTimeout`) |
//! | value | 2 | `currentStateTimestamp: int64` after `leader` |
//! | value | 3 | members gain `groupInstanceId: string?` after `memberId` (written by Kafka 3.9) |
//! | value | 4 | v3, flexible (read only) |

use bytes::Bytes;

use super::offset_commit_record::OffsetCommitKey;
use super::record_codec::{split_version, versioned_reader, Reader, RecordError, Writer};

/// The key version of group metadata records.
pub const GROUP_METADATA_KEY_VERSION: i16 = 2;
/// The value version Kafka 3.9 writes. Kafka: `MetadataVersion.groupMetadataValueVersion`.
pub const GROUP_METADATA_VALUE_VERSION: i16 = 3;

/// `GroupMetadataKey`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMetadataKey {
    pub group: String,
}

impl GroupMetadataKey {
    /// Kafka: `GroupMetadataManager.groupMetadataKey`.
    pub fn encode(&self) -> Bytes {
        let mut w = Writer::with_version(GROUP_METADATA_KEY_VERSION, false);
        w.string(&self.group);
        w.finish()
    }
}

/// A record key of `__consumer_offsets`, by its version. Kafka: `GroupMetadataManager.readMessageKey`
/// (`OffsetKey`, `GroupMetadataKey`, `UnknownKey` — versions the old coordinator ignores, such as
/// the new coordinator's records).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BaseKey {
    Offset(OffsetCommitKey),
    Group(GroupMetadataKey),
    Unknown(i16),
}

impl BaseKey {
    pub fn decode(key: Bytes) -> Result<BaseKey, RecordError> {
        let (version, body) = split_version(key, "BaseKey")?;
        match version {
            0 | 1 => Ok(BaseKey::Offset(OffsetCommitKey::decode_body(body)?)),
            2 => {
                let mut r = Reader::new(body, false, "GroupMetadataKey");
                Ok(BaseKey::Group(GroupMetadataKey {
                    group: r.string("group")?,
                }))
            }
            other => Ok(BaseKey::Unknown(other)),
        }
    }
}

/// One member in `GroupMetadataValue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    /// Versions 0 (absent) read it as the session timeout, as Kafka does.
    pub rebalance_timeout_ms: i32,
    pub session_timeout_ms: i32,
    pub subscription: Bytes,
    pub assignment: Bytes,
}

/// `GroupMetadataValue`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMetadataValue {
    pub protocol_type: String,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    /// -1 when unknown (value versions 0 and 1).
    pub current_state_timestamp_ms: i64,
    pub members: Vec<MemberRecord>,
}

impl GroupMetadataValue {
    /// Encodes at [`GROUP_METADATA_VALUE_VERSION`]. Kafka: `GroupMetadataManager.groupMetadataValue`.
    pub fn encode(&self) -> Bytes {
        self.encode_version(GROUP_METADATA_VALUE_VERSION)
    }

    /// Encodes at `version` (0–4).
    pub fn encode_version(&self, version: i16) -> Bytes {
        let mut w = Writer::with_version(version, version >= 4);
        w.string(&self.protocol_type);
        w.i32(self.generation);
        w.nullable_string(self.protocol.as_deref());
        w.nullable_string(self.leader.as_deref());
        if version >= 2 {
            w.i64(self.current_state_timestamp_ms);
        }
        w.array_len(self.members.len());
        for m in &self.members {
            w.string(&m.member_id);
            if version >= 3 {
                w.nullable_string(m.group_instance_id.as_deref());
            }
            w.string(&m.client_id);
            w.string(&m.client_host);
            if version >= 1 {
                w.i32(m.rebalance_timeout_ms);
            }
            w.i32(m.session_timeout_ms);
            w.bytes(&m.subscription);
            w.bytes(&m.assignment);
            w.end_struct();
        }
        w.end_struct();
        w.finish()
    }

    /// Decodes a version-prefixed value. Kafka: `GroupMetadataManager.readGroupMessageValue`.
    pub fn decode(value: Bytes) -> Result<GroupMetadataValue, RecordError> {
        let (version, mut r) = versioned_reader(value, "GroupMetadataValue", 4, 4)?;
        let protocol_type = r.string("protocolType")?;
        let generation = r.i32("generation")?;
        let protocol = r.nullable_string("protocol")?;
        let leader = r.nullable_string("leader")?;
        let current_state_timestamp_ms = if version >= 2 {
            r.i64("currentStateTimestamp")?
        } else {
            -1
        };
        let n = r.array_len("members")?;
        let mut members = Vec::with_capacity(n.min(1024));
        for _ in 0..n {
            let member_id = r.string("memberId")?;
            let group_instance_id = if version >= 3 {
                r.nullable_string("groupInstanceId")?
            } else {
                None
            };
            let client_id = r.string("clientId")?;
            let client_host = r.string("clientHost")?;
            let rebalance_timeout = if version >= 1 {
                Some(r.i32("rebalanceTimeout")?)
            } else {
                None
            };
            let session_timeout_ms = r.i32("sessionTimeout")?;
            let subscription = r.bytes("subscription")?;
            let assignment = r.bytes("assignment")?;
            r.end_struct()?;
            members.push(MemberRecord {
                member_id,
                group_instance_id,
                client_id,
                client_host,
                rebalance_timeout_ms: rebalance_timeout.unwrap_or(session_timeout_ms),
                session_timeout_ms,
                subscription,
                assignment,
            });
        }
        r.end_struct()?;
        Ok(GroupMetadataValue {
            protocol_type,
            generation,
            protocol,
            leader,
            current_state_timestamp_ms,
            members,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }
    fn unhex(s: &str) -> Bytes {
        Bytes::from(
            (0..s.len() / 2)
                .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
                .collect::<Vec<u8>>(),
        )
    }

    /// From Kafka 3.9.1's serializers (`MessageUtil.toVersionPrefixedBytes` on the generated
    /// `GroupMetadataValue`): protocol type "consumer", generation 7, protocol "range", leader
    /// "m-1", state timestamp 1234 (v2+), one member "m-1" (instance "i1" from v3), client "c",
    /// host "/127.0.0.1", rebalance timeout 300000, session timeout 45000, subscription 0102,
    /// assignment 03.
    const GOLDEN: &[(i16, &str)] = &[
        (0, "00000008636f6e73756d657200000007000572616e676500036d2d310000000100036d2d31000163000a2f3132372e302e302e310000afc80000000201020000000103"),
        (1, "00010008636f6e73756d657200000007000572616e676500036d2d310000000100036d2d31000163000a2f3132372e302e302e31000493e00000afc80000000201020000000103"),
        (2, "00020008636f6e73756d657200000007000572616e676500036d2d3100000000000004d20000000100036d2d31000163000a2f3132372e302e302e31000493e00000afc80000000201020000000103"),
        (3, "00030008636f6e73756d657200000007000572616e676500036d2d3100000000000004d20000000100036d2d3100026931000163000a2f3132372e302e302e31000493e00000afc80000000201020000000103"),
        (4, "000409636f6e73756d6572000000070672616e6765046d2d3100000000000004d202046d2d3103693102630b2f3132372e302e302e31000493e00000afc803010202030000"),
    ];

    fn value(version: i16) -> GroupMetadataValue {
        GroupMetadataValue {
            protocol_type: "consumer".into(),
            generation: 7,
            protocol: Some("range".into()),
            leader: Some("m-1".into()),
            current_state_timestamp_ms: if version >= 2 { 1234 } else { -1 },
            members: vec![MemberRecord {
                member_id: "m-1".into(),
                group_instance_id: (version >= 3).then(|| "i1".to_string()),
                client_id: "c".into(),
                client_host: "/127.0.0.1".into(),
                rebalance_timeout_ms: if version >= 1 { 300_000 } else { 45_000 },
                session_timeout_ms: 45_000,
                subscription: Bytes::from_static(&[1, 2]),
                assignment: Bytes::from_static(&[3]),
            }],
        }
    }

    /// Every value version is byte-identical to Kafka's and decodes back (GMM
    /// `groupMetadataValue`, `readGroupMessageValue`).
    #[test]
    fn matches_kafka_bytes_at_every_version() {
        for (version, golden) in GOLDEN {
            let v = value(*version);
            assert_eq!(hex(&v.encode_version(*version)), *golden, "v{version}");
            assert_eq!(
                GroupMetadataValue::decode(unhex(golden)).unwrap(),
                v,
                "v{version}"
            );
        }
        // An Empty group after a rebalance: no protocol, no leader, no members.
        let empty = GroupMetadataValue {
            protocol_type: "consumer".into(),
            generation: 1,
            protocol: None,
            leader: None,
            current_state_timestamp_ms: 99,
            members: vec![],
        };
        assert_eq!(
            hex(&empty.encode()),
            "00030008636f6e73756d657200000001ffffffff000000000000006300000000"
        );
    }

    /// Keys dispatch on their version prefix: 0/1 offsets, 2 group metadata, others unknown.
    #[test]
    fn keys_dispatch_on_version() {
        let k = GroupMetadataKey { group: "g1".into() };
        assert_eq!(hex(&k.encode()), "000200026731");
        assert_eq!(BaseKey::decode(k.encode()).unwrap(), BaseKey::Group(k));
        let ok = unhex("00000002673100017400000003");
        assert!(matches!(BaseKey::decode(ok).unwrap(), BaseKey::Offset(o) if o.partition == 3));
        assert_eq!(
            BaseKey::decode(unhex("000b00")).unwrap(),
            BaseKey::Unknown(11)
        );
    }
}
