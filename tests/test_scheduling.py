"""The scheduling recipes of docs/scheduling.md: systemd units and timers, the crontab, the Airflow DAG.

systemd: `systemd-analyze verify` when it is installed (the ExecStart path is pointed at this
environment's `workbench` first), else a structural parse. Every workbench command line in the
recipes is parsed by the real CLI, so a renamed option breaks this test, not a production schedule.
Airflow is never imported: the DAG file is checked through its syntax tree.
"""

from __future__ import annotations

import ast
import configparser
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from workbench.cli import main
from workbench.report import CATALOG, read_defaults

REPO = Path(__file__).resolve().parents[1]
SYSTEMD = REPO / "deploy" / "systemd"
CRONTAB = REPO / "deploy" / "cron" / "workbench.crontab"
DAG = REPO / "deploy" / "airflow" / "workbench_reports.py"
VENV_WORKBENCH = "/opt/workbench/.venv/bin/workbench"
UNITS = sorted(p.name for p in SYSTEMD.iterdir() if p.suffix in (".service", ".timer"))
ENV = {
    "WORKBENCH_CLUSTER": "prod-eu",
    "WORKBENCH_DATA_DIR": "/var/lib/workbench/data",
    "WORKBENCH_REPORTS": "/var/lib/workbench/reports",
    "WORKBENCH_COMMAND_CONFIG": "/etc/workbench/client.properties",
    "WORKBENCH_NOTIFY": "alertmanager+http://alertmanager:9093",
}


def check_workbench_command(argv: list[str]) -> click.Command:
    """Parse ``workbench ARGS...`` with the real CLI (no callback runs); returns the leaf command."""
    assert argv[0].endswith("workbench"), argv
    command: click.Command = main
    args = argv[1:]
    while isinstance(command, click.Group):
        assert args and args[0] in command.commands, f"unknown command in {argv}"
        command = command.commands[args.pop(0)]
    command.make_context(command.name, list(args))
    if command.name == "report":
        name = args[0]
        assert name in CATALOG, argv
        params = [args[i + 1] for i, a in enumerate(args) if a == "-p"]
        assert set(params) <= set(read_defaults(CATALOG[name].path)), argv
    return command


def _expand(text: str, env: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: env[m.group(1)], text)


