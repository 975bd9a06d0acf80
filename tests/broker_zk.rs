//! Integration tests: real ZooKeeper (Debian's `zookeeper` package) + real `zkafka broker`
//! processes, checked with an independent ZooKeeper client.
//!
//! Each test starts its own ZooKeeper on a free 127.0.0.1 port in a temp dir and its brokers
//! with `zookeeper.session.timeout.ms=6000`. Every process is killed on drop.

use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zookeeper_client as zkc;

const SESSION_TIMEOUT_MS: u64 = 6000;
const CHROOT: &str = "/zkafka";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind an ephemeral port")
        .local_addr()
        .expect("local addr")
        .port()
}

/// A single-node ZooKeeper server.
struct ZooKeeper {
    port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl ZooKeeper {
    fn start() -> ZooKeeper {
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

    fn connect_string(&self) -> String {
        format!("127.0.0.1:{}{CHROOT}", self.port)
    }

    /// An independent client rooted at the chroot (created if needed).
    async fn client(&self) -> zkc::Client {
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
struct Broker {
    child: Option<Child>,
    dir: PathBuf,
    port: u16,
    _tmp: Option<tempfile::TempDir>,
}

impl Broker {
    /// Starts a broker with `extra` lines appended to a generated server.properties.
    fn start(zk: &ZooKeeper, broker_id: Option<i32>, extra: &str) -> Broker {
        Broker::start_with(&zk.connect_string(), broker_id, extra)
    }

    /// Starts a broker against any `zookeeper.connect` string.
    fn start_with(zk_connect: &str, broker_id: Option<i32>, extra: &str) -> Broker {
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

    fn spawn(&mut self) {
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

    fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.join("broker.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill")
            .success();
        assert!(ok, "kill -{sig} failed");
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Waits for the process to exit and returns its exit code.
    fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
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

    fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(c) => c.try_wait().unwrap().is_none(),
            None => false,
        }
    }

    fn logs_dir(&self) -> PathBuf {
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

async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut f: F) -> T
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

async fn get(zk: &zkc::Client, path: &str) -> Option<(Vec<u8>, zkc::Stat)> {
    match zk.get_data(path).await {
        Ok(v) => Some(v),
        Err(zkc::Error::NoNode) => None,
        Err(e) => panic!("getData {path}: {e}"),
    }
}

async fn children(zk: &zkc::Client, path: &str) -> Vec<String> {
    match zk.list_children(path).await {
        Ok(mut v) => {
            v.sort();
            v
        }
        Err(zkc::Error::NoNode) => vec![],
        Err(e) => panic!("getChildren {path}: {e}"),
    }
}

async fn controller_id(zk: &zkc::Client) -> Option<i32> {
    let (data, _) = get(zk, "/controller").await?;
    let v: serde_json::Value = serde_json::from_slice(&data).expect("controller JSON");
    v["brokerid"].as_i64().map(|i| i as i32)
}

async fn controller_epoch(zk: &zkc::Client) -> Option<String> {
    get(zk, "/controller_epoch")
        .await
        .map(|(d, _)| String::from_utf8(d).expect("epoch text"))
}

async fn wait_registered(zk: &zkc::Client, ids: &[&str]) {
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

/// Kafka registration (`KafkaZkClient.registerBroker`, `BrokerIdZNode.encode` v5, Scala 2.13
/// key order): a multi of create(EPHEMERAL) + setData(version 0) leaves dataVersion 1; the
/// broker epoch is the znode's czxid. Exactly one controller with epoch 1 (`KafkaController.elect`);
/// `/cluster/id` is Kafka's 22-char id and every log dir has a v0 meta.properties.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_brokers_register_and_elect_one_controller() {
    let server = ZooKeeper::start();
    let brokers: Vec<Broker> = (1..=3)
        .map(|id| Broker::start(&server, Some(id), ""))
        .collect();
    let zk = server.client().await;
    wait_registered(&zk, &["1", "2", "3"]).await;

    let (cid_data, _) = get(&zk, "/cluster/id").await.expect("/cluster/id");
    let cid: serde_json::Value = serde_json::from_slice(&cid_data).unwrap();
    assert_eq!(cid["version"], "1", "version is the JSON string \"1\"");
    let cluster_id = cid["id"].as_str().unwrap().to_string();
    assert_eq!(cluster_id.len(), 22);
    assert_eq!(
        String::from_utf8(cid_data).unwrap(),
        format!("{{\"version\":\"1\",\"id\":\"{cluster_id}\"}}")
    );

    for (i, b) in brokers.iter().enumerate() {
        let id = i + 1;
        let (data, stat) = get(&zk, &format!("/brokers/ids/{id}"))
            .await
            .expect("registration");
        let text = String::from_utf8(data).unwrap();
        let prefix = format!(
            "{{\"features\":{{}},\"listener_security_protocol_map\":{{\"PLAINTEXT\":\"PLAINTEXT\"}},\
             \"endpoints\":[\"PLAINTEXT://127.0.0.1:{p}\"],\"jmx_port\":-1,\"port\":{p},\"host\":\"127.0.0.1\",\
             \"version\":5,\"timestamp\":\"",
            p = b.port
        );
        assert!(
            text.starts_with(&prefix),
            "payload {text}\nexpected prefix {prefix}"
        );
        assert!(text.ends_with("\"}"), "{text}");
        assert_eq!(
            stat.version, 1,
            "create(null) + setData(v0) → dataVersion 1"
        );
        assert_ne!(stat.ephemeral_owner, 0, "ephemeral");
        let log = b.log();
        assert!(
            log.contains(&format!("czxid (broker epoch): {}", stat.czxid)),
            "broker {id} logged a different epoch than czxid {}:\n{log}",
            stat.czxid
        );
        let meta = std::fs::read_to_string(b.logs_dir().join("meta.properties")).unwrap();
        assert!(
            meta.starts_with("#\n#")
                && meta.ends_with(&format!(
                    "broker.id={id}\nversion=0\ncluster.id={cluster_id}\n"
                )),
            "{meta}"
        );
    }

    let controller = wait_for("a controller", Duration::from_secs(30), || {
        controller_id(&zk)
    })
    .await;
    assert!((1..=3).contains(&controller));
    assert_eq!(controller_epoch(&zk).await.as_deref(), Some("1"));
    let (cdata, cstat) = get(&zk, "/controller").await.unwrap();
    let ctext = String::from_utf8(cdata).unwrap();
    assert!(
        ctext.starts_with(&format!(
            "{{\"version\":2,\"brokerid\":{controller},\"timestamp\":\""
        )) && ctext.ends_with("\",\"kraftControllerEpoch\":-1}"),
        "{ctext}"
    );
    assert_ne!(cstat.ephemeral_owner, 0);
    // `KafkaController.enableFeatureVersioning` on failover.
    let (feature, _) = get(&zk, "/feature")
        .await
        .expect("/feature created by the controller");
    assert_eq!(
        String::from_utf8(feature).unwrap(),
        r#"{"features":{},"version":2,"status":1}"#
    );
    let (_, estat) = get(&zk, "/controller_epoch").await.unwrap();
    assert_eq!(
        estat.version, 1,
        "created with 0 then set to 1 in the election multi"
    );
    for p in [
        "/consumers",
        "/brokers/topics",
        "/brokers/seqid",
        "/config/changes",
        "/admin/delete_topics",
        "/isr_change_notification",
        "/latest_producer_id_block",
        "/log_dir_event_notification",
        "/config/topics",
        "/config/clients",
        "/config/users",
        "/config/brokers",
        "/config/ips",
    ] {
        assert!(get(&zk, p).await.is_some(), "{p} missing");
    }
    let electeds = brokers
        .iter()
        .filter(|b| b.log().contains("successfully elected as the controller"))
        .count();
    assert_eq!(electeds, 1, "exactly one broker won the election");

    // The controller's data watch on /brokers/ids/<id> (`BrokerModificationsHandler`): an
    // endpoint change is picked up (`processBrokerModification`).
    let other = (1..=3).find(|i| *i != controller).unwrap();
    let path = format!("/brokers/ids/{other}");
    let (data, stat) = get(&zk, &path).await.unwrap();
    let port = brokers[(other - 1) as usize].port;
    let changed = String::from_utf8(data).unwrap().replace(
        &format!("PLAINTEXT://127.0.0.1:{port}"),
        &format!("PLAINTEXT://127.0.0.1:{}", port + 1),
    );
    zk.set_data(&path, changed.as_bytes(), Some(stat.version))
        .await
        .unwrap();
    let controller_log_path = brokers[(controller - 1) as usize].dir.join("broker.log");
    wait_for("broker modification seen", Duration::from_secs(30), || {
        let log = std::fs::read_to_string(&controller_log_path).unwrap_or_default();
        async move { log.contains("Updated broker metadata").then_some(()) }
    })
    .await;
}

/// Failover (`KafkaController.processReelect` on `/controller` deletion): kill -9 the controller
/// → after its session expires another broker is controller with epoch 2. Then the new
/// controller sees a broker die and come back (`processBrokerChange` log line).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_failover_after_kill_and_broker_change() {
    let server = ZooKeeper::start();
    let mut brokers: Vec<Broker> = (1..=3)
        .map(|id| Broker::start(&server, Some(id), ""))
        .collect();
    let zk = server.client().await;
    wait_registered(&zk, &["1", "2", "3"]).await;
    let first = wait_for("a controller", Duration::from_secs(30), || {
        controller_id(&zk)
    })
    .await;
    assert_eq!(controller_epoch(&zk).await.as_deref(), Some("1"));

    let started = Instant::now();
    brokers[(first - 1) as usize].kill9();
    let second = wait_for(
        "a new controller",
        Duration::from_millis(SESSION_TIMEOUT_MS + 15_000),
        || async { controller_id(&zk).await.filter(|c| *c != first) },
    )
    .await;
    assert_ne!(second, first);
    assert_eq!(controller_epoch(&zk).await.as_deref(), Some("2"));
    eprintln!("failover took {:?}", started.elapsed());

    // The other survivor dies and comes back: the controller records both.
    let third = (1..=3).find(|i| *i != first && *i != second).unwrap();
    let b = &mut brokers[(third - 1) as usize];
    b.kill9();
    let controller_log_path = brokers[(second - 1) as usize].dir.join("broker.log");
    let controller_log = || std::fs::read_to_string(&controller_log_path).unwrap_or_default();
    wait_for(
        "deleted broker logged",
        Duration::from_millis(SESSION_TIMEOUT_MS + 15_000),
        || {
            let log = controller_log();
            async move {
                log.contains(&format!("deleted brokers: {third},"))
                    .then_some(())
            }
        },
    )
    .await;
    brokers[(third - 1) as usize].spawn();
    wait_for("new broker logged", Duration::from_secs(30), || {
        let log = controller_log();
        async move {
            log.contains(&format!("Newly added brokers: {third}, deleted brokers: ,"))
                .then_some(())
        }
    })
    .await;
    assert_eq!(controller_id(&zk).await, Some(second));
}

/// Orderly shutdown (`KafkaServer.shutdown` closes the ZooKeeper session): SIGTERM → exit 0 and
/// the broker's ephemerals (`/brokers/ids/<id>`, `/controller`) are gone immediately, well
/// before the session timeout would remove them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_and_removes_ephemerals() {
    let server = ZooKeeper::start();
    let mut b = Broker::start(&server, Some(7), "");
    let zk = server.client().await;
    wait_registered(&zk, &["7"]).await;
    wait_for("controller 7", Duration::from_secs(30), || async {
        (controller_id(&zk).await == Some(7)).then_some(())
    })
    .await;
    let t = Instant::now();
    b.signal("TERM");
    assert_eq!(b.wait_exit(Duration::from_secs(20)), Some(0), "{}", b.log());
    assert!(get(&zk, "/brokers/ids/7").await.is_none());
    assert!(get(&zk, "/controller").await.is_none());
    assert!(
        t.elapsed() < Duration::from_millis(SESSION_TIMEOUT_MS),
        "took {:?}",
        t.elapsed()
    );
    let log = b.log();
    assert!(log.contains("shut down completed"), "{log}");
}

/// A second broker with a live broker.id is refused (`CheckedEphemeral`: node exists, owned by
/// another session → NODEEXISTS → startup fails) and exits non-zero with a clear message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_broker_id_is_refused() {
    let server = ZooKeeper::start();
    let _first = Broker::start(&server, Some(1), "");
    let zk = server.client().await;
    wait_registered(&zk, &["1"]).await;
    let mut dup = Broker::start(&server, Some(1), "");
    let code = dup.wait_exit(Duration::from_secs(60));
    let log = dup.log();
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("already registered by another live broker"),
        "{log}"
    );
    assert!(
        get(&zk, "/brokers/ids/1").await.is_some(),
        "the first broker keeps its id"
    );
}

/// `meta.properties` holding another cluster's id is refused (Kafka:
/// `InconsistentClusterIdException` / `MetaPropertiesEnsemble.verify`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_id_mismatch_is_refused() {
    let server = ZooKeeper::start();
    let tmp = tempfile::tempdir().unwrap();
    let logs = tmp.path().join("foreign-logs");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(
        logs.join("meta.properties"),
        "#\n#Thu Jan 01 00:00:00 UTC 1970\nbroker.id=1\nversion=0\ncluster.id=SomeOtherClusterIdAAAA\n",
    )
    .unwrap();
    let mut b = Broker::start(&server, Some(1), &format!("log.dirs={}\n", logs.display()));
    let code = b.wait_exit(Duration::from_secs(60));
    let log = b.log();
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("InconsistentClusterIdException"), "{log}");
    assert!(log.contains("SomeOtherClusterIdAAAA"), "{log}");
    let zk = server.client().await;
    assert!(
        get(&zk, "/brokers/ids/1").await.is_none(),
        "never registered"
    );
}

