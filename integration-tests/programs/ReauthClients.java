// A Java producer and consumer that run over SASL_PLAINTEXT with SCRAM-SHA-256 for a while,
// then print what they did and their KIP-368 re-authentication metrics:
//
//   java -cp 'integration-tests/lib/*' ReauthClients.java <bootstrap> <topic> <user> <password> <seconds>
//
// Output (one line each): "produced N", "send-errors E", "consumed C",
// "producer-reauthentications R", "consumer-reauthentications R", then any error text.
// Exit status 0 when every send succeeded and every produced record was consumed.

import java.time.Duration;
import java.util.*;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.clients.producer.*;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.*;

public class ReauthClients {
    /** Sum of a client's `successful-reauthentication-total` (Selector metrics, KIP-368). */
    static double reauthentications(Map<MetricName, ? extends Metric> metrics) {
        double total = 0;
        for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
            if (e.getKey().name().equals("successful-reauthentication-total"))
                total += ((Number) e.getValue().metricValue()).doubleValue();
        }
        return total;
    }

    public static void main(String[] a) throws Exception {
        String bootstrap = a[0], topic = a[1], user = a[2], password = a[3];
        long runMs = Long.parseLong(a[4]) * 1000;
        Properties common = new Properties();
        common.put("bootstrap.servers", bootstrap);
        common.put("security.protocol", "SASL_PLAINTEXT");
        common.put("sasl.mechanism", "SCRAM-SHA-256");
        common.put("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                + user + "\" password=\"" + password + "\";");

        Properties pp = new Properties();
        pp.putAll(common);
        pp.put("key.serializer", StringSerializer.class.getName());
        pp.put("value.serializer", StringSerializer.class.getName());
        pp.put("acks", "all");
        pp.put("linger.ms", "5");
        Properties cp = new Properties();
        cp.putAll(common);
        cp.put("key.deserializer", StringDeserializer.class.getName());
        cp.put("value.deserializer", StringDeserializer.class.getName());

        AtomicInteger produced = new AtomicInteger();
        AtomicInteger sendErrors = new AtomicInteger();
        AtomicReference<String> firstError = new AtomicReference<>();
        Set<String> consumed = Collections.synchronizedSet(new HashSet<>());
        double producerReauth, consumerReauth;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(pp);
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(cp)) {
            List<TopicPartition> parts = new ArrayList<>();
            for (var info : producer.partitionsFor(topic)) parts.add(new TopicPartition(topic, info.partition()));
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            long end = System.currentTimeMillis() + runMs;
            int i = 0;
            while (System.currentTimeMillis() < end) {
                String v = "v" + i++;
                producer.send(new ProducerRecord<>(topic, v, v), (md, e) -> {
                    if (e == null) produced.incrementAndGet();
                    else {
                        sendErrors.incrementAndGet();
                        firstError.compareAndSet(null, e.toString());
                    }
                });
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(20))) consumed.add(r.value());
            }
            producer.flush();
            long drain = System.currentTimeMillis() + 30000;
            while (consumed.size() < produced.get() && System.currentTimeMillis() < drain)
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) consumed.add(r.value());
            producerReauth = reauthentications(producer.metrics());
            consumerReauth = reauthentications(consumer.metrics());
        }
        System.out.println("produced " + produced.get());
        System.out.println("send-errors " + sendErrors.get());
        System.out.println("consumed " + consumed.size());
        System.out.println("producer-reauthentications " + (long) producerReauth);
        System.out.println("consumer-reauthentications " + (long) consumerReauth);
        if (firstError.get() != null) System.out.println("first-error " + firstError.get());
        System.exit(sendErrors.get() == 0 && consumed.size() == produced.get() ? 0 : 1);
    }
}
