//! The ZooKeeper ACL every znode the broker creates gets (`zookeeper.set.acl`).
//!
//! Kafka: `ZkData.defaultAcls(isSecure, path)`, applied by `KafkaZkClient` to every create
//! (`createRecursive` per created path and parent, ephemerals, sequential notifications, multi
//! ops). Not secure, or the old consumer root `/consumers` itself (kept open "as different
//! consumers will write under this node"; an exact match, not its children) →
//! `OPEN_ACL_UNSAFE` (world:anyone, ALL). Otherwise secure → `CREATOR_ALL_ACL` (scheme
//! `auth`, which the server expands to the session's authenticated ids, e.g. `sasl:kafka`) plus
//! `READ_ACL_UNSAFE` (world:anyone, READ) unless the path is sensitive
//! (`ZkData.sensitivePath`: a prefix of `/config/users`, `/config/brokers`,
//! `/delegation_token/tokens`), in that order.
//!
//! `path` is the path as Kafka's client sees it: relative to the chroot for the broker's session,
//! absolute for the chroot itself (created by a client without chroot).

use zookeeper_client::{Acl, Acls, Permission};

use super::znodes::is_sensitive_path;

/// `CREATOR_ALL_ACL ++ READ_ACL_UNSAFE`, Kafka's order.
static CREATOR_ALL_WORLD_READ: [Acl; 2] = [
    Acl::new_const(Permission::ALL, "auth", ""),
    Acl::new_const(Permission::READ, "world", "anyone"),
];

/// Kafka: `ConsumerPathZNode.path`, the old consumers' root.
const CONSUMER_PATH: &str = "/consumers";

/// Kafka: `ZkData.defaultAcls`.
pub fn default_acls(is_secure: bool, path: &str) -> Acls<'static> {
    if !is_secure || path == CONSUMER_PATH {
        Acls::anyone_all()
    } else if is_sensitive_path(path) {
        Acls::creator_all()
    } else {
        Acls::new(&CREATOR_ALL_WORLD_READ)
    }
}

/// ZooKeeper's integer permission bits of `p` (`ZooDefs.Perms`), for the jute encoding in
/// `null_data` (`zookeeper-client` keeps its raw value private).
pub(crate) fn permission_bits(p: Permission) -> i32 {
    [
        (Permission::READ, 1),
        (Permission::WRITE, 2),
        (Permission::CREATE, 4),
        (Permission::DELETE, 8),
        (Permission::ADMIN, 16),
    ]
    .iter()
    .filter(|(bit, _)| p.has(*bit))
    .map(|(_, v)| v)
    .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(scheme, id, perms)` of each ACL, in order.
    fn triples(acls: Acls<'static>) -> Vec<(String, String, i32)> {
        acls.iter()
            .map(|a| {
                (
                    a.scheme().to_string(),
                    a.id().to_string(),
                    permission_bits(a.permission()),
                )
            })
            .collect()
    }

    /// Kafka: `ZkData.defaultAcls` / `sensitivePath` — the rule table, including the prefix
    /// match (`String.startsWith`, so children of sensitive roots are sensitive too) and paths
    /// that merely resemble sensitive ones.
    #[test]
    fn default_acls_rule_table() {
        let open = vec![("world".to_string(), "anyone".to_string(), 31)];
        let creator = vec![("auth".to_string(), String::new(), 31)];
        let mut creator_read = creator.clone();
        creator_read.push(("world".to_string(), "anyone".to_string(), 1));
        let secure_cases: &[(&str, bool)] = &[
            // (path, sensitive)
            ("/brokers/ids/0", false),
            ("/brokers/topics/t/partitions/0/state", false),
            ("/controller", false),
            ("/controller_epoch", false),
            ("/cluster/id", false),
            ("/consumers/g/offsets", false),
            ("/config/topics/t", false),
            ("/config/changes/config_change_0000000000", false),
            ("/config/clients", false),
            ("/config/users", true),
            ("/config/users/alice", true),
            ("/config/brokers", true),
            ("/config/brokers/<default>", true),
            ("/config", false),
            ("/delegation_token", false),
            ("/delegation_token/tokens", true),
            ("/delegation_token/tokens/abc", true),
            ("/kafka-acl/Topic/t", false),
            ("/kafka-acl-changes/acl_changes_", false),
            ("/admin/delete_topics/t", false),
            ("/isr_change_notification/isr_change_", false),
            ("/latest_producer_id_block", false),
            ("/feature", false),
            ("/kafka", false),
        ];
        for (path, sensitive) in secure_cases {
            let want = if *sensitive { &creator } else { &creator_read };
            assert_eq!(&triples(default_acls(true, path)), want, "secure {path}");
            assert_eq!(triples(default_acls(false, path)), open, "open {path}");
        }
        // `/consumers` itself stays open even when secure (Kafka 3.9.1 writes world:anyone ALL).
        assert_eq!(triples(default_acls(true, "/consumers")), open);
    }

    /// `ZooDefs.Perms`: READ=1 WRITE=2 CREATE=4 DELETE=8 ADMIN=16, ALL=31.
    #[test]
    fn permission_bits_match_zookeeper() {
        assert_eq!(permission_bits(Permission::ALL), 31);
        assert_eq!(permission_bits(Permission::READ), 1);
        assert_eq!(permission_bits(Permission::READ | Permission::ADMIN), 17);
        assert_eq!(permission_bits(Permission::NONE), 0);
    }
}
