//! Key iteration orders of the JVM hash maps Kafka serialises into znodes.
//!
//! Kafka builds most znode JSON objects from Scala or Java hash maps and hands them to Jackson,
//! which writes keys in the map's *iteration order* — a hash order, not declaration order. To be
//! byte-compatible with a real Kafka 3.9 broker we reproduce those orders here. Readers never
//! depend on order (Kafka parses into a tree); only writers need this.
//!
//! Every function returns a permutation: `order[i]` is the index (into the input slice) of the
//! key that the JVM map yields `i`-th. Algorithms and golden vectors: reference
//! `kafka-zk-layout.md`, Appendix A.
//!
//! - [`scala213_mutable_hash_map_order`] — `scala.collection.mutable.HashMap` (Scala 2.13) — broker,
//!   topic and feature znodes and the partition-id map of a topic znode.
//! - [`scala213_immutable_hash_map_order`] — `scala.collection.immutable.HashMap` (CHAMP trie) — any
//!   immutable `Map` with five or more entries (partition state, migration, delegation token,
//!   five or more listeners).
//! - [`java_properties_order`] — `java.util.Properties` (backed by a `ConcurrentHashMap` since JDK 9)
//!   — the `config` object of entity-config znodes.
//! - [`java_hash_map_order`] — `java.util.HashMap` — ACL JSON since 3.8, feature version ranges.

/// Java's `String.hashCode` (one implementation for the crate: `utils::java_hash`).
pub use crate::utils::java_hash::java_string_hash_code as java_string_hash;

/// Scala 2.13 `mutable.HashMap.improveHash`: `h ^ (h >>> 16)`.
fn scala213_mutable_improve(h: i32) -> i32 {
    h ^ ((h as u32) >> 16) as i32
}

/// Capacity of a Scala 2.13 `mutable.HashMap` built with `mutable.Map(e1, ..., en)` (varargs).
///
/// Kafka: `scala.collection.mutable.HashMap.from` sizes the table for the known element count:
/// `tableSizeFor(floor((n + 1) / 0.75))` with `tableSizeFor(c) = 2 * highestOneBit(max(c - 1, 4))`.
/// So 3 or 4 entries → 8, 6 entries → 16.
pub fn scala213_mutable_varargs_capacity(n: usize) -> usize {
    let c = ((n as f64 + 1.0) / 0.75).floor() as usize;
    let c = c.saturating_sub(1).max(4);
    2 * (1usize << (usize::BITS - 1 - c.leading_zeros()))
}

/// Capacity of a Scala 2.13 `mutable.HashMap` that started at `initial_capacity` after `n` more
/// insertions of distinct keys. The table doubles before an insertion when
/// `size + 1 >= (capacity * 0.75)` (Scala 2.13 `mutable.HashMap.put0`, load factor 0.75).
pub fn scala213_mutable_capacity_after(initial_capacity: usize, already: usize, n: usize) -> usize {
    let mut cap = initial_capacity.max(1);
    for size in already..already + n {
        if size + 1 >= cap * 3 / 4 {
            cap *= 2;
        }
    }
    cap
}

/// Iteration order of a Scala 2.13 `mutable.HashMap` with table capacity `capacity` (a power of
/// two) holding `keys`.
///
/// Buckets are iterated in ascending index (`improved & (capacity - 1)`); inside a bucket entries
/// are kept sorted by improved hash ascending (signed compare). Resizing preserves that
/// invariant, so the order depends only on the key set and the final capacity.
pub fn scala213_mutable_hash_map_order(keys: &[&str], capacity: usize) -> Vec<usize> {
    let mask = capacity.max(1) as i64 - 1;
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    idx.sort_by_key(|&i| {
        let h = scala213_mutable_improve(java_string_hash(keys[i]));
        ((h as i64) & mask, h, i)
    });
    idx
}

/// Order of a Scala 2.13 `mutable.HashMap` built empty (`mutable.Map[K, V]()`, capacity 16) and
/// then filled with `keys` — e.g. the `partitions` map of a topic znode.
pub fn scala213_mutable_hash_map_order_from_empty(keys: &[&str]) -> Vec<usize> {
    let cap = scala213_mutable_capacity_after(16, 0, keys.len());
    scala213_mutable_hash_map_order(keys, cap)
}

