//! `zkafka acls` — the shapes of Kafka's `kafka-acls.sh` (Kafka: `kafka.admin.AclCommand`,
//! `AdminClientService`) over `--bootstrap-server`: `--add`, `--remove`, `--list` with
//! `--allow-principal`/`--deny-principal`, `--allow-host`/`--deny-host`, `--operation`,
//! `--topic`, `--group`, `--cluster`, `--transactional-id`, `--resource-pattern-type`,
//! and the `--producer`/`--consumer` conveniences. The connection is PLAINTEXT (our client has
//! no SASL), so run it against a PLAINTEXT listener whose principal may alter ACLs.

use std::fmt::Write as _;

use kafka_protocol::messages::create_acls_request::AclCreation;
use kafka_protocol::messages::delete_acls_request::DeleteAclsFilter;
use kafka_protocol::messages::{CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest};
use kafka_protocol::protocol::StrBytes;

use crate::client::{ClientConfig, KafkaClient};
use crate::security::authorizer::acl_binding::{
    operation_code, operation_from_code, permission_code, permission_from_code, resource_type_code,
    resource_type_from_code, ANY,
};
use crate::security::KafkaPrincipal;
use crate::zk::znodes::{AclOperation, AclPermissionType, ResourceType, CLUSTER_RESOURCE_NAME};

/// Arguments of `zkafka acls`, named as `kafka-acls.sh`'s.
#[derive(clap::Args, Debug, Default)]
pub struct AclsArgs {
    /// REQUIRED: the Kafka server(s) to connect to, `host:port[,host:port]`.
    #[arg(long = "bootstrap-server", value_name = "SERVERS")]
    pub bootstrap_server: String,
    /// Add ACLs.
    #[arg(long)]
    pub add: bool,
    /// Remove ACLs.
    #[arg(long)]
    pub remove: bool,
    /// List ACLs for the given resource (all when none is given).
    #[arg(long)]
    pub list: bool,
    /// Assume yes to the removal prompt (accepted for compatibility; there is no prompt).
    #[arg(long)]
    pub force: bool,
    /// Topic resource (repeatable); `*` is the wildcard.
    #[arg(long)]
    pub topic: Vec<String>,
    /// Consumer group resource (repeatable).
    #[arg(long)]
    pub group: Vec<String>,
    /// The cluster resource.
    #[arg(long)]
    pub cluster: bool,
    /// Transactional id resource (repeatable).
    #[arg(long = "transactional-id")]
    pub transactional_id: Vec<String>,
    /// literal (default), prefixed; for --list/--remove also any and match.
    #[arg(long = "resource-pattern-type", default_value = "literal")]
    pub resource_pattern_type: String,
    /// Principal (`User:alice`) to allow (repeatable).
    #[arg(long = "allow-principal")]
    pub allow_principal: Vec<String>,
    /// Principal to deny (repeatable).
    #[arg(long = "deny-principal")]
    pub deny_principal: Vec<String>,
    /// With --list: only ACLs of this principal (repeatable).
    #[arg(long)]
    pub principal: Vec<String>,
    /// Host to allow (default `*` when --allow-principal is given).
    #[arg(long = "allow-host")]
    pub allow_host: Vec<String>,
    /// Host to deny (default `*` when --deny-principal is given).
    #[arg(long = "deny-host")]
    pub deny_host: Vec<String>,
    /// Operation (repeatable): Read, Write, Create, Delete, Alter, Describe, ClusterAction,
    /// AlterConfigs, DescribeConfigs, IdempotentWrite, CreateTokens, DescribeTokens, All.
    #[arg(long)]
    pub operation: Vec<String>,
    /// Producer convenience: Write, Describe, Create on the topics (and Write, Describe on the
    /// transactional ids; IdempotentWrite on the cluster with --idempotent).
    #[arg(long)]
    pub producer: bool,
    /// Consumer convenience: Read, Describe on the topics and Read on the groups.
    #[arg(long)]
    pub consumer: bool,
    /// With --producer: IdempotentWrite on the cluster.
    #[arg(long)]
    pub idempotent: bool,
}

/// One resource pattern named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Resource {
    resource_type: ResourceType,
    name: String,
}

/// Kafka's `AclOperation.fromString` (case-insensitive; `ClusterAction` or `CLUSTER_ACTION`).
fn parse_operation(s: &str) -> Result<AclOperation, String> {
    let norm = s.replace('_', "").to_ascii_lowercase();
    AclOperation::ALL
        .iter()
        .copied()
        .find(|o| o.pascal_name().to_ascii_lowercase() == norm)
        .ok_or_else(|| format!("Invalid operation: {s}"))
}

