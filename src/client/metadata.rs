//! The cluster view a client keeps: brokers, controller, topics with their partitions' leaders,
//! replicas and ISR, taken from Metadata responses.

use std::collections::BTreeMap;

use base64::Engine;
use kafka_protocol::messages::MetadataResponse;

/// One broker as Metadata names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

impl BrokerInfo {
    /// `host:port`, with IPv6 hosts bracketed.
    pub fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// One partition's state as Metadata reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionInfo {
    pub partition: i32,
    pub error_code: i16,
    /// -1 when there is no leader.
    pub leader: i32,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub offline_replicas: Vec<i32>,
}

/// One topic as Metadata reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicInfo {
    pub name: String,
    pub error_code: i16,
    pub topic_id: [u8; 16],
    pub is_internal: bool,
    /// Sorted by partition id.
    pub partitions: Vec<PartitionInfo>,
}

impl TopicInfo {
    /// True when every partition has a leader and no error.
    pub fn all_leaders_known(&self) -> bool {
        self.error_code == 0
            && !self.partitions.is_empty()
            && self.partitions.iter().all(|p| p.leader >= 0)
    }

    /// Kafka's text form of the topic id (`Uuid.toString`: URL-safe base64 without padding).
    pub fn topic_id_string(&self) -> String {
        topic_id_string(&self.topic_id)
    }
}

/// Kafka's `Uuid.toString`: URL-safe base64 of the 16 bytes, no padding.
pub fn topic_id_string(id: &[u8; 16]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

/// A snapshot of the cluster.
#[derive(Debug, Clone, Default)]
pub struct ClusterMetadata {
    pub cluster_id: Option<String>,
    /// -1 when unknown.
    pub controller_id: i32,
    pub brokers: BTreeMap<i32, BrokerInfo>,
    pub topics: BTreeMap<String, TopicInfo>,
}

impl ClusterMetadata {
    /// Converts a Metadata response.
    pub fn from_response(response: &MetadataResponse) -> Self {
        let brokers = response
            .brokers
            .iter()
            .map(|b| {
                let info = BrokerInfo {
                    id: b.node_id.0,
                    host: b.host.to_string(),
                    port: b.port,
                    rack: b.rack.as_ref().map(|r| r.to_string()),
                };
                (info.id, info)
            })
            .collect();
        let topics = response
            .topics
            .iter()
            .filter_map(|t| {
                let name = t.name.as_ref()?.0.to_string();
                let mut partitions: Vec<PartitionInfo> = t
                    .partitions
                    .iter()
                    .map(|p| PartitionInfo {
                        partition: p.partition_index,
                        error_code: p.error_code,
                        leader: p.leader_id.0,
                        leader_epoch: p.leader_epoch,
                        replicas: p.replica_nodes.iter().map(|b| b.0).collect(),
                        isr: p.isr_nodes.iter().map(|b| b.0).collect(),
                        offline_replicas: p.offline_replicas.iter().map(|b| b.0).collect(),
                    })
                    .collect();
                partitions.sort_by_key(|p| p.partition);
                Some((
                    name.clone(),
                    TopicInfo {
                        name,
                        error_code: t.error_code,
                        topic_id: *t.topic_id.as_bytes(),
                        is_internal: t.is_internal,
                        partitions,
                    },
                ))
            })
            .collect();
        ClusterMetadata {
            cluster_id: response.cluster_id.as_ref().map(|c| c.to_string()),
            controller_id: response.controller_id.0,
            brokers,
            topics,
        }
    }

    /// Merges a newer snapshot: brokers and controller are replaced, topics updated one by one
    /// (a Metadata request for some topics says nothing about the others).
    pub fn merge(&mut self, newer: ClusterMetadata) {
        self.cluster_id = newer.cluster_id.or(self.cluster_id.take());
        self.controller_id = newer.controller_id;
        if !newer.brokers.is_empty() {
            self.brokers = newer.brokers;
        }
        for (name, topic) in newer.topics {
            self.topics.insert(name, topic);
        }
    }

    /// The leader of `topic`-`partition`, if known.
    pub fn leader_of(&self, topic: &str, partition: i32) -> Option<&BrokerInfo> {
        let t = self.topics.get(topic)?;
        let p = t.partitions.iter().find(|p| p.partition == partition)?;
        self.brokers.get(&p.leader)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's `Uuid.toString()` is `Base64.getUrlEncoder().withoutPadding()` of the 16 bytes
    /// (clients/src/main/java/org/apache/kafka/common/Uuid.java); 22 characters.
    #[test]
    fn topic_id_renders_as_kafka_uuid() {
        let mut id = [0u8; 16];
        id[15] = 1;
        assert_eq!(topic_id_string(&id), "AAAAAAAAAAAAAAAAAAAAAQ");
        assert_eq!(topic_id_string(&[0xff; 16]), "_____________________w");
    }
}