/// Scala 2.13 immutable `HashMap` hash: `Hashing.improve(key.##)`.
fn scala213_champ_improve(h: i32) -> i32 {
    let mut h = h.wrapping_add(!(h << 9));
    h ^= ((h as u32) >> 14) as i32;
    h = h.wrapping_add(h << 4);
    h ^= ((h as u32) >> 10) as i32;
    h
}

/// Iteration order of a Scala 2.13 immutable `Map` holding `keys` inserted in slice order.
///
/// Up to four keys Scala uses `Map1`..`Map4`, which keep insertion order. From five keys on it is
/// a CHAMP trie (`immutable.HashMap`): at depth `d` the 5-bit fragment `(improved >>> 5d) & 31`
/// selects a slot; a node yields its single-key slots first (ascending fragment), then its
/// sub-nodes (ascending fragment), recursively. Full 32-bit collisions keep insertion order.
pub fn scala213_immutable_hash_map_order(keys: &[&str]) -> Vec<usize> {
    if keys.len() <= 4 {
        return (0..keys.len()).collect();
    }
    let hashes: Vec<u32> = keys
        .iter()
        .map(|k| scala213_champ_improve(java_string_hash(k)) as u32)
        .collect();
    let mut out = Vec::with_capacity(keys.len());
    champ_walk(&(0..keys.len()).collect::<Vec<_>>(), &hashes, 0, &mut out);
    out
}

fn champ_walk(members: &[usize], hashes: &[u32], shift: u32, out: &mut Vec<usize>) {
    if shift >= 32 {
        // A collision node: every key has the same 32-bit hash; insertion order is kept.
        out.extend_from_slice(members);
        return;
    }
    let mut slots: Vec<Vec<usize>> = vec![Vec::new(); 32];
    for &m in members {
        slots[((hashes[m] >> shift) & 31) as usize].push(m);
    }
    for slot in &slots {
        if slot.len() == 1 {
            out.push(slot[0]);
        }
    }
    for slot in &slots {
        if slot.len() > 1 {
            champ_walk(slot, hashes, shift + 5, out);
        }
    }
}

/// The bin spread of `java.util.HashMap` / `ConcurrentHashMap`: `h ^ (h >>> 16)` (CHM also masks
/// the sign bit, which never matters for bin selection).
fn java_spread(h: i32) -> u32 {
    (h ^ ((h as u32) >> 16) as i32) as u32 & 0x7fff_ffff
}

/// Iteration order of a `java.util.HashMap` (default constructor) after inserting `keys` in slice
/// order (distinct keys assumed).
///
/// Bins ascending; inside a bin insertion order (`HashMap.resize` splits bins preserving
/// relative order). The table starts at 16 and doubles when `size > 0.75 * capacity`. Bins of 8+
/// entries (treeified) do not occur for realistic key sets and are not modelled.
pub fn java_hash_map_order(keys: &[&str]) -> Vec<usize> {
    let mut cap = 16usize;
    while keys.len() > cap * 3 / 4 {
        cap *= 2;
    }
    let mut idx: Vec<usize> = (0..keys.len()).collect();
    idx.sort_by_key(|&i| {
        (
            java_spread(java_string_hash(keys[i])) as usize & (cap - 1),
            i,
        )
    });
    idx
}

/// Iteration order of a `java.util.Properties` after `setProperty` of `keys` in slice order
/// (distinct keys assumed).
///
/// Since JDK 9 `Properties` stores entries in a `ConcurrentHashMap` created with capacity 8, i.e.
/// a 16-bin table that resizes once the count reaches 12 (then 24, 48, ...). Inside a bin entries
/// are appended; a resize (`ConcurrentHashMap.transfer`) splits each bin into a low and a high
/// list, keeping the longest tail run ("lastRun") in order and prepending the entries before it,
/// which reverses them. We replay inserts and transfers exactly, so the result also holds for
/// large configs.
pub fn java_properties_order(keys: &[&str]) -> Vec<usize> {
    let hashes: Vec<u32> = keys
        .iter()
        .map(|k| java_spread(java_string_hash(k)))
        .collect();
    let mut table: Vec<Vec<usize>> = vec![Vec::new(); 16];
    let mut size_ctl = 12usize;
    for (i, &h) in hashes.iter().enumerate() {
        let n = table.len();
        table[h as usize & (n - 1)].push(i);
        let count = i + 1;
        while count >= size_ctl {
            table = chm_transfer(&table, &hashes);
            let n = table.len();
            size_ctl = n - (n >> 2);
        }
    }
    table.into_iter().flatten().collect()
}

