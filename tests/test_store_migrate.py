"""`workbench store migrate` and `workbench check`: old layout -> Delta, verified; bad files listed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
from click.testing import CliRunner

from workbench.cli import main
from workbench.schema import conform
from workbench.store import Store

T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)


def _rows(ts: dt.datetime, cluster: str, n: int = 4) -> pl.DataFrame:
    frame = pl.DataFrame(
        {"ts": [ts] * n, "cluster": cluster, "group": "g", "topic": "t", "partition": list(range(n))}
    )
    return conform(frame.with_columns(log_end_offset=pl.int_range(n)), "offsets")


def _old_file(root: Path, name: str, frame: pl.DataFrame, replaces: list[str] | None = None) -> str:
    cluster = frame["cluster"][0].replace("/", "%2F")
    day = root / "offsets" / f"cluster={cluster}" / f"date={frame['ts'][0].date()}"
    day.mkdir(parents=True, exist_ok=True)
    meta = {"dataset": "offsets", "version": 1, **({"replaces": replaces} if replaces else {})}
    table = frame.to_arrow().replace_schema_metadata({b"workbench": json.dumps(meta).encode()})
    pq.write_table(table, day / name)
    return name


def _old_history(root: Path) -> int:
    a = _old_file(root, "20261120T120000-aaaa.parquet", _rows(T0, "c1"))
    b = _old_file(root, "20261120T120100-bbbb.parquet", _rows(T0 + dt.timedelta(minutes=1), "c1"))
    both = pl.concat([_rows(T0, "c1"), _rows(T0 + dt.timedelta(minutes=1), "c1")])
    _old_file(root, "20261120T120000-compact-cccc.parquet", both, replaces=[a, b])  # a and b not live
    _old_file(root, "20261121T000000-dddd.parquet", _rows(T0 + dt.timedelta(hours=12), "c1"))
    _old_file(root, "20261120T120000-eeee.parquet", _rows(T0, "prod/eu"))
    return 16


def test_migrate_verifies_every_row_and_keeps_the_original(tmp_path: Path) -> None:
    rows = _old_history(tmp_path)
    res = CliRunner().invoke(main, ["lag", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2 and "workbench store migrate --data-dir" in res.output
    res = CliRunner().invoke(main, ["store", "migrate", "--data-dir", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "offsets cluster c1: 12 rows in 2 day(s) verified" in res.output
    assert "offsets cluster prod/eu: 4 rows in 1 day(s) verified" in res.output
    store = Store(tmp_path)
    assert store.read("offsets").height == rows and store.clusters("offsets") == ["c1", "prod/eu"]
    assert len(list((tmp_path / ".old-layout" / "offsets").rglob("*.parquet"))) == 5  # kept as it was
    again = CliRunner().invoke(main, ["store", "migrate", "--data-dir", str(tmp_path)])
    assert again.exit_code == 0 and "nothing to migrate" in again.output


def test_an_unreadable_old_file_stops_the_migration_and_changes_nothing(tmp_path: Path) -> None:
    _old_history(tmp_path)
    bad = tmp_path / "offsets" / "cluster=c1" / "date=2026-11-21" / "20261121T000000-dddd.parquet"
    bad.write_bytes(b"PAR1 not really")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    res = CliRunner().invoke(main, ["store", "migrate", "--data-dir", str(tmp_path)])
    assert res.exit_code == 2 and str(bad) in res.output and "nothing changed" in res.output
    assert res.output.count("\n") == 1
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_check_lists_then_quarantines(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.append("offsets", _rows(T0, "c1"))
    store.append("offsets", _rows(T0 + dt.timedelta(minutes=1), "c1"))
    victim = Path(store.files("offsets")[0])
    victim.write_bytes(victim.read_bytes()[:100])
    res = CliRunner().invoke(main, ["check", "--data-dir", str(tmp_path)])
    assert res.exit_code == 1 and f"bad offsets file {victim}" in res.output
    res = CliRunner().invoke(main, ["check", "--data-dir", str(tmp_path), "--quarantine"])
    assert res.exit_code == 0 and "quarantined 1 file(s)" in res.output
    assert CliRunner().invoke(main, ["check", "--data-dir", str(tmp_path)]).exit_code == 0
    assert Store(tmp_path).read("offsets").height == 4
    assert (tmp_path / ".quarantine" / "offsets").is_dir()
