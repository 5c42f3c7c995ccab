// Waits until a just-started broker can serve what the suite needs first, not only accept
// connections:
//   1. the transaction coordinator: an idempotent producer gets its producer id (on a freshly
//      formatted KRaft broker this answers "Coordinator load in progress" until the controller
//      has handed out the first block of ids);
//   2. the group coordinator: a throwaway consumer group joins, reads that record and commits its
//      offset (the offsets topic is created and loaded on first use).
// Progress and the verdict go to stderr; the clients' own log goes to stdout (svc appends it to
// the broker's log). Exit 0 when both answered, 1 when the deadline passed first.
//
// Usage: java -cp 'KAFKA_LIBS/*:CLASSES' KafkaReady BOOTSTRAP DEADLINE_SECONDS

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public final class KafkaReady {
    static final String TOPIC = "chatsite.svc-ready";
    static final long PROGRESS_EVERY_MS = 5_000;

    static long startNanos;
    static long deadlineNanos;
    static String lastError = "none";

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        startNanos = System.nanoTime();
        deadlineNanos = startNanos + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));

        try (Admin admin = Admin.create(props(bootstrap))) {
            step("broker metadata", () -> {
                admin.describeCluster().nodes().get(slice(), TimeUnit.MILLISECONDS);
                return true;
            });
            step("probe topic " + TOPIC, () -> {
                try {
                    admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(slice(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) throw e;
                }
                return true;
            });

            long offset;
            try (KafkaProducer<String, String> producer = producer(bootstrap)) {
                // One record in flight at a time: a slow answer is waited for again, a failed send is repeated.
                AtomicReference<Future<RecordMetadata>> inFlight = new AtomicReference<>();
                AtomicReference<RecordMetadata> sent = new AtomicReference<>();
                step("transaction coordinator: an idempotent producer gets its id", () -> {
                    if (inFlight.get() == null) inFlight.set(producer.send(new ProducerRecord<>(TOPIC, "ready", "probe")));
                    try {
                        sent.set(inFlight.get().get(slice(), TimeUnit.MILLISECONDS));
                    } catch (ExecutionException e) {
                        inFlight.set(null);
                        throw e;
                    }
                    return true;
                });
                offset = sent.get().offset();
            }

            String group = "chatsite-svc-ready-" + UUID.randomUUID();
            TopicPartition partition = new TopicPartition(TOPIC, 0);
            try (KafkaConsumer<String, String> consumer = consumer(bootstrap, group)) {
                consumer.subscribe(List.of(TOPIC));
                step("group coordinator: a throwaway group joins, reads and commits", () -> {
                    ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(Math.min(slice(), 1_000)));
                    if (!consumer.assignment().contains(partition)) {
                        lastError = "no partition assigned yet (the group is still joining)";
                        return false;
                    }
                    boolean seen = records.records(partition).stream().anyMatch(r -> r.offset() >= offset);
                    if (!seen && consumer.position(partition, Duration.ofMillis(slice())) <= offset) {
                        lastError = "joined, the probe record not fetched yet";
                        return false;
                    }
                    consumer.commitSync(Map.of(partition, new OffsetAndMetadata(offset + 1)), Duration.ofMillis(slice()));
                    OffsetAndMetadata committed = consumer.committed(Set.of(partition), Duration.ofMillis(slice())).get(partition);
                    return committed != null && committed.offset() == offset + 1;
                });
            }
            // Leave nothing behind: the group is empty now and only existed for this check.
            try {
                admin.deleteConsumerGroups(List.of(group)).all().get(slice(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                System.err.println("svc: kafka: could not delete the probe group " + group + " (harmless): " + e);
            }
        } catch (Deadline d) {
            System.err.println("svc: kafka: " + d.getMessage());
            System.exit(1);
        }
        System.err.printf("svc: kafka: the coordinators answer (probe took %.1f s)%n", elapsed());
        System.exit(0);
    }

    interface Attempt {
        boolean run() throws Exception;
    }

    static final class Deadline extends Exception {
        private static final long serialVersionUID = 1L;

        Deadline(String message) {
            super(message);
        }
    }

    // Repeats one attempt until it succeeds; says every few seconds what it is still waiting for,
    // and gives up with the last error once the deadline has passed.
    static void step(String what, Attempt attempt) throws Deadline {
        long began = System.nanoTime();
        long lastSaid = began;
        while (true) {
            try {
                if (attempt.run()) {
                    System.err.printf("svc: kafka: %s: ok (%.1f s)%n", what, seconds(System.nanoTime() - began));
                    return;
                }
            } catch (Deadline d) {
                throw d;
            } catch (Exception e) {
                Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                lastError = cause.getClass().getSimpleName() + ": " + cause.getMessage();
            }
            long now = System.nanoTime();
            if (now >= deadlineNanos) {
                throw new Deadline(String.format("%s: no answer within %.0f s (last error: %s)",
                        what, elapsed(), lastError));
            }
            if (now - lastSaid >= TimeUnit.MILLISECONDS.toNanos(PROGRESS_EVERY_MS)) {
                lastSaid = now;
                System.err.printf("svc: kafka: still waiting: %s (%.0f s; last error: %s)%n",
                        what, seconds(now - began), lastError);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                throw new Deadline("interrupted");
            }
        }
    }

    // How long one blocking call may take: the time left, in short slices so progress is reported.
    static long slice() throws Deadline {
        long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
        if (left <= 0) throw new Deadline(String.format("no answer within %.0f s (last error: %s)", elapsed(), lastError));
        return Math.min(left, PROGRESS_EVERY_MS);
    }

    static double elapsed() {
        return seconds(System.nanoTime() - startNanos);
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }

    static Properties props(String bootstrap) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("client.id", "chatsite-svc-ready");
        return p;
    }

    static KafkaProducer<String, String> producer(String bootstrap) {
        Properties p = props(bootstrap);
        p.put("enable.idempotence", "true");
        p.put("acks", "all");
        p.put("max.block.ms", String.valueOf(PROGRESS_EVERY_MS));
        p.put("linger.ms", "0");
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    static KafkaConsumer<String, String> consumer(String bootstrap, String group) {
        Properties p = props(bootstrap);
        p.put("group.id", group);
        p.put("enable.auto.commit", "false");
        p.put("auto.offset.reset", "earliest");
        return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
    }
}
