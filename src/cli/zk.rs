//! `zkafka zk tree|check --zookeeper host:port[,host:port]/chroot`

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
    },
    /// Validate a live tree against zk-schema; non-zero exit on any drift.
    Check {
        /// `host:port[,host:port]/chroot`
        #[arg(long)]
        zookeeper: String,
    },
}

/// Runs a `zkafka zk` subcommand; returns the process exit code.
pub fn run(_args: ZkArgs) -> i32 {
    eprintln!("zkafka zk: not implemented yet");
    2
}
