//! Brokers, endpoints and partitions as the cluster sees them.