# -- systemd ----------------------------------------------------------------------------------
def _unit(name: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(SYSTEMD / name)
    return parser


def _exec_lines(name: str) -> list[str]:
    return re.findall(r"^Exec\w+=(.+)$", (SYSTEMD / name).read_text(), re.M)


def test_units_present() -> None:
    assert UNITS == [
        "workbench-collect-configs.service",
        "workbench-collect-configs.timer",
        "workbench-collect-offsets.service",
        "workbench-reports.service",
        "workbench-reports.timer",
    ]


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed: the structural checks below still run")
    workbench = shutil.which("workbench") or str(Path(sys.executable).with_name("workbench"))
    for name in UNITS:
        text = (SYSTEMD / name).read_text().replace(VENV_WORKBENCH, workbench)
        (tmp_path / name).write_text(text)
    proc = subprocess.run(
        ["systemd-analyze", "verify", *(str(tmp_path / n) for n in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", UNITS)
def test_unit_structure(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _env_file().items():
        monkeypatch.setenv(key, value)
    unit = _unit(name)
    assert unit.get("Unit", "Description")
    if name.endswith(".timer"):
        assert unit.get("Timer", "OnCalendar") and unit.get("Timer", "Persistent") == "true"
        assert (SYSTEMD / name.replace(".timer", ".service")).exists()
        assert unit.get("Install", "WantedBy") == "timers.target"
        return
    assert unit.get("Service", "User") == "workbench"
    assert unit.get("Service", "EnvironmentFile") == "/etc/workbench/workbench.env"
    for line in _exec_lines(name):
        check_workbench_command(shlex.split(_expand(line, ENV)))


def _env_file() -> dict[str, str]:
    lines = (SYSTEMD / "workbench.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def test_env_file_defines_what_the_units_use() -> None:
    defined = _env_file()
    used = {v for n in UNITS for v in re.findall(r"\$\{(\w+)\}", (SYSTEMD / n).read_text())}
    assert used <= set(defined)


def test_collector_service_restarts_and_reports_prune() -> None:
    offsets = _unit("workbench-collect-offsets.service")
    assert offsets.get("Service", "Restart") == "on-failure" and offsets.get("Service", "RestartSec")
    assert offsets.get("Service", "Type") == "simple"
    assert "--interval 30s" in offsets.get("Service", "ExecStart")
    reports = (SYSTEMD / "workbench-reports.service").read_text()
    assert "workbench prune --older-than 90d" in reports and "--yes" in reports


# -- cron -------------------------------------------------------------------------------------
_FIELD_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _valid_field(field: str, low: int, high: int) -> bool:
    for part in field.split(","):
        m = re.fullmatch(r"(\*|(\d+)(?:-(\d+))?)(?:/(\d+))?", part)
        if not m:
            return False
        values = [int(v) for v in m.group(2, 3) if v is not None]
        if any(not low <= v <= high for v in values) or (m.group(4) and int(m.group(4)) == 0):
            return False
    return True


def _cron_entries() -> list[tuple[list[str], str]]:
    entries = []
    for line in CRONTAB.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or re.match(r"^\w+=", line):
            continue
        if line.startswith("@"):
            special, command = line.split(None, 1)
            entries.append(([special], command))
        else:
            parts = line.split(None, 5)
            entries.append((parts[:5], parts[5]))
    return entries


@pytest.mark.parametrize(
    ("field", "index", "valid"),
    [
        ("*/5", 0, True),
        ("7", 0, True),
        ("60", 0, False),
        ("0-23/2", 1, True),
        ("24", 1, False),
        ("*/0", 0, False),
    ],
)
def test_cron_field_checker(field: str, index: int, valid: bool) -> None:
    assert _valid_field(field, *_FIELD_RANGES[index]) is valid


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_crontab_entries_are_valid_and_run_real_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    for line in CRONTAB.read_text().splitlines():
        if re.match(r"^WORKBENCH_\w+=", line):
            monkeypatch.setenv(*line.split("=", 1))
    entries = _cron_entries()
    seen = set()
    for schedule, command in entries:
        if schedule[0].startswith("@"):
            assert schedule[0] in {"@reboot", "@hourly", "@daily", "@weekly"}
        else:
            assert len(schedule) == 5 and all(
                _valid_field(f, *r) for f, r in zip(schedule, _FIELD_RANGES, strict=True)
            ), schedule
        argv = shlex.split(command.split(">>")[0])
        if argv[0] == "flock":
            argv = argv[3:]
        seen.add(check_workbench_command(argv).name)
    assert {"offsets", "configs", "report", "prune", "compact"} <= seen


def _report_names(text: str) -> set[str]:
    return set(re.findall(r"workbench report ([\w-]+)", text))


def test_every_recipe_renders_every_report_and_compacts() -> None:
    """cron, systemd, Airflow and compose's report loop: all four reports, and compact."""
    loop = (REPO / "deploy" / "docker" / "report-loop").read_text()
    recipes = {
        "cron": CRONTAB.read_text(),
        "systemd": (SYSTEMD / "workbench-reports.service").read_text(),
        "airflow": DAG.read_text(),
    }
    for name, text in recipes.items():
        assert _report_names(text) == set(CATALOG), name
        assert "workbench compact" in text, name
    assert set(re.search(r"for report in ([\w -]+);", loop).group(1).split()) == set(CATALOG)  # type: ignore[union-attr]
    assert "workbench compact" in loop and 'exec "$@"' in loop


# -- Airflow ----------------------------------------------------------------------------------
def _dag_tree() -> ast.Module:
    return ast.parse(DAG.read_text(), filename=str(DAG))


def _calls(tree: ast.Module, name: str) -> list[ast.Call]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", None)) == name
    ]


def _kw(call: ast.Call, key: str) -> ast.expr:
    return next(k.value for k in call.keywords if k.arg == key)


def test_airflow_dag_shape() -> None:
    tree = _dag_tree()
    assert ast.get_docstring(tree)
    dag = _calls(tree, "DAG")[0]
    assert ast.literal_eval(_kw(dag, "dag_id")) == "workbench_reports"
    assert ast.literal_eval(_kw(dag, "catchup")) is False
    tasks = [
        ast.literal_eval(_kw(c, "task_id"))
        for c in _calls(tree, "BashOperator") + _calls(tree, "PapermillOperator")
    ]
    assert sorted(tasks) == [
        "collect_configs",
        "compact",
        "lag_trend_notebook",
        "prune",
        *(f"report_{name.replace('-', '_')}" for name in sorted(CATALOG)),
    ]
    imports = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert "airflow.providers.papermill.operators.papermill" in imports
    assert not any(m and m.startswith("workbench") for m in imports)  # the DAG only shells out


@pytest.mark.slow  # starts a Jupyter kernel (papermill): seconds even for a tiny notebook
def test_airflow_papermill_task_matches_the_notebook() -> None:
    call = _calls(_dag_tree(), "PapermillOperator")[0]
    input_nb = ast.unparse(_kw(call, "input_nb"))
    notebook = re.search(r"notebooks/(\w+\.ipynb)", input_nb).group(1)  # type: ignore[union-attr]
    assert (REPO / "notebooks" / notebook).exists()
    params = _kw(call, "parameters")
    assert isinstance(params, ast.Dict)
    keys = {ast.literal_eval(k) for k in params.keys if k is not None}
    assert keys <= set(read_defaults(REPO / "notebooks" / notebook))
    assert "ts_nodash" in ast.unparse(_kw(call, "output_nb"))  # one dated executed notebook per run


def test_airflow_bash_commands_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WORKBENCH_BOOTSTRAP_SERVER", raising=False)
    values = {
        "BOOTSTRAP": "b:9092",
        "COMMAND_CONFIG": "/etc/workbench/client.properties",
        "CLUSTER": "prod-eu",
        "DATA_DIR": "/d",
        "REPORTS": "/r",
        "RETENTION": "90d",
        "WORKBENCH_HOME": "/opt/workbench",
        "NOTIFY": "alertmanager+http://am:9093",
    }
    for call in _calls(_dag_tree(), "BashOperator"):
        command = ast.unparse(_kw(call, "bash_command"))
        text = "".join(re.findall(r"f'([^']*)'", command))
        text = re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], text)
        for part in text.split("&&"):
            argv = shlex.split(part)
            if argv[0] != "cd":
                check_workbench_command(argv)
