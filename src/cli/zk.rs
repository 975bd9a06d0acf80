//! `zkafka zk tree|check --zookeeper host:port[,host:port]/chroot`
//!
//! `tree` prints the znode tree under the chroot, one znode per line, indented, with its mode
//! (ephemeral ones are marked) and a decoded reading of its payload — a teaching aid for
//! Kafka's ZooKeeper layout. `check` validates every znode against the embedded zk-schema
//! (`zk::znodes::check`) and exits non-zero, naming each znode and violated rule, on any drift.
//!
//! Exit codes: 0 clean, 1 violations found (`check`), 2 usage or connection errors.

use std::io::Write;
use std::time::Duration;

use zookeeper_client as zk;

use crate::zk::znodes::check::{check_tree, CheckReport, ZNodeSnapshot};
use crate::zk::znodes::payload;
use crate::zk::znodes::tree::{Mode, Payload, ZkTree};

/// Arguments of `zkafka zk`.
#[derive(clap::Args, Debug)]
pub struct ZkArgs {
    #[command(subcommand)]
    pub command: ZkCommand,
}

/// The `zkafka zk` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum ZkCommand {
    /// Print the znode tree under a chroot with decoded payloads.
    Tree {
        /// `host:port[,host:port]/chroot`
        #[arg(long)]
        zookeeper: String,
        /// Also print each payload's raw bytes.
        #[arg(long)]
        raw: bool,
    },
    /// Validate a live tree against zk-schema; non-zero exit on any drift.
    Check {
        /// `host:port[,host:port]/chroot`
        #[arg(long)]
        zookeeper: String,
    },
}

/// How long we wait for a ZooKeeper session before giving up. A CLI should fail fast; Kafka's
/// own default (`zookeeper.connection.timeout.ms` = session timeout = 18 s) is meant for brokers.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs a `zkafka zk` subcommand; returns the process exit code.
pub fn run(args: ZkArgs) -> i32 {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("zkafka zk: cannot start the async runtime: {e}");
            return 2;
        }
    };
    runtime.block_on(async move {
        match args.command {
            ZkCommand::Tree { zookeeper, raw } => tree(&zookeeper, raw).await,
            ZkCommand::Check { zookeeper } => check(&zookeeper).await,
        }
    })
}

/// Reads the whole tree under the chroot (depth-first, children sorted).
async fn snapshot(connect: &str) -> Result<Vec<ZNodeSnapshot>, String> {
    // With `zookeeper.set.acl` some znodes are readable only by the brokers' identity: log in
    // like them when KAFKA_OPTS names a JAAS client section (zk::zk_security).
    let login = crate::zk::zk_security::zk_sasl_credentials(
        &crate::zk::zk_security::JvmSystemProperties::from_env(),
    )
    .map_err(|e| e.to_string())?;
    let mut connector = zk::Client::connector();
    if let Some(login) = login {
        connector =
            connector.with_sasl(zk::SaslOptions::digest_md5(login.username, login.password));
    }
    let client = tokio::time::timeout(
        CONNECT_TIMEOUT,
        connector
            .with_session_timeout(CONNECT_TIMEOUT)
            .with_connection_timeout(CONNECT_TIMEOUT)
            .with_fail_eagerly()
            .connect(connect),
    )
    .await
    .map_err(|_| {
        format!(
            "no ZooKeeper session with {connect} within {}s",
            CONNECT_TIMEOUT.as_secs()
        )
    })?
    .map_err(|e| format!("cannot connect to ZooKeeper {connect}: {e}"))?;
    let mut out = Vec::new();
    let mut stack = vec!["/".to_string()];
    while let Some(path) = stack.pop() {
        let (data, stat) = match client.get_data(&path).await {
            Ok(r) => r,
            // Deleted between listing and reading (e.g. a notification the controller consumed).
            Err(zk::Error::NoNode) if path != "/" => continue,
            Err(zk::Error::NoNode) => {
                return Err(format!("the chroot of {connect} does not exist"))
            }
            Err(e) => return Err(format!("reading {path}: {e}")),
        };
        let mut children = match client.list_children(&path).await {
            Ok(c) => c,
            Err(zk::Error::NoNode) => Vec::new(),
            Err(e) => return Err(format!("listing {path}: {e}")),
        };
        // Numeric names (broker ids, partitions) in numeric order, the rest by name.
        children.sort_by_key(|c| match c.parse::<i64>() {
            Ok(n) => (0, n, c.clone()),
            Err(_) => (1, 0, c.clone()),
        });
        for child in children.iter().rev() {
            stack.push(if path == "/" {
                format!("/{child}")
            } else {
                format!("{path}/{child}")
            });
        }
        out.push(ZNodeSnapshot {
            path,
            data,
            ephemeral_owner: stat.ephemeral_owner,
            version: stat.version,
        });
    }
    Ok(out)
}

