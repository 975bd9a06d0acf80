// Sequence-numbered records with the Java producer's default settings (acks=all, idempotent,
// retries on, delivery.timeout.ms 120000 — Kafka 3.x ProducerConfig defaults), for the fault
// tests' checker (integration-tests/harness/checker.py, JavaLoad).
//
//   java -cp 'integration-tests/lib/*' SeqProducer.java BOOTSTRAP TOPIC PARTITIONS RATE VALUE_SIZE STOP_FILE [key=value]...
//
// Record n has value "seq=n|" padded to VALUE_SIZE bytes and goes to partition n % PARTITIONS,
// RATE records per second, until STOP_FILE exists; then it flushes and closes. Output, one line per
// record: "ACK seq partition offset millis" or "ERR seq millis ExceptionClass: message"; then
// "DONE sent=N stopped=millis".

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class SeqProducer {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int partitions = Integer.parseInt(args[2]);
        int rate = Integer.parseInt(args[3]);
        int valueSize = Integer.parseInt(args[4]);
        Path stopFile = Path.of(args[5]);

        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        for (String kv : Arrays.copyOfRange(args, 6, args.length)) {
            int eq = kv.indexOf('=');
            props.put(kv.substring(0, eq), kv.substring(eq + 1));
        }

        long sent = 0;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            System.out.println("STARTED");
            System.out.flush();
            long t0 = System.nanoTime();
            while (!Files.exists(stopFile)) {
                long due = (System.nanoTime() - t0) * rate / 1_000_000_000L;
                while (sent < due) {
                    final long seq = sent;
                    byte[] value = value(seq, valueSize);
                    producer.send(new ProducerRecord<>(topic, (int) (seq % partitions), null, value), (md, e) -> {
                        long now = System.currentTimeMillis();
                        synchronized (System.out) {
                            if (e == null) {
                                System.out.println("ACK " + seq + " " + md.partition() + " " + md.offset() + " " + now);
                            } else {
                                System.out.println("ERR " + seq + " " + now + " " + e.getClass().getSimpleName() + ": " + e.getMessage());
                            }
                            System.out.flush();
                        }
                    });
                    sent++;
                }
                Thread.sleep(5);
            }
            long stopped = System.currentTimeMillis();
            producer.flush();
            System.out.println("DONE sent=" + sent + " stopped=" + stopped);
        }
        System.out.flush();
    }

    static byte[] value(long seq, int size) {
        byte[] head = ("seq=" + seq + "|").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[Math.max(size, head.length)];
        Arrays.fill(out, (byte) 'x');
        System.arraycopy(head, 0, out, 0, head.length);
        return out;
    }
}
