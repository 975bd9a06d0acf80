//! ACL bindings and filters as the Admin API carries them, with Kafka's wire codes.
//!
//! Kafka: `AclBinding`, `AclBindingFilter`, `ResourcePatternFilter.matches`,
//! `AccessControlEntryFilter.matches`; the `code()` of `ResourceType`, `PatternType`,
//! `AclOperation`, `AclPermissionType`.

use crate::zk::znodes::{
    AclEntry, AclOperation, AclPermissionType, PatternType, ResourcePattern, ResourceType,
    WILDCARD_RESOURCE,
};

/// One ACL on one resource pattern. Kafka: `AclBinding`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AclBinding {
    pub pattern: ResourcePattern,
    pub entry: AclEntry,
}

/// Kafka: `ResourceType.code` (UNKNOWN 0, ANY 1, TOPIC 2 ... USER 7).
pub fn resource_type_code(t: ResourceType) -> i8 {
    match t {
        ResourceType::Topic => 2,
        ResourceType::Group => 3,
        ResourceType::Cluster => 4,
        ResourceType::TransactionalId => 5,
        ResourceType::DelegationToken => 6,
        ResourceType::User => 7,
    }
}

pub fn resource_type_from_code(c: i8) -> Option<ResourceType> {
    ResourceType::ALL
        .into_iter()
        .find(|t| resource_type_code(*t) == c)
}

/// Kafka: `PatternType.code` (UNKNOWN 0, ANY 1, MATCH 2, LITERAL 3, PREFIXED 4).
pub fn pattern_type_code(p: PatternType) -> i8 {
    match p {
        PatternType::Literal => 3,
        PatternType::Prefixed => 4,
    }
}

/// Kafka: `AclOperation.code` (UNKNOWN 0, ANY 1, ALL 2, READ 3 ... DESCRIBE_TOKENS 14).
pub fn operation_code(o: AclOperation) -> i8 {
    match o {
        AclOperation::All => 2,
        AclOperation::Read => 3,
        AclOperation::Write => 4,
        AclOperation::Create => 5,
        AclOperation::Delete => 6,
        AclOperation::Alter => 7,
        AclOperation::Describe => 8,
        AclOperation::ClusterAction => 9,
        AclOperation::DescribeConfigs => 10,
        AclOperation::AlterConfigs => 11,
        AclOperation::IdempotentWrite => 12,
        AclOperation::CreateTokens => 13,
        AclOperation::DescribeTokens => 14,
    }
}

pub fn operation_from_code(c: i8) -> Option<AclOperation> {
    AclOperation::ALL
        .iter()
        .copied()
        .find(|o| operation_code(*o) == c)
}

/// Kafka: `AclPermissionType.code` (UNKNOWN 0, ANY 1, DENY 2, ALLOW 3).
pub fn permission_code(p: AclPermissionType) -> i8 {
    match p {
        AclPermissionType::Deny => 2,
        AclPermissionType::Allow => 3,
    }
}

pub fn permission_from_code(c: i8) -> Option<AclPermissionType> {
    AclPermissionType::ALL
        .iter()
        .copied()
        .find(|p| permission_code(*p) == c)
}

/// The "UNKNOWN"/"ANY"/"MATCH" wire codes of the filter enums.
pub const UNKNOWN: i8 = 0;
pub const ANY: i8 = 1;
pub const MATCH: i8 = 2;

/// A filter over ACL bindings, in wire codes (`ANY` = 1 matches everything; names/principal/host
/// `None` match everything). Kafka: `AclBindingFilter`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclBindingFilter {
    pub resource_type: i8,
    pub name: Option<String>,
    pub pattern_type: i8,
    pub principal: Option<String>,
    pub host: Option<String>,
    pub operation: i8,
    pub permission_type: i8,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct InvalidFilter(pub String);

impl AclBindingFilter {
    /// Refuses UNKNOWN (0) codes; other unknown codes are accepted and match nothing (Kafka's
    /// `fromCode` maps them to UNKNOWN after the check). Kafka 3.9: `DescribeAclsRequest` /
    /// `DeleteAclsRequest.normalizeAndValidate`, whose failure while parsing closes the
    /// connection.
    pub fn validate(&self) -> Result<(), InvalidFilter> {
        if [
            self.resource_type,
            self.pattern_type,
            self.operation,
            self.permission_type,
        ]
        .contains(&UNKNOWN)
        {
            Err(InvalidFilter(
                "The filter contains UNKNOWN elements.".into(),
            ))
        } else {
            Ok(())
        }
    }

    /// Kafka: `ResourcePatternFilter.matches`.
    pub fn matches_pattern(&self, p: &ResourcePattern) -> bool {
        if self.resource_type != ANY && self.resource_type != resource_type_code(p.resource_type) {
            return false;
        }
        let own = pattern_type_code(p.pattern_type);
        if self.pattern_type != ANY && self.pattern_type != MATCH && self.pattern_type != own {
            return false;
        }
        let Some(name) = &self.name else {
            return true;
        };
        if self.pattern_type == ANY || self.pattern_type == own {
            return *name == p.name;
        }
        match p.pattern_type {
            PatternType::Literal => *name == p.name || p.name == WILDCARD_RESOURCE,
            PatternType::Prefixed => name.starts_with(&p.name),
        }
    }

    /// Kafka: `AccessControlEntryFilter.matches`.
    pub fn matches_entry(&self, e: &AclEntry) -> bool {
        self.principal.as_ref().is_none_or(|p| *p == e.principal)
            && self.host.as_ref().is_none_or(|h| *h == e.host)
            && (self.operation == ANY || self.operation == operation_code(e.operation))
            && (self.permission_type == ANY
                || self.permission_type == permission_code(e.permission_type))
    }

    pub fn matches(&self, b: &AclBinding) -> bool {
        self.matches_pattern(&b.pattern) && self.matches_entry(&b.entry)
    }
}