fn chroot_of(connect: &str) -> &str {
    connect.find('/').map(|i| &connect[i..]).unwrap_or("/")
}

fn embedded_tree() -> Result<&'static ZkTree, i32> {
    ZkTree::kafka39().map_err(|e| {
        eprintln!("zkafka zk: embedded zk-schema is broken: {e}");
        2
    })
}

async fn tree(connect: &str, raw: bool) -> i32 {
    let Ok(schema_tree) = embedded_tree() else {
        return 2;
    };
    let nodes = match snapshot(connect).await {
        Ok(n) => n,
        Err(e) => {
            eprintln!("zkafka zk tree: {e}");
            return 2;
        }
    };
    // Write through a locked handle and stop quietly when the reader goes away (`| head`).
    let mut out = std::io::stdout().lock();
    for node in &nodes {
        let mut text = describe_line(schema_tree, node, connect);
        if raw && !node.data.is_empty() {
            let depth = node.path.matches('/').count() - usize::from(node.path == "/");
            text.push_str(&format!(
                "\n{}    = {}",
                "  ".repeat(depth),
                String::from_utf8_lossy(&node.data)
            ));
        }
        if writeln!(out, "{text}").is_err() {
            return 0;
        }
    }
    0
}

/// One line of `zk tree`: indented name, mode markers, decoded payload.
fn describe_line(schema_tree: &ZkTree, node: &ZNodeSnapshot, connect: &str) -> String {
    let (depth, name) = if node.path == "/" {
        (0, format!("{} (chroot)", chroot_of(connect)))
    } else {
        let depth = node.path.matches('/').count();
        (
            depth,
            node.path.rsplit('/').next().unwrap_or("").to_string(),
        )
    };
    let mut line = format!("{}{}", "  ".repeat(depth), name);
    if node.ephemeral_owner != 0 {
        line.push_str(&format!(
            "  [ephemeral, session 0x{:x}]",
            node.ephemeral_owner
        ));
    }
    let entry = schema_tree.lookup(&node.path);
    if let Some(e) = entry {
        if e.mode == Mode::PersistentSequential {
            line.push_str("  [sequential]");
        }
    }
    let text = match entry.map(|e| &e.payload) {
        _ if node.data.is_empty() => String::new(),
        Some(Payload::Json { schema, .. }) | Some(Payload::Text { schema }) => {
            match payload::decode(schema, &node.path, &node.data) {
                Ok(d) => d.summary(),
                Err(e) => format!("{} (not decodable: {e})", truncated(&node.data)),
            }
        }
        _ => truncated(&node.data),
    };
    if !text.is_empty() {
        line.push_str(&format!("  {text}"));
    }
    // The data version matters for teaching: it is the partition epoch of a state znode, the
    // sequence behind generated broker ids (`/brokers/seqid`) and the features epoch.
    if node.path != "/" && (!node.data.is_empty() || node.version != 0) {
        line.push_str(&format!("  (dataVersion {})", node.version));
    }
    line
}

fn truncated(data: &[u8]) -> String {
    let s = String::from_utf8_lossy(data);
    if s.chars().count() > 200 {
        format!("{}...", s.chars().take(200).collect::<String>())
    } else {
        s.into_owned()
    }
}

async fn check(connect: &str) -> i32 {
    let Ok(schema_tree) = embedded_tree() else {
        return 2;
    };
    let nodes = match snapshot(connect).await {
        Ok(n) => n,
        Err(e) => {
            eprintln!("zkafka zk check: {e}");
            return 2;
        }
    };
    let report: CheckReport = check_tree(schema_tree, &nodes);
    for v in &report.violations {
        println!("VIOLATION {v}");
    }
    for w in &report.warnings {
        println!("warning {w}");
    }
    let summary = format!(
        "zk check: {} znodes under {} checked against zk-schema (Kafka 3.9): {} violation(s), {} warning(s)",
        report.checked,
        chroot_of(connect),
        report.violations.len(),
        report.warnings.len()
    );
    println!("{summary}");
    i32::from(!report.violations.is_empty())
}
