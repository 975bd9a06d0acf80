//! Coordinators: the group coordinator (consumer groups and committed offsets in
//! `__consumer_offsets`). Kafka: `kafka.coordinator.*` (ZooKeeper mode uses the old Scala
//! `GroupCoordinator`).

pub mod group;
