//! `KafkaServer`: numbered startup steps; shutdown in reverse order.
