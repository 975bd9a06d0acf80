//! Admin calls: CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs, and
//! Metadata-based listing and describing. Sent to the controller, as Kafka's `AdminClient`
//! does for topic changes in ZooKeeper mode.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_partitions_request::CreatePartitionsTopic;
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig,
};
use kafka_protocol::messages::delete_topics_request::DeleteTopicState;
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::{
    BrokerId, CreatePartitionsRequest, CreateTopicsRequest, DeleteTopicsRequest,
    DescribeConfigsRequest, TopicName,
};
use kafka_protocol::protocol::StrBytes;

use super::error::{ClientError, Result};
use super::kafka_client::KafkaClient;
use super::metadata::TopicInfo;

/// Kafka 3.9 serves CreateTopics 2..=7, DeleteTopics 1..=6, CreatePartitions 0..=3,
/// DescribeConfigs 1..=4.
const CREATE_TOPICS_MAX_VERSION: i16 = 7;
const DELETE_TOPICS_MAX_VERSION: i16 = 6;
const CREATE_PARTITIONS_MAX_VERSION: i16 = 3;
const DESCRIBE_CONFIGS_MAX_VERSION: i16 = 4;

/// DescribeConfigs resource type of a topic (Kafka: `ConfigResource.Type.TOPIC` = 2).
const RESOURCE_TYPE_TOPIC: i8 = 2;
/// DescribeConfigs config source of a per-topic override
/// (Kafka: `DescribeConfigsResponse.ConfigSource.TOPIC_CONFIG` = 1).
const CONFIG_SOURCE_TOPIC: i8 = 1;

/// A topic to create. `replica_assignment` (partition → brokers) excludes partitions/RF.
#[derive(Debug, Clone, Default)]
pub struct NewTopic {
    pub name: String,
    /// -1 = broker default (`num.partitions`), as Kafka's AdminClient sends when unset.
    pub partitions: i32,
    /// -1 = broker default (`default.replication.factor`).
    pub replication_factor: i16,
    pub replica_assignment: Vec<Vec<i32>>,
    pub configs: Vec<(String, String)>,
}

/// Admin operations over a [`KafkaClient`].
pub struct Admin<'a> {
    client: &'a KafkaClient,
}

/// Timeout sent in admin requests (Kafka's `default.api.timeout.ms` is 60000; the
/// AdminClient sends the remaining time, about request.timeout.ms = 30000).
const ADMIN_TIMEOUT_MS: i32 = 30_000;

impl<'a> Admin<'a> {
    /// Admin operations on `client`.
    pub fn new(client: &'a KafkaClient) -> Self {
        Admin { client }
    }

