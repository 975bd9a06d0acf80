//! A structural check of a request body before `kafka-protocol` decodes it.
//!
//! Why: the crate's decoder reserves `Vec::with_capacity(n)` for an array as soon as it reads
//! the array's length, before it reads any element. A 30-byte request claiming 2^31 topics
//! would ask for ~150 GB and abort the whole process. Kafka's generated Java readers refuse an
//! array whose length exceeds the bytes that remain ("Tried to allocate a collection of size
//! N, but there are only R bytes remaining", `MessageDataGenerator`); this module applies the
//! same rule by walking the body once against a compact copy of the message's JSON schema
//! (field types and version ranges), without allocating.
//!
//! Every row of [`crate::protocol::api_keys::SUPPORTED_APIS`] names its request [`Schema`]
//! (defined here); [`check_body`] refuses a body of an API that has no row. A schema is checked against the crate by
//! round-trip tests (encode with the crate at every version, walk, expect every byte consumed).

use kafka_protocol::messages::ApiKey;

/// Highest version marker for "N+" ranges.
pub(crate) const ALL: i16 = i16::MAX;

/// A field's wire type.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    Float64,
    Uuid,
    /// `string`: int16 length (non-flexible) or unsigned varint length + 1 (flexible); nullable.
    String,
    /// `bytes` and `records`: int32 length or unsigned varint length + 1; nullable.
    Bytes,
    /// `[]T`: int32 count or unsigned varint count + 1; nullable.
    Array(&'static Kind),
    /// A nested struct (array element or struct-typed field); flexible versions end it with
    /// tagged fields.
    Struct(&'static [Field]),
}

/// One schema field and the versions it is present in.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub kind: Kind,
    pub min_version: i16,
    pub max_version: i16,
}

pub(crate) const fn f(kind: Kind, min_version: i16, max_version: i16) -> Field {
    Field {
        kind,
        min_version,
        max_version,
    }
}

/// A request body's schema: its top-level fields and its first flexible version.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// First version using compact strings/arrays and tagged fields (`flexibleVersions`).
    pub flexible_from: i16,
    pub fields: &'static [Field],
}

/// Why a request body was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GuardError {
    #[error("no request schema is registered for {0:?}")]
    NoSchema(ApiKey),
    #[error("the request body ends at byte {at} in the middle of a field")]
    Truncated { at: usize },
    #[error("a collection of size {declared} was declared at byte {at}, but only {remaining} bytes remain")]
    ArrayTooLong {
        at: usize,
        declared: u64,
        remaining: usize,
    },
    #[error("invalid length {length} at byte {at}")]
    BadLength { at: usize, length: i64 },
    #[error("malformed unsigned varint at byte {at}")]
    BadVarint { at: usize },
}

/// Walks `body` as a request of `api_key` at `version`. Trailing bytes are allowed, as Kafka
/// allows them (`AbstractRequest.parseRequest` does not check for leftovers).
pub fn check_body(api_key: ApiKey, version: i16, body: &[u8]) -> Result<(), GuardError> {
    let schema = schema_for(api_key).ok_or(GuardError::NoSchema(api_key))?;
    let mut w = Walker {
        buf: body,
        pos: 0,
        version,
        flexible: version >= schema.flexible_from,
    };
    w.walk_struct(schema.fields)
}

/// The request schema of a served API (from its row in `SUPPORTED_APIS`).
pub fn schema_for(api_key: ApiKey) -> Option<&'static Schema> {
    crate::protocol::api_keys::SUPPORTED_APIS
        .iter()
        .find(|s| s.api_key == api_key)
        .map(|s| s.request_schema)
}

/// Bytes of `body` the schema walk consumes (tests check it equals the encoded length).
#[cfg(test)]
pub(crate) fn consumed(api_key: ApiKey, version: i16, body: &[u8]) -> Result<usize, GuardError> {
    let schema = schema_for(api_key).ok_or(GuardError::NoSchema(api_key))?;
    let mut w = Walker {
        buf: body,
        pos: 0,
        version,
        flexible: version >= schema.flexible_from,
    };
    w.walk_struct(schema.fields)?;
    Ok(w.pos)
}

struct Walker<'a> {
    buf: &'a [u8],
    pos: usize,
    version: i16,
    flexible: bool,
}

