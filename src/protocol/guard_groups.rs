//! Request schemas of the group-coordinator APIs for [`super::guard`]: FindCoordinator,
//! JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch, ListGroups,
//! DescribeGroups, DeleteGroups, OffsetDelete. Transcribed from Kafka 3.9's
//! `clients/src/main/resources/common/message/*Request.json`; each schema is checked by
//! encoding with `kafka-protocol` at every version and walking the bytes.

use super::guard::{f, Field, Kind, Schema, ALL};

/// The walk never reaches this version: OffsetDelete has no flexible version.
const NEVER: i16 = i16::MAX;
const STRINGS: Kind = Kind::Array(&Kind::String);
const I32S: Kind = Kind::Array(&Kind::Int32);

/// `FindCoordinatorRequest.json`: versions 0-6, flexible 3+.
const FIND_COORDINATOR_REQUEST: &[Field] = &[
    f(Kind::String, 0, 3), // Key
    f(Kind::Int8, 1, ALL), // KeyType
    f(STRINGS, 4, ALL),    // CoordinatorKeys
];

/// `JoinGroupRequest.json`: versions 0-9, flexible 6+.
const JOIN_GROUP_PROTOCOL: &[Field] = &[
    f(Kind::String, 0, ALL), // Name
    f(Kind::Bytes, 0, ALL),  // Metadata
];
const JOIN_GROUP_REQUEST: &[Field] = &[
    f(Kind::String, 0, ALL),                                    // GroupId
    f(Kind::Int32, 0, ALL),                                     // SessionTimeoutMs
    f(Kind::Int32, 1, ALL),                                     // RebalanceTimeoutMs
    f(Kind::String, 0, ALL),                                    // MemberId
    f(Kind::String, 5, ALL),                                    // GroupInstanceId
    f(Kind::String, 0, ALL),                                    // ProtocolType
    f(Kind::Array(&Kind::Struct(JOIN_GROUP_PROTOCOL)), 0, ALL), // Protocols
    f(Kind::String, 8, ALL),                                    // Reason
];

/// `SyncGroupRequest.json`: versions 0-5, flexible 4+.
const SYNC_GROUP_ASSIGNMENT: &[Field] = &[
    f(Kind::String, 0, ALL), // MemberId
    f(Kind::Bytes, 0, ALL),  // Assignment
];
const SYNC_GROUP_REQUEST: &[Field] = &[
    f(Kind::String, 0, ALL),                                      // GroupId
    f(Kind::Int32, 0, ALL),                                       // GenerationId
    f(Kind::String, 0, ALL),                                      // MemberId
    f(Kind::String, 3, ALL),                                      // GroupInstanceId
    f(Kind::String, 5, ALL),                                      // ProtocolType
    f(Kind::String, 5, ALL),                                      // ProtocolName
    f(Kind::Array(&Kind::Struct(SYNC_GROUP_ASSIGNMENT)), 0, ALL), // Assignments
];

/// `HeartbeatRequest.json`: versions 0-4, flexible 4+.
const HEARTBEAT_REQUEST: &[Field] = &[
    f(Kind::String, 0, ALL), // GroupId
    f(Kind::Int32, 0, ALL),  // GenerationId
    f(Kind::String, 0, ALL), // MemberId
    f(Kind::String, 3, ALL), // GroupInstanceId
];

/// `LeaveGroupRequest.json`: versions 0-5, flexible 4+.
const LEAVE_GROUP_MEMBER: &[Field] = &[
    f(Kind::String, 3, ALL), // MemberId
    f(Kind::String, 3, ALL), // GroupInstanceId
    f(Kind::String, 5, ALL), // Reason
];
const LEAVE_GROUP_REQUEST: &[Field] = &[
    f(Kind::String, 0, ALL),                                   // GroupId
    f(Kind::String, 0, 2),                                     // MemberId
    f(Kind::Array(&Kind::Struct(LEAVE_GROUP_MEMBER)), 3, ALL), // Members
];

/// `OffsetCommitRequest.json`: versions 0-9, flexible 8+.
const OFFSET_COMMIT_PARTITION: &[Field] = &[
    f(Kind::Int32, 0, ALL),  // PartitionIndex
    f(Kind::Int64, 0, ALL),  // CommittedOffset
    f(Kind::Int32, 6, ALL),  // CommittedLeaderEpoch
    f(Kind::Int64, 1, 1),    // CommitTimestamp
    f(Kind::String, 0, ALL), // CommittedMetadata
];
const OFFSET_COMMIT_TOPIC: &[Field] = &[
    f(Kind::String, 0, ALL),                                        // Name
    f(Kind::Array(&Kind::Struct(OFFSET_COMMIT_PARTITION)), 0, ALL), // Partitions
];
const OFFSET_COMMIT_REQUEST: &[Field] = &[
    f(Kind::String, 0, ALL),                                    // GroupId
    f(Kind::Int32, 1, ALL),                                     // GenerationIdOrMemberEpoch
    f(Kind::String, 1, ALL),                                    // MemberId
    f(Kind::String, 7, ALL),                                    // GroupInstanceId
    f(Kind::Int64, 2, 4),                                       // RetentionTimeMs
    f(Kind::Array(&Kind::Struct(OFFSET_COMMIT_TOPIC)), 0, ALL), // Topics
];

