"""Every report chart given no rows draws a sentence (what is missing, how to get it), no axes."""

from __future__ import annotations

import base64
import inspect
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import altair as alt
import polars as pl
import pytest

from workbench.charts import config, lag, latency
from workbench.charts.theme import empty_note
from workbench.report import render

SAMPLE = Path(__file__).parents[1] / "data" / "sample"

TS = pl.Datetime("us", "UTC")
S, F, N = pl.String, pl.Float64, pl.Int64


def _empty(**schema: Any) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


GROUP_NOW = _empty(group=S, lag=N, time_lag_s=F, status=S, lag_text=S, time_lag_text=S)
SERIES = _empty(run_id=S, run=S, phase=S, t_s=F, latency=S, p50_ms=F, p99_ms=F)
THROUGHPUT = _empty(run_id=S, run=S, t_s=F, records_per_s=F, target_per_s=F)
CURVE = _empty(run_id=S, label=S, records_per_s=F, mb_per_s=F, p50_ms=F, p99_ms=F, max_ms=F)
COMPARISON = _empty(
    label=S, run_id=S, baseline_run_id=S, metric=S, value=F, baseline=F, diff_pct=F, regression=pl.Boolean
)

#: (function, arguments with empty frames, words the sentence must hold: what is missing, the command)
CASES: list[tuple[Callable[..., Any], tuple[Any, ...], tuple[str, ...]]] = [
    (lag.status_timeline, (_empty(ts=TS, group=S, status=S),), ("No group offsets", "collect offsets")),
    (
        lag.top_bars,
        (GROUP_NOW, "lag", "Top groups by lag", "messages"),
        ("no consumer group", "collect offsets"),
    ),
    (
        lag.top_time_bars,
        (GROUP_NOW, "time_lag_s", "Top groups by time lag"),
        ("no consumer group", "collect"),
    ),
    (lag.lag_over_time, (_empty(ts=TS, group=S, lag=N), []), ("No group lag", "collect offsets")),
    (
        lag.produce_vs_consume,
        (_empty(ts=TS, topic=S, produce_rate=F), _empty(ts=TS, topic=S, group=S, consume_rate=F)),
        ("No partition offsets", "collect offsets"),
    ),
    (lag.partition_skew, (_empty(topic=S, partition=N, lag=N),), ("No messages per partition", "collect")),
    (config.broker_load, (_empty(broker=N, replicas=N, leaders=N),), ("No brokers", "collect configs")),
    (
        config.disk_per_broker,
        (_empty(ts=TS, broker=N, size_bytes=N),),
        ("No log-dir sizes", "collect configs"),
    ),
    (config.disk_per_topic, (_empty(topic=S, size_bytes=N),), ("No topic sizes", "collect configs")),
    (config.findings_over_time, (_empty(ts=TS, severity=S, findings=N),), ("No config snapshots", "collect")),
    (
        config.replication_over_time,
        (_empty(ts=TS, under_replicated=N, offline=N),),
        ("No partition metadata", "collect configs"),
    ),
    (
        latency.percentile_distribution,
        (_empty(run_id=S, label=S, percentile=F, value_ms=F), "send-to-ack"),
        ("No latency percentiles", "bench producer"),
    ),
    (latency.latency_over_time, (SERIES,), ("No per-interval latencies", "bench producer")),
    (latency.throughput_over_time, (THROUGHPUT,), ("No per-interval throughput", "bench producer")),
    (latency.throughput_vs_p99, (CURVE,), ("No sweep", "--sweep")),
    (latency.comparison_bars, (COMPARISON,), ("No run has a baseline", "baseline_run")),
]


def _chart_functions() -> set[str]:
    """Every public function of the lag, config and latency chart modules that returns a chart."""
    names = set()
    for module in (lag, config, latency):
        for name in module.__all__:
            func = getattr(module, name)
            if inspect.isfunction(func) and "Chart" in str(inspect.signature(func).return_annotation):
                names.add(f"{module.__name__}.{name}")
    return names