impl Walker<'_> {
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    fn skip(&mut self, n: usize) -> Result<(), GuardError> {
        if self.remaining() < n {
            return Err(GuardError::Truncated { at: self.buf.len() });
        }
        self.pos += n;
        Ok(())
    }

    fn read<const N: usize>(&mut self) -> Result<[u8; N], GuardError> {
        let at = self.pos;
        self.skip(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.buf[at..at + N]);
        Ok(out)
    }

    fn uvarint(&mut self) -> Result<u32, GuardError> {
        let at = self.pos;
        let mut value: u32 = 0;
        for i in 0..5 {
            let [b] = self.read::<1>()?;
            value |= u32::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(GuardError::BadVarint { at })
    }

    /// Reads a length that may be null; returns `None` for null.
    fn length(&mut self, int16: bool) -> Result<Option<u64>, GuardError> {
        let at = self.pos;
        if self.flexible {
            let n = self.uvarint()?;
            return Ok(n.checked_sub(1).map(u64::from));
        }
        let n = if int16 {
            i64::from(i16::from_be_bytes(self.read::<2>()?))
        } else {
            i64::from(i32::from_be_bytes(self.read::<4>()?))
        };
        match n {
            -1 => Ok(None),
            n if n >= 0 => Ok(Some(n as u64)),
            n => Err(GuardError::BadLength { at, length: n }),
        }
    }

    fn skip_len(&mut self, len: u64) -> Result<(), GuardError> {
        let len = usize::try_from(len).map_err(|_| GuardError::Truncated { at: self.buf.len() })?;
        self.skip(len)
    }

    fn walk_struct(&mut self, fields: &[Field]) -> Result<(), GuardError> {
        for field in fields {
            if self.version >= field.min_version && self.version <= field.max_version {
                self.walk(field.kind)?;
            }
        }
        if self.flexible {
            let count = self.uvarint()?;
            for _ in 0..count {
                let _tag = self.uvarint()?;
                let size = self.uvarint()?;
                self.skip_len(u64::from(size))?;
            }
        }
        Ok(())
    }

    fn walk(&mut self, kind: Kind) -> Result<(), GuardError> {
        match kind {
            Kind::Bool | Kind::Int8 => self.skip(1),
            Kind::Int16 => self.skip(2),
            Kind::Int32 => self.skip(4),
            Kind::Int64 | Kind::Float64 => self.skip(8),
            Kind::Uuid => self.skip(16),
            Kind::String => match self.length(true)? {
                Some(n) => self.skip_len(n),
                None => Ok(()),
            },
            Kind::Bytes => match self.length(false)? {
                Some(n) => self.skip_len(n),
                None => Ok(()),
            },
            Kind::Array(element) => {
                let at = self.pos;
                let Some(count) = self.length(false)? else {
                    return Ok(());
                };
                // Kafka's rule: a collection can never have more elements than bytes remain
                // (every element takes at least one byte); fixed-size elements are held to
                // their size.
                let min_size = match element {
                    Kind::Int16 => 2,
                    Kind::Int32 => 4,
                    Kind::Int64 | Kind::Float64 => 8,
                    Kind::Uuid => 16,
                    _ => 1,
                };
                if count.saturating_mul(min_size) > self.remaining() as u64 {
                    return Err(GuardError::ArrayTooLong {
                        at,
                        declared: count,
                        remaining: self.remaining(),
                    });
                }
                for _ in 0..count {
                    self.walk(*element)?;
                }
                Ok(())
            }
            Kind::Struct(fields) => self.walk_struct(fields),
        }
    }
}

// ---- Request schemas (Kafka 3.9 `clients/src/main/resources/common/message/*Request.json`) ----

/// `ApiVersionsRequest.json`: versions 0-4, flexible 3+.
const API_VERSIONS_REQUEST: &[Field] = &[
    f(Kind::String, 3, ALL), // ClientSoftwareName
    f(Kind::String, 3, ALL), // ClientSoftwareVersion
];

/// `MetadataRequest.json`: versions 0-12, flexible 9+.
const METADATA_REQUEST_TOPIC: &[Field] = &[
    f(Kind::Uuid, 10, ALL),  // TopicId
    f(Kind::String, 0, ALL), // Name
];
const METADATA_REQUEST: &[Field] = &[
    f(Kind::Array(&Kind::Struct(METADATA_REQUEST_TOPIC)), 0, ALL), // Topics
    f(Kind::Bool, 4, ALL),                                         // AllowAutoTopicCreation
    f(Kind::Bool, 8, 10),  // IncludeClusterAuthorizedOperations
    f(Kind::Bool, 8, ALL), // IncludeTopicAuthorizedOperations
];

