// Produces keyed records with headers and explicit timestamps with the Java client (Kafka 3.9).
// Usage: java -cp 'integration-tests/lib/*' MatrixProducer.java <bootstrap> <topic> <count>
//        <compression> <default|no-idempotence> <tag> <baseTimestampMs>
// "default" leaves the producer at Kafka's defaults (enable.idempotence=true, acks=all), which
// makes it call InitProducerId before the first batch.
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class MatrixProducer {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1];
        int count = Integer.parseInt(args[2]);
        String compression = args[3], mode = args[4], tag = args[5];
        long base = Long.parseLong(args[6]);
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        p.put("compression.type", compression);
        p.put("linger.ms", "5");
        // Test-friendly timeouts only (a broken cluster fails in ~20 s, not minutes); the
        // delivery guarantees stay at the defaults.
        p.put("request.timeout.ms", "10000");
        p.put("delivery.timeout.ms", "20000");
        p.put("max.block.ms", "10000");
        if (mode.equals("no-idempotence")) {
            p.put("enable.idempotence", "false");
            p.put("acks", "all");
        }
        AtomicReference<Exception> failure = new AtomicReference<>();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
            for (int i = 0; i < count && failure.get() == null; i++) {
                ProducerRecord<String, String> r = new ProducerRecord<>(
                    topic, null, base + i, "k" + (i % 97), tag + "-" + i);
                r.headers().add("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
                r.headers().add("src", tag.getBytes(StandardCharsets.UTF_8));
                producer.send(r, (md, e) -> { if (e != null) failure.compareAndSet(null, e); });
            }
            producer.flush();
        }
        if (failure.get() != null) {
            System.err.println("send failed: " + failure.get());
            System.exit(1);
        }
        System.out.println("sent " + count);
    }
}
