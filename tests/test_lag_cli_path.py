"""`workbench lag --data-dir` on its short path: the file list without pyarrow, one Store per
command, analysis modules loaded on first use, imports on a second thread, the executable's exit."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import polars as pl
import pytest
from click.testing import CliRunner
from factories import offsets

from workbench.cli import main
from workbench.cli.preload import preload
from workbench.store import Store
from workbench.store.files import DataFile, live_files

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
T0 = dt.datetime(2026, 11, 20, 23, 59, 0, 123_456, tzinfo=dt.UTC)


def _offsets(ts: dt.datetime, source: str) -> pl.DataFrame:
    return offsets([(0, 10, 15, 0), (0, 30, 30, 1)], t0=ts, conformed=True, cluster="c1", source=source)


def _via_polars(table: object, root: str) -> list[DataFile]:
    """The file list as read before (Polars over delta-rs' Arrow stream): the reference."""
    actions = pl.DataFrame(table.get_add_actions(flatten=True))  # type: ignore[attr-defined]
    stats, src = "min.ts" in actions.columns, "min.source" in actions.columns
    return [
        DataFile(
            f"{root}/{unquote(r['path'])}",
            unquote(r["path"]),
            r["partition.cluster"],
            r["partition.date"],
            r["size_bytes"],
            r["num_records"],
            r["min.ts"] if stats else None,
            r["max.ts"] if stats else None,
            (r["min.source"], r["max.source"]) if src else (None, None),
        )
        for r in actions.iter_rows(named=True)
    ]


@pytest.mark.parametrize("dataset", ["offsets", "partition_offsets", "collections", "configs"])
def test_file_list_equals_the_polars_reading_on_the_sample(dataset: str) -> None:
    store = Store(SAMPLE)
    table = store.table(dataset)
    assert table is not None
    got = live_files(table, store.table_uri(dataset))
    assert got and got == _via_polars(table, store.table_uri(dataset))


def test_file_list_of_collector_appends_keeps_microseconds_sources_and_odd_names(tmp_path: Path) -> None:
    """Several commits (no checkpoint), a checkpoint, then more; a cluster name that needs quoting."""
    store = Store(tmp_path)
    for i in range(4):
        ts = T0 + dt.timedelta(minutes=i)
        store.append("offsets", _offsets(ts, "collector" if i % 2 else "simulate"))
        if i == 1:
            table = store.table("offsets")
            assert table is not None
            table.create_checkpoint()
    store.append("offsets", _offsets(T0, "consumer-groups").with_columns(cluster=pl.lit("prod/eu 1")))
    table = store.table("offsets")
    assert table is not None
    got = live_files(table, store.table_uri("offsets"))
    assert len(got) == 5 and {f.cluster for f in got} == {"c1", "prod/eu 1"}
    assert got == _via_polars(table, store.table_uri("offsets"))
    assert {f.sources for f in got} >= {("collector", "collector"), ("simulate", "simulate")}
    # the collector's snapshots have no completion marker: the newest visible is the simulated one
    assert store.latest_ts("offsets", "c1") == T0 + dt.timedelta(minutes=2)  # to the microsecond


def test_one_store_sees_what_another_appends(tmp_path: Path) -> None:
    """The file list is kept per table version: a second writer's commit shows at the next read."""
    reader, writer = Store(tmp_path), Store(tmp_path)
    writer.append("offsets", _offsets(T0, "simulate"))
    assert Store.of(reader) is reader and reader.read("offsets").height == 2
    writer.append("offsets", _offsets(T0 + dt.timedelta(minutes=1), "simulate"))
    assert reader.read("offsets").height == 4
    assert reader.latest_ts("offsets", "c1") == T0 + dt.timedelta(minutes=1)


def test_preload_leaves_a_missing_module_to_the_importer() -> None:
    thread = preload("workbench_no_such_module", "json")
    thread.join(timeout=30)
    assert not thread.is_alive()
    with pytest.raises(ModuleNotFoundError):
        __import__("workbench_no_such_module")


@pytest.mark.slow  # a fresh interpreter importing Polars (~1.5 s on a busy machine)
def test_lag_modules_load_on_first_use() -> None:
    """`workbench.analyze.lag` imports a module when one of its names is first used."""
    probe = (
        "import json, sys; import workbench.analyze.lag as lag; before = set(sys.modules); "
        "lag.time_lag; print(json.dumps([sorted(before), sorted(set(sys.modules) - before)]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    before, added = json.loads(out.stdout)
    assert not [m for m in before if m.startswith("workbench.analyze.lag.")]
    assert "workbench.analyze.lag.timelag" in added and "workbench.analyze.lag.analysis" not in added


@pytest.mark.slow  # a whole `python -m workbench lag` process (~1.5 s)
def test_the_executable_prints_what_the_command_does_in_process() -> None:
    """`python -m workbench lag` (frozen collector at exit, imports on a thread) prints the same
    JSON as the command run in process, and never loads pyarrow, pandas or other commands' code."""
    probe = (
        "import atexit, json, runpy, sys\n"
        "atexit.register(lambda: sys.stderr.write(json.dumps(sorted(sys.modules))))\n"
        f"sys.argv = ['workbench', 'lag', '--data-dir', {str(SAMPLE)!r}, '--json']\n"
        "from workbench.cli import run\n"
        "run()\n"
    )
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    in_process = CliRunner().invoke(main, ["lag", "--data-dir", str(SAMPLE), "--json"])
    assert in_process.exit_code == 0 and json.loads(res.stdout) == json.loads(in_process.output)
    loaded = set(json.loads(res.stderr))
    assert not {m.split(".")[0] for m in loaded} & {"pyarrow", "pandas"}
    others = {f"workbench.cli.{m}" for m in ("bench", "report", "imports", "configs", "simulate", "spark")}
    assert not loaded & others  # only the command's own modules (cli._MODULES)


def test_footer_checks_of_many_files_name_the_bad_one(tmp_path: Path) -> None:
    """One row count for all files; file by file only when the total differs."""
    from workbench.store.files import footer_problems
    from workbench.store.settings import file_schema

    want = file_schema("offsets")
    frame = _offsets(T0, "simulate").drop("cluster")
    made = []
    for i, (rows, kind) in enumerate([(2, "ok"), (3, "rows"), (2, "foreign"), (None, "ok")]):
        path = tmp_path / f"f{i}.parquet"
        (frame.drop("source") if kind == "foreign" else frame).write_parquet(path)
        made.append(DataFile(str(path), path.name, "c1", T0.date(), path.stat().st_size, rows, None, None))
    problems = footer_problems(made, want)
    assert problems == {
        made[1].uri: "2 rows where the table log says 3",
        made[2].uri: "foreign schema (columns or types differ from the dataset's)",
    }
    assert footer_problems([made[0], made[3]], want) == {}  # checked once: cached by size and mtime
