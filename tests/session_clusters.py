"""The session's Kafka clusters (fixtures kafka, kafka3, kafka_sasl, jmx_kafka, kafka391).

Once collection knows which of them the selected tests use, they start side by side in threads
(one at a time, in order of first use), so a broker boots while earlier tests run; each fixture
waits for its own. Whatever is started is stopped at the session's end (tests/conftest.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from kafka_local import KafkaLocal, missing_prerequisites, require_prerequisites

BURROW_KAFKA_VERSION = "3.9.1"  # Burrow 1.2.1 cannot read Kafka 4.x (docs/parts.md)

#: fixture -> (temp dir name, KafkaLocal.start arguments; "version": the Kafka version)
SPECS: dict[str, tuple[str, dict[str, Any]]] = {
    "kafka": ("kafka-local", {"brokers": 1}),
    "kafka3": ("kafka-local-3", {"brokers": 3}),
    "kafka_sasl": ("kafka-local-sasl", {"brokers": 1, "sasl": True, "ssl": True}),
    "jmx_kafka": ("kafka-jmx", {"jmx_exporter": True}),
    "kafka391": ("kafka-391", {"version": BURROW_KAFKA_VERSION}),
}

_EARLY: dict[str, tuple[KafkaLocal, Future[str]]] = {}
_POOL: list[ThreadPoolExecutor] = []


def _begin(factory: pytest.TempPathFactory, name: str) -> tuple[KafkaLocal, Future[str]]:
    dirname, spec = SPECS[name]
    start = dict(spec)
    cluster = KafkaLocal(factory.mktemp(dirname), version=start.pop("version", None))
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka-start"))
    return cluster, _POOL[0].submit(cluster.start, **start)


def start_early(config: pytest.Config, items: Sequence[pytest.Item]) -> None:
    """Start the clusters ``items`` use, in order of first use (not in xdist workers or --collect-only)."""
    factory = getattr(config, "_tmp_path_factory", None)
    if (
        factory is None
        or hasattr(config, "workerinput")
        or config.option.collectonly
        or missing_prerequisites()
    ):
        return
    for item in items:
        for name in getattr(item, "fixturenames", ()):
            if name in SPECS and name not in _EARLY:
                _EARLY[name] = _begin(factory, name)


def session_cluster(factory: pytest.TempPathFactory, name: str) -> Iterator[KafkaLocal]:
    """The fixture body: the cluster started early (or now), stopped in the background at the end."""
    require_prerequisites()
    cluster, started = _EARLY.pop(name, None) or _begin(factory, name)
    try:
        started.result()
        yield cluster
    finally:  # also after a failed or interrupted start: kills whatever has a PID file
        cluster.stop_in_background()  # waited for at the session's end (pytest_sessionfinish)


def stop_unused() -> None:
    """Stop the clusters started early that no test took (e.g. after -x or a keyboard interrupt)."""
    while _EARLY:
        cluster, started = _EARLY.popitem()[1]
        started.exception()  # waits; a failed start still leaves PID files to clean up
        cluster.stop_in_background()
    for pool in _POOL:
        pool.shutdown(wait=True)
    _POOL.clear()
