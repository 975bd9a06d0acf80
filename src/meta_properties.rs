//! `meta.properties`: the per-log-directory identity file, exactly as a Kafka 3.9 ZooKeeper-mode
//! broker writes and checks it.
//!
//! Kafka: `org.apache.kafka.metadata.properties.{MetaProperties, MetaPropertiesEnsemble,
//! PropertiesUtils}` and `KafkaServer.startup` / `getOrGenerateBrokerId` (3.9).
//!
//! A ZK-mode broker that is not migrating only accepts version 0 files. Version 0 may omit
//! `cluster.id` and `broker.id`; when present they must equal the cluster id in ZooKeeper and the
//! configured broker id, and agree across all log dirs. After the broker id is known, every log
//! dir whose file is missing or different is (re)written with `version=0`, `broker.id`,
//! `cluster.id` (no `directory.id` — Kafka only adds one when migrating to KRaft).
//!
//! File format (`Properties.store(writer, "")` on Java 17, the JVM Kafka 3.9 documents):
//! ```text
//! #
//! #Thu Nov 26 05:44:01 UTC 2026
//! broker.id=1
//! version=0
//! cluster.id=AbCdEfGhIjKlMnOpQrStUw
//! ```
//! The entry order is `java.util.Properties`' hash order for these three keys on Java 8–17
//! (checked by running Java 17 here); Java 18+ sorts keys instead. Readers never depend on it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::config::properties;

/// The file name inside each log dir. Kafka: `MetaPropertiesEnsemble.META_PROPERTIES_NAME`.
pub const META_PROPERTIES_NAME: &str = "meta.properties";

/// Why `meta.properties` handling refused to continue. Messages follow Kafka's.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MetaPropertiesError {
    #[error("I/O error on {path}: {reason}")]
    Io { path: String, reason: String },
    #[error("{path}: {reason}")]
    Malformed { path: String, reason: String },
    /// Kafka: `MetaPropertiesEnsemble.verify` with `REQUIRE_V0`.
    #[error("Found unexpected version in {path}. ZK-based brokers that are not migrating only support version 0 (which is implicit when the `version` field is missing).")]
    UnexpectedVersion { path: String },
    /// Kafka: `InconsistentClusterIdException` (message of `KafkaServer` ≤ 3.6 and
    /// `MetaPropertiesEnsemble.verify` in 3.9, combined).
    #[error("InconsistentClusterIdException: The Cluster ID {expected} doesn't match stored clusterId {stored} in {path}. The broker is trying to join the wrong cluster. Configured zookeeper.connect may be wrong.")]
    InconsistentClusterId {
        expected: String,
        stored: String,
        path: String,
    },
    /// Kafka: `InconsistentBrokerIdException` / `MetaPropertiesEnsemble.verify`.
    #[error("InconsistentBrokerIdException: Stored node id {stored} doesn't match previous node id {expected} in {path}. If you moved your data, make sure your configured node id matches. If you intend to create a new node, you should remove all data in your data directories.")]
    InconsistentBrokerId {
        expected: i32,
        stored: i32,
        path: String,
    },
    /// Kafka: `getOrGenerateBrokerId` when no id is configured, stored or generatable.
    #[error("InconsistentBrokerIdException: Failed to generate broker.id: broker.id is not set, no meta.properties holds one and broker.id.generation.enable is false.")]
    NoBrokerId,
}

/// The contents of one version-0 `meta.properties`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaProperties {
    /// `version` (absent means 0).
    pub version: i32,
    /// `cluster.id`, optional in version 0.
    pub cluster_id: Option<String>,
    /// `broker.id`, optional in version 0.
    pub broker_id: Option<i32>,
}

impl MetaProperties {
    /// The file a ZK-mode broker writes.
    pub fn v0(cluster_id: &str, broker_id: i32) -> MetaProperties {
        MetaProperties {
            version: 0,
            cluster_id: Some(cluster_id.to_string()),
            broker_id: Some(broker_id),
        }
    }

    /// Parses file text. Kafka: `MetaProperties.Builder(Properties)`.
    pub fn parse(text: &str, path: &str) -> Result<MetaProperties, MetaPropertiesError> {
        let props = properties::to_map(text).map_err(|e| MetaPropertiesError::Malformed {
            path: path.to_string(),
            reason: e.to_string(),
        })?;
        let int = |key: &str| -> Result<Option<i32>, MetaPropertiesError> {
            props
                .get(key)
                .map(|v| {
                    v.trim()
                        .parse::<i32>()
                        .map_err(|_| MetaPropertiesError::Malformed {
                            path: path.to_string(),
                            reason: format!("Unable to read {key} as a base-10 number."),
                        })
                })
                .transpose()
        };
        let version = int("version")?.unwrap_or(0);
        let broker_id = if version == 0 {
            int("broker.id")?
        } else {
            int("node.id")?
        };
        Ok(MetaProperties {
            version,
            cluster_id: props.get("cluster.id").cloned(),
            broker_id,
        })
    }