/// Whether `keys`, in the given iteration order, could be the iteration order of some
/// `java.util.Properties` holding exactly these keys: the bins (of the table size the key count
/// implies) must be ascending. The order *inside* a bin depends on the insertion history once
/// the table has resized (12+ keys), so it cannot be checked from the result alone — and
/// Kafka itself reorders such configs when it reads and re-writes them.
pub fn is_possible_java_properties_order(keys: &[&str]) -> bool {
    let mut n = 16usize;
    while keys.len() >= n - (n >> 2) {
        n *= 2;
    }
    let bins: Vec<usize> = keys
        .iter()
        .map(|k| java_spread(java_string_hash(k)) as usize & (n - 1))
        .collect();
    bins.windows(2).all(|w| w[0] <= w[1])
}

/// `ConcurrentHashMap.transfer` for list bins: table of `n` bins → `2n` bins.
fn chm_transfer(table: &[Vec<usize>], hashes: &[u32]) -> Vec<Vec<usize>> {
    let n = table.len();
    let mut next: Vec<Vec<usize>> = vec![Vec::new(); 2 * n];
    for (i, bin) in table.iter().enumerate() {
        if bin.is_empty() {
            continue;
        }
        let bit = |m: usize| hashes[m] as usize & n;
        // The last run: the longest suffix whose entries all go to the same half.
        let mut run_bit = bit(bin[0]);
        let mut last_run = 0;
        for (p, &m) in bin.iter().enumerate().skip(1) {
            if bit(m) != run_bit {
                run_bit = bit(m);
                last_run = p;
            }
        }
        let (mut lo, mut hi): (Vec<usize>, Vec<usize>) = if run_bit == 0 {
            (bin[last_run..].to_vec(), Vec::new())
        } else {
            (Vec::new(), bin[last_run..].to_vec())
        };
        // Entries before the last run are prepended one by one (so they end up reversed).
        for &m in &bin[..last_run] {
            if bit(m) == 0 {
                lo.insert(0, m);
            } else {
                hi.insert(0, m);
            }
        }
        next[i] = lo;
        next[i + n] = hi;
    }
    next
}

