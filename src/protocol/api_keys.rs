//! The table of API versions this broker implements: the single place later APIs are added.
//!
//! Kafka: `ApiKeys.isVersionEnabled`, `ApiVersionManager.isApiEnabled`,
//! `RequestContext.isUnsupportedApiVersionsRequest`.
//!
//! Adding an API: implement its handler in `src/apis/<name>.rs` and dispatch it in
//! `apis::handler_for`, write its request schema in [`crate::protocol::guard`], then add
//! one row here (versions + schema).
//! ApiVersions advertises exactly these rows, so a row must only appear once every version in
//! its range is implemented in full.

use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::VersionRange;

use crate::protocol::guard::{
    Schema, API_VERSIONS_REQUEST_SCHEMA, METADATA_REQUEST_SCHEMA, UPDATE_METADATA_REQUEST_SCHEMA,
};
use crate::protocol::guard_admin::{
    ALTER_CONFIGS_REQUEST_SCHEMA, CREATE_PARTITIONS_REQUEST_SCHEMA, CREATE_TOPICS_REQUEST_SCHEMA,
    DELETE_TOPICS_REQUEST_SCHEMA, DESCRIBE_CONFIGS_REQUEST_SCHEMA,
    INCREMENTAL_ALTER_CONFIGS_REQUEST_SCHEMA,
};
use crate::protocol::guard_controller::{
    ALLOCATE_PRODUCER_IDS_REQUEST_SCHEMA, ALTER_PARTITION_REQUEST_SCHEMA,
    CONTROLLED_SHUTDOWN_REQUEST_SCHEMA, ELECT_LEADERS_REQUEST_SCHEMA,
};
use crate::protocol::guard_data_path::{
    FETCH_REQUEST_SCHEMA, INIT_PRODUCER_ID_REQUEST_SCHEMA, LEADER_AND_ISR_REQUEST_SCHEMA,
    LIST_OFFSETS_REQUEST_SCHEMA, OFFSET_FOR_LEADER_EPOCH_REQUEST_SCHEMA, PRODUCE_REQUEST_SCHEMA,
    STOP_REPLICA_REQUEST_SCHEMA,
};
use crate::protocol::guard_groups as groups;
use crate::protocol::guard_security::{
    ALTER_USER_SCRAM_CREDENTIALS_REQUEST_SCHEMA, CREATE_ACLS_REQUEST_SCHEMA,
    DELETE_ACLS_REQUEST_SCHEMA, DESCRIBE_ACLS_REQUEST_SCHEMA,
    DESCRIBE_USER_SCRAM_CREDENTIALS_REQUEST_SCHEMA, SASL_AUTHENTICATE_REQUEST_SCHEMA,
    SASL_HANDSHAKE_REQUEST_SCHEMA,
};

/// One row of the supported-versions table.
#[derive(Debug, Clone, Copy)]
pub struct SupportedApi {
    pub api_key: ApiKey,
    pub min_version: i16,
    pub max_version: i16,
    /// The request's wire schema, walked before the crate decodes a body (see `guard`).
    pub request_schema: &'static Schema,
}

