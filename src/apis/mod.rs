//! `KafkaApis`: decodes each request and dispatches it by API key to one handler per file.
//!
//! Kafka: `kafka.server.KafkaApis.handle`. Adding an API: a new file here with
//! `pub(super) async fn handle(apis: &KafkaApis, request: &Request) -> Response`, an arm in
//! [`handler_for`], and one row (versions + request schema from `protocol::guard`) in
//! `protocol::api_keys::SUPPORTED_APIS`. Shared broker state (replica manager, log manager,
//! group coordinator ...) joins [`KafkaApis`] as another optional `Arc` with a `with_*` setter,
//! filled by the server at startup.

pub mod allocate_producer_ids;
pub mod alter_partition;
pub mod alter_user_scram_credentials;
pub mod alter_configs;
pub mod api_versions;
pub mod authorize;
pub mod auto_topic_creation;
pub mod controlled_shutdown;
pub mod controller_epoch;
pub mod create_acls;
pub mod create_partitions;
pub mod create_topics;
pub mod delete_acls;
pub mod delete_groups;
pub mod delete_topics;
pub mod describe_acls;
pub mod describe_configs;
pub mod describe_groups;
pub mod describe_user_scram_credentials;
pub mod elect_leaders;
pub mod fetch;
pub mod fetch_response;
pub mod find_coordinator;
pub mod heartbeat;
pub mod init_producer_id;
pub mod join_group;
pub mod leader_and_isr;
pub mod leave_group;
pub mod list_groups;
pub mod list_offsets;
pub mod metadata;
pub mod offset_commit;
pub mod offset_delete;
pub mod offset_fetch;
pub mod offset_for_leader_epoch;
pub mod produce;
pub mod sasl_authenticate;
pub mod sasl_handshake;
pub mod stop_replica;
pub mod sync_group;
pub mod update_metadata;
pub mod zk_admin_manager;

use std::sync::Arc;

use kafka_protocol::messages::ApiKey;
use kafka_protocol::protocol::{Decodable, Encodable};

use crate::cluster::EndPoint;
use crate::controller::ControllerHandle;
use crate::metadata_cache::MetadataCache;
use crate::network::{BoxFuture, Request, RequestHandler, Response, ResponseSend};
use crate::protocol::api_keys::is_unsupported_api_versions_request;
use crate::protocol::{encode_response, guard};
use crate::replica::{ProducerIdManager, ReplicaManager};
use crate::security::credential_cache::CredentialCache;
use crate::security::AclAuthorizer;
use crate::zk::KafkaZkClient;

pub use auto_topic_creation::{AutoCreatedTopic, AutoTopicCreationManager};
pub use controller_epoch::{BrokerEpoch, ControllerEpochFence, StaleControllerEpoch};

/// Settings `KafkaApis` reads from `KafkaConfig`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaApisConfig {
    /// `broker.id`.
    pub broker_id: i32,
    /// The cluster id read from (or written to) `/cluster/id`.
    pub cluster_id: String,
    /// `advertised.listeners` (defaulting to `listeners`) with bound ports filled in.
    pub advertised_listeners: Vec<EndPoint>,
    /// `auto.create.topics.enable` (default true).
    pub auto_create_topics_enable: bool,
}

/// The broker's request handler. Shared as `Arc<KafkaApis>`; implements
/// [`RequestHandler`] for the `SocketServer`.
pub struct KafkaApis {
    pub config: KafkaApisConfig,
    /// Filled only by UpdateMetadata from the controller.
    pub metadata_cache: Arc<MetadataCache>,
    /// Highest controller epoch seen; shared with LeaderAndIsr/StopReplica handling.
    pub controller_epoch: Arc<ControllerEpochFence>,
    /// This broker's epoch (czxid of its registration znode), set by the server.
    pub broker_epoch: Arc<BrokerEpoch>,
    /// Creates unknown topics named in Metadata requests; `None` until topic creation exists.
    pub auto_topic_creation: Option<Arc<dyn AutoTopicCreationManager>>,
    /// Partitions, produce and fetch; `None` until the server starts it.
    pub replica_manager: Option<Arc<ReplicaManager>>,
    /// Producer ids for InitProducerId.
    pub producer_id_manager: Option<Arc<dyn ProducerIdManager>>,
    /// This broker's controller module: requests only the active controller answers
    /// (CreateTopics, AlterPartition, ...) check `is_active` and enqueue events through it.
    pub controller: Option<ControllerHandle>,
    /// The broker's ZooKeeper client, for handlers that write znodes directly as Kafka's
    /// `ZkSupport` does (topic auto-creation, configs, ACLs).
    pub zk: Option<Arc<KafkaZkClient>>,
    /// `authorizer.class.name=kafka.security.authorizer.AclAuthorizer`; `None` allows everything
    /// (Kafka without an authorizer). See [`authorize`].
    pub authorizer: Option<Arc<AclAuthorizer>>,
    /// SCRAM credentials (DescribeUserScramCredentials reads them).
    pub credential_cache: Option<Arc<CredentialCache>>,
    /// Topic administration (CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs).
    pub admin_manager: Option<Arc<zk_admin_manager::ZkAdminManager>>,
    /// Consumer groups and committed offsets (FindCoordinator, JoinGroup, OffsetCommit ...).
    pub group_coordinator: Option<Arc<crate::coordinator::group::GroupCoordinator>>,
}

