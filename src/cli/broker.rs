//! `zkafka broker --config <server.properties> [--override key=value]...`

use std::path::PathBuf;

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

/// Runs a broker until SIGTERM/SIGINT; returns the process exit code.
pub fn run(_args: BrokerArgs) -> i32 {
    eprintln!("zkafka broker: not implemented yet");
    2
}