/// Bad configuration exits non-zero naming the key (`ConfigException`), without touching ZooKeeper.
#[test]
fn bad_config_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "zookeeper.connect=127.0.0.1:1\nbroker.id=abc\n",
            "broker.id",
        ),
        ("broker.id=1\n", "zookeeper.connect"),
        (
            "zookeeper.connect=127.0.0.1:1\nlisteners=INTERNAL://:9092\n",
            "listeners",
        ),
        (
            "zookeeper.connect=127.0.0.1:1\nbroker.id=5000\n",
            "reserved.broker.max.id",
        ),
    ];
    for (props, key) in cases {
        let path = dir.path().join("server.properties");
        std::fs::write(&path, props).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_zkafka"))
            .args(["broker", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{props}: {stderr}");
        assert!(
            stderr.contains(key),
            "{props}: stderr does not name {key}: {stderr}"
        );
    }
}

/// Session expiry is normal life (`KafkaController` `RegisterBrokerAndReelect`): a broker
/// stopped past the session timeout loses its znode; continued, it re-registers with the same
/// id and a new czxid (new broker epoch) without restarting.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_expiry_reregisters_same_id_with_new_epoch() {
    let server = ZooKeeper::start();
    let _b1 = Broker::start(&server, Some(1), "");
    let mut b2 = Broker::start(&server, Some(2), "");
    let zk = server.client().await;
    wait_registered(&zk, &["1", "2"]).await;
    let (_, before) = get(&zk, "/brokers/ids/2").await.unwrap();
    b2.signal("STOP");
    wait_for(
        "broker 2 expired",
        Duration::from_millis(SESSION_TIMEOUT_MS + 15_000),
        || async { get(&zk, "/brokers/ids/2").await.is_none().then_some(()) },
    )
    .await;
    b2.signal("CONT");
    let after = wait_for("broker 2 back", Duration::from_secs(30), || async {
        get(&zk, "/brokers/ids/2").await.map(|(_, s)| s)
    })
    .await;
    assert!(
        after.czxid > before.czxid,
        "new broker epoch {} > {}",
        after.czxid,
        before.czxid
    );
    assert_eq!(after.version, 1);
    assert!(b2.is_running(), "the broker did not exit:\n{}", b2.log());
    assert!(controller_id(&zk).await.is_some());
}