/// `OffsetFetchRequest.json`: versions 0-9, flexible 6+.
const OFFSET_FETCH_TOPIC: &[Field] = &[
    f(Kind::String, 0, ALL), // Name
    f(I32S, 0, ALL),         // PartitionIndexes
];
const OFFSET_FETCH_GROUP: &[Field] = &[
    f(Kind::String, 8, ALL),                                   // GroupId
    f(Kind::String, 9, ALL),                                   // MemberId
    f(Kind::Int32, 9, ALL),                                    // MemberEpoch
    f(Kind::Array(&Kind::Struct(OFFSET_FETCH_TOPIC)), 8, ALL), // Topics
];
const OFFSET_FETCH_REQUEST: &[Field] = &[
    f(Kind::String, 0, 7),                                     // GroupId
    f(Kind::Array(&Kind::Struct(OFFSET_FETCH_TOPIC)), 0, 7),   // Topics
    f(Kind::Array(&Kind::Struct(OFFSET_FETCH_GROUP)), 8, ALL), // Groups
    f(Kind::Bool, 7, ALL),                                     // RequireStable
];

/// `ListGroupsRequest.json`: versions 0-5, flexible 3+.
const LIST_GROUPS_REQUEST: &[Field] = &[
    f(STRINGS, 4, ALL), // StatesFilter
    f(STRINGS, 5, ALL), // TypesFilter
];

/// `DescribeGroupsRequest.json`: versions 0-5, flexible 5+.
const DESCRIBE_GROUPS_REQUEST: &[Field] = &[
    f(STRINGS, 0, ALL),    // Groups
    f(Kind::Bool, 3, ALL), // IncludeAuthorizedOperations
];

/// `DeleteGroupsRequest.json`: versions 0-2, flexible 2+.
const DELETE_GROUPS_REQUEST: &[Field] = &[
    f(STRINGS, 0, ALL), // GroupsNames
];

/// `OffsetDeleteRequest.json`: version 0, not flexible.
const OFFSET_DELETE_PARTITION: &[Field] = &[
    f(Kind::Int32, 0, ALL), // PartitionIndex
];
const OFFSET_DELETE_TOPIC: &[Field] = &[
    f(Kind::String, 0, ALL),                                        // Name
    f(Kind::Array(&Kind::Struct(OFFSET_DELETE_PARTITION)), 0, ALL), // Partitions
];
const OFFSET_DELETE_REQUEST: &[Field] = &[
    f(Kind::String, 0, ALL),                                    // GroupId
    f(Kind::Array(&Kind::Struct(OFFSET_DELETE_TOPIC)), 0, ALL), // Topics
];

pub const FIND_COORDINATOR_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 3,
    fields: FIND_COORDINATOR_REQUEST,
};
pub const JOIN_GROUP_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 6,
    fields: JOIN_GROUP_REQUEST,
};
pub const SYNC_GROUP_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 4,
    fields: SYNC_GROUP_REQUEST,
};
pub const HEARTBEAT_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 4,
    fields: HEARTBEAT_REQUEST,
};
pub const LEAVE_GROUP_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 4,
    fields: LEAVE_GROUP_REQUEST,
};
pub const OFFSET_COMMIT_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 8,
    fields: OFFSET_COMMIT_REQUEST,
};
pub const OFFSET_FETCH_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 6,
    fields: OFFSET_FETCH_REQUEST,
};
pub const LIST_GROUPS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 3,
    fields: LIST_GROUPS_REQUEST,
};
pub const DESCRIBE_GROUPS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 5,
    fields: DESCRIBE_GROUPS_REQUEST,
};
pub const DELETE_GROUPS_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: 2,
    fields: DELETE_GROUPS_REQUEST,
};
pub const OFFSET_DELETE_REQUEST_SCHEMA: Schema = Schema {
    flexible_from: NEVER,
    fields: OFFSET_DELETE_REQUEST,
};

#[cfg(test)]
mod tests {
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::messages::*;
    use kafka_protocol::protocol::{Encodable, StrBytes};

    use super::super::guard::{check_body, consumed};

    fn s(v: &'static str) -> StrBytes {
        StrBytes::from_static_str(v)
    }
    fn gid(v: &'static str) -> GroupId {
        GroupId(s(v))
    }
    fn tn(v: &'static str) -> TopicName {
        TopicName(s(v))
    }

    fn check<T: Encodable>(
        key: ApiKey,
        versions: std::ops::RangeInclusive<i16>,
        build: impl Fn(i16) -> T,
    ) {
        for v in versions {
            let mut b = BytesMut::new();
            build(v).encode(&mut b, v).unwrap();
            assert_eq!(consumed(key, v, &b).unwrap(), b.len(), "{key:?} v{v}");
            if b.len() > 1 {
                assert!(
                    check_body(key, v, &b[..b.len() - 1]).is_err(),
                    "{key:?} v{v} truncated"
                );
            }
        }
    }

