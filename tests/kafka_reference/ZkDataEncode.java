// Runs Kafka 3.9's own ZkData encoders (kafka_2.13 jar, Scala 2.13) over generated inputs and
// prints one line per case: kind <TAB> input <TAB> payload. tests/kafka_reference.rs re-encodes
// the same inputs with zkafka's znode types and compares the bytes.
// Run: java -cp '<kafka 3.9 lib>/*' tests/kafka_reference/ZkDataEncode.java
import java.nio.charset.StandardCharsets;
import java.util.*;

import kafka.controller.LeaderIsrAndControllerEpoch;
import kafka.controller.ReplicaAssignment;
import kafka.zk.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.feature.Features;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.security.auth.KafkaPrincipal;
import org.apache.kafka.common.security.auth.SecurityProtocol;
import org.apache.kafka.common.security.token.delegation.TokenInformation;
import kafka.api.LeaderAndIsr;
import org.apache.kafka.metadata.LeaderRecoveryState;
import org.apache.kafka.security.authorizer.AclEntry;
import scala.jdk.javaapi.CollectionConverters;

public class ZkDataEncode {
    static String s(byte[] b) { return new String(b, StandardCharsets.UTF_8); }

    static scala.collection.immutable.List<Object> seq(int... xs) {
        List<Object> l = new ArrayList<>();
        for (int x : xs) l.add(x);
        return CollectionConverters.asScala(l).toList();
    }

