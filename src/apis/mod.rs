//! `KafkaApis`: one handler per API key, each in its own file.