impl KafkaApis {
    pub fn new(config: KafkaApisConfig, metadata_cache: Arc<MetadataCache>) -> KafkaApis {
        KafkaApis {
            config,
            metadata_cache,
            controller_epoch: Arc::new(ControllerEpochFence::new()),
            broker_epoch: Arc::new(BrokerEpoch::default()),
            auto_topic_creation: None,
            replica_manager: None,
            producer_id_manager: None,
            controller: None,
            zk: None,
            authorizer: None,
            credential_cache: None,
            admin_manager: None,
            group_coordinator: None,
        }
    }

    /// Shares a controller-epoch fence with other components (the replica manager).
    pub fn with_controller_epoch(mut self, fence: Arc<ControllerEpochFence>) -> KafkaApis {
        self.controller_epoch = fence;
        self
    }

    /// Shares the broker epoch the server sets after registering in ZooKeeper.
    pub fn with_broker_epoch(mut self, epoch: Arc<BrokerEpoch>) -> KafkaApis {
        self.broker_epoch = epoch;
        self
    }

    pub fn with_auto_topic_creation(
        mut self,
        manager: Arc<dyn AutoTopicCreationManager>,
    ) -> KafkaApis {
        self.auto_topic_creation = Some(manager);
        self
    }

    pub fn with_replica_manager(mut self, replica_manager: Arc<ReplicaManager>) -> KafkaApis {
        self.replica_manager = Some(replica_manager);
        self
    }

    pub fn with_producer_id_manager(mut self, manager: Arc<dyn ProducerIdManager>) -> KafkaApis {
        self.producer_id_manager = Some(manager);
        self
    }

    pub fn with_controller(mut self, controller: ControllerHandle) -> KafkaApis {
        self.controller = Some(controller);
        self
    }

    pub fn with_zk(mut self, zk: Arc<KafkaZkClient>) -> KafkaApis {
        self.zk = Some(zk);
        self
    }

    pub fn with_authorizer(mut self, authorizer: Arc<AclAuthorizer>) -> KafkaApis {
        self.authorizer = Some(authorizer);
        self
    }

    pub fn with_credential_cache(mut self, cache: Arc<CredentialCache>) -> KafkaApis {
        self.credential_cache = Some(cache);
        self
    }

    pub fn with_admin_manager(
        mut self,
        manager: Arc<zk_admin_manager::ZkAdminManager>,
    ) -> KafkaApis {
        self.admin_manager = Some(manager);
        self
    }

    pub fn with_group_coordinator(
        mut self,
        coordinator: Arc<crate::coordinator::group::GroupCoordinator>,
    ) -> KafkaApis {
        self.group_coordinator = Some(coordinator);
        self
    }

    pub fn broker_id(&self) -> i32 {
        self.config.broker_id
    }

    /// Handles one request whose API key and version the network layer already checked with
    /// `protocol::is_api_enabled`. Kafka: `KafkaApis.handle`.
    pub async fn handle(&self, request: &Request) -> Response {
        let header = &request.context.header;
        let (api_key, version) = (header.api_key, header.api_version());
        // KIP-511: an ApiVersions request of a version we do not know is not parsed at all.
        if is_unsupported_api_versions_request(api_key, version) {
            return api_versions::unsupported_version_response(request);
        }
        // Kafka's readers refuse collections longer than the bytes left; the crate's do not.
        if let Err(e) = guard::check_body(api_key, version, &request.body) {
            return Response::Close(format!(
                "invalid {api_key:?} v{version} request (correlation id {}): {e}",
                header.correlation_id()
            ));
        }
        match handler_for(api_key) {
            Some(handler) => handler(self, request).await,
            None => Response::Close(format!("no handler for {api_key:?} v{version}")),
        }
    }
}

/// A request handler: one per API, each in its own file.
pub type Handler = for<'a> fn(&'a KafkaApis, &'a Request) -> BoxFuture<'a, Response>;