def test_every_chart_function_has_an_empty_case() -> None:
    assert {f"{f.__module__}.{f.__name__}" for f, _, _ in CASES} == _chart_functions()


@pytest.mark.parametrize(("func", "args", "words"), CASES, ids=[f.__name__ for f, _, _ in CASES])
def test_empty_frame_gives_the_sentence(
    func: Callable[..., Any], args: tuple[Any, ...], words: tuple[str]
) -> None:
    spec = func(*args).to_dict()
    assert spec["mark"]["type"] == "text"
    assert "layer" not in spec and "facet" not in spec
    # only constant positions: no field on x or y, so no axes and no legend
    assert {k: v for k, v in spec["encoding"].items() if "field" in v} == {
        "text": {"field": "note", "type": "nominal"}
    }
    sentence = spec["description"]
    assert spec["data"]["values"][0]["note"].replace("\n", " ") == sentence
    for word in words:
        assert word in sentence
    assert spec["title"]["text"]  # the chart's own title stays above the sentence


def test_top_bars_of_groups_with_only_unknown_lag_says_so() -> None:
    frame = pl.DataFrame({"group": ["a", "b"], "lag": [None, None]}, schema={"group": S, "lag": N})
    spec = lag.top_bars(frame, "lag", "Top groups by lag", "messages").to_dict()
    assert "no group has a known value (messages)" in spec["description"]


def test_percentiles_filtered_to_nothing_give_the_sentence() -> None:
    only_max = pl.DataFrame({"run_id": ["r1"], "label": ["a"], "percentile": [100.0], "value_ms": [3.0]})
    spec = latency.percentile_distribution(only_max, "send-to-ack").to_dict()
    assert spec["mark"]["type"] == "text"


def test_empty_note_wraps_a_long_sentence_and_is_script_safe() -> None:
    sentence = "No <b>data</b>: " + "word " * 60
    chart = empty_note("Title", sentence)
    spec = chart.to_dict()
    assert spec["height"] == 20 * spec["data"]["values"][0]["note"].count("\n") + 20
    assert isinstance(chart, alt.Chart)
    from workbench.charts.theme import ScriptSafeJSONEncoder

    assert "<b>" not in chart.to_json(cls=ScriptSafeJSONEncoder)


def _svg_images(page: str) -> list[str]:
    """The SVG charts of a ``svg-static`` report (base64 ``data:`` images)."""
    found = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", page)
    return [base64.b64decode(b).decode() for b in found]


@pytest.mark.slow  # renders two reports (Jupyter kernels): tens of seconds
def test_reports_on_a_data_dir_missing_datasets_show_the_sentences(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data, ignore=shutil.ignore_patterns("log_dirs", "bench_intervals"))
    config_page = render("config-health", {"data_dir": str(data)}, tmp_path / "r", fmt="svg-static")
    svgs = _svg_images(config_page.html.read_text())
    notes = [svg for svg in svgs if "role-axis" not in svg]  # a sentence has no axes
    for phrase in ("No log-dir sizes in the window", "No topic sizes in the config snapshot"):
        assert sum(phrase in svg for svg in notes) == 1
    assert any("Partitions and leaders per broker" in svg and "role-axis" in svg for svg in svgs)
    latency_page = render("latency-percentiles", {"data_dir": str(data)}, tmp_path / "r").html.read_text()
    for phrase in ("No per-interval latencies", "No per-interval throughput", "No latency percentiles"):
        assert (
            f"{phrase} in the selected runs: this chart needs runs from `workbench bench producer`"
            in latency_page
        )


def test_headroom_without_a_measured_capacity_says_how_to_get_one() -> None:
    from workbench.charts import capacity

    frame = pl.DataFrame(
        {"topic": ["a", "b"], "status": ["unknown", "unknown"], "utilization": [None, None]},
        schema={"topic": S, "status": S, "utilization": pl.Float64},
    )
    spec = capacity.headroom_bars(frame, 1.5).to_dict()
    assert spec["mark"]["type"] == "text"
    assert "workbench bench producer" in spec["description"]
