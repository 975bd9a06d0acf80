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
    /// Create, list, describe, alter and delete topics (like kafka-topics.sh).
    Topics(cli::topics::TopicsArgs),
    /// Add, remove and list ACLs (like kafka-acls.sh).
    Acls(cli::acls::AclsArgs),
    /// Alter and describe SCRAM credentials of users (like kafka-configs.sh).
    Configs(cli::configs::ConfigsArgs),
    /// List, describe, delete consumer groups and reset their offsets (like kafka-consumer-groups.sh).
    Groups(cli::groups::GroupsArgs),
    /// Produce stdin lines as records (like kafka-console-producer.sh).
    Produce(cli::produce::ProduceArgs),
    /// Print records of a topic (like kafka-console-consumer.sh).
    Consume(cli::consume::ConsumeArgs),
    /// Producer and consumer benchmarks (like kafka-producer-perf-test.sh and
    /// kafka-consumer-perf-test.sh).
    Perf(cli::perf::PerfArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Broker(args) => cli::broker::run(args),
        Command::Zk(args) => cli::zk::run(args),
        Command::Topics(args) => cli::topics::run(args),
        Command::Acls(args) => cli::acls::run(args),
        Command::Configs(args) => cli::configs::run(args),
        Command::Groups(args) => cli::groups::run(args),
        Command::Produce(args) => cli::produce::run(args),
        Command::Consume(args) => cli::consume::run(args),
        Command::Perf(args) => cli::perf::run(args),
    };
    std::process::exit(code);
}
