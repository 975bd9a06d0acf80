"""What Apache Kafka 3.9 (ZooKeeper mode, Scala 2.13 build) writes, as exact bytes.

Each builder takes the values that differ between runs (ports, timestamps, ids) and returns the
bytes Kafka would write, so tests can compare a znode's data byte for byte. Sources:
`/work/shared/reference/kafka-zk-layout.md` §2.1–2.5 and Appendix A.1, which follow
`core/src/main/scala/kafka/zk/ZkData.scala` (apache/kafka 3.9) serialized by Jackson
(`kafka.utils.Json.encodeAsBytes`: compact, no whitespace, UTF-8).
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from pathlib import Path
from typing import Optional, Sequence


def _compact(obj: object) -> bytes:
    # Jackson's default ObjectMapper: no spaces, non-ASCII written raw as UTF-8.
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def broker_registration_v5(
    endpoints: Sequence[tuple[str, str, int]],
    timestamp_ms: str,
    protocol_map: Optional[dict[str, str]] = None,
    rack: Optional[str] = None,
    jmx_port: int = -1,
) -> bytes:
    """`/brokers/ids/<id>` JSON v5 (`BrokerIdZNode.encode`, IBP ≥ 2.7-IV0).

    `endpoints` are (listener name, host, port) in advertised.listeners order. `host`/`port` come
    from the first endpoint whose security protocol is PLAINTEXT (null / -1 if none). Scala 2.13
    key order: features, listener_security_protocol_map, endpoints, [rack,] jmx_port, port, host,
    version, timestamp (layout doc Appendix A.1). ≤ 4 listeners keep advertised order in the
    protocol map (Scala Map1..Map4).
    """
    if protocol_map is None:
        protocol_map = {name: name for name, _, _ in endpoints}
    if len(protocol_map) > 4:
        raise NotImplementedError("≥ 5 listeners use Scala CHAMP order (layout doc A.3)")
    plaintext = [(h, p) for name, h, p in endpoints if protocol_map.get(name) == "PLAINTEXT"]
    host, port = plaintext[0] if plaintext else (None, -1)
    doc: dict = {
        "features": {},
        "listener_security_protocol_map": protocol_map,
        "endpoints": [f"{name}://{_format_address(h, p)}" for name, h, p in endpoints],
    }
    if rack is not None:
        doc["rack"] = rack
    doc.update({"jmx_port": jmx_port, "port": port, "host": host, "version": 5, "timestamp": timestamp_ms})
    return _compact(doc)


def _format_address(host: str, port: int) -> str:
    # Kafka: Utils.formatAddress brackets IPv6 literals.
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def controller_v2(broker_id: int, timestamp_ms: str, kraft_controller_epoch: int = -1) -> bytes:
    """`/controller` JSON v2 (`ControllerZNode.encode`, Kafka 3.4+): Map4 keeps insertion order."""
    return _compact(
        {
            "version": 2,
            "brokerid": broker_id,
            "timestamp": timestamp_ms,
            "kraftControllerEpoch": kraft_controller_epoch,
        }
    )


def cluster_id_json(cluster_id: str) -> bytes:
    """`/cluster/id` (`ClusterIdZNode.toJson`): version is the JSON *string* "1"."""
    return _compact({"version": "1", "id": cluster_id})


def controller_epoch_bytes(epoch: int) -> bytes:
    """`/controller_epoch` (`ControllerEpochZNode.encode`): decimal ASCII, no JSON."""
    return str(epoch).encode("ascii")


def feature_znode_v2_enabled() -> bytes:
    """`/feature` as a Kafka 3.9 ZooKeeper-mode controller writes it at failover
    (`KafkaController.enableFeatureVersioning`, `FeatureZNode.encode`): JSON version 2 (IBP ≥ 3.3),
    status Enabled (1), no finalized features; Scala 2.13 key order features, version, status
    (layout doc §2.19)."""
    return b'{"features":{},"version":2,"status":1}'


# ZkData.PersistentZkPaths in creation order, then ConfigType.ALL under /config (layout doc §1).
PERSISTENT_ZK_PATHS = [
    "/consumers",
    "/brokers/ids",
    "/brokers/topics",
    "/config/changes",
    "/admin/delete_topics",
    "/brokers/seqid",
    "/isr_change_notification",
    "/latest_producer_id_block",
    "/log_dir_event_notification",
    "/config/topics",
    "/config/clients",
    "/config/users",
    "/config/brokers",
    "/config/ips",
]

_BASE64_UUID = re.compile(r"^[A-Za-z0-9_-]{22}$")


def decode_kafka_uuid(text: str) -> uuid.UUID:
    """Decodes Kafka's 22-char URL-safe base64 (no padding) UUID; raises ValueError if malformed."""
    if not _BASE64_UUID.match(text):
        raise ValueError(f"{text!r} is not 22 URL-safe base64 characters")
    raw = base64.urlsafe_b64decode(text + "==")
    if len(raw) != 16:
        raise ValueError(f"{text!r} decodes to {len(raw)} bytes, expected 16")
    return uuid.UUID(bytes=raw)


def read_properties(path: Path) -> dict[str, str]:
    """Reads a java.util.Properties text file (comments, `key=value`); enough for meta.properties."""
    props: dict[str, str] = {}
    for raw in Path(path).read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        key, sep, value = line.partition("=")
        if not sep:
            key, _, value = line.partition(":")
        props[key.strip()] = value.strip()
    return props


def write_meta_properties(log_dir: Path, broker_id: int, cluster_id: str) -> Path:
    """Writes a ZooKeeper-mode (version 0) meta.properties as Kafka 3.9 does.

    Kafka: `MetaProperties.toProperties` for version 0 writes `version`, `broker.id` and
    `cluster.id` via `PropertiesUtils.writePropertiesFile` (a `#` comment header, then the keys).
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / "meta.properties"
    path.write_text(
        "#\n#Written by the zkafka integration harness\n"
        f"cluster.id={cluster_id}\nversion=0\nbroker.id={broker_id}\n",
        encoding="utf-8",
    )
    return path


def random_kafka_uuid() -> str:
    """A fresh id in Kafka's format (`CoreUtils.generateUuidAsBase64`)."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii").rstrip("=")
