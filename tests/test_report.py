"""The report stage: parameters checked before running, failures named, offline HTML, index page.

Most tests render ``tests/data/notebooks/tiny.ipynb`` (a few seconds); the ``lag-trend`` tests
render the real report on the sample data (``data/sample``, or a simulated stand-in when that is
not there) and open it in headless Chromium when that is installed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
import sys
from html import escape as html_escape
from pathlib import Path

import nbformat
import polars as pl
import pytest
from click.testing import CliRunner, Result

from workbench.cli import main
from workbench.errors import ConfigError, NotFoundError, ReportError
from workbench.report import CATALOG, ReportSpec, check_parameters, read_defaults, render
from workbench.report.index import collect_entries, write_index
from workbench.report.notebook import findings_markdown, md_escape, table_html
from workbench.report.parameters import coerce
from workbench.report.render import _free_stamp
from workbench.store import Store

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "data" / "notebooks" / "tiny.ipynb"
TINY_CATALOG = {"tiny": ReportSpec("tiny", TINY, "Tiny report", "A test notebook")}
EVIL = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>")
BUNDLE_MARK = "window.vegaEmbed="
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def evil_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small history whose group, topic and client ids are HTML."""
    target = tmp_path_factory.mktemp("evil")
    t0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    rows = []
    for i in range(288):
        ts = t0 + dt.timedelta(minutes=5 * i)
        for n, group in enumerate(EVIL):
            for part in range(2):
                end = 1000 + 100 * i
                committed = 1000 if n == 0 and i > 200 else end - 5
                rows.append(
                    (ts, "evil", group, "Stable", EVIL[1], part, committed, 0, end, "m", group, "/h", "t")
                )
    cols = [
        "ts",
        "cluster",
        "group",
        "group_state",
        "topic",
        "partition",
        "committed_offset",
        "log_start_offset",
        "log_end_offset",
        "member_id",
        "client_id",
        "host",
        "source",
    ]
    Store(target).append("offsets", pl.DataFrame(rows, orient="row", schema=cols))
    return target


@pytest.fixture(scope="session")
def demo(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    """``workbench demo`` run once on the sample: every catalog report, rendered a single time for
    test_cli_demo and the lag-trend checks (a papermill kernel per report: the costly part)."""
    out = tmp_path_factory.mktemp("reports")
    return out, CliRunner().invoke(main, ["demo", "--out", str(out), "--data-dir", str(sample_dir)])


@pytest.fixture(scope="session")
def lag_report(demo: tuple[Path, Result]) -> Path:
    """The demo's lag-trend report: default parameters on the sample (its one cluster named)."""
    result = demo[1]
    assert result.exit_code == 0, result.output
    return next(Path(line) for line in result.stdout.splitlines() if Path(line).parent.name == "lag-trend")


def _chart_outputs(html: str) -> int:
    return len(re.findall(r'<div id="altair-viz-[0-9a-f]+"', html))


def _dump_dom(page: Path, tmp_path: Path) -> str:
    assert CHROMIUM is not None
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=15000",
        "--dump-dom",
        page.as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def _without_scripts(dom: str) -> str:
    return re.sub(r"<script\b.*?</script>", "", dom, flags=re.S | re.I)


# -- parameters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "default", "expected"),
    [
        ("3", 10, 3),  # int from text
        ("0.5", 0.0, 0.5),  # float from text
        ("2", 0.0, 2.0),  # an int text for a float parameter
        ("true", False, True),  # bool words
        ("no", True, False),
        ("None", 10, None),  # None for a non-text parameter
        ("orders.*", None, "orders.*"),  # text for a None default stays text
        ("none", None, None),
        ("7d", "7d", "7d"),
        ("None", "7d", None),  # None for a text parameter too (papermill's -p since None)
        ("", "7d", ""),  # an empty text stays text
        ("none", "send_to_ack", "none"),  # a text parameter's literal value (latency none)
        ("null", "steady", "null"),
        (5, 10, 5),  # non-text values pass unchanged (the Python API)
        (["a", "b"], None, ["a", "b"]),
    ],
)
def test_coerce(value: object, default: object, expected: object) -> None:
    assert coerce("p", value, default) == expected


@pytest.mark.parametrize(("value", "default"), [("abc", 10), ("1.5", 10), ("maybe", False), ("x", 0.5)])
def test_coerce_rejects(value: str, default: object) -> None:
    with pytest.raises(ConfigError, match="parameter p"):
        coerce("p", value, default)