/// `UpdateMetadataRequest.json`: versions 0-8, flexible 6+. `Type` (v8+) is tagged field 0 and
/// is skipped with the other tagged fields.
const UPDATE_METADATA_PARTITION_STATE: &[Field] = &[
    f(Kind::String, 0, 4),                // TopicName
    f(Kind::Int32, 0, ALL),               // PartitionIndex
    f(Kind::Int32, 0, ALL),               // ControllerEpoch
    f(Kind::Int32, 0, ALL),               // Leader
    f(Kind::Int32, 0, ALL),               // LeaderEpoch
    f(Kind::Array(&Kind::Int32), 0, ALL), // Isr
    f(Kind::Int32, 0, ALL),               // ZkVersion
    f(Kind::Array(&Kind::Int32), 0, ALL), // Replicas
    f(Kind::Array(&Kind::Int32), 4, ALL), // OfflineReplicas
];
const UPDATE_METADATA_TOPIC_STATE: &[Field] = &[
    f(Kind::String, 5, ALL), // TopicName
    f(Kind::Uuid, 7, ALL),   // TopicId
    f(
        Kind::Array(&Kind::Struct(UPDATE_METADATA_PARTITION_STATE)),
        5,
        ALL,
    ), // PartitionStates
];
const UPDATE_METADATA_ENDPOINT: &[Field] = &[
    f(Kind::Int32, 1, ALL),  // Port
    f(Kind::String, 1, ALL), // Host
    f(Kind::String, 3, ALL), // Listener
    f(Kind::Int16, 1, ALL),  // SecurityProtocol
];
const UPDATE_METADATA_BROKER: &[Field] = &[
    f(Kind::Int32, 0, ALL),                                          // Id
    f(Kind::String, 0, 0),                                           // V0Host
    f(Kind::Int32, 0, 0),                                            // V0Port
    f(Kind::Array(&Kind::Struct(UPDATE_METADATA_ENDPOINT)), 1, ALL), // Endpoints
    f(Kind::String, 2, ALL),                                         // Rack
];
const UPDATE_METADATA_REQUEST: &[Field] = &[
    f(Kind::Int32, 0, ALL), // ControllerId
    f(Kind::Bool, 8, ALL),  // isKRaftController
    f(Kind::Int32, 0, ALL), // ControllerEpoch
    f(Kind::Int64, 5, ALL), // BrokerEpoch
    f(
        Kind::Array(&Kind::Struct(UPDATE_METADATA_PARTITION_STATE)),
        0,
        4,
    ), // UngroupedPartitionStates
    f(
        Kind::Array(&Kind::Struct(UPDATE_METADATA_TOPIC_STATE)),
        5,
        ALL,
    ), // TopicStates
    f(Kind::Array(&Kind::Struct(UPDATE_METADATA_BROKER)), 0, ALL), // LiveBrokers
];

/// `ApiVersionsRequest.json` schema.
pub const API_VERSIONS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 3,
    fields: API_VERSIONS_REQUEST,
};

/// `MetadataRequest.json` schema.
pub const METADATA_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 9,
    fields: METADATA_REQUEST,
};

