"""Retention: `workbench prune` (dry run by default), store day partitions, report files, the index."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from factories import offsets

from workbench.cli import main
from workbench.report.index import write_index
from workbench.report.prune import plan_report_prune, prune_reports, report_time
from workbench.schema import conform
from workbench.store import Store
from workbench.store.prune import delete_partitions, plan_data_prune

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
OLD = NOW - dt.timedelta(days=200)
RECENT = NOW - dt.timedelta(days=1)
REPO = Path(__file__).resolve().parents[1]


def _offsets(ts: dt.datetime, cluster: str = "c1") -> pl.DataFrame:
    return offsets([(0, 1, 2)], t0=ts, conformed=True, cluster=cluster)


def _history(root: Path) -> Store:
    store = Store(root)
    for ts in (OLD, OLD + dt.timedelta(days=1), RECENT):
        store.append("offsets", _offsets(ts))
    store.append("offsets", _offsets(OLD, cluster="prod/eu"))
    store.append(
        "partition_offsets", conform(pl.DataFrame({"ts": [OLD], "cluster": ["c1"]}), "partition_offsets")
    )
    return store


def _report(out: Path, name: str, when: dt.datetime, suffix: str = "") -> str:
    stamp = when.strftime("%Y%m%dT%H%M%SZ") + suffix
    (out / name).mkdir(parents=True, exist_ok=True)
    for ext in ("html", "ipynb", "json"):
        (out / name / f"{stamp}.{ext}").write_text("{}" if ext != "html" else "<html></html>")
    return stamp


def _tree(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


# -- the store ----------------------------------------------------------------------------------
def test_plan_lists_old_day_partitions_per_dataset_and_cluster(tmp_path: Path) -> None:
    _history(tmp_path)
    plan = plan_data_prune(tmp_path, NOW - dt.timedelta(days=90))
    got = {(p.dataset, p.cluster, p.day) for p in plan}
    assert got == {
        ("offsets", "c1", OLD.date()),
        ("offsets", "c1", (OLD + dt.timedelta(days=1)).date()),
        ("offsets", "prod/eu", OLD.date()),
        ("partition_offsets", "c1", OLD.date()),
    }
    assert all(p.files == 1 and p.size > 0 for p in plan)


@pytest.mark.parametrize(
    ("cutoff", "old"),
    [
        # a day partition is old only when its whole day ends at or before the cutoff
        (dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC), True),
        (dt.datetime(2026, 3, 1, 23, 59, tzinfo=dt.UTC), False),
        (dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC), False),
    ],
)
def test_day_boundary(tmp_path: Path, cutoff: dt.datetime, old: bool) -> None:
    Store(tmp_path).append("offsets", _offsets(dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)))
    assert bool(plan_data_prune(tmp_path, cutoff)) is old


def test_delete_keeps_recent_data_readable(tmp_path: Path) -> None:
    store = _history(tmp_path)
    plan = plan_data_prune(tmp_path, NOW - dt.timedelta(days=90))
    assert delete_partitions(plan) == 4
    assert delete_partitions(plan) == 0  # idempotent
    assert store.read("offsets", cluster="c1")["ts"].to_list() == [RECENT]
    assert store.clusters("offsets") == ["c1"]  # the emptied cluster directory is gone
    assert plan_data_prune(tmp_path, NOW - dt.timedelta(days=90)) == []


def test_missing_data_dir_has_nothing_to_prune(tmp_path: Path) -> None:
    assert plan_data_prune(tmp_path / "nope", NOW) == []


def test_shipped_sample_below_the_data_dir_is_never_touched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data" / "sample" / "offsets", data / "sample" / "offsets")
    _history(data)
    before = _tree(data / "sample")
    plan = plan_data_prune(data, NOW + dt.timedelta(days=3650))  # everything is "old"
    assert plan and all("sample" not in p.path.relative_to(data).parts for p in plan)
    delete_partitions(plan)
    assert _tree(data / "sample") == before


# -- reports ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("20260101T101500Z.html", dt.datetime(2026, 1, 1, 10, 15, tzinfo=dt.UTC)),
        ("20260101T101500Z-2.json", dt.datetime(2026, 1, 1, 10, 15, tzinfo=dt.UTC)),
        ("20260101T101500Z.failed.ipynb", dt.datetime(2026, 1, 1, 10, 15, tzinfo=dt.UTC)),
        ("index.html", None),
        ("notes.txt", None),
        ("20260101T101500Z.png", None),
    ],
)
def test_report_time(name: str, expected: dt.datetime | None) -> None:
    assert report_time(name) == expected


def test_report_prune_deletes_old_files_and_rewrites_the_index(tmp_path: Path) -> None:
    old = _report(tmp_path, "lag-trend", OLD)
    _report(tmp_path, "lag-trend", OLD, "-2")
    new = _report(tmp_path, "config-health", RECENT)
    (tmp_path / "lag-trend" / "README.txt").write_text("kept")
    write_index(tmp_path)
    assert old in (tmp_path / "index.html").read_text()
    files = plan_report_prune(tmp_path, NOW - dt.timedelta(days=90))
    assert len(files) == 6 and {f.report for f in files} == {"lag-trend"}
    assert prune_reports(tmp_path, files) == 6
    assert _tree(tmp_path) == sorted(
        ["config-health/" + f"{new}.{e}" for e in ("html", "ipynb", "json")]
        + ["index.html", "lag-trend/README.txt"]
    )
    index = (tmp_path / "index.html").read_text()
    assert old not in index and new in index


# -- the command --------------------------------------------------------------------------------
def _run(*args: str):
    return CliRunner().invoke(main, ["prune", *args])


def test_cli_dry_run_lists_and_deletes_nothing(tmp_path: Path) -> None:
    _history(tmp_path / "data")
    _report(tmp_path / "reports", "lag-trend", OLD)
    before = _tree(tmp_path)
    res = _run(
        "--older-than", "90d", "--data-dir", str(tmp_path / "data"), "--reports", str(tmp_path / "reports")
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.count("would delete") == 7  # 4 day partitions + 3 report files
    assert f"date={OLD.date().isoformat()}" in res.stdout
    assert "pass --yes" in res.stderr
    assert _tree(tmp_path) == before


def test_cli_yes_deletes_and_regenerates_the_index(tmp_path: Path) -> None:
    store = _history(tmp_path / "data")
    old = _report(tmp_path / "reports", "lag-trend", OLD)
    new = _report(tmp_path / "reports", "lag-trend", RECENT)
    args = [
        "--older-than",
        "90d",
        "--data-dir",
        str(tmp_path / "data"),
        "--reports",
        str(tmp_path / "reports"),
    ]
    res = _run(*args, "--yes")
    assert res.exit_code == 0, res.output
    assert "deleted 4 day partition(s) and 3 report file(s)" in res.stderr
    assert store.read("offsets")["ts"].to_list() == [RECENT]
    index = (tmp_path / "reports" / "index.html").read_text()
    assert new in index and old not in index
    again = _run(*args, "--yes")
    assert again.exit_code == 0 and "deleted 0 day partition(s) and 0 report file(s)" in again.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--older-than", "soon"], "bad --older-than 'soon'"),
        (["--older-than", "0d"], "bad --older-than '0d': must be positive"),
        (["--older-than", "3m"], "use hours, days or weeks"),  # m is minutes: never an age
        (["--older-than", "3months"], "use hours, days or weeks"),
        (["--older-than", "99999999d"], "more than 100 years"),
        (["--older-than", "90d", "--data-dir", "{tmp}/x", "--reports", "{tmp}/y"], "nothing to prune"),
    ],
)
def test_cli_errors_are_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    res = _run(*[a.format(tmp=tmp_path) for a in args])
    assert res.exit_code == 2
    assert res.stderr.startswith("error: ") and message in res.stderr
    assert res.stderr.count("\n") == 1


def test_cli_missing_reports_dir_is_fine(tmp_path: Path) -> None:
    _history(tmp_path)
    res = _run(
        "--older-than", "90d", "--data-dir", str(tmp_path), "--reports", str(tmp_path / "none"), "--yes"
    )
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "none").exists()
