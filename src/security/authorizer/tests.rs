//! Decision tests for `AclAuthorizer` (Kafka: `AclAuthorizerTest`), and the operation ×
//! resource table of every API served, checked through `KafkaApis` handlers.

use super::*;
use crate::zk::znodes::{
    AclEntry, AclOperation as O, AclPermissionType as P, PatternType, ResourceType as T,
};

fn entry(principal: &str, permission: P, host: &str, op: O) -> AclEntry {
    AclEntry {
        principal: principal.into(),
        permission_type: permission,
        host: host.into(),
        operation: op,
    }
}

fn pattern(t: T, name: &str, p: PatternType) -> ResourcePattern {
    ResourcePattern {
        resource_type: t,
        name: name.into(),
        pattern_type: p,
    }
}

fn alice() -> KafkaPrincipal {
    KafkaPrincipal::user("alice")
}

fn allowed(a: &AclAuthorizer, p: &KafkaPrincipal, host: &str, op: O, t: T, name: &str) -> bool {
    a.authorize(Requester { principal: p, host }, op, t, name)
}

/// Kafka `AclAuthorizer.authorizeAction`: deny beats allow, implied Describe/DescribeConfigs,
/// wildcard principal/host/resource, prefixed patterns, super users and
/// `allow.everyone.if.no.acl.found`.
#[test]
fn decision_rules() {
    let a = AclAuthorizer::new(AuthorizerConfig::new(
        Some("User:admin; User:CN=broker"),
        false,
    ));
    let p = alice();
    // No ACL at all: denied (allow.everyone.if.no.acl.found=false), super users allowed.
    assert!(!allowed(&a, &p, "1.2.3.4", O::Read, T::Topic, "t"));
    assert!(allowed(
        &a,
        &KafkaPrincipal::user("admin"),
        "1.2.3.4",
        O::Read,
        T::Topic,
        "t"
    ));
    assert!(allowed(
        &a,
        &KafkaPrincipal::user("CN=broker"),
        "h",
        O::ClusterAction,
        T::Cluster,
        "kafka-cluster"
    ));

    a.set_cached_acls(
        pattern(T::Topic, "t", PatternType::Literal),
        vec![entry("User:alice", P::Allow, "*", O::Read)],
    );
    assert!(allowed(&a, &p, "1.2.3.4", O::Read, T::Topic, "t"));
    assert!(
        allowed(&a, &p, "1.2.3.4", O::Describe, T::Topic, "t"),
        "Read implies Describe"
    );
    assert!(!allowed(&a, &p, "1.2.3.4", O::Write, T::Topic, "t"));
    assert!(!allowed(
        &a,
        &KafkaPrincipal::user("bob"),
        "1.2.3.4",
        O::Read,
        T::Topic,
        "t"
    ));

    // Deny overrides allow, including through the ALL operation and wildcard principal.
    a.set_cached_acls(
        pattern(T::Topic, "t", PatternType::Literal),
        vec![
            entry("User:alice", P::Allow, "*", O::Read),
            entry("User:*", P::Deny, "10.0.0.1", O::All),
        ],
    );
    assert!(!allowed(&a, &p, "10.0.0.1", O::Read, T::Topic, "t"));
    assert!(allowed(&a, &p, "10.0.0.2", O::Read, T::Topic, "t"));

    // Deny is not implied: a Deny Read does not deny Describe.
    a.set_cached_acls(
        pattern(T::Topic, "d", PatternType::Literal),
        vec![
            entry("User:alice", P::Allow, "*", O::Describe),
            entry("User:alice", P::Deny, "*", O::Read),
        ],
    );
    assert!(allowed(&a, &p, "h", O::Describe, T::Topic, "d"));
    assert!(!allowed(&a, &p, "h", O::Read, T::Topic, "d"));

    // Prefixed and wildcard-resource patterns.
    a.set_cached_acls(
        pattern(T::Topic, "pre-", PatternType::Prefixed),
        vec![entry("User:alice", P::Allow, "*", O::Write)],
    );
    assert!(allowed(&a, &p, "h", O::Write, T::Topic, "pre-x"));
    assert!(allowed(&a, &p, "h", O::Write, T::Topic, "pre-"));
    assert!(!allowed(&a, &p, "h", O::Write, T::Topic, "pr"));
    a.set_cached_acls(
        pattern(T::Group, "*", PatternType::Literal),
        vec![entry("User:alice", P::Allow, "*", O::Read)],
    );
    assert!(allowed(&a, &p, "h", O::Read, T::Group, "any-group"));
    assert!(!allowed(
        &a,
        &p,
        "h",
        O::Read,
        T::TransactionalId,
        "any-group"
    ));

    // AlterConfigs implies DescribeConfigs.
    a.set_cached_acls(
        pattern(T::Cluster, "kafka-cluster", PatternType::Literal),
        vec![entry("User:alice", P::Allow, "*", O::AlterConfigs)],
    );
    assert!(allowed(
        &a,
        &p,
        "h",
        O::DescribeConfigs,
        T::Cluster,
        "kafka-cluster"
    ));
    assert!(!allowed(
        &a,
        &p,
        "h",
        O::Describe,
        T::Cluster,
        "kafka-cluster"
    ));

    // allow.everyone.if.no.acl.found applies only to resources without any ACL.
    let open = AclAuthorizer::new(AuthorizerConfig::new(None, true));
    assert!(allowed(&open, &p, "h", O::Write, T::Topic, "free"));
    open.set_cached_acls(
        pattern(T::Topic, "x", PatternType::Literal),
        vec![entry("User:bob", P::Allow, "*", O::Write)],
    );
    assert!(!allowed(&open, &p, "h", O::Write, T::Topic, "x"));
}