/// Applies an order permutation to a slice of keys (convenience for tests and callers).
pub fn apply_order<'a>(keys: &[&'a str], order: &[usize]) -> Vec<&'a str> {
    order.iter().map(|&i| keys[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| i.to_string()).collect()
    }

    fn order_of_ids(n: usize) -> Vec<String> {
        let keys = ids(n);
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        apply_order(&refs, &scala213_mutable_hash_map_order_from_empty(&refs))
            .into_iter()
            .map(str::to_string)
            .collect()
    }

    fn split(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    /// Java `String.hashCode` (JLS / `java.lang.String`): known values.
    #[test]
    fn java_string_hash_matches_jdk() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("0"), 48);
        assert_eq!(java_string_hash("11"), 1568);
        assert_eq!(java_string_hash("version"), 351608024);
        assert_eq!(java_string_hash("hello world"), 1794106052);
        // Non-BMP characters hash as two UTF-16 code units.
        assert_eq!(java_string_hash("\u{1F600}"), 0xD83D * 31 + 0xDE00);
    }

    /// Reference Appendix A.2 golden vectors: partition-id order of a topic znode's `partitions`
    /// map (Scala 2.13 `mutable.HashMap` built from empty, `ZkData.TopicZNode.encode`).
    #[test]
    fn scala213_mutable_partition_id_vectors() {
        assert_eq!(order_of_ids(11), ids(11));
        assert_eq!(order_of_ids(12), split("11,0,1,2,3,4,5,6,7,8,9,10"));
        assert_eq!(
            order_of_ids(20),
            split("11,12,13,14,15,16,17,18,19,0,1,2,3,4,5,6,7,8,9,10")
        );
        let mut expected50 = split("44,45,46,47,48,49");
        expected50.extend((10..=19).map(|i| i.to_string()));
        expected50.extend((0..=9).map(|i| i.to_string()));
        expected50.extend((20..=43).map(|i| i.to_string()));
        assert_eq!(order_of_ids(50), expected50);
    }

    /// Reference Appendix A.2: capacities of `mutable.Map(e1..en)` and of an empty-built map.
    #[test]
    fn scala213_mutable_capacities() {
        assert_eq!(scala213_mutable_varargs_capacity(6), 16);
        assert_eq!(scala213_mutable_varargs_capacity(4), 8);
        assert_eq!(scala213_mutable_varargs_capacity(3), 8);
        assert_eq!(scala213_mutable_capacity_after(16, 0, 11), 16);
        assert_eq!(scala213_mutable_capacity_after(16, 0, 12), 32);
        assert_eq!(scala213_mutable_capacity_after(16, 0, 23), 32);
        assert_eq!(scala213_mutable_capacity_after(16, 0, 24), 64);
        assert_eq!(scala213_mutable_capacity_after(16, 0, 48), 128);
        // Broker registration: 6 varargs entries, then rack, lspm and features → stays 16.
        assert_eq!(scala213_mutable_capacity_after(16, 6, 3), 16);
    }

    /// Reference Appendix A.1: the fixed key orders of `mutable.Map` znodes follow from the
    /// algorithm (`BrokerIdZNode.encode`, `TopicZNode.encode`, `FeatureZNode.encode`).
    #[test]
    fn scala213_mutable_fixed_orders() {
        let broker = [
            "version",
            "host",
            "port",
            "endpoints",
            "jmx_port",
            "timestamp",
            "rack",
            "listener_security_protocol_map",
            "features",
        ];
        assert_eq!(
            apply_order(&broker, &scala213_mutable_hash_map_order(&broker, 16)),
            [
                "features",
                "listener_security_protocol_map",
                "endpoints",
                "rack",
                "jmx_port",
                "port",
                "host",
                "version",
                "timestamp"
            ]
        );
        let topic = [
            "version",
            "partitions",
            "adding_replicas",
            "removing_replicas",
            "topic_id",
        ];
        let cap = scala213_mutable_capacity_after(scala213_mutable_varargs_capacity(4), 4, 1);
        assert_eq!(
            apply_order(&topic, &scala213_mutable_hash_map_order(&topic, cap)),
            [
                "partitions",
                "topic_id",
                "adding_replicas",
                "removing_replicas",
                "version"
            ]
        );
        let feature = ["version", "status", "features"];
        assert_eq!(
            apply_order(
                &feature,
                &scala213_mutable_hash_map_order(&feature, scala213_mutable_varargs_capacity(3))
            ),
            ["features", "version", "status"]
        );
    }

    /// Reference Appendix A.3: CHAMP order of the partition-state, migration and delegation-token
    /// maps and of five listeners (`TopicPartitionStateZNode.encode`, `MigrationZNode.encode`,
    /// `DelegationTokenManagerZk.toJsonCompatibleMap`, `BrokerIdZNode.encode`).
    #[test]
    fn scala213_champ_vectors() {
        let state = [
            "version",
            "leader",
            "leader_epoch",
            "controller_epoch",
            "isr",
            "leader_recovery_state",
        ];
        assert_eq!(
            apply_order(&state[..5], &scala213_immutable_hash_map_order(&state[..5])),
            [
                "controller_epoch",
                "leader",
                "version",
                "leader_epoch",
                "isr"
            ]
        );
        assert_eq!(
            apply_order(&state, &scala213_immutable_hash_map_order(&state)),
            [
                "controller_epoch",
                "leader",
                "version",
                "leader_recovery_state",
                "leader_epoch",
                "isr"
            ]
        );
        let migration = [
            "version",
            "kraft_controller_id",
            "kraft_controller_epoch",
            "kraft_metadata_offset",
            "kraft_metadata_epoch",
        ];
        assert_eq!(
            apply_order(&migration, &scala213_immutable_hash_map_order(&migration)),
            [
                "version",
                "kraft_metadata_offset",
                "kraft_controller_id",
                "kraft_metadata_epoch",
                "kraft_controller_epoch"
            ]
        );
        let token = [
            "version",
            "owner",
            "tokenRequester",
            "renewers",
            "issueTimestamp",
            "maxTimestamp",
            "expiryTimestamp",
            "tokenId",
        ];
        assert_eq!(
            apply_order(&token, &scala213_immutable_hash_map_order(&token)),
            [
                "issueTimestamp",
                "renewers",
                "tokenRequester",
                "tokenId",
                "owner",
                "expiryTimestamp",
                "maxTimestamp",
                "version"
            ]
        );
        let listeners = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL", "INTERNAL"];
        assert_eq!(
            apply_order(&listeners, &scala213_immutable_hash_map_order(&listeners)),
            ["SSL", "SASL_PLAINTEXT", "INTERNAL", "SASL_SSL", "PLAINTEXT"]
        );
        // Up to four keys: Map1..Map4 keep insertion order.
        assert_eq!(
            scala213_immutable_hash_map_order(&listeners[..4]),
            vec![0, 1, 2, 3]
        );
    }

    /// Reference Appendix A.4: `java.util.Properties` order of config objects
    /// (`ConfigEntityZNode.encode`), computed with the JDK classes.
    #[test]
    fn java_properties_vectors() {
        let topic = ["cleanup.policy", "retention.ms", "min.insync.replicas"];
        assert_eq!(
            apply_order(&topic, &java_properties_order(&topic)),
            ["cleanup.policy", "min.insync.replicas", "retention.ms"]
        );
        let scram = ["SCRAM-SHA-256", "SCRAM-SHA-512"];
        assert_eq!(
            apply_order(&scram, &java_properties_order(&scram)),
            ["SCRAM-SHA-512", "SCRAM-SHA-256"]
        );
        let quotas = [
            "producer_byte_rate",
            "consumer_byte_rate",
            "request_percentage",
        ];
        assert_eq!(
            apply_order(&quotas, &java_properties_order(&quotas)),
            [
                "request_percentage",
                "producer_byte_rate",
                "consumer_byte_rate"
            ]
        );
    }

    /// `ConcurrentHashMap.transfer` keeps every key exactly once across resizes.
    #[test]
    fn java_properties_large_is_a_permutation() {
        let keys: Vec<String> = (0..60).map(|i| format!("config.key.{i}")).collect();
        let refs: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut order = java_properties_order(&refs);
        order.sort_unstable();
        assert_eq!(order, (0..60).collect::<Vec<_>>());
    }

    /// Reference §2.17 / A.4: ACL JSON (3.8+) comes from `java.util.HashMap`s
    /// (`AclEntry.toJsonCompatibleMap`): `acls, version` and `principal, permissionType, host,
    /// operation`; feature ranges (`BaseVersionRange.toMap`) give `min_version, max_version`.
    #[test]
    fn java_hash_map_vectors() {
        let top = ["version", "acls"];
        assert_eq!(
            apply_order(&top, &java_hash_map_order(&top)),
            ["acls", "version"]
        );
        let entry = ["principal", "permissionType", "operation", "host"];
        assert_eq!(
            apply_order(&entry, &java_hash_map_order(&entry)),
            ["principal", "permissionType", "host", "operation"]
        );
        let range = ["min_version", "max_version"];
        assert_eq!(
            apply_order(&range, &java_hash_map_order(&range)),
            ["min_version", "max_version"]
        );
    }

    /// Reference Appendix A.4 / B: a Properties order is checkable only up to bins once the
    /// table resized; every order our replay produces passes, a bin inversion does not.
    #[test]
    fn possible_properties_orders() {
        let keys: Vec<String> = (0..40).map(|i| format!("config.key.{i}")).collect();
        for n in [1, 5, 11, 12, 23, 24, 40] {
            let refs: Vec<&str> = keys[..n].iter().map(String::as_str).collect();
            let ordered = apply_order(&refs, &java_properties_order(&refs));
            assert!(is_possible_java_properties_order(&ordered), "{n}");
        }
        let topic = ["cleanup.policy", "min.insync.replicas", "retention.ms"];
        assert!(is_possible_java_properties_order(&topic));
        assert!(!is_possible_java_properties_order(&[
            "retention.ms",
            "cleanup.policy",
            "min.insync.replicas"
        ]));
    }
}
