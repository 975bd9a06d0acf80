//! `zkafka` command line: parses arguments and dispatches to `zkafka::cli`.

use clap::{Parser, Subcommand};
use zkafka::cli;

#[derive(Parser, Debug)]
#[command(
    name = "zkafka",
    version,
    about = "Apache Kafka's ZooKeeper-mode broker, rebuilt in Rust"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a broker (like kafka-server-start.sh).
    Broker(cli::broker::BrokerArgs),
    /// Inspect and validate the ZooKeeper tree.
    Zk(cli::zk::ZkArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Broker(args) => cli::broker::run(args),
        Command::Zk(args) => cli::zk::run(args),
    };
    std::process::exit(code);
}