/// The handler of each served API. Kafka: the `match` in `KafkaApis.handle`.
pub fn handler_for(api_key: ApiKey) -> Option<Handler> {
    fn api_versions<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(api_versions::handle(a, r))
    }
    fn metadata<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(metadata::handle(a, r))
    }
    fn update_metadata<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(update_metadata::handle(a, r))
    }
    fn produce<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(produce::handle(a, r))
    }
    fn fetch<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(fetch::handle(a, r))
    }
    fn list_offsets<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(list_offsets::handle(a, r))
    }
    fn leader_and_isr<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(leader_and_isr::handle(a, r))
    }
    fn stop_replica<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(stop_replica::handle(a, r))
    }
    fn init_producer_id<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(init_producer_id::handle(a, r))
    }
    fn offset_for_leader_epoch<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(offset_for_leader_epoch::handle(a, r))
    }
    fn sasl_handshake<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(sasl_handshake::handle(a, r))
    }
    fn sasl_authenticate<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(sasl_authenticate::handle(a, r))
    }
    fn create_acls<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(create_acls::handle(a, r))
    }
    fn describe_acls<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(describe_acls::handle(a, r))
    }
    fn delete_acls<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(delete_acls::handle(a, r))
    }
    fn describe_scram<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(describe_user_scram_credentials::handle(a, r))
    }
    fn alter_scram<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(alter_user_scram_credentials::handle(a, r))
    }
    fn create_topics<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(create_topics::handle(a, r))
    }
    fn delete_topics<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(delete_topics::handle(a, r))
    }
    fn create_partitions<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(create_partitions::handle(a, r))
    }
    fn describe_configs<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(describe_configs::handle(a, r))
    }
    fn offset_commit<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(offset_commit::handle(a, r))
    }
    fn offset_fetch<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(offset_fetch::handle(a, r))
    }
    fn find_coordinator<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(find_coordinator::handle(a, r))
    }
    fn join_group<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(join_group::handle(a, r))
    }
    fn heartbeat<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(heartbeat::handle(a, r))
    }
    fn leave_group<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(leave_group::handle(a, r))
    }
    fn sync_group<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(sync_group::handle(a, r))
    }
    fn describe_groups<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(describe_groups::handle(a, r))
    }
    fn list_groups<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(list_groups::handle(a, r))
    }
    fn delete_groups<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(delete_groups::handle(a, r))
    }
    fn offset_delete<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(offset_delete::handle(a, r))
    }
    fn controlled_shutdown<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(controlled_shutdown::handle(a, r))
    }
    fn elect_leaders<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(elect_leaders::handle(a, r))
    }
    fn alter_partition<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(alter_partition::handle(a, r))
    }
    fn allocate_producer_ids<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(allocate_producer_ids::handle(a, r))
    }
    fn alter_configs<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(alter_configs::handle_legacy(a, r))
    }
    fn incremental_alter_configs<'a>(a: &'a KafkaApis, r: &'a Request) -> BoxFuture<'a, Response> {
        Box::pin(alter_configs::handle_incremental(a, r))
    }
    match api_key {
        ApiKey::SaslHandshake => Some(sasl_handshake),
        ApiKey::SaslAuthenticate => Some(sasl_authenticate),
        ApiKey::CreateAcls => Some(create_acls),
        ApiKey::DescribeAcls => Some(describe_acls),
        ApiKey::DeleteAcls => Some(delete_acls),
        ApiKey::DescribeUserScramCredentials => Some(describe_scram),
        ApiKey::AlterUserScramCredentials => Some(alter_scram),
        ApiKey::AlterConfigs => Some(alter_configs),
        ApiKey::IncrementalAlterConfigs => Some(incremental_alter_configs),
        ApiKey::CreateTopics => Some(create_topics),
        ApiKey::DeleteTopics => Some(delete_topics),
        ApiKey::CreatePartitions => Some(create_partitions),
        ApiKey::DescribeConfigs => Some(describe_configs),
        ApiKey::ControlledShutdown => Some(controlled_shutdown),
        ApiKey::ElectLeaders => Some(elect_leaders),
        ApiKey::AlterPartition => Some(alter_partition),
        ApiKey::AllocateProducerIds => Some(allocate_producer_ids),
        ApiKey::Produce => Some(produce),
        ApiKey::Fetch => Some(fetch),
        ApiKey::ListOffsets => Some(list_offsets),
        ApiKey::LeaderAndIsr => Some(leader_and_isr),
        ApiKey::StopReplica => Some(stop_replica),
        ApiKey::InitProducerId => Some(init_producer_id),
        ApiKey::OffsetForLeaderEpoch => Some(offset_for_leader_epoch),
        ApiKey::ApiVersions => Some(api_versions),
        ApiKey::Metadata => Some(metadata),
        ApiKey::UpdateMetadata => Some(update_metadata),
        ApiKey::OffsetCommit => Some(offset_commit),
        ApiKey::OffsetFetch => Some(offset_fetch),
        ApiKey::FindCoordinator => Some(find_coordinator),
        ApiKey::JoinGroup => Some(join_group),
        ApiKey::Heartbeat => Some(heartbeat),
        ApiKey::LeaveGroup => Some(leave_group),
        ApiKey::SyncGroup => Some(sync_group),
        ApiKey::DescribeGroups => Some(describe_groups),
        ApiKey::ListGroups => Some(list_groups),
        ApiKey::DeleteGroups => Some(delete_groups),
        ApiKey::OffsetDelete => Some(offset_delete),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::SUPPORTED_APIS;

    /// Every API advertised in ApiVersions has a handler (an advertised API without one would
    /// close its clients' connections).
    #[test]
    fn every_supported_api_has_a_handler() {
        for s in SUPPORTED_APIS {
            assert!(handler_for(s.api_key).is_some(), "{:?}", s.api_key);
        }
        assert!(handler_for(ApiKey::AddOffsetsToTxn).is_none());
    }
}

