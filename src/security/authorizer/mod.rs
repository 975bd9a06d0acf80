//! `AclAuthorizer`: ACLs kept in ZooKeeper, cached on every broker, and the decision rules.
//!
//! Kafka: `kafka.security.authorizer.AclAuthorizer` (`authorizeAction`, `matchingAcls`,
//! `matchingAclExists`, `allowAclExists`, `authorizeByResourceType`, `isSuperUser`),
//! `org.apache.kafka.security.authorizer.AclEntry` (`WildcardPrincipal`, `WildcardHost`).
//!
//! Configuration: `authorizer.class.name=kafka.security.authorizer.AclAuthorizer` turns it on;
//! `super.users` (`;`-separated principals) bypass every check;
//! `allow.everyone.if.no.acl.found` (default false) allows actions on resources with no ACL.
//!
//! Decision for (principal, host, operation, resource): super user → allow; collect the ACLs of
//! the literal name, the literal wildcard `*` and every prefixed pattern that is a prefix of the
//! name; none → `allow.everyone.if.no.acl.found`; a matching DENY → deny (deny beats allow); a
//! matching ALLOW → allow (Read/Write/Delete/Alter imply Describe, AlterConfigs implies
//! DescribeConfigs); else deny.

pub mod acl_binding;
pub mod zk_store;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use super::change_notification::ChangeNotificationListener;
use super::principal::KafkaPrincipal;
use crate::zk::znodes::{
    AclEntry, AclOperation, AclPermissionType, PatternType, ResourcePattern, ResourceType,
    WILDCARD_RESOURCE,
};
use crate::zk::KafkaZkClient;
pub use acl_binding::{AclBinding, AclBindingFilter};

/// The only authorizer class name accepted (ZooKeeper mode). Kafka 3.9 also has
/// `org.apache.kafka.metadata.authorizer.StandardAuthorizer`, which is KRaft-only.
pub const ACL_AUTHORIZER_CLASS: &str = "kafka.security.authorizer.AclAuthorizer";

/// Kafka: `AclEntry.WILDCARD_PRINCIPAL_STRING` and `WILDCARD_HOST`.
pub const WILDCARD_PRINCIPAL: &str = "User:*";
pub const WILDCARD_HOST: &str = "*";

/// Authorizer settings from `server.properties`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizerConfig {
    /// `super.users`: principals allowed everything.
    pub super_users: HashSet<String>,
    /// `allow.everyone.if.no.acl.found` (default false).
    pub allow_everyone_if_no_acl_found: bool,
}

impl AuthorizerConfig {
    /// Parses `super.users` (`User:a;User:b`, blanks ignored). Kafka: `AclAuthorizer.configure`.
    pub fn new(
        super_users: Option<&str>,
        allow_everyone_if_no_acl_found: bool,
    ) -> AuthorizerConfig {
        AuthorizerConfig {
            super_users: super_users
                .unwrap_or("")
                .split(';')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            allow_everyone_if_no_acl_found,
        }
    }
}

/// The operations ACLs can grant on a resource type. Kafka 3.9:
/// `org.apache.kafka.security.authorizer.AclEntry.supportedOperations` (checked against the
/// 3.9.1 jar: GROUP is READ, DESCRIBE, DELETE only).
pub fn supported_operations(resource_type: ResourceType) -> &'static [AclOperation] {
    use AclOperation as O;
    match resource_type {
        ResourceType::Topic => &[
            O::Read,
            O::Write,
            O::Create,
            O::Describe,
            O::Delete,
            O::Alter,
            O::DescribeConfigs,
            O::AlterConfigs,
        ],
        ResourceType::Group => &[O::Read, O::Describe, O::Delete],
        ResourceType::Cluster => &[
            O::Create,
            O::ClusterAction,
            O::DescribeConfigs,
            O::AlterConfigs,
            O::IdempotentWrite,
            O::Alter,
            O::Describe,
        ],
        ResourceType::TransactionalId => &[O::Describe, O::Write],
        ResourceType::DelegationToken => &[O::Describe],
        ResourceType::User => &[O::CreateTokens, O::DescribeTokens],
    }
}

/// Kafka: `Utils.to32BitField` over the operations' wire codes.
pub fn to_32_bit_field(ops: impl IntoIterator<Item = AclOperation>) -> i32 {
    ops.into_iter()
        .fold(0, |bits, op| bits | (1 << acl_binding::operation_code(op)))
}

/// Who is asking: the principal and the client's IP address as text
/// (`InetAddress.getHostAddress`, e.g. `127.0.0.1`).
#[derive(Debug, Clone, Copy)]
pub struct Requester<'a> {
    pub principal: &'a KafkaPrincipal,
    pub host: &'a str,
}