    /// Renders the file as `Properties.store(writer, "")` does on Java 17, with `date_line`
    /// being `Date.toString()` (see [`java_date_string`]).
    pub fn render(&self, date_line: &str) -> String {
        let mut out = format!("#\n#{date_line}\n");
        if let Some(id) = self.broker_id {
            out.push_str(&format!("broker.id={id}\n"));
        }
        out.push_str(&format!("version={}\n", self.version));
        if let Some(c) = &self.cluster_id {
            out.push_str(&format!("cluster.id={}\n", properties::escape(c, false)));
        }
        out
    }
}

/// The `meta.properties` state of every configured log dir.
/// Kafka: `MetaPropertiesEnsemble` (empty dirs = no file; error dirs are refused here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaPropertiesEnsemble {
    /// Log dir → its parsed file, `None` when the dir or the file does not exist yet.
    pub dirs: BTreeMap<PathBuf, Option<MetaProperties>>,
}

impl MetaPropertiesEnsemble {
    /// Reads `meta.properties` from each log dir. Kafka: `MetaPropertiesEnsemble.Loader.load`.
    pub fn load(log_dirs: &[PathBuf]) -> Result<MetaPropertiesEnsemble, MetaPropertiesError> {
        let mut dirs = BTreeMap::new();
        for dir in log_dirs {
            let path = dir.join(META_PROPERTIES_NAME);
            let props = match std::fs::read_to_string(&path) {
                Ok(text) => Some(MetaProperties::parse(&text, &path.display().to_string())?),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => {
                    return Err(MetaPropertiesError::Io {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })
                }
            };
            dirs.insert(dir.clone(), props);
        }
        Ok(MetaPropertiesEnsemble { dirs })
    }

    /// Checks every file against ZooKeeper's cluster id and the expected broker id (`None` = not
    /// configured: the first stored id becomes the expectation). Kafka:
    /// `MetaPropertiesEnsemble.verify(clusterId, nodeId, REQUIRE_V0)`.
    pub fn verify(
        &self,
        expected_cluster_id: &str,
        expected_broker_id: Option<i32>,
    ) -> Result<(), MetaPropertiesError> {
        let mut expected_broker_id = expected_broker_id;
        for (dir, props) in &self.dirs {
            let Some(props) = props else { continue };
            let path = dir.join(META_PROPERTIES_NAME).display().to_string();
            if props.version != 0 {
                return Err(MetaPropertiesError::UnexpectedVersion { path });
            }
            if let Some(stored) = &props.cluster_id {
                if stored != expected_cluster_id {
                    return Err(MetaPropertiesError::InconsistentClusterId {
                        expected: expected_cluster_id.to_string(),
                        stored: stored.clone(),
                        path,
                    });
                }
            }
            if let Some(stored) = props.broker_id {
                match expected_broker_id {
                    None => expected_broker_id = Some(stored),
                    Some(expected) if expected != stored => {
                        return Err(MetaPropertiesError::InconsistentBrokerId {
                            expected,
                            stored,
                            path,
                        })
                    }
                    Some(_) => {}
                }
            }
        }
        Ok(())
    }

    /// The broker id stored in any file. Kafka: `MetaPropertiesEnsemble.nodeId`.
    pub fn broker_id(&self) -> Option<i32> {
        self.dirs.values().flatten().find_map(|p| p.broker_id)
    }

    /// Writes `version=0, broker.id, cluster.id` into every dir whose file is missing or
    /// different, atomically (temp file, fsync, rename, fsync dir). Returns the dirs written.
    /// Kafka: the `MetaPropertiesEnsemble.Copier` block in `KafkaServer.startup`.
    pub fn write_changes(
        &mut self,
        cluster_id: &str,
        broker_id: i32,
    ) -> Result<Vec<PathBuf>, MetaPropertiesError> {
        let wanted = MetaProperties::v0(cluster_id, broker_id);
        let mut written = Vec::new();
        let date = java_date_string(std::time::SystemTime::now());
        for (dir, props) in self.dirs.iter_mut() {
            if props.as_ref() == Some(&wanted) {
                continue;
            }
            write_atomically(dir, &wanted.render(&date))?;
            *props = Some(wanted.clone());
            written.push(dir.clone());
        }
        Ok(written)
    }
}

/// Kafka: `PropertiesUtils.writePropertiesFile(props, path, fsync = true)` +
/// `Utils.atomicMoveWithFallback` (which also flushes the parent directory).
fn write_atomically(dir: &Path, text: &str) -> Result<(), MetaPropertiesError> {
    let io = |path: &Path, e: std::io::Error| MetaPropertiesError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let target = dir.join(META_PROPERTIES_NAME);
    let tmp = dir.join(format!("{META_PROPERTIES_NAME}.tmp"));
    {
        let mut f = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        f.write_all(text.as_bytes()).map_err(|e| io(&tmp, e))?;
        f.sync_all().map_err(|e| io(&tmp, e))?;
    }
    std::fs::rename(&tmp, &target).map_err(|e| io(&target, e))?;
    if let Ok(d) = std::fs::File::open(dir) {
        // Directory fsync makes the rename durable; failure here is not fatal in Kafka either.
        let _ = d.sync_all();
    }
    Ok(())
}