/// Kafka `AclAuthorizer.authorizeByResourceType`: any ALLOW for the operation not dominated by
/// a DENY; a literal wildcard DENY denies outright.
#[test]
fn authorize_by_resource_type() {
    let a = AclAuthorizer::new(AuthorizerConfig::default());
    let p = alice();
    let who = Requester {
        principal: &p,
        host: "h",
    };
    assert!(!a.authorize_by_resource_type(who, O::Write, T::Topic));
    a.set_cached_acls(
        pattern(T::Topic, "foo-bar", PatternType::Literal),
        vec![entry("User:alice", P::Allow, "*", O::Write)],
    );
    assert!(a.authorize_by_resource_type(who, O::Write, T::Topic));
    a.set_cached_acls(
        pattern(T::Topic, "foo", PatternType::Prefixed),
        vec![entry("User:alice", P::Deny, "*", O::Write)],
    );
    assert!(
        !a.authorize_by_resource_type(who, O::Write, T::Topic),
        "dominated by a prefixed deny"
    );
    a.set_cached_acls(
        pattern(T::Topic, "other", PatternType::Literal),
        vec![entry("User:*", P::Allow, "*", O::All)],
    );
    assert!(a.authorize_by_resource_type(who, O::Write, T::Topic));
    a.set_cached_acls(
        pattern(T::Topic, "*", PatternType::Literal),
        vec![entry("User:alice", P::Deny, "*", O::Write)],
    );
    assert!(!a.authorize_by_resource_type(who, O::Write, T::Topic));
}

/// Kafka `ResourcePatternFilter.matches`: MATCH finds the literal, wildcard and prefixed
/// patterns that apply to a name; ANY matches names exactly.
#[test]
fn acl_filters() {
    let a = AclAuthorizer::new(AuthorizerConfig::default());
    a.set_cached_acls(
        pattern(T::Topic, "foo", PatternType::Literal),
        vec![entry("User:alice", P::Allow, "*", O::Read)],
    );
    a.set_cached_acls(
        pattern(T::Topic, "*", PatternType::Literal),
        vec![entry("User:bob", P::Allow, "*", O::Read)],
    );
    a.set_cached_acls(
        pattern(T::Topic, "fo", PatternType::Prefixed),
        vec![entry("User:carol", P::Deny, "*", O::Write)],
    );
    let f = |name: Option<&str>, pt: i8, principal: Option<&str>| AclBindingFilter {
        resource_type: 2,
        name: name.map(String::from),
        pattern_type: pt,
        principal: principal.map(String::from),
        host: None,
        operation: 1,
        permission_type: 1,
    };
    assert_eq!(a.acls(&f(None, 1, None)).len(), 3);
    assert_eq!(a.acls(&f(Some("foo"), 1, None)).len(), 1);
    assert_eq!(a.acls(&f(Some("foo"), 2, None)).len(), 3);
    assert_eq!(a.acls(&f(Some("foo"), 4, None)).len(), 0);
    assert_eq!(a.acls(&f(None, 1, Some("User:bob"))).len(), 1);
    assert!(f(None, 0, None).validate().is_err());
}

/// Kafka `AuthHelper.authorizedOperations`: each supported operation is tested with the
/// ordinary decision; Read implies Describe, a DENY removes its bit, super users and
/// `allow.everyone.if.no.acl.found` get every supported operation. Codes: READ 3, WRITE 4,
/// DESCRIBE 8 (`AclOperation.code`).
#[test]
fn authorized_operations_bit_field() {
    let a = AclAuthorizer::new(AuthorizerConfig::new(Some("User:admin"), false));
    a.set_cached_acls(
        pattern(T::Topic, "t", PatternType::Literal),
        vec![entry("User:alice", P::Allow, "*", O::Read)],
    );
    a.set_cached_acls(
        pattern(T::Topic, "p-", PatternType::Prefixed),
        vec![
            entry("User:alice", P::Allow, "*", O::All),
            entry("User:alice", P::Deny, "*", O::Write),
        ],
    );
    let alice = alice();
    let who = Requester {
        principal: &alice,
        host: "127.0.0.1",
    };
    assert_eq!(
        a.authorized_operations(who, T::Topic, "t"),
        (1 << 3) | (1 << 8)
    );
    let all_topic = to_32_bit_field(supported_operations(T::Topic).iter().copied());
    assert_eq!(all_topic, 3576);
    assert_eq!(
        a.authorized_operations(who, T::Topic, "p-1"),
        all_topic & !(1 << 4)
    );
    assert_eq!(a.authorized_operations(who, T::Topic, "other"), 0);
    assert_eq!(a.authorized_operations(who, T::Group, "g"), 0);
    let admin = KafkaPrincipal::user("admin");
    let root = Requester {
        principal: &admin,
        host: "127.0.0.1",
    };
    assert_eq!(
        a.authorized_operations(root, T::Cluster, "kafka-cluster"),
        8096
    );
    assert_eq!(
        a.authorized_operations(root, T::Group, "g"),
        (1 << 3) | (1 << 6) | (1 << 8)
    );
    let open = AclAuthorizer::new(AuthorizerConfig::new(None, true));
    assert_eq!(open.authorized_operations(who, T::Topic, "x"), all_topic);
}