/// Every API this broker serves, with the versions it implements in full, in API-key order.
///
/// The ranges are Kafka 3.9's for a ZooKeeper-mode broker (`ApiMessageType` listeners
/// `zkBroker`), which are also the ranges `kafka-protocol` 0.15.1 was generated from.
pub const SUPPORTED_APIS: &[SupportedApi] = &[
    // Kafka 3.9 `ProduceRequest.json`: versions 0-11 (v0-2 carry magic 0/1 message sets, up-converted by the log).
    SupportedApi {
        api_key: ApiKey::Produce,
        min_version: 0,
        max_version: 11,
        request_schema: &PRODUCE_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `FetchRequest.json` 0-17; v0-3 would need down-conversion to message format v0/v1, not served.
    SupportedApi {
        api_key: ApiKey::Fetch,
        min_version: 4,
        max_version: 17,
        request_schema: &FETCH_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `ListOffsetsRequest.json` 0-9; v9 (KIP-1005 earliest-pending-upload, tiered storage only) not served.
    SupportedApi {
        api_key: ApiKey::ListOffsets,
        min_version: 0,
        max_version: 8,
        request_schema: &LIST_OFFSETS_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `MetadataRequest.json`: versions 0-12.
    SupportedApi {
        api_key: ApiKey::Metadata,
        min_version: 0,
        max_version: 12,
        request_schema: &METADATA_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `LeaderAndIsrRequest.json`: versions 0-7 (the 3.9 controller sends v7).
    SupportedApi {
        api_key: ApiKey::LeaderAndIsr,
        min_version: 0,
        max_version: 7,
        request_schema: &LEADER_AND_ISR_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `StopReplicaRequest.json`: versions 0-4 (the 3.9 controller sends v4).
    SupportedApi {
        api_key: ApiKey::StopReplica,
        min_version: 0,
        max_version: 4,
        request_schema: &STOP_REPLICA_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `UpdateMetadataRequest.json`: versions 0-8 (the 3.9 controller sends v8).
    SupportedApi {
        api_key: ApiKey::UpdateMetadata,
        min_version: 0,
        max_version: 8,
        request_schema: &UPDATE_METADATA_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `ControlledShutdownRequest.json`: versions 0-3 (the 3.9 broker sends v3).
    SupportedApi {
        api_key: ApiKey::ControlledShutdown,
        min_version: 0,
        max_version: 3,
        request_schema: &CONTROLLED_SHUTDOWN_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `ApiVersionsRequest.json`: versions 0-4 (v4, KAFKA-17011, only changes how
    // feature level 0 is reported; this broker reports no features, so v3 and v4 answer alike).
    SupportedApi {
        api_key: ApiKey::ApiVersions,
        min_version: 0,
        max_version: 4,
        request_schema: &API_VERSIONS_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `InitProducerIdRequest.json`: versions 0-5 (idempotent producers; transactional ids need the transaction coordinator).
    SupportedApi {
        api_key: ApiKey::InitProducerId,
        min_version: 0,
        max_version: 5,
        request_schema: &INIT_PRODUCER_ID_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `OffsetForLeaderEpochRequest.json`: versions 0-4.
    SupportedApi {
        api_key: ApiKey::OffsetForLeaderEpoch,
        min_version: 0,
        max_version: 4,
        request_schema: &OFFSET_FOR_LEADER_EPOCH_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `SaslHandshakeRequest.json`: versions 0-1 (v0: raw tokens follow; v1: SaslAuthenticate).
    SupportedApi {
        api_key: ApiKey::SaslHandshake,
        min_version: 0,
        max_version: 1,
        request_schema: &SASL_HANDSHAKE_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `SaslAuthenticateRequest.json`: versions 0-2.
    SupportedApi {
        api_key: ApiKey::SaslAuthenticate,
        min_version: 0,
        max_version: 2,
        request_schema: &SASL_AUTHENTICATE_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `DescribeAclsRequest.json`: versions 0-3.
    SupportedApi {
        api_key: ApiKey::DescribeAcls,
        min_version: 0,
        max_version: 3,
        request_schema: &DESCRIBE_ACLS_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `CreateAclsRequest.json`: versions 0-3.
    SupportedApi {
        api_key: ApiKey::CreateAcls,
        min_version: 0,
        max_version: 3,
        request_schema: &CREATE_ACLS_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `DeleteAclsRequest.json`: versions 0-3.
    SupportedApi {
        api_key: ApiKey::DeleteAcls,
        min_version: 0,
        max_version: 3,
        request_schema: &DELETE_ACLS_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `DescribeUserScramCredentialsRequest.json`: version 0.
    SupportedApi {
        api_key: ApiKey::DescribeUserScramCredentials,
        min_version: 0,
        max_version: 0,
        request_schema: &DESCRIBE_USER_SCRAM_CREDENTIALS_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `AlterUserScramCredentialsRequest.json`: version 0.
    SupportedApi {
        api_key: ApiKey::AlterUserScramCredentials,
        min_version: 0,
        max_version: 0,
        request_schema: &ALTER_USER_SCRAM_CREDENTIALS_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::CreateTopics,
        min_version: 0,
        max_version: 7,
        request_schema: &CREATE_TOPICS_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::DeleteTopics,
        min_version: 0,
        max_version: 6,
        request_schema: &DELETE_TOPICS_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::CreatePartitions,
        min_version: 0,
        max_version: 3,
        request_schema: &CREATE_PARTITIONS_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::DescribeConfigs,
        min_version: 0,
        max_version: 4,
        request_schema: &DESCRIBE_CONFIGS_REQUEST_SCHEMA,
    },
    // Group coordinator APIs: Kafka 3.9 zkBroker ranges (`ApiKeys.zkBrokerApis`, checked with kafka-clients 3.9.1).
    SupportedApi {
        api_key: ApiKey::OffsetCommit,
        min_version: 0,
        max_version: 9,
        request_schema: &groups::OFFSET_COMMIT_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::OffsetFetch,
        min_version: 0,
        max_version: 9,
        request_schema: &groups::OFFSET_FETCH_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::FindCoordinator,
        min_version: 0,
        max_version: 6,
        request_schema: &groups::FIND_COORDINATOR_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::JoinGroup,
        min_version: 0,
        max_version: 9,
        request_schema: &groups::JOIN_GROUP_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::Heartbeat,
        min_version: 0,
        max_version: 4,
        request_schema: &groups::HEARTBEAT_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::LeaveGroup,
        min_version: 0,
        max_version: 5,
        request_schema: &groups::LEAVE_GROUP_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::SyncGroup,
        min_version: 0,
        max_version: 5,
        request_schema: &groups::SYNC_GROUP_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::DescribeGroups,
        min_version: 0,
        max_version: 5,
        request_schema: &groups::DESCRIBE_GROUPS_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::ListGroups,
        min_version: 0,
        max_version: 5,
        request_schema: &groups::LIST_GROUPS_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::DeleteGroups,
        min_version: 0,
        max_version: 2,
        request_schema: &groups::DELETE_GROUPS_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::OffsetDelete,
        min_version: 0,
        max_version: 0,
        request_schema: &groups::OFFSET_DELETE_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `ElectLeadersRequest.json`: versions 0-2 (KIP-460).
    SupportedApi {
        api_key: ApiKey::ElectLeaders,
        min_version: 0,
        max_version: 2,
        request_schema: &ELECT_LEADERS_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `AlterPartitionRequest.json`: versions 0-3 (IBP 3.9 leaders send v3).
    SupportedApi {
        api_key: ApiKey::AlterPartition,
        min_version: 0,
        max_version: 3,
        request_schema: &ALTER_PARTITION_REQUEST_SCHEMA,
    },
    // Kafka 3.9 `AllocateProducerIdsRequest.json`: version 0 (KIP-730).
    SupportedApi {
        api_key: ApiKey::AllocateProducerIds,
        min_version: 0,
        max_version: 0,
        request_schema: &ALLOCATE_PRODUCER_IDS_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::AlterConfigs,
        min_version: 0,
        max_version: 2,
        request_schema: &ALTER_CONFIGS_REQUEST_SCHEMA,
    },
    SupportedApi {
        api_key: ApiKey::IncrementalAlterConfigs,
        min_version: 0,
        max_version: 1,
        request_schema: &INCREMENTAL_ALTER_CONFIGS_REQUEST_SCHEMA,
    },
];

/// The versions of `api_key` this broker implements, or `None` when it does not serve it.
pub fn supported_versions(api_key: ApiKey) -> Option<VersionRange> {
    SUPPORTED_APIS
        .iter()
        .find(|s| s.api_key == api_key)
        .map(|s| VersionRange {
            min: s.min_version,
            max: s.max_version,
        })
}

/// Whether a request may be decoded and handled. A request that fails this check closes the
/// connection (Kafka: `SocketServer.parseRequestHeader` throws `InvalidRequestException`).
///
/// ApiVersions is enabled at every version: a client sends the highest version it knows and the
/// broker answers a version it does not know with a v0 UNSUPPORTED_VERSION response (KIP-511;
/// Kafka: `ApiKeys.isVersionEnabled`).
pub fn is_api_enabled(api_key: ApiKey, api_version: i16) -> bool {
    if api_key == ApiKey::ApiVersions {
        return true;
    }
    supported_versions(api_key).is_some_and(|r| api_version >= r.min && api_version <= r.max)
}

/// An ApiVersions request whose version this broker does not implement: its body is not parsed
/// and it is answered with a v0 response (Kafka: `RequestContext.isUnsupportedApiVersionsRequest`).
pub fn is_unsupported_api_versions_request(api_key: ApiKey, api_version: i16) -> bool {
    api_key == ApiKey::ApiVersions
        && supported_versions(ApiKey::ApiVersions)
            .is_none_or(|r| api_version < r.min || api_version > r.max)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every advertised range must lie inside what `kafka-protocol` can decode and encode,
    /// because the version check is the only thing standing between a request and the crate's
    /// decoder (which bails on unknown versions). Kafka: `ApiVersionsResponse.intersect`.
    #[test]
    fn supported_ranges_are_within_the_codec() {
        for s in SUPPORTED_APIS {
            let codec = s.api_key.valid_versions();
            assert!(s.min_version <= s.max_version, "{:?}", s.api_key);
            assert!(
                s.min_version >= codec.min && s.max_version <= codec.max,
                "{:?} {}..{} outside codec {codec}",
                s.api_key,
                s.min_version,
                s.max_version
            );
        }
    }

    /// Each API key appears once, so ApiVersions never lists a key twice.
    #[test]
    fn table_has_no_duplicate_keys() {
        for (i, a) in SUPPORTED_APIS.iter().enumerate() {
            for b in &SUPPORTED_APIS[i + 1..] {
                assert_ne!(a.api_key, b.api_key);
            }
        }
    }

    /// Kafka 3.9's ranges for the APIs served so far (`MetadataRequest.json` 0-12,
    /// `UpdateMetadataRequest.json` 0-8, `ApiVersionsRequest.json` 0-4).
    #[test]
    fn ranges_match_kafka_3_9() {
        let r = supported_versions(ApiKey::Metadata).unwrap();
        assert_eq!((r.min, r.max), (0, 12));
        let r = supported_versions(ApiKey::UpdateMetadata).unwrap();
        assert_eq!((r.min, r.max), (0, 8));
        let r = supported_versions(ApiKey::ApiVersions).unwrap();
        assert_eq!((r.min, r.max), (0, 4));
        assert!(supported_versions(ApiKey::AddOffsetsToTxn).is_none());
    }

    /// Kafka: `ApiKeys.isVersionEnabled` accepts every ApiVersions version; other APIs only
    /// inside their range.
    #[test]
    fn version_check() {
        assert!(is_api_enabled(ApiKey::ApiVersions, 127));
        assert!(is_api_enabled(ApiKey::ApiVersions, -1));
        assert!(is_unsupported_api_versions_request(ApiKey::ApiVersions, 5));
        assert!(is_unsupported_api_versions_request(ApiKey::ApiVersions, -1));
        assert!(!is_unsupported_api_versions_request(ApiKey::ApiVersions, 3));
        assert!(is_api_enabled(ApiKey::Metadata, 12));
        assert!(!is_api_enabled(ApiKey::Metadata, 13));
        assert!(!is_api_enabled(ApiKey::Metadata, -1));
        assert!(!is_api_enabled(ApiKey::Produce, 12));
        assert!(!is_api_enabled(ApiKey::Fetch, 3));
    }
}