/// `UpdateMetadataRequest.json` schema.
pub const UPDATE_METADATA_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 6,
    fields: UPDATE_METADATA_REQUEST,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::api_keys::SUPPORTED_APIS;
    use bytes::BytesMut;
    use kafka_protocol::messages::metadata_request::MetadataRequestTopic;
    use kafka_protocol::messages::update_metadata_request::{
        UpdateMetadataBroker, UpdateMetadataEndpoint, UpdateMetadataPartitionState,
        UpdateMetadataTopicState,
    };
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::{Encodable, StrBytes};
    use uuid::Uuid;

    fn walk_all(key: ApiKey, version: i16, body: &[u8]) -> usize {
        let schema = schema_for(key).unwrap();
        let mut w = Walker {
            buf: body,
            pos: 0,
            version,
            flexible: version >= schema.flexible_from,
        };
        w.walk_struct(schema.fields).unwrap();
        w.pos
    }

    fn update_metadata_sample(version: i16) -> UpdateMetadataRequest {
        let ps = UpdateMetadataPartitionState::default()
            .with_topic_name(TopicName(StrBytes::from_static_str("t")))
            .with_partition_index(1)
            .with_leader(BrokerId(1))
            .with_isr(vec![BrokerId(1), BrokerId(2)])
            .with_replicas(vec![BrokerId(1), BrokerId(2), BrokerId(3)])
            .with_offline_replicas(if version >= 4 {
                vec![BrokerId(3)]
            } else {
                vec![]
            });
        let mut req = UpdateMetadataRequest::default()
            .with_controller_id(BrokerId(1))
            .with_controller_epoch(3);
        if version >= 5 {
            req.broker_epoch = 99;
            let mut ts = UpdateMetadataTopicState::default()
                .with_topic_name(TopicName(StrBytes::from_static_str("t")))
                .with_partition_states(vec![ps.clone(), ps]);
            if version >= 7 {
                ts.topic_id = Uuid::from_u128(7);
            }
            req.topic_states = vec![ts];
        } else {
            req.ungrouped_partition_states = vec![ps];
        }
        let mut broker = UpdateMetadataBroker::default().with_id(BrokerId(1));
        if version == 0 {
            broker.v0_host = StrBytes::from_static_str("h");
            broker.v0_port = 9092;
        } else {
            let mut ep = UpdateMetadataEndpoint::default()
                .with_host(StrBytes::from_static_str("h"))
                .with_port(9092);
            if version >= 3 {
                ep.listener = StrBytes::from_static_str("PLAINTEXT");
            }
            broker.endpoints = vec![ep.clone(), ep];
        }
        if version >= 2 {
            broker.rack = Some(StrBytes::from_static_str("r1"));
        }
        req.live_brokers = vec![broker.clone(), broker];
        req
    }

    /// Each schema matches the crate's encoding at every supported version: the walk consumes
    /// exactly the bytes the crate wrote (so field order, version ranges and flexibility agree
    /// with Kafka's JSON, from which the crate is generated).
    #[test]
    fn schemas_round_trip_every_version() {
        // A new row in SUPPORTED_APIS needs a round-trip case below.
        let covered = [
            ApiKey::ApiVersions,
            ApiKey::Metadata,
            ApiKey::UpdateMetadata,
            // Round-tripped in `guard_data_path::tests`.
            ApiKey::Produce,
            ApiKey::Fetch,
            ApiKey::ListOffsets,
            ApiKey::LeaderAndIsr,
            ApiKey::StopReplica,
            ApiKey::InitProducerId,
            ApiKey::OffsetForLeaderEpoch,
            // Round-tripped in `guard_security::tests`.
            ApiKey::SaslHandshake,
            ApiKey::SaslAuthenticate,
            ApiKey::DescribeAcls,
            ApiKey::CreateAcls,
            ApiKey::DeleteAcls,
            ApiKey::DescribeUserScramCredentials,
            ApiKey::AlterUserScramCredentials,
            // Round-tripped in `guard_admin::tests`.
            ApiKey::CreateTopics,
            ApiKey::DeleteTopics,
            ApiKey::CreatePartitions,
            ApiKey::DescribeConfigs,
            // Round-tripped in `guard_groups::tests`.
            ApiKey::OffsetCommit,
            ApiKey::OffsetFetch,
            ApiKey::FindCoordinator,
            ApiKey::JoinGroup,
            ApiKey::Heartbeat,
            ApiKey::LeaveGroup,
            ApiKey::SyncGroup,
            ApiKey::DescribeGroups,
            ApiKey::ListGroups,
            ApiKey::DeleteGroups,
            ApiKey::OffsetDelete,
            // Round-tripped in `guard_controller::tests`.
            ApiKey::ControlledShutdown,
            ApiKey::ElectLeaders,
            ApiKey::AlterPartition,
            ApiKey::AllocateProducerIds,
            ApiKey::AlterConfigs,
            ApiKey::IncrementalAlterConfigs,
        ];
        for s in SUPPORTED_APIS {
            assert!(
                covered.contains(&s.api_key),
                "add a round-trip case for {:?}",
                s.api_key
            );
        }
        for v in 0..=4 {
            let mut b = BytesMut::new();
            let mut r = ApiVersionsRequest::default();
            if v >= 3 {
                r.client_software_name = StrBytes::from_static_str("librdkafka");
                r.client_software_version = StrBytes::from_static_str("2.0.2");
            }
            r.encode(&mut b, v).unwrap();
            assert_eq!(
                walk_all(ApiKey::ApiVersions, v, &b),
                b.len(),
                "ApiVersions v{v}"
            );
        }
        for v in 0..=12 {
            let mut b = BytesMut::new();
            let mut t = MetadataRequestTopic::default()
                .with_name(Some(TopicName(StrBytes::from_static_str("topic"))));
            if v >= 10 {
                t.topic_id = Uuid::from_u128(5);
            }
            let mut r = MetadataRequest::default().with_topics(Some(vec![t.clone(), t]));
            if v >= 4 {
                r.allow_auto_topic_creation = false;
            }
            if (8..=10).contains(&v) {
                r.include_cluster_authorized_operations = true;
            }
            if v >= 8 {
                r.include_topic_authorized_operations = true;
            }
            r.encode(&mut b, v).unwrap();
            assert_eq!(walk_all(ApiKey::Metadata, v, &b), b.len(), "Metadata v{v}");
        }
        for v in 0..=8 {
            let mut b = BytesMut::new();
            let mut r = update_metadata_sample(v);
            if v >= 8 {
                r._type = 2; // tagged field 0, skipped as a tagged field
            }
            r.encode(&mut b, v).unwrap();
            assert_eq!(
                walk_all(ApiKey::UpdateMetadata, v, &b),
                b.len(),
                "UpdateMetadata v{v}"
            );
        }
    }

    /// A Metadata v1 body claiming 2^31-1 topics is refused before any allocation, as Kafka's
    /// generated reader refuses it (`MessageDataGenerator`, "Tried to allocate a collection").
    #[test]
    fn refuses_arrays_longer_than_the_body() {
        let body = [0x7f, 0xff, 0xff, 0xff, 0, 1, b'a'];
        assert!(matches!(
            check_body(ApiKey::Metadata, 1, &body),
            Err(GuardError::ArrayTooLong {
                declared: 0x7fff_ffff,
                ..
            })
        ));
        // Flexible: compact length 0xffffffff - 1 elements.
        let body = [0xff, 0xff, 0xff, 0xff, 0x0f, 0, 0];
        assert!(matches!(
            check_body(ApiKey::Metadata, 12, &body),
            Err(GuardError::ArrayTooLong { .. })
        ));
        // Three Int32 elements need 12 bytes.
        let mut b = BytesMut::new();
        update_metadata_sample(8).encode(&mut b, 8).unwrap();
        assert!(check_body(ApiKey::UpdateMetadata, 8, &b).is_ok());
        assert!(matches!(
            check_body(ApiKey::UpdateMetadata, 8, &b[..b.len() - 3]),
            Err(GuardError::Truncated { .. })
        ));
    }

    proptest::proptest! {
        /// Arbitrary bytes never panic the guard, and whatever passes it never panics (or
        /// aborts) the crate's decoder, at every supported version of every served API.
        #[test]
        fn arbitrary_bodies_never_panic(body in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            use kafka_protocol::protocol::Decodable;
            for s in SUPPORTED_APIS {
                for v in s.min_version..=s.max_version {
                    if check_body(s.api_key, v, &body).is_ok() {
                        let mut b = bytes::Bytes::copy_from_slice(&body);
                        let _ = match s.api_key {
                            ApiKey::ApiVersions => ApiVersionsRequest::decode(&mut b, v).map(|_| ()),
                            ApiKey::Metadata => MetadataRequest::decode(&mut b, v).map(|_| ()),
                            ApiKey::UpdateMetadata => UpdateMetadataRequest::decode(&mut b, v).map(|_| ()),
                            _ => Ok(()),
                        };
                    }
                }
            }
        }

        /// Valid UpdateMetadata v8 bodies with random bytes flipped: same property, on inputs
        /// that get deep into the schema.
        #[test]
        fn mutated_update_metadata_never_panics(pos in 0usize..400, byte in proptest::num::u8::ANY, cut in 0usize..400) {
            use kafka_protocol::protocol::Decodable;
            let mut b = BytesMut::new();
            update_metadata_sample(8).encode(&mut b, 8).unwrap();
            let mut body = b.to_vec();
            let n = body.len();
            body[pos % n] = byte;
            body.truncate(n - (cut % n));
            if check_body(ApiKey::UpdateMetadata, 8, &body).is_ok() {
                let _ = UpdateMetadataRequest::decode(&mut bytes::Bytes::from(body), 8);
            }
        }
    }

    /// Negative lengths other than -1 (null) are malformed; null arrays are allowed through
    /// (Metadata v1+ uses a null topic array for "all topics").
    #[test]
    fn lengths() {
        assert!(check_body(ApiKey::Metadata, 1, &[0xff, 0xff, 0xff, 0xff]).is_ok());
        assert!(matches!(
            check_body(ApiKey::Metadata, 1, &[0xff, 0xff, 0xff, 0xfe]),
            Err(GuardError::BadLength { length: -2, .. })
        ));
        assert!(matches!(
            check_body(ApiKey::Metadata, 9, &[0xff, 0xff, 0xff, 0xff, 0xff]),
            Err(GuardError::BadVarint { .. })
        ));
        assert_eq!(
            check_body(ApiKey::AddOffsetsToTxn, 3, &[]),
            Err(GuardError::NoSchema(ApiKey::AddOffsetsToTxn))
        );
    }
}