/// Upper-case Java enum name (`READ`, `CLUSTER_ACTION`), as `AccessControlEntry.toString`.
fn enum_name(pascal: &str) -> String {
    let mut out = String::new();
    for (i, c) in pascal.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

fn resources(args: &AclsArgs) -> Vec<Resource> {
    let mut out = Vec::new();
    for t in &args.topic {
        out.push(Resource {
            resource_type: ResourceType::Topic,
            name: t.clone(),
        });
    }
    for g in &args.group {
        out.push(Resource {
            resource_type: ResourceType::Group,
            name: g.clone(),
        });
    }
    for t in &args.transactional_id {
        out.push(Resource {
            resource_type: ResourceType::TransactionalId,
            name: t.clone(),
        });
    }
    if args.cluster || (args.producer && args.idempotent) {
        out.push(Resource {
            resource_type: ResourceType::Cluster,
            name: CLUSTER_RESOURCE_NAME.to_string(),
        });
    }
    out
}

/// The operations each resource gets. Kafka: `AclCommand.getProducerResourceFilterToAcls` /
/// `getConsumerResourceFilterToAcls` / `getResourceFilterToAcls`.
fn operations_for(args: &AclsArgs, r: &Resource) -> Result<Vec<AclOperation>, String> {
    use AclOperation as O;
    if args.producer || args.consumer {
        let mut ops = Vec::new();
        match r.resource_type {
            ResourceType::Topic => {
                if args.producer {
                    ops.extend([O::Write, O::Describe, O::Create]);
                }
                if args.consumer {
                    ops.extend([O::Read, O::Describe]);
                }
            }
            ResourceType::Group if args.consumer => ops.push(O::Read),
            ResourceType::TransactionalId if args.producer => ops.extend([O::Write, O::Describe]),
            ResourceType::Cluster if args.producer && args.idempotent => {
                ops.push(O::IdempotentWrite)
            }
            _ => {}
        }
        let mut seen = Vec::new();
        for o in ops {
            if !seen.contains(&o) {
                seen.push(o);
            }
        }
        return Ok(seen);
    }
    if args.operation.is_empty() {
        return Ok(vec![O::All]);
    }
    args.operation.iter().map(|o| parse_operation(o)).collect()
}

fn pattern_code(s: &str, for_filter: bool) -> Result<i8, String> {
    match s.to_ascii_lowercase().as_str() {
        "literal" => Ok(3),
        "prefixed" => Ok(4),
        "any" if for_filter => Ok(1),
        "match" if for_filter => Ok(2),
        _ => Err(format!("Invalid resource-pattern-type: {s}")),
    }
}

fn pattern_text(resource_type: i8, name: &str, pattern_type: i8) -> String {
    let rt = resource_type_from_code(resource_type)
        .map(|t| t.enum_name())
        .unwrap_or("UNKNOWN");
    let pt = match pattern_type {
        3 => "LITERAL",
        4 => "PREFIXED",
        _ => "UNKNOWN",
    };
    format!("ResourcePattern(resourceType={rt}, name={name}, patternType={pt})")
}

fn entry_text(principal: &str, host: &str, operation: i8, permission: i8) -> String {
    let op = operation_from_code(operation)
        .map(|o| enum_name(o.pascal_name()))
        .unwrap_or_default();
    let perm = permission_from_code(permission)
        .map(|p| enum_name(p.pascal_name()))
        .unwrap_or_default();
    format!("(principal={principal}, host={host}, operation={op}, permissionType={perm})")
}

/// (principal, host, permission) triples of --allow-*/--deny-*.
fn principals(args: &AclsArgs) -> Result<Vec<(String, String, AclPermissionType)>, String> {
    let mut out = Vec::new();
    for (ps, hosts, perm) in [
        (
            &args.allow_principal,
            &args.allow_host,
            AclPermissionType::Allow,
        ),
        (
            &args.deny_principal,
            &args.deny_host,
            AclPermissionType::Deny,
        ),
    ] {
        let hosts: Vec<String> = if hosts.is_empty() {
            vec!["*".into()]
        } else {
            hosts.clone()
        };
        for p in ps {
            let p = KafkaPrincipal::parse(p).map_err(|e| e.to_string())?;
            for h in &hosts {
                out.push((p.to_string(), h.clone(), perm));
            }
        }
    }
    Ok(out)
}

/// Runs the command; returns the process exit code.
pub fn run(args: AclsArgs) -> i32 {
    let runtime = match crate::client::tool_runtime() {
        Ok(r) => r,
        Err(code) => return code,
    };
    match runtime.block_on(execute(&args)) {
        Ok(out) => {
            print!("{out}");
            0
        }
        Err(message) => {
            println!("Error while executing ACL command: {message}");
            1
        }
    }
}

async fn execute(args: &AclsArgs) -> Result<String, String> {
    let actions = [args.add, args.remove, args.list]
        .iter()
        .filter(|b| **b)
        .count();
    if actions != 1 {
        return Err("Command must include exactly one action: --list, --add, --remove.".into());
    }
    let client = KafkaClient::connect(ClientConfig::new(&args.bootstrap_server))
        .await
        .map_err(|e| e.to_string())?;
    let mut out = String::new();
    if args.add {
        let pattern_type = pattern_code(&args.resource_pattern_type, false)?;
        let principals = principals(args)?;
        if principals.is_empty() {
            return Err("You must specify one of: --allow-principal, --deny-principal when trying to add ACLs.".into());
        }
        let rs = resources(args);
        if rs.is_empty() {
            return Err("You must specify one of: --topic, --cluster, --group, --transactional-id when trying to add ACLs.".into());
        }
        for r in &rs {
            let mut creations = Vec::new();
            for op in operations_for(args, r)? {
                for (p, h, perm) in &principals {
                    creations.push(
                        AclCreation::default()
                            .with_resource_type(resource_type_code(r.resource_type))
                            .with_resource_name(StrBytes::from_string(r.name.clone()))
                            .with_resource_pattern_type(pattern_type)
                            .with_principal(StrBytes::from_string(p.clone()))
                            .with_host(StrBytes::from_string(h.clone()))
                            .with_operation(operation_code(op))
                            .with_permission_type(permission_code(*perm)),
                    );
                }
            }
            let _ = writeln!(
                out,
                "Adding ACLs for resource `{}`: ",
                pattern_text(resource_type_code(r.resource_type), &r.name, pattern_type)
            );
            for c in &creations {
                let _ = writeln!(
                    out,
                    " \t{} ",
                    entry_text(&c.principal, &c.host, c.operation, c.permission_type)
                );
            }
            out.push('\n');
            let conn = client.any_connection().await.map_err(|e| e.to_string())?;
            let resp = client
                .send_on(
                    &conn,
                    &CreateAclsRequest::default().with_creations(creations),
                    3,
                )
                .await
                .map_err(|e| e.to_string())?;
            for r in resp.results {
                if r.error_code != 0 {
                    return Err(format!(
                        "{}: {}",
                        crate::client::error::error_name(r.error_code),
                        r.error_message.map(|m| m.to_string()).unwrap_or_default()
                    ));
                }
            }
        }
        // Kafka prints the resulting ACLs of each resource after adding.
        out.push_str(&list(&client, args, Some(pattern_type)).await?);
    } else if args.remove {
        let pattern_type = pattern_code(&args.resource_pattern_type, true)?;
        let rs = resources(args);
        if rs.is_empty() {
            return Err("You must specify one of: --topic, --cluster, --group, --transactional-id when trying to remove ACLs.".into());
        }
        let principals = principals(args)?;
        let mut filters = Vec::new();
        for r in &rs {
            let ops = operations_for(args, r)?;
            let base = DeleteAclsFilter::default()
                .with_resource_type_filter(resource_type_code(r.resource_type))
                .with_resource_name_filter(Some(StrBytes::from_string(r.name.clone())))
                .with_pattern_type_filter(pattern_type)
                // The crate's defaults are "" (match nothing); null matches every value.
                .with_principal_filter(None)
                .with_host_filter(None);
            if principals.is_empty() {
                // No principal: remove every ACL of the resource.
                filters.push(base.with_operation(ANY).with_permission_type(ANY));
            } else {
                for op in &ops {
                    for (p, h, perm) in &principals {
                        filters.push(
                            base.clone()
                                .with_principal_filter(Some(StrBytes::from_string(p.clone())))
                                .with_host_filter(Some(StrBytes::from_string(h.clone())))
                                .with_operation(operation_code(*op))
                                .with_permission_type(permission_code(*perm)),
                        );
                    }
                }
            }
            let _ = writeln!(
                out,
                "Removing ACLs for resource `{}`: \n",
                pattern_text(
                    resource_type_code(r.resource_type),
                    &r.name,
                    pattern_type.max(3)
                )
            );
        }
        let conn = client.any_connection().await.map_err(|e| e.to_string())?;
        let resp = client
            .send_on(
                &conn,
                &DeleteAclsRequest::default().with_filters(filters),
                3,
            )
            .await
            .map_err(|e| e.to_string())?;
        for r in resp.filter_results {
            if r.error_code != 0 {
                return Err(format!(
                    "{}: {}",
                    crate::client::error::error_name(r.error_code),
                    r.error_message.map(|m| m.to_string()).unwrap_or_default()
                ));
            }
        }
    } else {
        let pattern_type = pattern_code(&args.resource_pattern_type, true)?;
        out.push_str(&list(&client, args, Some(pattern_type)).await?);
    }
    Ok(out)
}

/// Kafka: `AclCommand.listAcls` — "Current ACLs for resource `...`:" blocks.
async fn list(
    client: &KafkaClient,
    args: &AclsArgs,
    pattern_type: Option<i8>,
) -> Result<String, String> {
    let rs = resources(args);
    let mut requests = Vec::new();
    let principal_filters: Vec<Option<String>> = if args.principal.is_empty() {
        vec![None]
    } else {
        args.principal.iter().map(|p| Some(p.clone())).collect()
    };
    for pf in &principal_filters {
        if rs.is_empty() {
            requests.push(
                DescribeAclsRequest::default()
                    .with_resource_type_filter(ANY)
                    .with_resource_name_filter(None)
                    .with_host_filter(None)
                    .with_pattern_type_filter(ANY)
                    .with_principal_filter(pf.clone().map(StrBytes::from_string))
                    .with_operation(ANY)
                    .with_permission_type(ANY),
            );
        }
        for r in &rs {
            requests.push(
                DescribeAclsRequest::default()
                    .with_resource_type_filter(resource_type_code(r.resource_type))
                    .with_resource_name_filter(Some(StrBytes::from_string(r.name.clone())))
                    .with_pattern_type_filter(pattern_type.unwrap_or(3))
                    .with_host_filter(None)
                    .with_principal_filter(pf.clone().map(StrBytes::from_string))
                    .with_operation(ANY)
                    .with_permission_type(ANY),
            );
        }
    }
    let conn = client.any_connection().await.map_err(|e| e.to_string())?;
    let mut out = String::new();
    for req in requests {
        let resp = client
            .send_on(&conn, &req, 3)
            .await
            .map_err(|e| e.to_string())?;
        if resp.error_code != 0 {
            return Err(format!(
                "{}: {}",
                crate::client::error::error_name(resp.error_code),
                resp.error_message
                    .map(|m| m.to_string())
                    .unwrap_or_default()
            ));
        }
        for r in resp.resources {
            let _ = writeln!(
                out,
                "Current ACLs for resource `{}`: ",
                pattern_text(r.resource_type, &r.resource_name, r.pattern_type)
            );
            for a in r.acls {
                let _ = writeln!(
                    out,
                    " \t{} ",
                    entry_text(&a.principal, &a.host, a.operation, a.permission_type)
                );
            }
            out.push('\n');
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's `AclCommand` accepts operation names in any case and prints entries as
    /// `AccessControlEntry.toString` (`operation=CLUSTER_ACTION, permissionType=ALLOW`).
    #[test]
    fn names_and_texts() {
        assert_eq!(parse_operation("read").unwrap(), AclOperation::Read);
        assert_eq!(
            parse_operation("ClusterAction").unwrap(),
            AclOperation::ClusterAction
        );
        assert_eq!(
            parse_operation("IDEMPOTENT_WRITE").unwrap(),
            AclOperation::IdempotentWrite
        );
        assert!(parse_operation("fly").is_err());
        assert_eq!(
            entry_text("User:alice", "*", 9, 3),
            "(principal=User:alice, host=*, operation=CLUSTER_ACTION, permissionType=ALLOW)"
        );
        assert_eq!(
            pattern_text(2, "t", 4),
            "ResourcePattern(resourceType=TOPIC, name=t, patternType=PREFIXED)"
        );
        let args = AclsArgs {
            producer: true,
            topic: vec!["t".into()],
            ..Default::default()
        };
        let r = &resources(&args)[0];
        assert_eq!(
            operations_for(&args, r).unwrap(),
            vec![
                AclOperation::Write,
                AclOperation::Describe,
                AclOperation::Create
            ]
        );
    }
}
