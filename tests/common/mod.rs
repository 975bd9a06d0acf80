//! Test harness shared by the integration tests: a real ZooKeeper (single node or a 3-node
//! ensemble, Debian's `zookeeper` package) on free 127.0.0.1 ports in temp dirs, real
//! `zkafka broker` processes, and read helpers over an independent ZooKeeper client.
//! Every process is killed on drop.
#![allow(dead_code)]

use std::io::Read;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zookeeper_client as zkc;

pub const SESSION_TIMEOUT_MS: u64 = 6000;
pub const CHROOT: &str = "/zkafka";

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A single-node ZooKeeper server.
pub struct ZooKeeper {
    pub port: u16,
    pub child: Child,
    pub _dir: tempfile::TempDir,
}

impl ZooKeeper {
    pub fn start() -> ZooKeeper {
        let dir = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).unwrap();
        let cfg = dir.path().join("zoo.cfg");
        std::fs::write(
            &cfg,
            format!(
                "tickTime=500\ndataDir={}\nclientPort={port}\nclientPortAddress=127.0.0.1\n\
                 admin.enableServer=false\nminSessionTimeout=1000\nmaxSessionTimeout=60000\n\
                 4lw.commands.whitelist=*\n",
                data.display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("zk.log")).unwrap();
        let child = Command::new("java")
            .args([
                "-Xmx256m",
                "-cp",
                "/usr/share/java/zookeeper.jar",
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
            ])
            .arg(&cfg)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start ZooKeeper (apt-get install zookeeper)");
        let zk = ZooKeeper {
            port,
            child,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "ZooKeeper did not start");
            std::thread::sleep(Duration::from_millis(200));
        }
        zk
    }

    pub fn connect_string(&self) -> String {
        format!("127.0.0.1:{}{CHROOT}", self.port)
    }

    /// An independent client rooted at the chroot (created if needed).
    pub async fn client(&self) -> zkc::Client {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match zkc::Client::connect(&format!("127.0.0.1:{}", self.port)).await {
                Ok(c) => {
                    let _ = c
                        .mkdir(
                            CHROOT,
                            &zkc::CreateMode::Persistent.with_acls(zkc::Acls::anyone_all()),
                        )
                        .await;
                    return c
                        .chroot(CHROOT)
                        .unwrap_or_else(|_| panic!("chroot {CHROOT}"));
                }
                Err(e) => {
                    assert!(
                        Instant::now() < deadline,
                        "cannot connect to ZooKeeper: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
        }
    }
}

impl Drop for ZooKeeper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One `zkafka broker` process.
pub struct Broker {
    pub child: Option<Child>,
    pub dir: PathBuf,
    pub port: u16,
    pub _tmp: Option<tempfile::TempDir>,
}

impl Broker {
    /// Starts a broker with `extra` lines appended to a generated server.properties.
    pub fn start(zk: &ZooKeeper, broker_id: Option<i32>, extra: &str) -> Broker {
        Broker::start_with(&zk.connect_string(), broker_id, extra)
    }

    /// Starts a broker against any `zookeeper.connect` string.
    pub fn start_with(zk_connect: &str, broker_id: Option<i32>, extra: &str) -> Broker {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let port = free_port();
        let mut props = format!(
            "listeners=PLAINTEXT://127.0.0.1:{port}\nlog.dirs={}\nzookeeper.connect={}\n\
             zookeeper.session.timeout.ms={SESSION_TIMEOUT_MS}\n",
            dir.join("logs").display(),
            zk_connect
        );
        if let Some(id) = broker_id {
            props.push_str(&format!("broker.id={id}\n"));
        }
        props.push_str(extra);
        std::fs::write(dir.join("server.properties"), props).unwrap();
        let mut b = Broker {
            child: None,
            dir,
            port,
            _tmp: Some(tmp),
        };
        b.spawn();
        b
    }

    pub fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("broker.log"))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_zkafka"))
            .arg("broker")
            .arg("--config")
            .arg(self.dir.join("server.properties"))
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("spawn zkafka broker");
        self.child = Some(child);
    }

    pub fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.join("broker.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut()?;
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                self.child = None;
                return status.code();
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    pub fn logs_dir(&self) -> PathBuf {
        self.dir.join("logs")
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(pid) = self.child.as_ref().map(|c| c.id()) {
            // A SIGSTOPped process must be continued to die promptly on SIGKILL's wait.
            let _ = Command::new("kill")
                .arg("-CONT")
                .arg(pid.to_string())
                .status();
        }
        self.kill9();
    }
}

pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn get(zk: &zkc::Client, path: &str) -> Option<(Vec<u8>, zkc::Stat)> {
    match zk.get_data(path).await {
        Ok(v) => Some(v),
        Err(zkc::Error::NoNode) => None,
        Err(e) => panic!("getData {path}: {e}"),
    }
}

pub async fn children(zk: &zkc::Client, path: &str) -> Vec<String> {
    match zk.list_children(path).await {
        Ok(mut v) => {
            v.sort();
            v
        }
        Err(zkc::Error::NoNode) => vec![],
        Err(e) => panic!("getChildren {path}: {e}"),
    }
}

pub async fn controller_id(zk: &zkc::Client) -> Option<i32> {
    let (data, _) = get(zk, "/controller").await?;
    let v: serde_json::Value = serde_json::from_slice(&data).expect("controller JSON");
    v["brokerid"].as_i64().map(|i| i as i32)
}

pub async fn controller_epoch(zk: &zkc::Client) -> Option<String> {
    get(zk, "/controller_epoch")
        .await
        .map(|(d, _)| String::from_utf8(d).expect("epoch text"))
}

pub async fn wait_registered(zk: &zkc::Client, ids: &[&str]) {
    let want: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    wait_for(
        &format!("brokers {ids:?} registered"),
        Duration::from_secs(60),
        || async {
            let c = children(zk, "/brokers/ids").await;
            want.iter().all(|w| c.contains(w)).then_some(())
        },
    )
    .await;
}

/// A 3-node ZooKeeper ensemble.
pub struct Ensemble {
    pub client_ports: Vec<u16>,
    pub children: Vec<Option<Child>>,
    pub _dir: tempfile::TempDir,
}

impl Ensemble {
    pub fn start() -> Ensemble {
        let dir = tempfile::tempdir().unwrap();
        let ports: Vec<(u16, u16, u16)> = (0..3)
            .map(|_| (free_port(), free_port(), free_port()))
            .collect();
        let servers: String = ports
            .iter()
            .enumerate()
            .map(|(i, (_, q, e))| format!("server.{}=127.0.0.1:{q}:{e}\n", i + 1))
            .collect();
        let mut children = Vec::new();
        for (i, (client, _, _)) in ports.iter().enumerate() {
            let d = dir.path().join(format!("zk{}", i + 1));
            std::fs::create_dir_all(d.join("data")).unwrap();
            std::fs::write(d.join("data/myid"), format!("{}\n", i + 1)).unwrap();
            let cfg = d.join("zoo.cfg");
            std::fs::write(
                &cfg,
                format!(
                    "tickTime=500\ninitLimit=20\nsyncLimit=10\ndataDir={}\nclientPort={client}\n\
                     clientPortAddress=127.0.0.1\nadmin.enableServer=false\nminSessionTimeout=1000\n\
                     maxSessionTimeout=60000\n{servers}",
                    d.join("data").display()
                ),
            )
            .unwrap();
            let log = std::fs::File::create(d.join("zk.log")).unwrap();
            let child = Command::new("java")
                .args(["-Xmx256m", "-cp", "/usr/share/java/zookeeper.jar"])
                .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
                .arg(&cfg)
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start ZooKeeper");
            children.push(Some(child));
        }
        Ensemble {
            client_ports: ports.iter().map(|p| p.0).collect(),
            children,
            _dir: dir,
        }
    }

    pub fn hosts(&self) -> String {
        self.client_ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.children[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Ensemble {
    fn drop(&mut self) {
        for i in 0..self.children.len() {
            self.kill(i);
        }
    }
}