    /// Creates one topic; the broker's error message (e.g. "Topic 'x' already exists.") is
    /// kept in the error.
    pub async fn create_topic(&self, topic: &NewTopic, validate_only: bool) -> Result<()> {
        let assignments = topic
            .replica_assignment
            .iter()
            .enumerate()
            .map(|(i, brokers)| {
                CreatableReplicaAssignment::default()
                    .with_partition_index(i as i32)
                    .with_broker_ids(brokers.iter().map(|b| BrokerId(*b)).collect())
            })
            .collect::<Vec<_>>();
        let (partitions, rf) = if assignments.is_empty() {
            (topic.partitions, topic.replication_factor)
        } else {
            (-1, -1)
        };
        let creatable = CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_string(topic.name.clone())))
            .with_num_partitions(partitions)
            .with_replication_factor(rf)
            .with_assignments(assignments)
            .with_configs(
                topic
                    .configs
                    .iter()
                    .map(|(k, v)| {
                        CreatableTopicConfig::default()
                            .with_name(StrBytes::from_string(k.clone()))
                            .with_value(Some(StrBytes::from_string(v.clone())))
                    })
                    .collect(),
            );
        let request = CreateTopicsRequest::default()
            .with_topics(vec![creatable])
            .with_timeout_ms(ADMIN_TIMEOUT_MS)
            .with_validate_only(validate_only);
        let response = self
            .with_controller(&request, CREATE_TOPICS_MAX_VERSION)
            .await?;
        for t in response.topics {
            if let Some(e) = ClientError::from_code(
                t.error_code,
                t.error_message.map(|m| m.to_string()),
                format!("CreateTopics {}", topic.name),
            ) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Deletes one topic by name.
    pub async fn delete_topic(&self, name: &str) -> Result<()> {
        let topic_name = TopicName(StrBytes::from_string(name.to_string()));
        let request = DeleteTopicsRequest::default()
            .with_topics(vec![
                DeleteTopicState::default().with_name(Some(topic_name.clone()))
            ])
            .with_topic_names(vec![topic_name])
            .with_timeout_ms(ADMIN_TIMEOUT_MS);
        let response = self
            .with_controller(&request, DELETE_TOPICS_MAX_VERSION)
            .await?;
        for r in response.responses {
            if let Some(e) = ClientError::from_code(
                r.error_code,
                r.error_message.map(|m| m.to_string()),
                format!("DeleteTopics {name}"),
            ) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Raises the partition count of `name` to `count`, optionally with the replicas of each
    /// new partition.
    pub async fn create_partitions(
        &self,
        name: &str,
        count: i32,
        assignment: Option<Vec<Vec<i32>>>,
    ) -> Result<()> {
        use kafka_protocol::messages::create_partitions_request::CreatePartitionsAssignment;
        let topic = CreatePartitionsTopic::default()
            .with_name(TopicName(StrBytes::from_string(name.to_string())))
            .with_count(count)
            .with_assignments(assignment.map(|a| {
                a.into_iter()
                    .map(|brokers| {
                        CreatePartitionsAssignment::default()
                            .with_broker_ids(brokers.into_iter().map(BrokerId).collect())
                    })
                    .collect()
            }));
        let request = CreatePartitionsRequest::default()
            .with_topics(vec![topic])
            .with_timeout_ms(ADMIN_TIMEOUT_MS);
        let response = self
            .with_controller(&request, CREATE_PARTITIONS_MAX_VERSION)
            .await?;
        for r in response.results {
            if let Some(e) = ClientError::from_code(
                r.error_code,
                r.error_message.map(|m| m.to_string()),
                format!("CreatePartitions {name}"),
            ) {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Names of all topics, internal ones included, sorted.
    pub async fn list_topics(&self) -> Result<Vec<TopicInfo>> {
        let md = self.client.refresh_metadata(None, false).await?;
        Ok(md.topics.into_values().collect())
    }

    /// Metadata of the named topics (all when `None`), sorted by name.
    pub async fn describe_topics(&self, names: Option<&[String]>) -> Result<Vec<TopicInfo>> {
        let md = self.client.refresh_metadata(names, false).await?;
        Ok(md.topics.into_values().collect())
    }

    /// Per-topic config overrides (`config_source` TOPIC_CONFIG), in the broker's order.
    pub async fn topic_config_overrides(
        &self,
        names: &[String],
    ) -> Result<BTreeMap<String, Vec<(String, Option<String>)>>> {
        let request = DescribeConfigsRequest::default().with_resources(
            names
                .iter()
                .map(|n| {
                    DescribeConfigsResource::default()
                        .with_resource_type(RESOURCE_TYPE_TOPIC)
                        .with_resource_name(StrBytes::from_string(n.clone()))
                        .with_configuration_keys(None)
                })
                .collect(),
        );
        let conn = self.client.any_connection().await?;
        let response = self
            .client
            .send_on(&conn, &request, DESCRIBE_CONFIGS_MAX_VERSION)
            .await?;
        let mut out = BTreeMap::new();
        for r in response.results {
            if let Some(e) = ClientError::from_code(
                r.error_code,
                r.error_message.map(|m| m.to_string()),
                format!("DescribeConfigs {}", r.resource_name),
            ) {
                return Err(e);
            }
            let overrides = r
                .configs
                .iter()
                .filter(|c| {
                    c.config_source == CONFIG_SOURCE_TOPIC
                        || (c.config_source == -1 && !c.is_default)
                })
                .map(|c| (c.name.to_string(), c.value.as_ref().map(|v| v.to_string())))
                .collect();
            out.insert(r.resource_name.to_string(), overrides);
        }
        Ok(out)
    }

    /// Sends to the controller; on NOT_CONTROLLER (41) refreshes metadata and tries once more.
    async fn with_controller<R: kafka_protocol::protocol::Request>(
        &self,
        request: &R,
        cap: i16,
    ) -> Result<R::Response>
    where
        R::Response: ErrorCodes,
    {
        let conn = self.client.controller_connection().await?;
        let response = self.client.send_on(&conn, request, cap).await?;
        if response.codes().contains(&41) {
            self.client.refresh_metadata(Some(&[]), false).await?;
            let conn = self.client.controller_connection().await?;
            return self.client.send_on(&conn, request, cap).await;
        }
        Ok(response)
    }
}

/// Error codes of an admin response, to spot NOT_CONTROLLER.
pub trait ErrorCodes {
    fn codes(&self) -> Vec<i16>;
}

impl ErrorCodes for kafka_protocol::messages::CreateTopicsResponse {
    fn codes(&self) -> Vec<i16> {
        self.topics.iter().map(|t| t.error_code).collect()
    }
}

impl ErrorCodes for kafka_protocol::messages::DeleteTopicsResponse {
    fn codes(&self) -> Vec<i16> {
        self.responses.iter().map(|t| t.error_code).collect()
    }
}

impl ErrorCodes for kafka_protocol::messages::CreatePartitionsResponse {
    fn codes(&self) -> Vec<i16> {
        self.results.iter().map(|t| t.error_code).collect()
    }
}
