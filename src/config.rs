//! `KafkaConfig`: Kafka's `server.properties` key names and defaults.
