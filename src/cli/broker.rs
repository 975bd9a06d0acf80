//! `zkafka broker --config <server.properties> [--override key=value]...`
//!
//! The shape of Kafka's `kafka-server-start.sh` (`kafka.Kafka.main`): load the properties,
//! apply overrides, start `KafkaServer`, wait for SIGTERM/SIGINT, shut down in reverse order.
//! Exit codes: 0 after a clean shutdown; 1 for a configuration error or a startup failure
//! (duplicate broker id, cluster-id mismatch, unreachable ZooKeeper ...), with one log line
//! naming the problem.

use std::path::PathBuf;

use crate::config::KafkaConfig;
use crate::server::KafkaServer;

/// Arguments of `zkafka broker`, shaped like `kafka-server-start.sh`.
#[derive(clap::Args, Debug)]
pub struct BrokerArgs {
    /// Path to a Kafka `server.properties` file.
    #[arg(long)]
    pub config: PathBuf,
    /// `key=value` overriding a property from the file (repeatable), like Kafka's `--override`.
    #[arg(long = "override", value_name = "KEY=VALUE")]
    pub overrides: Vec<String>,
}

/// Logs to stderr; `RUST_LOG` selects levels (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Runs a broker until SIGTERM/SIGINT; returns the process exit code.
pub fn run(args: BrokerArgs) -> i32 {
    init_logging();
    let config = match KafkaConfig::load(&args.config, &args.overrides) {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("Invalid configuration: {e}");
            return 1;
        }
    };
    // Kafka: AbstractConfig.logUnused.
    for key in config.unknown_keys() {
        tracing::warn!("The configuration '{key}' was supplied but isn't a known config.");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("Cannot start the async runtime: {e}");
            return 1;
        }
    };
    runtime.block_on(run_server(config))
}

async fn run_server(config: KafkaConfig) -> i32 {
    let signal = shutdown_signal();
    tokio::pin!(signal);
    let server = tokio::select! {
        r = KafkaServer::startup(config) => match r {
            Ok(s) => s,
            Err(e) => {
                tracing::error!("Exiting: {e}");
                return 1;
            }
        },
        name = &mut signal => {
            tracing::info!("Received {name} during startup; exiting");
            return 0;
        }
    };
    let name = signal.await;
    tracing::info!("Received {name}; shutting down");
    server.shutdown().await;
    0
}

/// Resolves on SIGTERM or SIGINT with the signal's name.
async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("Cannot install a SIGTERM handler: {e}; only SIGINT stops the broker");
            let _ = tokio::signal::ctrl_c().await;
            return "SIGINT";
        }
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = tokio::signal::ctrl_c() => "SIGINT",
    }
}