    public static void main(String[] args) {
        // Topic znodes with 1..100 partitions (partition-id hash order).
        for (int n = 1; n <= 100; n++) {
            scala.collection.mutable.Map<TopicPartition, ReplicaAssignment> m = new scala.collection.mutable.HashMap<>();
            for (int p = 0; p < n; p++) m.put(new TopicPartition("t", p), ReplicaAssignment.apply(seq(p % 3, (p + 1) % 3)));
            System.out.println("topic\t" + n + "\t" + s(TopicZNode.encode(scala.Option.apply(Uuid.fromString("cMr3GpVESX2L3byPGf93lQ")), m)));
        }
        // A reassigning topic.
        scala.collection.mutable.Map<TopicPartition, ReplicaAssignment> r = new scala.collection.mutable.HashMap<>();
        r.put(new TopicPartition("t", 0), ReplicaAssignment.apply(seq(1, 4), seq(4), seq(1)));
        r.put(new TopicPartition("t", 1), ReplicaAssignment.apply(seq(2)));
        System.out.println("topic-reassign\t\t" + s(TopicZNode.encode(scala.Option.empty(), r)));

        // Entity configs with 1..60 keys (java.util.Properties order, including table resizes).
        String[] base = {"cleanup.policy", "retention.ms", "min.insync.replicas", "segment.bytes", "max.message.bytes",
            "compression.type", "retention.bytes", "segment.ms", "delete.retention.ms", "file.delete.delay.ms",
            "flush.messages", "flush.ms", "index.interval.bytes", "max.compaction.lag.ms", "message.downconversion.enable",
            "message.timestamp.type", "min.cleanable.dirty.ratio", "min.compaction.lag.ms", "preallocate",
            "segment.index.bytes", "segment.jitter.ms", "unclean.leader.election.enable", "message.format.version",
            "follower.replication.throttled.replicas", "leader.replication.throttled.replicas", "local.retention.ms",
            "local.retention.bytes", "remote.storage.enable", "producer_byte_rate", "consumer_byte_rate",
            "request_percentage", "controller_mutation_rate", "SCRAM-SHA-256", "SCRAM-SHA-512", "connection_creation_rate"};
        List<String> keys = new ArrayList<>(Arrays.asList(base));
        for (int i = 0; keys.size() < 60; i++) keys.add("custom.key." + i);
        for (int n = 1; n <= keys.size(); n++) {
            Properties p = new Properties();
            for (int i = 0; i < n; i++) p.setProperty(keys.get(i), "v" + i);
            System.out.println("config\t" + String.join(",", keys.subList(0, n)) + "\t" + s(ConfigEntityZNode.encode(p)));
        }

        // Broker registrations with 1..8 listeners (listener map: insertion order, then CHAMP).
        String[] names = {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL", "INTERNAL", "EXTERNAL", "REPLICATION", "CLIENT"};
        for (int n = 1; n <= names.length; n++) {
            List<kafka.cluster.EndPoint> eps = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                SecurityProtocol sp = i < 4 ? SecurityProtocol.forName(names[i]) : SecurityProtocol.PLAINTEXT;
                eps.add(new kafka.cluster.EndPoint("h", 9000 + i, new ListenerName(names[i]), sp));
            }
            byte[] b = BrokerIdZNode.encode(5, "h", 9000, CollectionConverters.asScala(eps).toList(), -1,
                scala.Option.apply(n % 2 == 0 ? "rack-" + n : null), Features.emptySupportedFeatures());
            System.out.println("broker\t" + String.join(",", Arrays.copyOf(names, n)) + "\t" + s(b));
        }

        // Partition states.
        int[][] states = {{1, 0, 1, 0}, {-1, 7, 2, 0}, {1, 5, 3, 1}, {2, 2147483647, 9, 0}};
        for (int[] st : states) {
            LeaderAndIsr l = LeaderAndIsr.apply(st[0], st[1], seq(1, 2, 3), st[3] == 1 ? LeaderRecoveryState.RECOVERING : LeaderRecoveryState.RECOVERED, 0);
            System.out.println("state\t" + st[0] + "," + st[1] + "," + st[2] + "," + st[3] + "\t" + s(TopicPartitionStateZNode.encode(new LeaderIsrAndControllerEpoch(l, st[2]))));
        }

        // ACL nodes, one entry per operation and permission type.
        for (AclOperation op : AclOperation.values()) {
            if (op == AclOperation.ANY || op == AclOperation.UNKNOWN) continue;
            for (AclPermissionType pt : new AclPermissionType[]{AclPermissionType.ALLOW, AclPermissionType.DENY}) {
                AclEntry e = new AclEntry(new AccessControlEntry("User:alice", "10.0.0.1", op, pt));
                System.out.println("acl\t\t" + s(ResourceZNode.encode(CollectionConverters.asScala(Set.of(e)).toSet())));
            }
        }

        // Delegation token, controller, feature, migration, cluster id, producer id block.
        TokenInformation t = new TokenInformation("TOKEN_ID", new KafkaPrincipal("User", "alice"), new KafkaPrincipal("User", "alice"),
            List.of(new KafkaPrincipal("User", "bob"), new KafkaPrincipal("User", "c*rol")), 1700000000000L, 1700604800000L, 1700086400000L);
        System.out.println("token\t\t" + s(DelegationTokenInfoZNode.encode(t)));
        System.out.println("controller\t\t" + s(ControllerZNode.encode(7, 1700000000000L, -1)));
        System.out.println("feature\t\t" + s(FeatureZNode.encode(FeatureZNode.apply(2, FeatureZNodeStatus.Enabled$.MODULE$, scala.collection.immutable.Map$.MODULE$.empty()))));
        System.out.println("migration\t\t" + s(MigrationZNode.encode(org.apache.kafka.metadata.migration.ZkMigrationLeadershipState.EMPTY)));
        System.out.println("cluster_id\t\t" + s(ClusterIdZNode.toJson("AbCdEfGhIjKlMnOpQrStUw")));
        System.out.println("producer_id_block\t\t" + s(ProducerIdBlockZNode.generateProducerIdBlockJson(new org.apache.kafka.server.common.ProducerIdsBlock(3, 1000L, 1000))));
        System.out.println("log_dir_event\t\t" + s(LogDirEventNotificationSequenceZNode.encode(4)));
        System.out.println("config_change\t\t" + s(ConfigEntityChangeNotificationSequenceZNode.encode("users/alice/clients/c1")));
    }
}