/// broker.id unset → generated from `/brokers/seqid` as version + reserved.broker.max.id (1001);
/// a restart reuses the id from meta.properties (`KafkaServer.getOrGenerateBrokerId`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_broker_id_is_reused_after_restart() {
    let server = ZooKeeper::start();
    let mut b = Broker::start(&server, None, "");
    let zk = server.client().await;
    wait_registered(&zk, &["1001"]).await;
    b.signal("TERM");
    assert_eq!(b.wait_exit(Duration::from_secs(20)), Some(0));
    b.spawn();
    wait_registered(&zk, &["1001"]).await;
    let meta = std::fs::read_to_string(b.logs_dir().join("meta.properties")).unwrap();
    assert!(meta.contains("broker.id=1001\n"), "{meta}");
    let (_, seq) = get(&zk, "/brokers/seqid").await.unwrap();
    assert_eq!(seq.version, 1, "only one id was generated");
    let _ = Path::new("/");
}

/// Zombie controller (`KafkaController` `Expire` → `onControllerResignation`, then
/// `RegisterBrokerAndReelect`): the controller is stopped past its session timeout, another
/// broker wins with epoch 2; when the old one resumes it resigns, re-registers with a new epoch
/// and does not take `/controller` back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_controller_resigns_when_it_resumes() {
    let server = ZooKeeper::start();
    let brokers: Vec<Broker> = (1..=2)
        .map(|id| Broker::start(&server, Some(id), ""))
        .collect();
    let zk = server.client().await;
    wait_registered(&zk, &["1", "2"]).await;
    let first = wait_for("a controller", Duration::from_secs(30), || {
        controller_id(&zk)
    })
    .await;
    let old = &brokers[(first - 1) as usize];
    let (_, before) = get(&zk, &format!("/brokers/ids/{first}")).await.unwrap();
    old.signal("STOP");
    let second = wait_for(
        "a new controller",
        Duration::from_millis(SESSION_TIMEOUT_MS + 15_000),
        || async { controller_id(&zk).await.filter(|c| *c != first) },
    )
    .await;
    assert_eq!(controller_epoch(&zk).await.as_deref(), Some("2"));
    old.signal("CONT");
    let after = wait_for(
        "old controller re-registered",
        Duration::from_secs(30),
        || async {
            get(&zk, &format!("/brokers/ids/{first}"))
                .await
                .map(|(_, s)| s)
        },
    )
    .await;
    assert!(after.czxid > before.czxid);
    wait_for(
        "old controller resigned",
        Duration::from_secs(30),
        || async { old.log().contains("Resigned as controller").then_some(()) },
    )
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        controller_id(&zk).await,
        Some(second),
        "the zombie did not take over"
    );
    assert_eq!(controller_epoch(&zk).await.as_deref(), Some("2"));
}

