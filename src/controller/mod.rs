//! `KafkaController`: election, the controller event loop and its state machines.
