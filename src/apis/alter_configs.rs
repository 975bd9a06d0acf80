//! AlterConfigs (API key 33, versions 0-2) and IncrementalAlterConfigs (API key 44, versions
//! 0-1) for topic resources.
//!
//! Kafka: `KafkaApis.handleAlterConfigsRequest` / `handleIncrementalAlterConfigsRequest` (ZK
//! mode: any broker answers) and `ZkAdminManager.alterConfigs` / `incrementalAlterConfigs`,
//! `prepareIncrementalConfigs`, `alterTopicConfigs`: the topic must be in the metadata cache,
//! the resulting overrides are validated (`LogConfig.validate`), then written to
//! `/config/topics/<t>` with a `/config/changes/config_change_` notification, which every
//! broker's config listener applies to its logs. AlterConfigs replaces the whole override set;
//! IncrementalAlterConfigs applies SET / DELETE / APPEND / SUBTRACT to the stored overrides.
//! Dynamic broker configs (`/config/brokers`) are not supported: BROKER resources get
//! INVALID_REQUEST with a message saying so.

use std::collections::BTreeMap;

use kafka_protocol::messages::alter_configs_response::AlterConfigsResourceResponse as LegacyResult;
use kafka_protocol::messages::incremental_alter_configs_response::AlterConfigsResourceResponse;
use kafka_protocol::messages::{
    AlterConfigsRequest, AlterConfigsResponse, IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::describe_configs::{topic_config_type, RESOURCE_BROKER, RESOURCE_TOPIC};
use super::zk_admin_manager::ZkAdminManager;
use super::{decode_body, respond, KafkaApis};
use crate::admin::AdminError;
use crate::log::config::TOPIC_CONFIG_NAMES;
use crate::network::{Request, Response};

/// `AlterConfigOp.OpType` ids.
const OP_SET: i8 = 0;
const OP_DELETE: i8 = 1;
const OP_APPEND: i8 = 2;
const OP_SUBTRACT: i8 = 3;

/// A resource's outcome: error code and message.
type Outcome = (i16, Option<String>);

fn error(e: AdminError) -> Outcome {
    (e.error_code(), e.wire_message())
}

fn invalid_request(message: impl Into<String>) -> Outcome {
    (42, Some(message.into()))
}

/// Kafka: `ZkAdminManager.alterTopicConfigs`.
async fn alter_topic_configs(
    manager: &ZkAdminManager,
    topic: &str,
    overrides: BTreeMap<String, String>,
    validate_only: bool,
) -> Outcome {
    if topic.is_empty() {
        return invalid_request("Default topic resources are not allowed.");
    }
    if !manager.metadata_cache.contains_topic(topic) {
        return (3, Some(format!("The topic '{topic}' does not exist.")));
    }
    if let Err(e) = manager.admin_zk.validate_topic_configs(&overrides) {
        return error(e);
    }
    if validate_only {
        return (0, None);
    }
    tracing::info!("Updating topic {topic} with new configuration : {overrides:?}");
    match manager
        .admin_zk
        .change_topic_config(topic, &overrides)
        .await
    {
        Ok(()) => (0, None),
        Err(e) => error(e),
    }
}

/// Kafka: `ZkAdminManager.prepareIncrementalConfigs`.
fn apply_incremental(
    props: &mut BTreeMap<String, String>,
    ops: &[(String, i8, Option<String>)],
) -> Result<(), Outcome> {
    for (name, op, value) in ops {
        let is_list = topic_config_type(name) == "LIST";
        match *op {
            OP_SET => match value {
                Some(v) => {
                    props.insert(name.clone(), v.clone());
                }
                None => {
                    return Err(invalid_request(format!(
                        "Null value not supported for : {name}"
                    )))
                }
            },
            OP_DELETE => {
                props.remove(name);
            }
            OP_APPEND | OP_SUBTRACT => {
                if !TOPIC_CONFIG_NAMES.contains(&name.as_str()) {
                    return Err((40, Some(format!("Unknown topic config name: {name}"))));
                }
                if !is_list {
                    let verb = if *op == OP_APPEND {
                        "append"
                    } else {
                        "subtract"
                    };
                    return Err(invalid_request(format!(
                        "Config value {verb} is not allowed for config key: {name}"
                    )));
                }
                let current: Vec<String> = match props.get(name) {
                    Some(v) => split_list(v),
                    None => split_list(
                        &crate::log::LogConfig::default()
                            .get(name)
                            .unwrap_or_default(),
                    ),
                };
                let given = split_list(value.as_deref().unwrap_or(""));
                let next: Vec<String> = if *op == OP_APPEND {
                    let mut v = current.clone();
                    v.extend(given.into_iter().filter(|g| !current.contains(g)));
                    v
                } else {
                    current.into_iter().filter(|c| !given.contains(c)).collect()
                };
                props.insert(name.clone(), next.join(","));
            }
            other => {
                return Err(invalid_request(format!(
                    "Unknown config operation {other} for config key: {name}"
                )))
            }
        }
    }
    Ok(())
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// One resource of either request: topics get `topic_props()` (the new override set) written,
/// brokers are refused (no dynamic broker configs), other types are unsupported.
async fn alter_resource<F, Fut>(
    manager: &ZkAdminManager,
    resource_type: i8,
    name: &str,
    validate_only: bool,
    topic_props: F,
) -> Outcome
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<BTreeMap<String, String>, Outcome>>,
{
    match resource_type {
        RESOURCE_TOPIC => match topic_props().await {
            Ok(props) => alter_topic_configs(manager, name, props, validate_only).await,
            Err(outcome) => outcome,
        },
        RESOURCE_BROKER => invalid_request("Dynamic broker configs are not supported by zkafka."),
        other => invalid_request(format!("Unsupported resource type: {other}")),
    }
}

fn duplicates<'a>(names: impl Iterator<Item = &'a str>) -> bool {
    let mut seen = std::collections::HashSet::new();
    names.into_iter().any(|n| !seen.insert(n))
}

pub(super) async fn handle_incremental(apis: &KafkaApis, request: &Request) -> Response {
    let req: IncrementalAlterConfigsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let Some(manager) = apis.admin_manager.clone() else {
        return Response::Close("IncrementalAlterConfigs before the admin manager started".into());
    };
    let mut responses = Vec::with_capacity(req.resources.len());
    for resource in &req.resources {
        let name = resource.resource_name.to_string();
        let ops: Vec<(String, i8, Option<String>)> = resource
            .configs
            .iter()
            .map(|c| {
                (
                    c.name.to_string(),
                    c.config_operation,
                    c.value.as_ref().map(|v| v.to_string()),
                )
            })
            .collect();
        let (code, message) = if duplicates(ops.iter().map(|(n, _, _)| n.as_str())) {
            // Kafka: KafkaApis.handleIncrementalAlterConfigsRequest.
            invalid_request("Error due to duplicate config keys")
        } else {
            alter_resource(
                &manager,
                resource.resource_type,
                &name,
                req.validate_only,
                || async {
                    let mut props = manager
                        .admin_zk
                        .fetch_entity_config("topics", &name)
                        .await
                        .map_err(error)?;
                    apply_incremental(&mut props, &ops)?;
                    Ok(props)
                },
            )
            .await
        };
        responses.push(
            AlterConfigsResourceResponse::default()
                .with_error_code(code)
                .with_error_message(message.map(StrBytes::from_string))
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone()),
        );
    }
    respond(
        request,
        &IncrementalAlterConfigsResponse::default().with_responses(responses),
    )
}

