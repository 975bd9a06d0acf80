//! ACL storage: `/kafka-acl/<Type>/<name>` (LITERAL), `/kafka-acl-extended/prefixed/<Type>/<prefix>`
//! (PREFIXED), and the change stores `/kafka-acl-changes` (text) and
//! `/kafka-acl-extended-changes` (JSON).
//!
//! Kafka: `ZkData.ZkAclStore`, `LiteralAclStore`, `ExtendedAclStore`, `LiteralAclChangeStore`,
//! `ExtendedAclChangeStore`, `ResourceZNode`, `ExtendedAclChangeEvent`;
//! `org.apache.kafka.security.authorizer.AclEntry`; `org.apache.kafka.common.utils.SecurityUtils`.

use std::fmt;

use super::json::{parse_object, parse_text, Fields, Json};
use super::ZNodeError;
use crate::zk::json_order::java_hash_map_order;

/// Kafka: `org.apache.kafka.common.resource.ResourceType` (the concrete ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResourceType {
    Topic,
    Group,
    Cluster,
    TransactionalId,
    DelegationToken,
    User,
}

impl ResourceType {
    pub const ALL: [ResourceType; 6] = [
        ResourceType::Topic,
        ResourceType::Group,
        ResourceType::Cluster,
        ResourceType::TransactionalId,
        ResourceType::DelegationToken,
        ResourceType::User,
    ];

    /// Java enum `name()`, used in change notifications (`TOPIC:my-topic`).
    pub fn enum_name(self) -> &'static str {
        match self {
            ResourceType::Topic => "TOPIC",
            ResourceType::Group => "GROUP",
            ResourceType::Cluster => "CLUSTER",
            ResourceType::TransactionalId => "TRANSACTIONAL_ID",
            ResourceType::DelegationToken => "DELEGATION_TOKEN",
            ResourceType::User => "USER",
        }
    }

    /// PascalCase path segment. Kafka: `SecurityUtils.resourceTypeName`.
    pub fn path_name(self) -> &'static str {
        match self {
            ResourceType::Topic => "Topic",
            ResourceType::Group => "Group",
            ResourceType::Cluster => "Cluster",
            ResourceType::TransactionalId => "TransactionalId",
            ResourceType::DelegationToken => "DelegationToken",
            ResourceType::User => "User",
        }
    }

    /// Kafka: `ResourceType.fromString` — the enum name, case-insensitive.
    pub fn from_enum_name(s: &str) -> Option<ResourceType> {
        Self::ALL
            .into_iter()
            .find(|t| t.enum_name().eq_ignore_ascii_case(s))
    }

    /// Kafka: `SecurityUtils.resourceType` — PascalCase or its upper-case form.
    pub fn from_path_name(s: &str) -> Option<ResourceType> {
        Self::ALL
            .into_iter()
            .find(|t| t.path_name() == s || t.path_name().to_ascii_uppercase() == s)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.enum_name())
    }
}

/// Kafka: `PatternType` (the specific ones stored in ZooKeeper).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternType {
    Literal,
    Prefixed,
}

impl PatternType {
    pub fn name(self) -> &'static str {
        match self {
            PatternType::Literal => "LITERAL",
            PatternType::Prefixed => "PREFIXED",
        }
    }

    /// Kafka: `PatternType.fromString` (case-insensitive).
    pub fn from_name(s: &str) -> Option<PatternType> {
        [PatternType::Literal, PatternType::Prefixed]
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(s))
    }
}

macro_rules! pascal_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// PascalCase name as stored in ACL JSON (`SecurityUtils.operationName` etc.).
            pub fn pascal_name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Kafka's `SecurityUtils` lookup: PascalCase or its upper-case form.
            pub fn from_pascal_name(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.pascal_name() == s || v.pascal_name().to_ascii_uppercase() == s)
            }
        }
    };
}

pascal_enum!(
    /// Kafka: `org.apache.kafka.common.acl.AclOperation` (concrete operations).
    AclOperation {
        All = "All",
        Read = "Read",
        Write = "Write",
        Create = "Create",
        Delete = "Delete",
        Alter = "Alter",
        Describe = "Describe",
        ClusterAction = "ClusterAction",
        DescribeConfigs = "DescribeConfigs",
        AlterConfigs = "AlterConfigs",
        IdempotentWrite = "IdempotentWrite",
        CreateTokens = "CreateTokens",
        DescribeTokens = "DescribeTokens",
    }
);