impl RequestHandler for KafkaApis {
    fn handle(&self, request: Request) -> BoxFuture<'_, Response> {
        Box::pin(async move { KafkaApis::handle(self, &request).await })
    }
}

/// Decodes a request body at its header's version. A body that does not decode closes the
/// connection, as Kafka does (`RequestContext.parseRequest` → `InvalidRequestException`).
pub(crate) fn decode_body<T: Decodable>(request: &Request) -> Result<T, Response> {
    let header = &request.context.header;
    let mut body = request.body.clone();
    T::decode(&mut body, header.api_version()).map_err(|e| {
        Response::Close(format!(
            "cannot parse {:?} v{} request (correlation id {}): {e}",
            header.api_key,
            header.api_version(),
            header.correlation_id()
        ))
    })
}

/// Frames `body` as the response to `request` at the request's version.
pub(crate) fn respond<T: Encodable>(request: &Request, body: &T) -> Response {
    respond_at(request, request.context.header.api_version(), body)
}

/// Frames `body` as the response to `request` at `version`.
pub(crate) fn respond_at<T: Encodable>(request: &Request, version: i16, body: &T) -> Response {
    let header = &request.context.header;
    match encode_response(header.api_key, version, header.correlation_id(), body) {
        Ok(frame) => Response::Send(ResponseSend::from_frame(frame)),
        Err(e) => {
            // A response we cannot encode is a bug on our side; Kafka would close too.
            tracing::error!("{e}");
            Response::Close(e.to_string())
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Builds requests the way the network layer does, for handler unit tests.
    use super::*;
    use crate::cluster::SecurityProtocol;
    use crate::network::RequestContext;
    use crate::protocol::{parse_request_header, RequestHeader, StrBytes};
    use bytes::{Buf, Bytes};
    use std::time::Instant;

    pub fn apis() -> KafkaApis {
        KafkaApis::new(
            KafkaApisConfig {
                broker_id: 1,
                cluster_id: "test-cluster".into(),
                advertised_listeners: vec![],
                auto_create_topics_enable: true,
            },
            Arc::new(MetadataCache::new(1)),
        )
    }

    pub fn request<T: Encodable>(key: ApiKey, version: i16, body: &T) -> Request {
        request_on("PLAINTEXT", key, version, body)
    }

    pub fn request_on<T: Encodable>(
        listener: &str,
        key: ApiKey,
        version: i16,
        body: &T,
    ) -> Request {
        let header = RequestHeader::default()
            .with_request_api_key(key as i16)
            .with_request_api_version(version)
            .with_correlation_id(17)
            .with_client_id(Some(StrBytes::from_static_str("test")));
        let mut frame = crate::protocol::encode_request(&header, body).unwrap();
        frame.advance(4);
        raw_request(listener, frame)
    }

    pub fn raw_request(listener: &str, mut frame: Bytes) -> Request {
        let header = parse_request_header(&mut frame).unwrap();
        Request {
            context: RequestContext {
                header,
                connection_id: "test".into(),
                client_address: "127.0.0.1:1".parse().unwrap(),
                listener_name: listener.into(),
                security_protocol: SecurityProtocol::Plaintext,
                client_information: Default::default(),
                principal: Default::default(),
            },
            body: frame,
            received_at: Instant::now(),
        }
    }

    /// Decodes a response frame: returns the correlation id and the body.
    pub fn response<T: Decodable>(
        response: Response,
        header_version: i16,
        version: i16,
    ) -> (i32, T) {
        let Response::Send(send) = response else {
            panic!("expected a response, got {response:?}");
        };
        let mut all = bytes::BytesMut::new();
        for c in send.chunks() {
            all.extend_from_slice(c);
        }
        let mut b = all.freeze();
        let size = b.get_i32();
        assert_eq!(size as usize, b.len());
        let h = kafka_protocol::messages::ResponseHeader::decode(&mut b, header_version).unwrap();
        let body = T::decode(&mut b, version).unwrap();
        assert!(!b.has_remaining(), "trailing bytes in response");
        (h.correlation_id, body)
    }
}
