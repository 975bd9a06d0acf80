//! `KafkaApis::authorize`: the one place handlers ask the authorizer.
//!
//! Kafka: `AuthHelper.authorize` / `authorizeByResourceType` / `filterByAuthorized`. Without
//! `authorizer.class.name` every action is allowed (Kafka: `authorizer = None`).

use crate::network::RequestContext;
use crate::security::authorizer::{supported_operations, to_32_bit_field, Requester};
use crate::zk::znodes::{AclOperation, ResourceType, CLUSTER_RESOURCE_NAME};

use super::KafkaApis;

impl KafkaApis {
    /// May the request's principal perform `op` on the named resource?
    pub fn authorize(
        &self,
        ctx: &RequestContext,
        op: AclOperation,
        resource_type: ResourceType,
        name: &str,
    ) -> bool {
        let Some(authorizer) = &self.authorizer else {
            return true;
        };
        let host = ctx.client_address.ip().to_string();
        let who = Requester {
            principal: &ctx.principal,
            host: &host,
        };
        let allowed = authorizer.authorize(who, op, resource_type, name);
        if !allowed {
            // Kafka logs denials at INFO in kafka.authorizer.logger.
            tracing::info!(
                "Principal = {} is Denied Operation = {} from host = {host} on resource = {}:LITERAL:{name}",
                ctx.principal,
                op.pascal_name(),
                resource_type.path_name()
            );
        }
        allowed
    }

    /// `op` on the cluster resource (`kafka-cluster`).
    pub fn authorize_cluster(&self, ctx: &RequestContext, op: AclOperation) -> bool {
        self.authorize(ctx, op, ResourceType::Cluster, CLUSTER_RESOURCE_NAME)
    }

    /// The operations the request's principal may perform on the resource, as a bit field;
    /// every operation the resource type supports without an authorizer.
    /// Kafka: `AuthHelper.authorizedOperations`.
    pub fn authorized_operations(
        &self,
        ctx: &RequestContext,
        resource_type: ResourceType,
        name: &str,
    ) -> i32 {
        let Some(authorizer) = &self.authorizer else {
            return to_32_bit_field(supported_operations(resource_type).iter().copied());
        };
        let host = ctx.client_address.ip().to_string();
        authorizer.authorized_operations(
            Requester {
                principal: &ctx.principal,
                host: &host,
            },
            resource_type,
            name,
        )
    }

    /// May the principal perform `op` on some resource of `resource_type`?
    /// Kafka: `AuthHelper.authorizeByResourceType`.
    pub fn authorize_by_resource_type(
        &self,
        ctx: &RequestContext,
        op: AclOperation,
        resource_type: ResourceType,
    ) -> bool {
        let Some(authorizer) = &self.authorizer else {
            return true;
        };
        let host = ctx.client_address.ip().to_string();
        authorizer.authorize_by_resource_type(
            Requester {
                principal: &ctx.principal,
                host: &host,
            },
            op,
            resource_type,
        )
    }
}