pascal_enum!(
    /// Kafka: `org.apache.kafka.common.acl.AclPermissionType` (concrete ones).
    AclPermissionType { Allow = "Allow", Deny = "Deny" }
);

/// A resource pattern: type, name (or prefix) and pattern type. Kafka: `ResourcePattern`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ResourcePattern {
    pub resource_type: ResourceType,
    pub name: String,
    pub pattern_type: PatternType,
}

/// One ACL. Kafka: `AclEntry` / `AccessControlEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AclEntry {
    /// `KafkaPrincipal.toString`, e.g. `User:alice`, `User:*`.
    pub principal: String,
    pub permission_type: AclPermissionType,
    /// `*` or an IP address.
    pub host: String,
    pub operation: AclOperation,
}

/// The resource name of the cluster. Kafka: `ResourcePattern.CLUSTER_NAME`... `kafka-cluster`.
pub const CLUSTER_RESOURCE_NAME: &str = "kafka-cluster";
/// Kafka: `ResourcePattern.WILDCARD_RESOURCE`.
pub const WILDCARD_RESOURCE: &str = "*";

/// The root of a pattern type's ACL znodes. Kafka: `ZkAclStore` (`LiteralAclStore`,
/// `ExtendedAclStore` — whose path uses the *lower-cased* pattern type name).
pub struct ZkAclStore;

impl ZkAclStore {
    pub const LITERAL_PATH: &'static str = "/kafka-acl";
    /// Kafka: `ExtendedAclZNode.path`.
    pub const EXTENDED_PATH: &'static str = "/kafka-acl-extended";
    pub const PREFIXED_PATH: &'static str = "/kafka-acl-extended/prefixed";

    pub fn acl_path(pattern_type: PatternType) -> &'static str {
        match pattern_type {
            PatternType::Literal => Self::LITERAL_PATH,
            PatternType::Prefixed => Self::PREFIXED_PATH,
        }
    }

    /// `<root>/<ResourceType>` — created for every type by `createAclPaths`.
    pub fn type_path(pattern_type: PatternType, resource_type: ResourceType) -> String {
        format!(
            "{}/{}",
            Self::acl_path(pattern_type),
            resource_type.path_name()
        )
    }

    /// Every path `KafkaZkClient.createAclPaths` creates (null data), in its order.
    pub fn all_paths() -> Vec<String> {
        let mut out = Vec::new();
        for p in [PatternType::Literal, PatternType::Prefixed] {
            out.push(Self::acl_path(p).to_string());
            for t in ResourceType::ALL {
                out.push(Self::type_path(p, t));
            }
        }
        out.push(LiteralAclChangeStore::PATH.to_string());
        out.push(ExtendedAclChangeStore::PATH.to_string());
        out
    }
}

/// `/kafka-acl/<Type>/<name>` or `/kafka-acl-extended/prefixed/<Type>/<prefix>` — persistent
/// ACL list. 3.8+ (Java `HashMap`s): `{"acls":[{"principal":"User:alice","permissionType":"Allow","host":"*","operation":"Read"}],"version":1}`.
/// Up to 3.7 (Scala maps): `{"version":1,"acls":[{"principal":..,"permissionType":..,"operation":..,"host":..}]}`.
pub struct ResourceZNode;

impl ResourceZNode {
    pub fn path(resource: &ResourcePattern) -> String {
        format!(
            "{}/{}",
            ZkAclStore::type_path(resource.pattern_type, resource.resource_type),
            resource.name
        )
    }

    /// Kafka: `ResourceZNode.encode` = `AclEntry.toJsonCompatibleMap` (Kafka 3.8+ key orders).
    pub fn encode(acls: &[AclEntry]) -> Vec<u8> {
        let entry_keys = ["principal", "permissionType", "operation", "host"];
        let entry_order = java_hash_map_order(&entry_keys);
        let items = acls
            .iter()
            .map(|a| {
                let fields = vec![
                    ("principal".to_string(), Json::str(a.principal.clone())),
                    (
                        "permissionType".to_string(),
                        Json::str(a.permission_type.pascal_name()),
                    ),
                    (
                        "operation".to_string(),
                        Json::str(a.operation.pascal_name()),
                    ),
                    ("host".to_string(), Json::str(a.host.clone())),
                ];
                Json::obj_in_order(fields, &entry_order)
            })
            .collect();
        let top_keys = ["version", "acls"];
        let top = vec![
            ("version".to_string(), Json::Int(1)),
            ("acls".to_string(), Json::Arr(items)),
        ];
        Json::obj_in_order(top, &java_hash_map_order(&top_keys)).to_bytes()
    }

