//! Building the controller's requests to brokers from the `ControllerContext`.
//!
//! Kafka: `AbstractControllerBrokerRequestBatch` (`sendUpdateMetadataRequests`,
//! `addUpdateMetadataRequestForBrokers`). UpdateMetadata always carries the full list of live
//! (and shutting-down) brokers with every endpoint and rack, so a broker's metadata cache is
//! replaced, never patched, for the broker list. Partition states join when partitions exist.

use kafka_protocol::messages::update_metadata_request::{
    UpdateMetadataBroker, UpdateMetadataEndpoint, UpdateMetadataTopicState,
};
use kafka_protocol::messages::{BrokerId, UpdateMetadataRequest};
use kafka_protocol::protocol::StrBytes;

use super::channel_manager::{ControlRequest, ControllerChannelManager};
use super::partition_state_machine::update_metadata_topic_states;
use super::ControllerContext;
use crate::cluster::TopicPartition;

/// The UpdateMetadata (v8) the controller sends to `target_broker_epoch`'s broker, listing every
/// live or shutting-down broker and `topic_states`. Kafka: `sendUpdateMetadataRequests`.
pub fn update_metadata_request(
    controller_id: i32,
    ctx: &ControllerContext,
    target_broker_epoch: i64,
    topic_states: Vec<UpdateMetadataTopicState>,
) -> UpdateMetadataRequest {
    let live_brokers = ctx
        .live_brokers()
        .map(|b| {
            UpdateMetadataBroker::default()
                .with_id(BrokerId(b.id))
                .with_endpoints(
                    b.endpoints
                        .iter()
                        .map(|e| {
                            UpdateMetadataEndpoint::default()
                                .with_port(e.port as i32)
                                .with_host(StrBytes::from_string(e.host.clone()))
                                .with_listener(StrBytes::from_string(e.listener_name.clone()))
                                .with_security_protocol(e.security_protocol.id())
                        })
                        .collect(),
                )
                .with_rack(b.rack.clone().map(StrBytes::from_string))
        })
        .collect();
    UpdateMetadataRequest::default()
        .with_controller_id(BrokerId(controller_id))
        .with_is_k_raft_controller(false)
        .with_controller_epoch(ctx.epoch)
        .with_broker_epoch(target_broker_epoch)
        .with_topic_states(topic_states)
        .with_live_brokers(live_brokers)
}

/// Sends UpdateMetadata with the live broker list and `partitions`' states to each of
/// `broker_ids` that is live.
pub fn send_update_metadata(
    controller_id: i32,
    ctx: &ControllerContext,
    channel: &ControllerChannelManager,
    broker_ids: impl IntoIterator<Item = i32>,
    partitions: &[TopicPartition],
) {
    let topic_states = update_metadata_topic_states(ctx, partitions);
    for id in broker_ids {
        if let Some(&epoch) = ctx.live_broker_id_and_epochs().get(&id) {
            let request = update_metadata_request(controller_id, ctx, epoch, topic_states.clone());
            channel.send(id, ControlRequest::UpdateMetadata(request), None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::{EndPoint, SecurityProtocol};
    use crate::zk::znodes::BrokerInfo;

    /// UpdateMetadata v8 lists every live broker with all its endpoints, protocol ids and rack,
    /// and carries the target broker's epoch (`ControllerChannelManager`).
    #[test]
    fn lists_every_live_broker_and_endpoint() {
        let mut ctx = ControllerContext::default();
        ctx.epoch = 3;
        let ep = |name: &str, port, proto| EndPoint {
            host: "127.0.0.1".into(),
            port,
            listener_name: name.into(),
            security_protocol: proto,
        };
        let b1 = BrokerInfo::new(
            1,
            vec![
                ep("PLAINTEXT", 9092, SecurityProtocol::Plaintext),
                ep("SECURE", 9093, SecurityProtocol::SaslSsl),
            ],
            Some("r1".into()),
            -1,
            0,
        );
        let b2 = BrokerInfo::new(
            2,
            vec![ep("PLAINTEXT", 9094, SecurityProtocol::Plaintext)],
            None,
            -1,
            0,
        );
        ctx.set_live_brokers([(1, (b1, 100)), (2, (b2, 200))].into_iter().collect());
        let r = update_metadata_request(1, &ctx, 200, Vec::new());
        assert_eq!(
            (r.controller_id.0, r.controller_epoch, r.broker_epoch),
            (1, 3, 200)
        );
        assert!(!r.is_k_raft_controller);
        assert_eq!(r.live_brokers.len(), 2);
        let first = &r.live_brokers[0];
        assert_eq!(first.id.0, 1);
        assert_eq!(first.rack.as_deref(), Some("r1"));
        assert_eq!(first.endpoints[1].listener.as_str(), "SECURE");
        assert_eq!(first.endpoints[1].security_protocol, 3);
        assert_eq!(r.live_brokers[1].endpoints[0].port, 9094);
        assert!(r.topic_states.is_empty());
    }
}
