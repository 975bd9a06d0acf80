//! Kafka's default partitioning: murmur2 of the key for keyed records, "sticky" partitions for
//! unkeyed ones.

/// Kafka's `Utils.murmur2` (MurmurHash2, seed 0x9747b28c), bit for bit: keyed records must land
/// on the same partition whichever client produced them.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let length = data.len();
    let mut h: u32 = SEED ^ (length as u32);
    let chunks = data.chunks_exact(4);
    let tail = chunks.remainder();
    for c in chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    // Java's switch falls through from case 3 to case 1.
    if tail.len() >= 3 {
        h ^= (tail[2] as u32) << 16;
    }
    if tail.len() >= 2 {
        h ^= (tail[1] as u32) << 8;
    }
    if !tail.is_empty() {
        h ^= tail[0] as u32;
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// Kafka's `Utils.toPositive`: clears the sign bit (not `abs`, which overflows on MIN).
pub fn to_positive(n: i32) -> i32 {
    n & 0x7fff_ffff
}

/// The partition of a keyed record: `Utils.toPositive(Utils.murmur2(key)) % numPartitions`
/// (Kafka: `BuiltInPartitioner.partitionForKey`).
pub fn partition_for_key(key: &[u8], num_partitions: i32) -> i32 {
    to_positive(murmur2(key)) % num_partitions.max(1)
}

/// Chooses partitions for unkeyed records the way Kafka 3.x's `BuiltInPartitioner` does
/// (KIP-794, "uniform sticky"): stay on one partition until about `batch.size` bytes went to
/// it, then move to another partition, so batches fill up instead of being spread thin.
#[derive(Debug)]
pub struct StickyPartitioner {
    batch_size: usize,
    current: Option<i32>,
    bytes_in_current: usize,
    counter: u32,
}

impl StickyPartitioner {
    /// A partitioner switching after `batch_size` bytes (`batch.size`).
    pub fn new(batch_size: usize) -> Self {
        StickyPartitioner {
            batch_size: batch_size.max(1),
            current: None,
            bytes_in_current: 0,
            counter: rand::random::<u32>(),
        }
    }

    /// The partition for an unkeyed record of `record_bytes` among `num_partitions`.
    pub fn partition(&mut self, num_partitions: i32, record_bytes: usize) -> i32 {
        let n = num_partitions.max(1);
        let current = match self.current {
            Some(p) if p < n && self.bytes_in_current < self.batch_size => p,
            _ => {
                // Next partition in a round-robin over a random start, as Kafka picks the next
                // sticky partition at random among the available ones.
                self.counter = self.counter.wrapping_add(1);
                self.bytes_in_current = 0;
                (self.counter % n as u32) as i32
            }
        };
        self.current = Some(current);
        self.bytes_in_current += record_bytes;
        current
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Vectors from Kafka's `UtilsTest.testMurmur2`
    /// (clients/src/test/java/org/apache/kafka/common/utils/UtilsTest.java).
    #[test]
    fn murmur2_matches_kafka_utils_test() {
        let cases: [(&[u8], i32); 6] = [
            (b"21", -973_932_308),
            (b"foobar", -790_332_482),
            (b"a-little-bit-long-string", -985_981_536),
            (b"a-little-bit-longer-string", -1_486_304_829),
            (
                b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            (b"abc", 479_470_107),
        ];
        for (input, expected) in cases {
            assert_eq!(
                murmur2(input),
                expected,
                "{:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    /// `Utils.toPositive` masks the sign bit; keyed partition = toPositive(murmur2) % n
    /// (Kafka: `BuiltInPartitioner.partitionForKey`).
    #[test]
    fn keyed_partition_uses_to_positive_modulo() {
        assert_eq!(to_positive(-1), i32::MAX);
        assert_eq!(to_positive(i32::MIN), 0);
        // murmur2("foobar") = -790332482 -> 1357151166; % 6 = 0, % 7 = 2 (worked by hand).
        assert_eq!(to_positive(-790_332_482), 1_357_151_166);
        assert_eq!(partition_for_key(b"foobar", 6), 1_357_151_166 % 6);
        assert_eq!(partition_for_key(b"foobar", 7), 1_357_151_166 % 7);
    }

    /// KIP-794 sticky partitioning: unkeyed records stay on one partition until `batch.size`
    /// bytes went there, then move on; over many batches every partition is used.
    #[test]
    fn sticky_partitioner_switches_after_batch_size() {
        let mut p = StickyPartitioner::new(1000);
        let first = p.partition(4, 100);
        for _ in 0..9 {
            assert_eq!(p.partition(4, 100), first);
        }
        let second = p.partition(4, 100);
        assert_ne!(second, first);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..100 {
            seen.insert(p.partition(4, 1000));
        }
        assert_eq!(seen.len(), 4);
    }
}