    /// Kafka: `AclEntry.fromBytes` — `version` must be 1; each entry needs `principal`
    /// (`Type:name`), `permissionType`, `host`, `operation` (PascalCase or upper case).
    pub fn decode(path: &str, bytes: &[u8]) -> Result<Vec<AclEntry>, ZNodeError> {
        let map = parse_object(path, bytes)?;
        let f = Fields::new(path, &map);
        let version = f.req_i32("version")?;
        if version != 1 {
            return Err(ZNodeError::UnsupportedVersion {
                znode: path.to_string(),
                version: i64::from(version),
                supported: "1",
            });
        }
        let mut out = Vec::new();
        for (i, item) in f.req_array("acls")?.iter().enumerate() {
            let field = format!("acls[{i}]");
            let obj = f.as_object(&field, item)?;
            let e = f.nested(&field, obj);
            let principal = e.req_str("principal")?;
            match principal.split_once(':') {
                Some((t, _)) if !t.is_empty() => {}
                _ => {
                    return Err(e.invalid(
                        "principal",
                        format!("\"{principal}\""),
                        "expected <PrincipalType>:<name>",
                    ))
                }
            }
            let pt = e.req_str("permissionType")?;
            let permission_type = AclPermissionType::from_pascal_name(pt).ok_or_else(|| {
                e.invalid(
                    "permissionType",
                    format!("\"{pt}\""),
                    "expected Allow or Deny",
                )
            })?;
            let op = e.req_str("operation")?;
            let operation = AclOperation::from_pascal_name(op).ok_or_else(|| {
                e.invalid("operation", format!("\"{op}\""), "not an ACL operation")
            })?;
            out.push(AclEntry {
                principal: principal.to_string(),
                permission_type,
                host: e.req_str("host")?.to_string(),
                operation,
            });
        }
        Ok(out)
    }
}

/// `/kafka-acl-changes/acl_changes_<seq>` — persistent-sequential, UTF-8 text
/// `<RESOURCE_TYPE>:<name>` (e.g. `TOPIC:my-topic`) for LITERAL patterns.
pub struct LiteralAclChangeStore;

impl LiteralAclChangeStore {
    pub const PATH: &'static str = "/kafka-acl-changes";

    pub fn create_path() -> String {
        format!("{}/{}", Self::PATH, ACL_CHANGE_SEQUENCE_PREFIX)
    }

    /// Kafka: `LiteralAclChangeStore.encode` (`resourceType.toString` = enum name since 2.5).
    pub fn encode(resource_type: ResourceType, name: &str) -> Vec<u8> {
        format!("{}:{}", resource_type.enum_name(), name).into_bytes()
    }

    /// Kafka: `LiteralAclChangeStore.decode` — split on the first `:`, type case-insensitive.
    pub fn decode(path: &str, bytes: &[u8]) -> Result<ResourcePattern, ZNodeError> {
        let text = parse_text(path, bytes)?;
        let bad = || ZNodeError::BadText {
            znode: path.to_string(),
            text: text.to_string(),
            expected: "<RESOURCE_TYPE>:<name> with a known resource type",
        };
        let (t, name) = text.split_once(':').ok_or_else(bad)?;
        Ok(ResourcePattern {
            resource_type: ResourceType::from_enum_name(t).ok_or_else(bad)?,
            name: name.to_string(),
            pattern_type: PatternType::Literal,
        })
    }
}

/// `/kafka-acl-extended-changes/acl_changes_<seq>` — persistent-sequential Jackson bean
/// `{"version":1,"resourceType":"TOPIC","name":"foo-","patternType":"PREFIXED"}`.
pub struct ExtendedAclChangeStore;

/// Kafka: `ZkAclChangeStore.SequenceNumberPrefix`.
pub const ACL_CHANGE_SEQUENCE_PREFIX: &str = "acl_changes_";

impl ExtendedAclChangeStore {
    pub const PATH: &'static str = "/kafka-acl-extended-changes";

    pub fn create_path() -> String {
        format!("{}/{}", Self::PATH, ACL_CHANGE_SEQUENCE_PREFIX)
    }

    /// Kafka: `ExtendedAclChangeStore.encode` (`ExtendedAclChangeEvent`, declaration order).
    pub fn encode(resource: &ResourcePattern) -> Vec<u8> {
        Json::Obj(vec![
            ("version".into(), Json::Int(1)),
            (
                "resourceType".into(),
                Json::str(resource.resource_type.enum_name()),
            ),
            ("name".into(), Json::str(resource.name.clone())),
            (
                "patternType".into(),
                Json::str(resource.pattern_type.name()),
            ),
        ])
        .to_bytes()
    }

