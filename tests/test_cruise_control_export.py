"""`workbench capacity export-cruise-control`: DISK from measured log-dir volumes or --disk-gb only."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner

from workbench.analyze.capacity import sizing as sz
from workbench.cli import main
from workbench.schema import conform
from workbench.store import Store

TS = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
GIB = 1 << 30


def _snapshot(data_dir: Path, volumes: dict[int, dict[str, int | None]]) -> None:
    """Brokers 1-3, broker 3 with two log dirs; ``volumes``: {broker: {log_dir: total bytes}}."""
    store = Store(data_dir)
    common = {"ts": TS, "cluster": "c", "source": "test"}
    dirs = {1: ["/d"], 2: ["/d"], 3: ["/d1", "/d2"]}
    frames = {
        "cluster_info": [{**common, "cluster_id": "x", "controller_id": 1, "broker_count": 3}],
        "brokers": [{**common, "broker_id": b, "host": "h", "port": 9092} for b in dirs],
        "log_dirs": [
            {**common, "broker": b, "log_dir": d, "topic": "t", "partition": 0, "size_bytes": 1}
            for b, ds in dirs.items()
            for d in ds
        ],
        "log_dir_volumes": [
            {**common, "broker": b, "log_dir": d, "total_bytes": t, "usable_bytes": t}
            for b, ds in volumes.items()
            for d, t in ds.items()
        ],
    }
    for dataset, rows in frames.items():
        if rows:
            store.append(dataset, conform(pl.DataFrame(rows), dataset))


ALL_MEASURED = {1: {"/d": 100 * GIB}, 2: {"/d": 200 * GIB}, 3: {"/d1": 50 * GIB, "/d2": 60 * GIB}}
JBOD = {"/d1": str(50 * 1024), "/d2": str(60 * 1024)}  # Cruise Control's DISK is in MiB


def given(gb: float) -> str:
    return str(round(gb * 1e9 / sz.MIB))


CASES = [
    # (volumes, --disk-gb, DISK per broker 1, 2, 3 or the error)
    pytest.param(ALL_MEASURED, None, [str(100 * 1024), str(200 * 1024), JBOD], id="all measured"),
    pytest.param(ALL_MEASURED, "1000", [str(100 * 1024), str(200 * 1024), JBOD], id="measured wins"),
    pytest.param(
        {1: {"/d": 100 * GIB}}, "500", [str(100 * 1024), given(500), {"/d1": given(250), "/d2": given(250)}],
        id="given for the unmeasured",
    ),
    pytest.param({1: {"/d": 100 * GIB}}, None, "broker(s) 2, 3", id="unmeasured without --disk-gb"),
    pytest.param({}, None, "give --disk-gb", id="pre-3.3 cluster"),
    pytest.param({1: {"/d": None}, 2: {"/d": 1}, 3: {"/d1": 1}}, None, "broker(s) 1", id="null: unknown"),
]  # fmt: skip


@pytest.mark.parametrize(("volumes", "disk_gb", "expected"), CASES)
def test_disk_from_measured_volumes_or_given(tmp_path, volumes, disk_gb, expected) -> None:
    _snapshot(tmp_path, volumes)
    args = ["capacity", "export-cruise-control", "--data-dir", str(tmp_path), "--nic-mb-s", "125"]
    res = CliRunner().invoke(main, [*args, *(["--disk-gb", disk_gb] if disk_gb else [])])
    if isinstance(expected, str):
        assert res.exit_code == 2 and res.output.startswith("error: ") and expected in res.output, res.output
        return
    assert res.exit_code == 0, res.output
    entries = json.loads(res.output)["brokerCapacities"]
    assert [e["capacity"]["DISK"] for e in entries[1:]] == expected
    assert entries[1]["capacity"]["NW_IN"] == str(round(125e6 / 1024))
    assert "measured" in entries[1]["doc"] and "NIC 119.2 MiB/s given (--nic-mb-s 125)" in entries[1]["doc"]
