"""Real data servers for tests: SeaweedFS's S3 gateway and a Spark standalone cluster (docs/parts.md)."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

from parts import HOST, Process, free_port, http, http_ok, part_path, port_open

# delta-rs talks to SeaweedFS with conditional put (PUT with If-None-Match: *, which SeaweedFS honours:
# tests/test_parts.py proves it): safe for concurrent writers, unlike AWS_S3_ALLOW_UNSAFE_RENAME.
S3_KEY_ID = "workbench-test"
S3_SECRET = "workbench-test-secret"  # SeaweedFS here runs without identities: any key is accepted
S3_REGION = "us-east-1"


class S3Server:
    """`weed server -s3` (master, volume, filer, S3 gateway in one process) with one bucket."""

    def __init__(self, directory: Path, bucket: str | None = None):
        self.dir = directory
        self.bucket = bucket or f"wb-{uuid.uuid4().hex[:12]}"
        ports = {name: free_port() for name in ("master", "volume", "filer", "s3")}
        grpc = {name: free_port() for name in ports}
        self.master = f"{HOST}:{ports['master']}"
        self.s3_port = ports["s3"]
        self.endpoint = f"http://{HOST}:{self.s3_port}"
        (directory / "data").mkdir(parents=True, exist_ok=True)
        self.weed = part_path("weed")
        cmd = [
            self.weed, "server", f"-ip={HOST}", f"-ip.bind={HOST}", f"-dir={directory / 'data'}", "-s3",
            "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]  # fmt: skip
        for name, port in ports.items():
            cmd += [f"-{name}.port={port}", f"-{name}.port.grpc={grpc[name]}"]
        self.process = Process("weed", cmd, directory)
        self.process.wait(lambda: port_open(self.s3_port), "S3 port open", timeout=180)
        self.process.wait(self._create_bucket, f"bucket {self.bucket} created", timeout=120)

    def _create_bucket(self) -> bool:
        """An anonymous S3 CreateBucket (SeaweedFS without identities allows it); `weed shell` as a
        fallback (it timed out at load 30-40 on 2026-12-07)."""
        import urllib.request

        try:
            req = urllib.request.Request(f"{self.endpoint}/{self.bucket}", method="PUT")
            with urllib.request.urlopen(req, timeout=30) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            pass
        shell = [str(self.weed), "shell", f"-master={self.master}"]
        proc = subprocess.run(
            shell, input=f"s3.bucket.create -name {self.bucket}\n", capture_output=True, text=True, timeout=60
        )
        listing = subprocess.run(shell, input="s3.bucket.list\n", capture_output=True, text=True, timeout=60)
        return proc.returncode == 0 and self.bucket in listing.stdout

    @property
    def storage_options(self) -> dict[str, str]:
        """Polars/deltalake (object_store) options: endpoint, plain HTTP, keys, region, conditional put."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ALLOW_HTTP": "true",
            "AWS_ACCESS_KEY_ID": S3_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": S3_SECRET,
            "AWS_REGION": S3_REGION,
            "AWS_CONDITIONAL_PUT": "etag",
        }

    def uri(self, path: str = "") -> str:
        """s3://BUCKET/path"""
        return f"s3://{self.bucket}/{path.lstrip('/')}"

    def stop(self) -> None:
        self.process.stop()


def start_s3(directory: Path, bucket: str | None = None) -> S3Server:
    directory.mkdir(parents=True, exist_ok=True)
    return S3Server(directory, bucket)


class SparkStandalone:
    """A Spark standalone master and one worker (1 core) from pyspark's bundled jars, on 127.0.0.1."""

    def __init__(self, directory: Path, worker_memory: str = "1g"):
        self.dir = directory
        self.spark_home = part_path("pyspark")
        port, ui = free_port(), free_port()
        self.master_url = f"spark://{HOST}:{port}"
        self.ui_url = f"http://{HOST}:{ui}"
        env = {
            "SPARK_HOME": str(self.spark_home),
            "SPARK_LOCAL_IP": HOST,
            "SPARK_LOG_DIR": str(directory),
            "SPARK_WORKER_DIR": str(directory / "work"),
            "SPARK_DAEMON_MEMORY": "384m",
            "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",  # else it binds the fixed port 6066
            "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON", "python3"),
        }
        self.env = env
        spark_class = self.spark_home / "bin" / "spark-class"
        master = [spark_class, "org.apache.spark.deploy.master.Master", "--host", HOST, "--port", port]
        self.master = Process("spark-master", [*master, "--webui-port", ui], directory, env=env)
        self.master.wait(lambda: http_ok(f"{self.ui_url}/json/"), "master web UI", timeout=180)
        worker = [spark_class, "org.apache.spark.deploy.worker.Worker", self.master_url, "--host", HOST]
        worker += ["--cores", "1", "--memory", worker_memory, "--webui-port", free_port()]
        worker += ["--work-dir", directory / "work"]
        self.worker = Process("spark-worker", worker, directory, env=env)
        self.worker.wait(lambda: self.alive_workers() == 1, "1 alive worker", timeout=180)

    def alive_workers(self) -> int:
        status, body = http(f"{self.ui_url}/json/")
        return int(json.loads(body).get("aliveworkers", 0)) if status == 200 else 0

    def stop(self) -> None:
        self.worker.stop()
        self.master.stop()


def start_spark(directory: Path, worker_memory: str = "1g") -> SparkStandalone:
    directory.mkdir(parents=True, exist_ok=True)
    return SparkStandalone(directory, worker_memory)
