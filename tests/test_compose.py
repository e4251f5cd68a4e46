"""docker-compose.yml, Dockerfile and .dockerignore, checked without a Docker engine.

Two linters: Compose v1's `docker-compose config -q` (Debian package `docker-compose`; it needs no
engine) and the compose-spec JSON schema vendored in the `check-jsonschema` wheel (dev extra; no
network). At least one must be present: the test FAILS, never skips, when neither is. Then the
wiring is checked as docs/scheduling.md documents it: services, volumes, ports on 127.0.0.1,
healthchecks, restart policies, and commands the CLI really accepts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
COMPOSE = REPO / "docker-compose.yml"
SERVICES = {"kafka", "collect-offsets", "collect-configs", "jupyter", "reports"}
WORKBENCH_SERVICES = SERVICES - {"kafka"}
_VAR_RE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}")


@cache
def compose_schema() -> dict[str, Any] | None:
    """The compose-spec JSON schema shipped in check-jsonschema's wheel, or None when not installed."""
    try:
        from importlib.resources import files

        text = files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json").read_text()
    except (ModuleNotFoundError, FileNotFoundError):
        return None
    return json.loads(text)


def schema_errors(document: object) -> list[str]:
    """Messages of every compose-spec violation in ``document`` (a parsed compose file)."""
    import jsonschema

    schema = compose_schema()
    assert schema is not None
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.path))}: {e.message}" for e in validator.iter_errors(document)]


def docker_compose_config(path: Path) -> subprocess.CompletedProcess[str]:
    """`docker-compose -f PATH config -q` with no interpolation variables from this environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "WORKBENCH_", "JUPYTER_"))}
    return subprocess.run(
        ["docker-compose", "-f", str(path), "config", "-q"],
        cwd=path.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def interpolate(value: Any) -> Any:
    """Compose's ``${VAR:-default}`` with every variable unset: the documented defaults."""
    if isinstance(value, str):
        return _VAR_RE.sub(lambda m: m.group(2) or "", value)
    if isinstance(value, list):
        return [interpolate(v) for v in value]
    if isinstance(value, dict):
        return {k: interpolate(v) for k, v in value.items()}
    return value


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return interpolate(yaml.safe_load(COMPOSE.read_text()))


# -- the linters ------------------------------------------------------------------------------
def test_a_linter_is_available() -> None:
    assert shutil.which("docker-compose") or compose_schema() is not None, (
        "no compose linter: apt-get install docker-compose, or pip install -e '.[dev]' (check-jsonschema)"
    )


def test_docker_compose_v1_accepts_the_file() -> None:
    if shutil.which("docker-compose") is None:
        if os.environ.get("CI"):
            pytest.fail("docker-compose is not installed in CI: apt-get install -y docker-compose")
        pytest.skip(
            "docker-compose not installed (apt-get install docker-compose); the schema check still runs"
        )
    proc = docker_compose_config(COMPOSE)
    assert proc.returncode == 0, proc.stderr


def test_compose_spec_schema_accepts_the_file() -> None:
    assert compose_schema() is not None, "check-jsonschema missing: pip install -e '.[dev]'"
    assert schema_errors(yaml.safe_load(COMPOSE.read_text())) == []