def test_read_defaults_of_every_catalog_notebook() -> None:
    for spec in CATALOG.values():
        assert read_defaults(spec.path), spec.name


def test_lag_trend_parameters() -> None:
    assert read_defaults(CATALOG["lag-trend"].path) == {
        "data_dir": "data/sample",
        "cluster": None,
        "since": "7d",
        "until": None,
        "groups": None,
        "topics": None,
        "warn_time_lag_s": 60,
        "crit_time_lag_s": 600,
        "warn_lag": None,
        "crit_lag": None,
        "burrow_intervals": 10,
        "burrow_min_distance_s": 0,
        "burrow_allowed_lag": 0,
        "burrow_minimum_complete": 0.0,
        "top_n": 10,
        "resolution": "auto",
    }


def test_check_parameters_coerces() -> None:
    assert check_parameters(TINY, {"rows": "4", "fail": "false"}) == {"rows": 4, "fail": False}


def test_latency_none_reaches_the_notebook_as_text() -> None:
    latency = CATALOG["latency-percentiles"].path
    assert check_parameters(latency, {"latency": "none", "cluster": "none"}) == {
        "latency": "none",
        "cluster": None,
    }


def test_unknown_parameter_rejected_before_running(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown parameter bogus .*valid are rows, label, fail"):
        render("tiny", {"bogus": "1"}, out_dir=tmp_path, catalog=TINY_CATALOG)
    assert list(tmp_path.iterdir()) == []


def test_unknown_report() -> None:
    with pytest.raises(NotFoundError, match=r"known reports are .*lag-trend"):
        render("nope", {})


# -- rendering the tiny notebook -----------------------------------------------------------------


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_render_is_quiet(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    """The kernel talks IPC, so ipykernel prints no "running over TCP without encryption" warning."""
    render("tiny", {"rows": "2"}, out_dir=tmp_path, catalog=TINY_CATALOG)
    err = capfd.readouterr().err
    assert "without encryption" not in err and "WARNING" not in err, err


def test_kernel_config_uses_ipc() -> None:
    from workbench.report.render import kernel_config

    assert kernel_config().KernelManager.transport in ("ipc", "tcp")
    if not sys.platform.startswith("win"):
        assert kernel_config().KernelManager.transport == "ipc"


@pytest.mark.slow  # starts two Jupyter kernels
@pytest.mark.skipif(sys.platform.startswith("win"), reason="no IPC transport on Windows")
def test_two_kernels_started_at_once_in_one_directory_do_not_share_sockets(tmp_path, monkeypatch) -> None:
    """Two renders started together in one working directory each talk to their own kernel
    (jupyter_client's default IPC names, kernel-ipc-N in the cwd, were shared: "Invalid Signature")."""
    from jupyter_client import KernelManager

    from workbench.report.render import _kernel_sockets, kernel_config

    monkeypatch.chdir(tmp_path)
    with _kernel_sockets() as a, _kernel_sockets() as b:
        managers = [KernelManager(kernel_name="python3", config=kernel_config(d)) for d in (a, b)]
        for km in managers:
            km.start_kernel()
        try:
            assert len({(km.ip, km.shell_port) for km in managers}) == 2
            for i, km in enumerate(managers):
                client = km.client()
                client.start_channels()
                client.wait_for_ready(timeout=120)
                reply = client.execute_interactive(f"x = {i}; print('kernel', x)", timeout=120)
                assert reply["content"]["status"] == "ok"
                client.stop_channels()
        finally:
            for km in managers:
                km.shutdown_kernel(now=True)
        assert not list(tmp_path.iterdir())  # nothing left in the working directory
    assert not a.exists() and not b.exists()


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_render_tiny(tmp_path: Path) -> None:
    rendered = render("tiny", {"rows": "4", "label": EVIL[0]}, out_dir=tmp_path, catalog=TINY_CATALOG)
    assert re.fullmatch(r"\d{8}T\d{6}Z\.html", rendered.html.name)
    assert rendered.html.parent == tmp_path / "tiny"
    assert rendered.notebook.exists() and rendered.meta.exists()
    html = rendered.html.read_text(encoding="utf-8")
    assert 'src="http' not in html and "<script src=" not in html
    assert html.count(BUNDLE_MARK) == 1
    assert "var VEGA_DEBUG = {" in html and '"vegalite_version": "6.' in html
    assert _chart_outputs(html) == 2
    assert "raise ValueError" not in html, "code cells must not be in the report"
    assert "Tiny report" in html and "Generated" in html
    assert EVIL[0] not in html
    meta = json.loads(rendered.meta.read_text())
    assert meta["passed"] == {"rows": 4, "label": EVIL[0]}


def test_two_renders_in_one_second_do_not_collide(tmp_path: Path) -> None:
    now = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert _free_stamp(tmp_path, now) == "20240501T120000Z"
    (tmp_path / "20240501T120000Z.ipynb").write_text("{}")
    assert _free_stamp(tmp_path, now) == "20240501T120000Z-2"
    (tmp_path / "20240501T120000Z-2.failed.ipynb").write_text("{}")
    assert _free_stamp(tmp_path, now) == "20240501T120000Z-3"


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_svg_static_has_no_script(tmp_path: Path) -> None:
    rendered = render("tiny", {}, out_dir=tmp_path, fmt="svg-static", catalog=TINY_CATALOG)
    html = rendered.html.read_text(encoding="utf-8")
    assert "<script" not in html
    assert len(re.findall(r'<img [^>]*src="data:image/svg\+xml', html)) == 2


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_failing_cell_keeps_notebook_and_names_the_cell(tmp_path: Path) -> None:
    with pytest.raises(ReportError) as info:
        render("tiny", {"fail": "yes", "rows": "7"}, out_dir=tmp_path, catalog=TINY_CATALOG)
    message = str(info.value)
    assert 'cell 6, line 2 (`raise ValueError(f"asked to fail with {rows} rows")`)' in message
    assert "ValueError: asked to fail with 7 rows" in message
    failed = list((tmp_path / "tiny").glob("*.failed.ipynb"))
    assert len(failed) == 1 and str(failed[0]) in message
    assert "\n" not in message
    nb = nbformat.read(failed[0], as_version=4)
    assert any(o.get("ename") == "ValueError" for c in nb.cells for o in c.get("outputs", []))
    assert not list((tmp_path / "tiny").glob("*.html"))
    index = (tmp_path / "index.html").read_text(encoding="utf-8")  # the failed run, with its error
    assert "failed run" in index and "ValueError: asked to fail with 7 rows" in index


# -- escaping ------------------------------------------------------------------------------------


@pytest.mark.parametrize("evil", EVIL)
def test_markdown_findings_cannot_inject_html(evil: str) -> None:
    from nbconvert.filters.markdown_mistune import markdown2html_mistune

    text = markdown2html_mistune(
        findings_markdown([("critical", f"group {evil} is stalled [x](javascript:1)")])
    )
    assert "<script" not in text and "<img" not in text and 'href="javascript' not in text
    assert "&lt;" in text


@pytest.mark.parametrize(
    ("text", "escaped"), [("a<b>", "a&lt;b&gt;"), ("*x*", r"\*x\*"), ("[l](u)", r"\[l\]\(u\)")]
)
def test_md_escape(text: str, escaped: str) -> None:
    assert md_escape(text) == escaped


def test_table_html_escapes() -> None:
    html = table_html(pl.DataFrame({"<b>": [EVIL[1]], "lag": [1234.5]}), {"lag": ",.0f"})
    assert "<img" not in html and "&lt;b&gt;" in html and "1,234" in html


def test_index_lists_reports_newest_first_and_escapes(tmp_path: Path) -> None:
    for stamp, group in (("20240101T000000Z", EVIL[0]), ("20240102T000000Z", EVIL[1])):
        (tmp_path / "tiny").mkdir(exist_ok=True)
        (tmp_path / "tiny" / f"{stamp}.html").write_text("x")
        (tmp_path / "tiny" / f"{stamp}.json").write_text(
            json.dumps({"passed": {"groups": group}, "window": group})
        )
    (tmp_path / "tiny" / "20240103T000000Z.failed.ipynb").write_text("{}")
    (tmp_path / "tiny" / "20240103T000000Z.json").write_text(json.dumps({"error": f"boom {EVIL[0]}"}))
    counts = {"ok": 1, "info": 0, "warning": 2, "critical": 3}
    (tmp_path / "tiny" / "20240102T000000Z.findings.json").write_text(json.dumps({"counts": counts}))
    entries = collect_entries(tmp_path)
    assert [e.stamp for e in entries] == ["20240103T000000Z", "20240102T000000Z", "20240101T000000Z"]
    assert entries[0].failed
    html = write_index(tmp_path, TINY_CATALOG).read_text()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert html.index("20240102T000000Z.html") < html.index("20240101T000000Z.html")
    assert "Tiny report" in html and "failed run" in html
    assert f"boom {html_escape(EVIL[0])}" in html
    assert re.search(r"3 critical</span>, <span[^>]*>2 warning</span>, <span[^>]*>1 ok", html)


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_lag_trend_escapes_cluster_text(evil_dir: Path, tmp_path: Path) -> None:
    rendered = render("lag-trend", {"data_dir": str(evil_dir), "since": "None"}, out_dir=tmp_path)
    html = rendered.html.read_text(encoding="utf-8")
    for evil in EVIL:
        assert evil not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    if CHROMIUM is not None:
        visible = _without_scripts(_dump_dom(rendered.html, tmp_path))
        assert '<img src="x"' not in visible and "<script>alert" not in visible
        assert visible.count('class="marks"') == _chart_outputs(html)
    for chart_script in re.findall(
        r'<div id="altair-viz-[0-9a-f]+"></div>\s*<script.*?</script>', html, re.S
    ):
        assert chart_script.lower().count("<script") == 1


# -- the lag-trend report on the sample ----------------------------------------------------------


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_lag_trend_default(lag_report: Path) -> None:
    html = lag_report.read_text(encoding="utf-8")
    assert "<script src=" not in html and 'src="http' not in html
    assert html.count(BUNDLE_MARK) == 1
    assert _chart_outputs(html) >= 6
    assert "Consumer lag trend" in html and "Data window" in html
    assert "load_offsets" not in html, "code cells must not be in the report"
    index = (lag_report.parents[1] / "index.html").read_text()
    assert f"lag-trend/{lag_report.name}" in index


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_lag_trend_with_filters(sample_dir: Path, tmp_path: Path) -> None:
    params = {
        "data_dir": str(sample_dir),
        "groups": "^(orders|payments|fraud).*",
        "since": "2d",
        "top_n": "3",
    }
    rendered = render("lag-trend", params, out_dir=tmp_path)
    html = rendered.html.read_text(encoding="utf-8")
    assert "&#x27;2d&#x27;" in html or "'2d'" in html
    meta = json.loads(rendered.meta.read_text())
    assert meta["passed"]["top_n"] == 3 and meta["passed"]["since"] == "2d"


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_lag_trend_bad_value_fails_a_cell(sample_dir: Path, tmp_path: Path) -> None:
    """A value that passes its kind's check but not the data (an unknown cluster) fails in a cell."""
    with pytest.raises(ReportError, match=r"failed in cell \d+, line \d+ \(`.+`\): \w+Error: .*nope") as info:
        render("lag-trend", {"data_dir": str(sample_dir), "cluster": "nope"}, out_dir=tmp_path)
    assert list((tmp_path / "lag-trend").glob("*.failed.ipynb"))
    assert "failed notebook kept at" in str(info.value)


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
def test_lag_trend_draws_every_chart_offline(lag_report: Path, tmp_path: Path) -> None:
    html = lag_report.read_text(encoding="utf-8")
    dom = _dump_dom(lag_report, tmp_path)
    visible = _without_scripts(dom)
    assert "Error loading script" not in visible and 'class="error"' not in visible
    assert visible.count('class="marks"') == _chart_outputs(html)


# -- the command line ----------------------------------------------------------------------------


def test_cli_list() -> None:
    result = CliRunner().invoke(main, ["report", "--list"])
    assert result.exit_code == 0, result.output
    assert "lag-trend" in result.output and "burrow_intervals" in result.output
    assert (
        "-p since (duration back from the newest snapshot (7d) or ISO 8601 instant, default '7d'): "
        in result.output
    )
    assert "-p latency (one of auto, send_to_ack," in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "nope"], "error: unknown report 'nope'"),
        (["report", "lag-trend", "-p", "bogus", "1"], "error: unknown parameter bogus"),
        (
            ["report", "lag-trend", "-p", "top_n", "many"],
            "error: parameter top_n: 'many' is not a valid whole",
        ),
    ],
)
def test_cli_errors_are_one_line_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith(message) and result.output.count("\n") == 1


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("until", "yesterday", "use a duration (7d) or ISO 8601"),
        ("since", "99999999d", "more than 100 years"),
        ("since", "4000d", "longer than 3660 days"),
        ("since", "inf", "not a finite number"),
        ("since", "0s", "must be positive"),
        ("since", "9999-12-31", "the year must be between"),
        ("groups", "(?=x)", "look-around"),
        ("groups", "[", "unclosed character class"),
        ("top_n", "0", "must be 1 or more"),
        ("warn_time_lag_s", "inf", "must be a finite number"),
        ("burrow_minimum_complete", "1.5", "must be between 0 and 1"),
    ],
)
def test_cli_bad_values_fail_before_the_kernel_starts(
    name: str, value: str, message: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(main, ["report", "lag-trend", "-p", name, value, "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: parameter {name}: ") and message in result.output
    assert result.output.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing ran, nothing written


@pytest.mark.parametrize(
    ("report", "name", "value", "expected"),
    [
        ("latency-percentiles", "latency", "none", "none"),  # a choice that lists none stays the text
        ("latency-percentiles", "phase", "None", None),
        ("lag-trend", "since", "2026-11-01T00:00Z", "2026-11-01T00:00Z"),
        ("lag-trend", "groups", "orders-.*", "orders-.*"),
        ("capacity", "fill_target", "0.8", 0.8),
    ],
)
def test_typed_parameters_accept(report: str, name: str, value: str, expected: object) -> None:
    assert check_parameters(CATALOG[report].path, {name: value}) == {name: expected}


def test_every_catalog_parameter_is_declared_with_a_meaning() -> None:
    """``report --list`` shows kind, default and meaning: the parameters cells must say them."""
    from workbench.report.parameters import read_parameters

    for spec in CATALOG.values():
        for param in read_parameters(spec.path).values():
            assert param.help, f"{spec.name}: {param.name} has no meaning in its parameters cell"
            assert (
                param.kind
                in {
                    "str",
                    "path",
                    "list",
                    "int",
                    "count",
                    "float",
                    "fraction",
                    "bool",
                    "duration",
                    "since",
                    "regex",
                }
                or param.choices
            ), (spec.name, param)


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_cli_demo(demo: tuple[Path, Result]) -> None:
    out, result = demo
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()  # paths on stdout, one summary line per report on stderr
    assert lines[-1] == str(out / "index.html")
    assert len(lines) == len(CATALOG) + 1
    assert all(Path(line).exists() for line in lines)
    summaries = result.stderr.splitlines()
    assert len(summaries) == len(CATALOG)
    assert all(re.match(r"report [\w-]+: rendered in [\d.]+ s; findings: ", line) for line in summaries)


def test_notebooks_are_found_in_the_source_tree_or_where_a_wheel_put_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tomllib

    from workbench.report import catalog

    spec = catalog.get_report("lag-trend")
    assert spec.path == catalog.REPO_ROOT / "notebooks" / "lag_trend.ipynb"  # editable install
    installed = tmp_path / "share" / "notebooks"
    installed.mkdir(parents=True)
    (installed / "lag_trend.ipynb").write_text("{}")
    monkeypatch.setattr(catalog, "REPO_ROOT", tmp_path / "no-source-tree")
    monkeypatch.setattr(catalog, "INSTALLED_NOTEBOOKS", installed)
    assert spec.path == installed / "lag_trend.ipynb"  # wheel install
    with pytest.raises(NotFoundError, match=r"notebook not found .*pip install -e"):
        _ = catalog.get_report("capacity").path
    # the wheel carries every catalog notebook
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["data-files"]["share/kafka-capacity-workbench/notebooks"]
    shipped = {p.name for g in globs for p in Path(__file__).resolve().parents[1].glob(g)}
    assert {s.notebook.name for s in catalog.CATALOG.values()} <= shipped


@pytest.mark.slow
@pytest.mark.skipif(
    not (Path(__file__).resolve().parents[1] / "data" / "sample").is_dir(), reason="needs data/sample"
)
def test_demo_without_the_shipped_sample_simulates_every_dataset_it_has(tmp_path: Path) -> None:
    # a wheel install has no data/sample: demo simulates one, and every report needs its data
    from workbench.cli.report import _temporary_sample

    shipped = Path(__file__).resolve().parents[1] / "data" / "sample"
    made = _temporary_sample(tmp_path / "missing")
    try:
        want = {p.name for p in shipped.iterdir() if p.is_dir()}
        got = {p.name for p in made.iterdir() if p.is_dir()}
        assert want <= got, f"missing datasets: {sorted(want - got)}"
    finally:
        shutil.rmtree(made)