/// `java.util.Date.toString()` in UTC: `EEE MMM dd HH:mm:ss zzz yyyy`.
pub fn java_date_string(t: std::time::SystemTime) -> String {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:02} {:02}:{:02}:{:02} UTC {}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        d,
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60,
        y
    )
}

/// Days since 1970-01-01 → (year, month 1-12, day 1-31). Howard Hinnant's `civil_from_days`.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// The exact bytes Java 17's `Properties.store(writer, "")` produced for Kafka's three keys
    /// (run here with `java P.java`): empty comment line, date line, then hash order.
    #[test]
    fn renders_like_java_17_properties_store() {
        let m = MetaProperties::v0("AbCdEfGhIjKlMnOpQrStUw", 1);
        assert_eq!(
            m.render("Thu Nov 26 05:44:01 UTC 2026"),
            "#\n#Thu Nov 26 05:44:01 UTC 2026\nbroker.id=1\nversion=0\ncluster.id=AbCdEfGhIjKlMnOpQrStUw\n"
        );
    }

    /// `Date.toString()` format; 2026-11-26T05:44:01Z was a Thursday.
    #[test]
    fn java_date_format() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_671_841);
        assert_eq!(java_date_string(t), "Thu Nov 26 05:44:01 UTC 2026");
        assert_eq!(java_date_string(UNIX_EPOCH), "Thu Jan 01 00:00:00 UTC 1970");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(java_date_string(leap), "Tue Feb 29 00:00:00 UTC 2000");
    }

    /// `MetaProperties.Builder(Properties)`: version defaults to 0; v0 reads `broker.id`.
    #[test]
    fn parses_v0_files() {
        let m = MetaProperties::parse("#\n#date\nbroker.id=7\nversion=0\ncluster.id=abc\n", "p")
            .unwrap();
        assert_eq!(m, MetaProperties::v0("abc", 7));
        let m = MetaProperties::parse("broker.id=7\n", "p").unwrap();
        assert_eq!((m.version, m.cluster_id, m.broker_id), (0, None, Some(7)));
        assert!(matches!(
            MetaProperties::parse("broker.id=x\n", "p"),
            Err(MetaPropertiesError::Malformed { .. })
        ));
    }

    /// Write, reload, verify; a different ZooKeeper cluster id or a different configured broker id
    /// is refused with Kafka's exception names; a v1 (KRaft) file is refused in ZK mode.
    #[test]
    fn write_load_and_refusals() {
        let tmp = tempfile::tempdir().unwrap();
        let dirs = vec![tmp.path().join("a"), tmp.path().join("b")];
        let mut e = MetaPropertiesEnsemble::load(&dirs).unwrap();
        assert_eq!(e.broker_id(), None);
        e.verify("cid", Some(1)).unwrap();
        assert_eq!(e.write_changes("cid", 1).unwrap().len(), 2);
        let text = std::fs::read_to_string(dirs[0].join(META_PROPERTIES_NAME)).unwrap();
        assert!(
            text.starts_with("#\n#") && text.ends_with("broker.id=1\nversion=0\ncluster.id=cid\n"),
            "{text}"
        );
        assert!(!dirs[0].join("meta.properties.tmp").exists());

        let mut e = MetaPropertiesEnsemble::load(&dirs).unwrap();
        assert_eq!(e.broker_id(), Some(1));
        e.verify("cid", Some(1)).unwrap();
        e.verify("cid", None).unwrap();
        assert!(
            e.write_changes("cid", 1).unwrap().is_empty(),
            "unchanged files are not rewritten"
        );

        let err = e.verify("other", Some(1)).unwrap_err();
        assert!(matches!(
            err,
            MetaPropertiesError::InconsistentClusterId { .. }
        ));
        assert!(err.to_string().contains("InconsistentClusterIdException"));
        let err = e.verify("cid", Some(2)).unwrap_err();
        assert!(matches!(
            err,
            MetaPropertiesError::InconsistentBrokerId {
                expected: 2,
                stored: 1,
                ..
            }
        ));

        std::fs::write(
            dirs[1].join(META_PROPERTIES_NAME),
            "version=0\nbroker.id=5\n",
        )
        .unwrap();
        let e = MetaPropertiesEnsemble::load(&dirs).unwrap();
        assert!(matches!(
            e.verify("cid", None),
            Err(MetaPropertiesError::InconsistentBrokerId {
                expected: 1,
                stored: 5,
                ..
            })
        ));

        std::fs::write(
            dirs[1].join(META_PROPERTIES_NAME),
            "version=1\nnode.id=1\ncluster.id=cid\n",
        )
        .unwrap();
        let e = MetaPropertiesEnsemble::load(&dirs).unwrap();
        assert!(matches!(
            e.verify("cid", Some(1)),
            Err(MetaPropertiesError::UnexpectedVersion { .. })
        ));
    }
}