    /// Kafka's generated readers consume exactly the fields of each version (`*Request.json`):
    /// every schema must walk the crate's encoding byte for byte at every version.
    #[test]
    fn schemas_walk_every_version_exactly() {
        check(ApiKey::FindCoordinator, 0..=6, |v| {
            let mut r = FindCoordinatorRequest::default();
            if v < 4 {
                r.key = s("g");
            } else {
                r.coordinator_keys = vec![s("g1"), s("g2")];
            }
            r
        });
        check(ApiKey::JoinGroup, 0..=9, |v| {
            let mut r = JoinGroupRequest::default()
                .with_group_id(gid("g"))
                .with_session_timeout_ms(10)
                .with_member_id(s("m"))
                .with_protocol_type(s("consumer"))
                .with_protocols(vec![join_group_request::JoinGroupRequestProtocol::default(
                )
                .with_name(s("range"))
                .with_metadata(Bytes::from_static(b"abc"))]);
            if v >= 5 {
                r.group_instance_id = Some(s("i"));
            }
            if v >= 8 {
                r.reason = Some(s("why"));
            }
            r
        });
        check(ApiKey::SyncGroup, 0..=5, |v| {
            let mut r = SyncGroupRequest::default()
                .with_group_id(gid("g"))
                .with_member_id(s("m"))
                .with_assignments(vec![
                    sync_group_request::SyncGroupRequestAssignment::default()
                        .with_member_id(s("m"))
                        .with_assignment(Bytes::from_static(b"x")),
                ]);
            if v >= 3 {
                r.group_instance_id = Some(s("i"));
            }
            if v >= 5 {
                r.protocol_type = Some(s("consumer"));
                r.protocol_name = Some(s("range"));
            }
            r
        });
        check(ApiKey::Heartbeat, 0..=4, |v| {
            let mut r = HeartbeatRequest::default()
                .with_group_id(gid("g"))
                .with_member_id(s("m"));
            if v >= 3 {
                r.group_instance_id = Some(s("i"));
            }
            r
        });
        check(ApiKey::LeaveGroup, 0..=5, |v| {
            let mut r = LeaveGroupRequest::default().with_group_id(gid("g"));
            if v < 3 {
                r.member_id = s("m");
            } else {
                let mut m = leave_group_request::MemberIdentity::default().with_member_id(s("m"));
                if v >= 5 {
                    m.reason = Some(s("r"));
                }
                r.members = vec![m];
            }
            r
        });
        check(ApiKey::OffsetCommit, 0..=9, |v| {
            let mut p = offset_commit_request::OffsetCommitRequestPartition::default()
                .with_partition_index(1)
                .with_committed_offset(5)
                .with_committed_metadata(Some(s("md")));
            if v == 1 {
                p.commit_timestamp = 7;
            }
            let mut r = OffsetCommitRequest::default()
                .with_group_id(gid("g"))
                .with_topics(vec![
                    offset_commit_request::OffsetCommitRequestTopic::default()
                        .with_name(tn("t"))
                        .with_partitions(vec![p]),
                ]);
            if v >= 1 {
                r.member_id = s("m");
            }
            if v >= 7 {
                r.group_instance_id = Some(s("i"));
            }
            r
        });
        check(ApiKey::OffsetFetch, 0..=9, |v| {
            let mut r = OffsetFetchRequest::default();
            if v < 8 {
                r.group_id = gid("g");
                r.topics = Some(vec![
                    offset_fetch_request::OffsetFetchRequestTopic::default()
                        .with_name(tn("t"))
                        .with_partition_indexes(vec![0, 1]),
                ]);
            } else {
                let mut g = offset_fetch_request::OffsetFetchRequestGroup::default()
                    .with_group_id(gid("g"))
                    .with_topics(Some(vec![
                        offset_fetch_request::OffsetFetchRequestTopics::default()
                            .with_name(tn("t"))
                            .with_partition_indexes(vec![0]),
                    ]));
                if v >= 9 {
                    g.member_id = Some(s("m"));
                }
                r.groups = vec![g];
            }
            r
        });
        check(ApiKey::ListGroups, 0..=5, |v| {
            let mut r = ListGroupsRequest::default();
            if v >= 4 {
                r.states_filter = vec![s("Stable")];
            }
            if v >= 5 {
                r.types_filter = vec![s("classic")];
            }
            r
        });
        check(ApiKey::DescribeGroups, 0..=5, |_| {
            DescribeGroupsRequest::default().with_groups(vec![gid("a"), gid("b")])
        });
        check(ApiKey::DeleteGroups, 0..=2, |_| {
            DeleteGroupsRequest::default().with_groups_names(vec![gid("a")])
        });
        check(ApiKey::OffsetDelete, 0..=0, |_| {
            OffsetDeleteRequest::default()
                .with_group_id(gid("g"))
                .with_topics(vec![
                    offset_delete_request::OffsetDeleteRequestTopic::default()
                        .with_name(tn("t"))
                        .with_partitions(vec![
                            offset_delete_request::OffsetDeleteRequestPartition::default()
                                .with_partition_index(2),
                        ]),
                ])
        });
    }
}