/// resource pattern → its ACLs and the zkVersion they were read at.
pub(crate) type AclCache = HashMap<ResourcePattern, VersionedAcls>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct VersionedAcls {
    pub acls: Vec<AclEntry>,
    /// The resource znode's data version; -1 when it does not exist.
    pub zk_version: i32,
}

/// See the module docs. Shared as `Arc<AclAuthorizer>` by `KafkaApis`.
pub struct AclAuthorizer {
    config: AuthorizerConfig,
    cache: RwLock<AclCache>,
    zk: Option<Arc<KafkaZkClient>>,
    listeners: Mutex<Vec<ChangeNotificationListener>>,
}

impl AclAuthorizer {
    /// An authorizer with an empty cache and no ZooKeeper (decision tests).
    pub fn new(config: AuthorizerConfig) -> AclAuthorizer {
        AclAuthorizer {
            config,
            cache: RwLock::new(HashMap::new()),
            zk: None,
            listeners: Mutex::new(Vec::new()),
        }
    }

    pub fn config(&self) -> &AuthorizerConfig {
        &self.config
    }

    /// Puts ACLs into the cache directly (decision tests; ZooKeeper loads use the same path).
    pub fn set_cached_acls(&self, pattern: ResourcePattern, acls: Vec<AclEntry>) {
        self.update_cache(
            pattern,
            VersionedAcls {
                acls,
                zk_version: 0,
            },
        );
    }

    pub(crate) fn update_cache(&self, pattern: ResourcePattern, acls: VersionedAcls) {
        let mut cache = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if acls.acls.is_empty() {
            cache.remove(&pattern);
        } else {
            cache.insert(pattern, acls);
        }
    }

    fn is_super_user(&self, principal: &KafkaPrincipal) -> bool {
        self.config.super_users.contains(&principal.to_string())
    }