/// No ZooKeeper: startup gives up after `zookeeper.connection.timeout.ms` and exits non-zero
/// naming it (Kafka: `ZooKeeperClientTimeoutException`).
#[test]
fn unreachable_zookeeper_exits_after_connection_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("server.properties");
    std::fs::write(
        &path,
        format!(
            "broker.id=1\nlog.dirs={}\nzookeeper.connect=127.0.0.1:{}\nzookeeper.connection.timeout.ms=2000\n",
            dir.path().join("logs").display(),
            free_port()
        ),
    )
    .unwrap();
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_zkafka"))
        .args(["broker", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("zookeeper.connection.timeout.ms"),
        "{stderr}"
    );
    assert!(
        t.elapsed() < Duration::from_secs(30),
        "took {:?}",
        t.elapsed()
    );
}

/// A 3-node ZooKeeper ensemble.
struct Ensemble {
    client_ports: Vec<u16>,
    children: Vec<Option<Child>>,
    _dir: tempfile::TempDir,
}

impl Ensemble {
    fn start() -> Ensemble {
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

    fn hosts(&self) -> String {
        self.client_ports
            .iter()
            .map(|p| format!("127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    fn kill(&mut self, i: usize) {
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

/// Losing one member of a 3-node ensemble is a connection loss, not a session expiry
/// (`ZooKeeperClient` reconnects to another member; Kafka's `retryRequestsUntilConnected`):
/// the controller, the controller epoch and every broker epoch (czxid) stay the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ensemble_member_loss_keeps_controller_and_epochs() {
    let mut ensemble = Ensemble::start();
    let connect = format!("{}{CHROOT}", ensemble.hosts());
    // Brokers give up after zookeeper.connection.timeout.ms, so wait for the quorum first.
    let hosts = ensemble.hosts();
    wait_for("ensemble quorum", Duration::from_secs(120), || {
        let hosts = hosts.clone();
        async move {
            let c = tokio::time::timeout(Duration::from_secs(5), zkc::Client::connect(&hosts))
                .await
                .ok()?
                .ok()?;
            c.check_stat("/zookeeper").await.ok().flatten().map(|_| ())
        }
    })
    .await;
    // The brokers list the members in different orders (the client also shuffles them).
    let brokers: Vec<Broker> = (0..3)
        .map(|i| {
            let mut hosts: Vec<String> = ensemble
                .client_ports
                .iter()
                .map(|p| format!("127.0.0.1:{p}"))
                .collect();
            hosts.rotate_left(i);
            Broker::start_with(
                &format!("{}{CHROOT}", hosts.join(",")),
                Some(i as i32 + 1),
                "",
            )
        })
        .collect();
    let observer = wait_for("brokers registered", Duration::from_secs(60), || async {
        let c = zkc::Client::connect(&connect).await.ok()?;
        c.check_stat("/brokers/ids").await.ok().flatten()?;
        Some(c)
    })
    .await;
    wait_registered(&observer, &["1", "2", "3"]).await;
    let controller = wait_for("a controller", Duration::from_secs(30), || {
        controller_id(&observer)
    })
    .await;
    let mut czxids = Vec::new();
    for id in 1..=3 {
        czxids.push(
            get(&observer, &format!("/brokers/ids/{id}"))
                .await
                .unwrap()
                .1
                .czxid,
        );
    }
    drop(observer);

    // Kill the member serving the controller's session (its last "session to" log line).
    let controller_log = brokers[(controller - 1) as usize].log();
    let marker = "succeeds to establish session to tcp://127.0.0.1:";
    let at = controller_log.rfind(marker).expect("session log line") + marker.len();
    let port: u16 = controller_log[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect::<String>()
        .parse()
        .unwrap();
    let member = ensemble
        .client_ports
        .iter()
        .position(|p| *p == port)
        .expect("a member port");
    ensemble.kill(member);
    // Longer than the session timeout: sessions that were on the dead member must have moved.
    tokio::time::sleep(Duration::from_millis(SESSION_TIMEOUT_MS + 4000)).await;
    let observer = wait_for(
        "reconnect to the surviving quorum",
        Duration::from_secs(60),
        || async {
            let c = zkc::Client::connect(&connect).await.ok()?;
            c.check_stat("/brokers/ids").await.ok().flatten()?;
            Some(c)
        },
    )
    .await;
    let all_logs = || {
        brokers
            .iter()
            .map(|b| b.log())
            .collect::<Vec<_>>()
            .join("\n----\n")
    };
    assert_eq!(
        controller_id(&observer).await,
        Some(controller),
        "controller kept; broker logs:\n{}",
        all_logs()
    );
    assert_eq!(
        controller_epoch(&observer).await.as_deref(),
        Some("1"),
        "no re-election"
    );
    for id in 1..=3 {
        let (_, stat) = get(&observer, &format!("/brokers/ids/{id}"))
            .await
            .expect("still registered");
        assert_eq!(
            stat.czxid,
            czxids[id - 1],
            "broker {id} kept its session (same epoch)"
        );
    }
    for b in &brokers {
        assert!(
            !b.log().contains("re-initialising"),
            "a session expired:\n{}",
            b.log()
        );
    }
    let log = brokers[(controller - 1) as usize].log();
    assert!(
        log.contains("ZooKeeper connection lost")
            && log.contains("ZooKeeper connection re-established"),
        "the controller saw the connection loss and reconnected:\n{log}"
    );
}
