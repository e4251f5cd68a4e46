"""Real Kafka-side servers for tests: klag-exporter, ZooKeeper (Kafka 3.9.1 jars), Burrow (docs/parts.md)."""

from __future__ import annotations

import json
import socket
import uuid
from pathlib import Path
from typing import Any

from parts import HOST, PartError, Process, free_port, http, http_ok, part_path

REPO_ROOT = Path(__file__).resolve().parents[1]
TOOLS_LOG4J = REPO_ROOT / "scripts" / "kafka" / "log4j-tools.properties"

# Burrow settings that gave a like-for-like comparison on a 10 s commit cadence
# (shared/reference/wave2-parts.md); topic-refresh is short because Burrow ignores commits to
# topics younger than it.
BURROW_DEFAULTS: dict[str, Any] = {
    "intervals": 10,
    "min-distance": 1,
    "minimum-complete": 1.0,
    "offset-refresh": 5,
    "topic-refresh": 2,
    "expire-cache": 10,
}


class KlagExporter:
    """klag-exporter (kafka-lag-exporter's metric names) polling one cluster, metrics per partition."""

    def __init__(self, directory: Path, bootstrap: str, *, cluster: str = "local", poll: str = "1s"):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.cluster = cluster
        config = "\n".join(
            [
                "[exporter]",
                f'poll_interval = "{poll}"',
                f"http_port = {self.port}",
                f'http_host = "{HOST}"',
                'granularity = "partition"',
                "[exporter.timestamp_sampling]",
                "enabled = true",
                # Its defaults cache the topic list 5 min and the group list 1 min: a topic or group
                # made after it started stayed invisible past any test deadline (docs/parts.md).
                "[exporter.performance]",
                'metadata_cache_ttl = "0s"',
                'consumer_groups_cache_ttl = "0s"',
                "[[clusters]]",
                f"name = {json.dumps(cluster)}",
                f"bootstrap_servers = {json.dumps(bootstrap)}",
                'group_whitelist = [".*"]',
                'topic_whitelist = [".*"]',
                'topic_blacklist = ["^__.*"]',
            ]
        )
        (directory / "klag-exporter.toml").write_text(config + "\n")
        cmd = [part_path("klag-exporter"), "-c", directory / "klag-exporter.toml", "-l", "info"]
        self.process = Process("klag-exporter", cmd, directory)
        self.process.wait(
            lambda: "kafka_lag_exporter_up" in self.metrics(), "/metrics with kafka_lag_exporter_up"
        )

    def metrics(self) -> str:
        try:
            status, body = http(f"{self.url}/metrics", timeout=5.0)
        except OSError:
            return ""
        return body.decode() if status == 200 else ""

    def stop(self) -> None:
        self.process.stop()


def start_klag_exporter(directory: Path, bootstrap: str, *, cluster: str = "local") -> KlagExporter:
    directory.mkdir(parents=True, exist_ok=True)
    return KlagExporter(directory, bootstrap, cluster=cluster)


def zookeeper_answers(port: int) -> bool:
    """True once ZooKeeper answers the `srvr` four-letter command (the one allowed by default)."""
    try:
        with socket.create_connection((HOST, port), timeout=2.0) as s:
            s.sendall(b"srvr")
            return b"Zookeeper version" in s.recv(4096)
    except OSError:
        return False


class ZooKeeper:
    """A standalone ZooKeeper from the Kafka 3.9.1 jar set (Burrow 1.2.1 needs one)."""

    def __init__(self, directory: Path):
        self.port = free_port()
        self.connect = f"{HOST}:{self.port}"
        cfg = directory / "zoo.cfg"
        cfg.write_text(
            f"dataDir={directory / 'data'}\nclientPort={self.port}\nclientPortAddress={HOST}\n"
            "tickTime=2000\nadmin.enableServer=false\n"
        )
        libs = part_path("zookeeper")
        cmd = ["java", "-Xmx128m", f"-Dlog4j.configuration=file:{TOOLS_LOG4J}", "-cp", f"{libs}/*"]
        cmd += ["org.apache.zookeeper.server.ZooKeeperServerMain", cfg]
        self.process = Process("zookeeper", cmd, directory)
        self.process.wait(lambda: zookeeper_answers(self.port), "srvr answer")

    def stop(self) -> None:
        self.process.stop()


def start_zookeeper(directory: Path) -> ZooKeeper:
    directory.mkdir(parents=True, exist_ok=True)
    return ZooKeeper(directory)


def burrow_config(bootstrap: str, zookeeper: str, port: int, cluster: str, settings: dict) -> str:
    servers = json.dumps(bootstrap.split(","))
    return f"""[general]
pidfile="burrow.pid"
[logging]
level="info"
[zookeeper]
servers=["{zookeeper}"]
timeout=6
root-path="/burrow-{uuid.uuid4().hex[:8]}"
[client-profile.local]
client-id="burrow-test"
kafka-version="2.1.0"
[cluster.{cluster}]
class-name="kafka"
servers={servers}
client-profile="local"
topic-refresh={settings["topic-refresh"]}
offset-refresh={settings["offset-refresh"]}
[consumer.{cluster}]
class-name="kafka"
cluster="{cluster}"
servers={servers}
client-profile="local"
group-blacklist="^burrow-never-matches$"
[httpserver.default]
address="{HOST}:{port}"
[storage.default]
class-name="inmemory"
workers=4
intervals={settings["intervals"]}
expire-group=604800
min-distance={settings["min-distance"]}
[evaluator.default]
class-name="caching"
expire-cache={settings["expire-cache"]}
minimum-complete={settings["minimum-complete"]}
"""


class Burrow:
    """Burrow 1.2.1 (Debian) on one Kafka 3.9.x cluster; `__consumer_offsets` must exist before start."""

    def __init__(self, directory: Path, bootstrap: str, zookeeper: str, cluster: str = "local", **settings):
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.cluster = cluster
        unknown = set(settings) - set(BURROW_DEFAULTS)
        if unknown:
            raise PartError(f"unknown Burrow settings {sorted(unknown)}; known: {sorted(BURROW_DEFAULTS)}")
        self.settings = {**BURROW_DEFAULTS, **settings}
        text = burrow_config(bootstrap, zookeeper, self.port, cluster, self.settings)
        (directory / "burrow.toml").write_text(text)
        self.process = Process("burrow", [part_path("burrow"), "--config-dir", directory], directory)
        self.process.wait(lambda: http_ok(f"{self.url}/v3/kafka/{cluster}/consumer"), "consumer list API")

    def get(self, path: str) -> dict:
        """GET /v3/kafka/<cluster>/<path> as JSON (PartError on an HTTP or Burrow error)."""
        status, body = http(f"{self.url}/v3/kafka/{self.cluster}/{path.lstrip('/')}")
        reply = json.loads(body) if body else {}
        if status != 200 or reply.get("error"):
            raise PartError(f"burrow {path}: {status} {reply.get('message', body[:200])}")
        return reply

    def consumers(self) -> list[str]:
        return list(self.get("consumer")["consumers"])

    def lag(self, group: str) -> dict:
        """The group's status from /consumer/<group>/lag (status, partitions, maxlag, totallag)."""
        return self.get(f"consumer/{group}/lag")["status"]

    def stop(self) -> None:
        self.process.stop()


def start_burrow(directory: Path, bootstrap: str, zookeeper: str, **settings) -> Burrow:
    directory.mkdir(parents=True, exist_ok=True)
    return Burrow(directory, bootstrap, zookeeper, **settings)