    /// Kafka: `AclAuthorizer.matchingAcls` — ACLs of the literal name, the literal wildcard and
    /// every prefixed pattern the name starts with.
    fn matching_acls(&self, resource_type: ResourceType, name: &str) -> Vec<AclEntry> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        let mut out = Vec::new();
        let mut add = |n: &str, p: PatternType| {
            let key = ResourcePattern {
                resource_type,
                name: n.to_string(),
                pattern_type: p,
            };
            if let Some(v) = cache.get(&key) {
                out.extend(v.acls.iter().cloned());
            }
        };
        add(name, PatternType::Literal);
        if name != WILDCARD_RESOURCE {
            add(WILDCARD_RESOURCE, PatternType::Literal);
        }
        for (i, _) in name.char_indices().skip(1) {
            add(&name[..i], PatternType::Prefixed);
        }
        if !name.is_empty() {
            add(name, PatternType::Prefixed);
        }
        out
    }

    /// Kafka: `AclAuthorizer.matchingAclExists`.
    fn matching_acl_exists(
        op: AclOperation,
        who: Requester<'_>,
        permission: AclPermissionType,
        acls: &[AclEntry],
    ) -> bool {
        let principal = who.principal.to_string();
        acls.iter().any(|acl| {
            acl.permission_type == permission
                && (acl.principal == principal || acl.principal == WILDCARD_PRINCIPAL)
                && (acl.operation == op || acl.operation == AclOperation::All)
                && (acl.host == who.host || acl.host == WILDCARD_HOST)
        })
    }

    /// Kafka: `AclAuthorizer.allowAclExists` — the implied operations.
    fn implied_by(op: AclOperation) -> &'static [AclOperation] {
        use AclOperation as O;
        match op {
            O::Describe => &[O::Describe, O::Read, O::Write, O::Delete, O::Alter],
            O::DescribeConfigs => &[O::DescribeConfigs, O::AlterConfigs],
            O::Read => &[O::Read],
            O::Write => &[O::Write],
            O::Create => &[O::Create],
            O::Delete => &[O::Delete],
            O::Alter => &[O::Alter],
            O::ClusterAction => &[O::ClusterAction],
            O::AlterConfigs => &[O::AlterConfigs],
            O::IdempotentWrite => &[O::IdempotentWrite],
            O::CreateTokens => &[O::CreateTokens],
            O::DescribeTokens => &[O::DescribeTokens],
            O::All => &[O::All],
        }
    }

    /// May `who` perform `op` on the resource? Kafka: `AclAuthorizer.authorizeAction`.
    pub fn authorize(
        &self,
        who: Requester<'_>,
        op: AclOperation,
        resource_type: ResourceType,
        name: &str,
    ) -> bool {
        if self.is_super_user(who.principal) {
            return true;
        }
        let acls = self.matching_acls(resource_type, name);
        if acls.is_empty() {
            return self.config.allow_everyone_if_no_acl_found;
        }
        if Self::matching_acl_exists(op, who, AclPermissionType::Deny, &acls) {
            return false;
        }
        Self::implied_by(op)
            .iter()
            .any(|o| Self::matching_acl_exists(*o, who, AclPermissionType::Allow, &acls))
    }

    /// The operations `who` may perform on the literal resource, as Kafka's bit field
    /// (`1 << op.code` for each allowed operation, `Utils.to32BitField`). Every operation the
    /// resource type supports is tested with the ordinary decision (implied operations,
    /// deny-beats-allow, super users, `allow.everyone.if.no.acl.found`), without denial logs.
    /// Kafka: `AuthHelper.authorizedOperations` (actions with `logIfAllowed = false,
    /// logIfDenied = false`).
    pub fn authorized_operations(
        &self,
        who: Requester<'_>,
        resource_type: ResourceType,
        name: &str,
    ) -> i32 {
        to_32_bit_field(
            supported_operations(resource_type)
                .iter()
                .copied()
                .filter(|op| self.authorize(who, *op, resource_type, name)),
        )
    }

    /// May `who` perform `op` on *some* resource of `resource_type`? Used by InitProducerId
    /// without a transactional id ("Write on any topic"). Kafka:
    /// `AclAuthorizer.authorizeByResourceType` / `Authorizer.authorizeByResourceType`.
    pub fn authorize_by_resource_type(
        &self,
        who: Requester<'_>,
        op: AclOperation,
        resource_type: ResourceType,
    ) -> bool {
        if self.is_super_user(who.principal) {
            return true;
        }
        let principal = who.principal.to_string();
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        let mut deny_literal = HashSet::new();
        let mut deny_prefixed = HashSet::new();
        let mut allow: Vec<(PatternType, String)> = Vec::new();
        let mut wildcard_allow = false;
        let mut any_acl = false;
        for (pattern, v) in cache.iter() {
            if pattern.resource_type != resource_type {
                continue;
            }
            for acl in &v.acls {
                any_acl = true;
                if (acl.host != who.host && acl.host != WILDCARD_HOST)
                    || (acl.principal != principal && acl.principal != WILDCARD_PRINCIPAL)
                    || (acl.operation != op && acl.operation != AclOperation::All)
                {
                    continue;
                }
                match (acl.permission_type, pattern.pattern_type) {
                    (AclPermissionType::Deny, PatternType::Literal) => {
                        if pattern.name == WILDCARD_RESOURCE {
                            return false;
                        }
                        deny_literal.insert(pattern.name.clone());
                    }
                    (AclPermissionType::Deny, PatternType::Prefixed) => {
                        deny_prefixed.insert(pattern.name.clone());
                    }
                    (AclPermissionType::Allow, PatternType::Literal)
                        if pattern.name == WILDCARD_RESOURCE =>
                    {
                        wildcard_allow = true;
                    }
                    (AclPermissionType::Allow, p) => allow.push((p, pattern.name.clone())),
                }
            }
        }
        if !any_acl && self.config.allow_everyone_if_no_acl_found {
            return true;
        }
        if wildcard_allow {
            return true;
        }
        allow.iter().any(|(p, name)| {
            if *p == PatternType::Literal && deny_literal.contains(name) {
                return false;
            }
            // An allowed name is cancelled by a DENY on a prefix of it ("dominated" deny).
            !name
                .char_indices()
                .map(|(i, c)| &name[..i + c.len_utf8()])
                .any(|prefix| deny_prefixed.contains(prefix))
        })
    }

    /// Every cached binding that `filter` matches. Kafka: `AclAuthorizer.acls(filter)`.
    pub fn acls(&self, filter: &AclBindingFilter) -> Vec<AclBinding> {
        let cache = self.cache.read().unwrap_or_else(|e| e.into_inner());
        let mut out: Vec<AclBinding> = cache
            .iter()
            .filter(|(p, _)| filter.matches_pattern(p))
            .flat_map(|(p, v)| {
                v.acls
                    .iter()
                    .filter(|e| filter.matches_entry(e))
                    .map(|e| AclBinding {
                        pattern: p.clone(),
                        entry: e.clone(),
                    })
            })
            .collect();
        out.sort_by(|a, b| {
            (
                a.pattern.resource_type,
                &a.pattern.name,
                a.pattern.pattern_type.name(),
            )
                .cmp(&(
                    b.pattern.resource_type,
                    &b.pattern.name,
                    b.pattern.pattern_type.name(),
                ))
        });
        out
    }

    pub(crate) fn cached(&self, pattern: &ResourcePattern) -> Option<VersionedAcls> {
        self.cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(pattern)
            .cloned()
    }

    /// Stops the change listeners. Kafka: `AclAuthorizer.close`.
    pub fn close(&self) {
        for l in self
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            l.close();
        }
    }
}

#[cfg(test)]
mod tests;