BROKEN = {
    "unknown service key": {"services": {"a": {"image": "x", "restrat": "always"}}},
    "ports not a list": {"services": {"a": {"image": "x", "ports": {"8888": 8888}}}},
    "healthcheck test not a list or string": {"services": {"a": {"image": "x", "healthcheck": {"test": 1}}}},
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_the_linters_reject_broken_files(tmp_path: Path, name: str) -> None:
    doc = BROKEN[name]
    if compose_schema() is not None:
        assert schema_errors(doc), f"schema accepted: {name}"
    if shutil.which("docker-compose"):
        path = tmp_path / "docker-compose.yml"
        path.write_text(yaml.safe_dump(doc))
        assert docker_compose_config(path).returncode != 0, f"docker-compose accepted: {name}"


# -- the wiring -------------------------------------------------------------------------------
def test_services_restart_and_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(services) == SERVICES
    for name, svc in services.items():
        assert svc.get("restart") == "unless-stopped", name
        check = svc.get("healthcheck", {})
        assert check.get("test") and check.get("interval") and check.get("start_period"), name


def test_kafka_is_kraft_single_node(compose: dict[str, Any]) -> None:
    kafka = compose["services"]["kafka"]
    env = kafka["environment"]
    assert kafka["image"].startswith("apache/kafka:")
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka:9093"
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1
    assert "kafka-data:/var/lib/kafka/data" in kafka["volumes"]
    assert env["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert "kafka-broker-api-versions.sh" in " ".join(kafka["healthcheck"]["test"])


def test_published_ports_bind_to_localhost_by_default(compose: dict[str, Any]) -> None:
    published = [p for svc in compose["services"].values() for p in svc.get("ports", [])]
    assert sorted(published) == ["127.0.0.1:8888:8888", "127.0.0.1:9094:9094"]
    raw = COMPOSE.read_text()
    assert raw.count("${WORKBENCH_BIND:-127.0.0.1}:") == 2


def test_volumes_for_data_and_reports(compose: dict[str, Any]) -> None:
    assert set(compose["volumes"]) == {"kafka-data", "workbench-data", "reports"}
    services = compose["services"]
    for name in WORKBENCH_SERVICES:
        svc = services[name]
        assert "workbench-data:/work/data/collected" in svc["volumes"], name
        assert svc["environment"]["WORKBENCH_DATA_DIR"] == "/work/data/collected", name
        assert svc["environment"]["WORKBENCH_BOOTSTRAP_SERVER"] == "kafka:9092", name
        assert svc["depends_on"]["kafka"]["condition"] == "service_healthy", name
    assert "reports:/work/reports" in services["reports"]["volumes"]
    jupyter = services["jupyter"]["volumes"]
    assert {"./notebooks:/work/notebooks", "./data:/work/data", "reports:/work/reports"} <= set(jupyter)


def _cli_args(command: list[str]) -> list[str]:
    """Parse a compose command with the real CLI (bootstrap from the environment, as in compose)."""
    from workbench.cli import main

    group = main
    args = list(command)
    while args and isinstance(group, click.Group) and args[0] in group.commands:
        group = group.commands[args.pop(0)]
    ctx = group.make_context(group.name, args, default_map=None, auto_envvar_prefix=None)
    return [group.name, *(f"{k}={v}" for k, v in sorted(ctx.params.items()) if v not in (None, (), False))]


def test_collector_commands_are_accepted_by_the_cli(
    compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in compose["x-workbench"]["environment"].items():
        monkeypatch.setenv(key, value)
    offsets = _cli_args(compose["services"]["collect-offsets"]["command"])
    assert offsets[0] == "offsets" and "interval=0:00:30" in offsets and "cluster=local" in offsets  # parsed
    assert "data_dir=/work/data/collected" in offsets and "bootstrap_server=kafka:9092" in offsets
    configs = _cli_args(compose["services"]["collect-configs"]["command"])
    assert configs[0] == "configs" and "forever=True" in configs and "interval=1:00:00" in configs


def test_jupyter_service(compose: dict[str, Any]) -> None:
    jupyter = compose["services"]["jupyter"]
    assert jupyter["entrypoint"] == ["jupyter", "lab"]
    assert "--ip=0.0.0.0" in jupyter["command"] and "--port=8888" in jupyter["command"]
    assert "JUPYTER_TOKEN" in jupyter["environment"]


def test_report_loop_script() -> None:
    from workbench.report import CATALOG

    script = REPO / "deploy" / "docker" / "report-loop"
    assert os.access(script, os.X_OK)
    assert subprocess.run(["sh", "-n", str(script)], capture_output=True).returncode == 0
    text = script.read_text()
    names = re.search(r"for report in ([\w -]+);", text).group(1).split()  # type: ignore[union-attr]
    assert set(names) == set(CATALOG)
    assert "workbench prune --older-than" in text and "--yes" in text
    assert "workbench compact" in text


def test_report_loop_runs_its_arguments_instead() -> None:
    """`docker compose run --rm reports sh -c '...'` runs the command, not the loop."""
    script = REPO / "deploy" / "docker" / "report-loop"
    proc = subprocess.run(
        ["sh", str(script), "sh", "-c", "echo copied"], capture_output=True, text=True, timeout=10
    )
    assert proc.returncode == 0 and proc.stdout == "copied\n"


def test_dockerfile() -> None:
    text = (REPO / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    deps = re.search(r"^RUN mkdir workbench .*pip install -e \. ", text, re.M)
    code = re.search(r"^RUN pip install --no-deps -e \.$", text, re.M)
    assert deps and code and deps.start() < text.index("COPY workbench") < code.start()  # deps layer cached
    users = re.findall(r"^USER (\S+)$", text, re.M)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["workbench"\]$', text, re.M)
    for src in re.findall(r"^COPY (\S+(?: \S+)*) \S+$", text, re.M):
        for part in src.split():
            assert (REPO / part).exists(), f"Dockerfile copies missing {part}"


def test_dockerignore_keeps_the_image_small_and_secret_free() -> None:
    lines = {ln.strip() for ln in (REPO / ".dockerignore").read_text().splitlines()}
    assert {".git", "tests", "reports", "data/*", "!data/sample", "*.properties"} <= lines
