"""Report tables read as a person writes them: names, units, unknown, collapsed rows, severities."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from workbench.analyze.config.findings import change_sentences, changes_table
from workbench.report.notebook import table_html
from workbench.report.render import shown_value
from workbench.report.tables import cell_text, human_name

T0 = dt.datetime(2026, 11, 18, 2, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("column", "shown"),
    [
        ("size_bytes", "size"),
        ("records_per_s", "records/s"),
        ("p99_ms", "p99 (ms)"),
        ("retention_h", "retention (h)"),
        ("drain_s", "drain"),
        ("success_pct", "success %"),
        ("under_replicated", "under replicated"),
        ("run id", "run id"),  # already human: unchanged
        ("lag", "lag"),
    ],
)
def test_human_names(column: str, shown: str) -> None:
    assert human_name(column) == shown


@pytest.mark.parametrize(
    ("value", "fmt", "kind", "shown"),
    [
        (None, None, None, "unknown"),  # null is unknown, never 0 or None
        (None, ",.0f", "bytes", "unknown"),
        (float("nan"), None, None, "unknown"),
        (True, None, None, "yes"),
        (False, None, None, "no"),
        (3 << 30, None, "bytes", "3.0 GiB"),  # IEC, as everywhere
        (7800.0, None, "duration", "2 h 10 min"),
        (1234567, None, None, "1,234,567"),
        (0.5, ".2f", "bytes", "0.50"),  # an explicit format wins
        (dt.datetime(2026, 11, 17, 10, tzinfo=dt.UTC), None, None, "Nov 17 10:00 UTC"),
        ("<b>", None, None, "&lt;b&gt;"),
    ],
)
def test_cell_text(value: object, fmt: str | None, kind: str | None, shown: str) -> None:
    assert cell_text(value, fmt, kind) == shown


def test_table_has_no_snake_case_or_python_literals() -> None:
    frame = pl.DataFrame(
        {"size_bytes": [1 << 40, None], "internal": [False, True], "min_isr": [2, None], "name": ["a", None]}
    )
    page = table_html(frame)
    assert "<th>size</th>" in page and "<th>min isr</th>" in page and "1.0 TiB" in page
    for literal in ("None", "True", "False", "_bytes", "1099511627776"):
        assert literal not in page
    assert page.count("unknown") == 3


def _changes(topics: int) -> pl.DataFrame:
    rows = [
        {"status": "resolved", "severity": "critical", "rule_id": "replication.under-replicated",
         "entity": f"topic-{i:02d}", "first_seen": T0, "last_seen": T0 + dt.timedelta(hours=2),
         "snapshots": 3}
        for i in range(topics)
    ] + [
        {"status": "new", "severity": "warning", "rule_id": "drift.broker-config",
         "entity": "num.replica.fetchers", "first_seen": T0, "last_seen": T0 + dt.timedelta(days=1),
         "snapshots": 20},
    ]  # fmt: skip
    return pl.DataFrame(rows)


def test_near_identical_change_rows_collapse_to_one() -> None:
    table = changes_table(_changes(14))
    assert table.height == 2
    row = table.filter(pl.col("rule_id") == "replication.under-replicated").row(0, named=True)
    assert row["entities"] == 14 and row["entity"].endswith("and 8 more")


def test_a_cleared_finding_keeps_its_severity_in_the_summary() -> None:
    levels = dict((sentence.split(" ")[0], level) for level, sentence in change_sentences(_changes(2)))
    assert levels == {"drift.broker-config": "warning", "replication.under-replicated": "critical (resolved)"}


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("data_dir", str(Path.cwd() / "data" / "sample"), "data/sample"),  # relative, never absolute
        ("data_dir", "/srv/kafka/history", "…/kafka/history"),  # outside the working directory
        ("cluster", None, "not set"),
        ("since", "7d", "'7d'"),
        ("top_n", 10, "10"),
    ],
)
def test_report_header_values(key: str, value: object, shown: str) -> None:
    assert shown_value(key, value) == shown