    /// Kafka: `ExtendedAclChangeStore.decode` — version ≤ 1, enum names.
    pub fn decode(path: &str, bytes: &[u8]) -> Result<ResourcePattern, ZNodeError> {
        let map = parse_object(path, bytes)?;
        let f = Fields::new(path, &map);
        let version = f.req_i32("version")?;
        if version > 1 {
            return Err(ZNodeError::UnsupportedVersion {
                znode: path.to_string(),
                version: i64::from(version),
                supported: "1",
            });
        }
        let t = f.req_str("resourceType")?;
        let p = f.req_str("patternType")?;
        Ok(ResourcePattern {
            resource_type: ResourceType::from_enum_name(t).ok_or_else(|| {
                f.invalid("resourceType", format!("\"{t}\""), "not a resource type")
            })?,
            name: f.req_str("name")?.to_string(),
            pattern_type: PatternType::from_name(p).ok_or_else(|| {
                f.invalid(
                    "patternType",
                    format!("\"{p}\""),
                    "expected LITERAL or PREFIXED",
                )
            })?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acl(op: AclOperation) -> AclEntry {
        AclEntry {
            principal: "User:alice".into(),
            permission_type: AclPermissionType::Allow,
            host: "*".into(),
            operation: op,
        }
    }

    /// Reference §2.17: exact 3.8+/3.9 ACL bytes (Java HashMap orders); ≤ 3.7 layout decodes.
    #[test]
    fn golden_acl_node() {
        let golden = br#"{"acls":[{"principal":"User:alice","permissionType":"Allow","host":"*","operation":"Read"},{"principal":"User:alice","permissionType":"Allow","host":"*","operation":"Describe"}],"version":1}"#;
        let acls = vec![acl(AclOperation::Read), acl(AclOperation::Describe)];
        assert_eq!(ResourceZNode::encode(&acls), golden.to_vec());
        let p = "/kafka-acl/Topic/t";
        assert_eq!(ResourceZNode::decode(p, golden).unwrap(), acls);
        let old = br#"{"version":1,"acls":[{"principal":"User:alice","permissionType":"Allow","operation":"Read","host":"*"}]}"#;
        assert_eq!(
            ResourceZNode::decode(p, old).unwrap(),
            vec![acl(AclOperation::Read)]
        );
        let upper = br#"{"version":1,"acls":[{"principal":"User:alice","permissionType":"ALLOW","operation":"CLUSTERACTION","host":"*"}]}"#;
        assert_eq!(
            ResourceZNode::decode(p, upper).unwrap()[0].operation,
            AclOperation::ClusterAction
        );
        assert!(ResourceZNode::decode(p, br#"{"version":2,"acls":[]}"#).is_err());
    }

    /// Reference §2.17: paths use PascalCase types; prefixed ACLs live under lower-case `prefixed`.
    #[test]
    fn acl_paths() {
        let r = ResourcePattern {
            resource_type: ResourceType::TransactionalId,
            name: "tx-".into(),
            pattern_type: PatternType::Prefixed,
        };
        assert_eq!(
            ResourceZNode::path(&r),
            "/kafka-acl-extended/prefixed/TransactionalId/tx-"
        );
        assert_eq!(ZkAclStore::all_paths().len(), 16);
    }

    /// Reference §2.17: literal change text `TOPIC:my-topic`, extended change JSON bean.
    #[test]
    fn golden_acl_changes() {
        assert_eq!(
            LiteralAclChangeStore::encode(ResourceType::Topic, "my-topic"),
            b"TOPIC:my-topic"
        );
        let p = "/kafka-acl-changes/acl_changes_0000000000";
        let r = LiteralAclChangeStore::decode(p, b"Topic:a:b").unwrap();
        assert_eq!(
            (r.resource_type, r.name.as_str()),
            (ResourceType::Topic, "a:b")
        );
        assert!(LiteralAclChangeStore::decode(p, b"Nope:x").is_err());
        let golden =
            br#"{"version":1,"resourceType":"TOPIC","name":"foo-","patternType":"PREFIXED"}"#;
        let r = ResourcePattern {
            resource_type: ResourceType::Topic,
            name: "foo-".into(),
            pattern_type: PatternType::Prefixed,
        };
        assert_eq!(ExtendedAclChangeStore::encode(&r), golden.to_vec());
        assert_eq!(ExtendedAclChangeStore::decode(p, golden).unwrap(), r);
    }
}
