"""A known password given on every path a secret can take never reaches a stored or rendered
artefact or any output: a real benchmark sweep on the real broker, a benchmark import, the
latency-percentiles report (HTML and executed notebook), stdout, stderr and -vv logs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from workbench.config import MASK

pytestmark = [pytest.mark.slow, pytest.mark.kafka]

SECRETS = ("Sw33p-S3cret-one", "Sw33p-S3cret-two", "L4bel-S3cret", "Pr0ps-S3cret", "Imp0rt-S3cret")
PERF_TEST = (
    "100000 records sent, 9998.2 records/sec (9.76 MB/sec), 0.79 ms avg latency, 63.00 ms max latency, "
    "1 ms 50th, 1 ms 95th, 2 ms 99th, 9 ms 99.9th.\n"
)


def _workbench(*args: str) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "workbench", "-vv", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc


def _leaks(root: Path) -> list[str]:
    """Every file under ``root`` holding a secret: raw bytes, and each Parquet file's decoded cells."""
    found = []
    for path in (p for p in root.rglob("*") if p.is_file()):
        texts = [path.read_bytes().decode("utf-8", "replace")]
        if path.suffix == ".parquet":
            frame = pl.read_parquet(path)
            texts.append(frame.select(pl.all().cast(pl.String)).write_csv())
        found += [f"{path}: {s}" for s in SECRETS for t in texts if s in t]
    return found


def test_a_known_password_never_leaks(kafka, topic_factory, tmp_path: Path) -> None:
    data, reports = tmp_path / "data", tmp_path / "reports"
    topic = topic_factory(partitions=1)
    common = ["--bootstrap-server", kafka.bootstrap, "--topic", topic, "--num-records", "300"]
    outputs = [
        _workbench(
            "bench", "producer", *common, "--record-size", "20", "--data-dir", str(data),
            "--producer-props", f"acks=1 ssl.key.password={SECRETS[3]}",
            "--sweep", f"sasl.password={SECRETS[0]},{SECRETS[1]}",
            "--label", f"nightly sasl.password={SECRETS[2]}",
        ),
        _workbench(
            "bench", "producer", *common, "--json", "--data-dir", str(data),
            "--sweep", f"sasl.password={SECRETS[0]}", "--label", f"sasl.password: {SECRETS[2]}",
        ),
    ]  # fmt: skip
    perf = tmp_path / "perf.txt"
    perf.write_text(PERF_TEST)
    label = f"imported sasl.password={SECRETS[4]}"
    outputs.append(_workbench("import", "perf-test", "--label", label, "--data-dir", str(data), str(perf)))
    runs = pl.read_parquet(data / "bench_runs" / "**" / "*.parquet")
    assert runs.height == 4 and runs["label"].str.contains(MASK, literal=True).all()  # masked, not dropped
    outputs.append(
        _workbench("report", "latency-percentiles", "--data-dir", str(data), "-p", "cluster", "bench",
                   "--out", str(reports))
    )  # fmt: skip
    assert list(reports.rglob("*.html")) and list(reports.rglob("*.ipynb")), "the report was not kept"
    printed = [f"{p.args[3:6]} {s}" for p in outputs for s in SECRETS if s in p.stdout + p.stderr]
    assert _leaks(data) + _leaks(reports) + printed == []