pub(super) async fn handle_legacy(apis: &KafkaApis, request: &Request) -> Response {
    let req: AlterConfigsRequest = match decode_body(request) {
        Ok(r) => r,
        Err(close) => return close,
    };
    let Some(manager) = apis.admin_manager.clone() else {
        return Response::Close("AlterConfigs before the admin manager started".into());
    };
    let mut responses = Vec::with_capacity(req.resources.len());
    for resource in &req.resources {
        let name = resource.resource_name.to_string();
        let nulls: Vec<String> = resource
            .configs
            .iter()
            .filter(|c| c.value.is_none())
            .map(|c| c.name.to_string())
            .collect();
        let (code, message) = if !nulls.is_empty() {
            invalid_request(format!(
                "Null value not supported for : {}",
                nulls.join(",")
            ))
        } else {
            let props: BTreeMap<String, String> = resource
                .configs
                .iter()
                .filter_map(|c| {
                    c.value
                        .as_ref()
                        .map(|v| (c.name.to_string(), v.to_string()))
                })
                .collect();
            alter_resource(
                &manager,
                resource.resource_type,
                &name,
                req.validate_only,
                || async { Ok(props) },
            )
            .await
        };
        responses.push(
            LegacyResult::default()
                .with_error_code(code)
                .with_error_message(message.map(StrBytes::from_string))
                .with_resource_type(resource.resource_type)
                .with_resource_name(resource.resource_name.clone()),
        );
    }
    respond(
        request,
        &AlterConfigsResponse::default().with_responses(responses),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ops(list: &[(&str, i8, Option<&str>)]) -> Vec<(String, i8, Option<String>)> {
        list.iter()
            .map(|(n, o, v)| (n.to_string(), *o, v.map(str::to_string)))
            .collect()
    }

    /// SET / DELETE on any key, APPEND / SUBTRACT only on list keys, starting from the default
    /// when the key is not overridden (`ZkAdminManager.prepareIncrementalConfigs`).
    #[test]
    fn incremental_operations() {
        let mut props: BTreeMap<String, String> =
            [("retention.ms".to_string(), "1".to_string())].into();
        apply_incremental(
            &mut props,
            &ops(&[
                ("retention.ms", OP_DELETE, None),
                ("segment.ms", OP_SET, Some("100")),
                ("cleanup.policy", OP_APPEND, Some("compact")),
            ]),
        )
        .unwrap();
        assert_eq!(
            props,
            [
                ("cleanup.policy".to_string(), "delete,compact".to_string()),
                ("segment.ms".to_string(), "100".to_string()),
            ]
            .into()
        );
        apply_incremental(
            &mut props,
            &ops(&[("cleanup.policy", OP_SUBTRACT, Some("delete"))]),
        )
        .unwrap();
        assert_eq!(props["cleanup.policy"], "compact");
        let err = apply_incremental(&mut props, &ops(&[("segment.ms", OP_APPEND, Some("1"))]))
            .unwrap_err();
        assert_eq!(
            err,
            (
                42,
                Some("Config value append is not allowed for config key: segment.ms".into())
            )
        );
    }
}
