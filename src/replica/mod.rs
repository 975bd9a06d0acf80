//! `ReplicaManager`, replica fetchers and purgatories.
