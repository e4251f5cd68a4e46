"""The seam around kafka-python for the one request confluent-kafka lacks: DescribeLogDirs.

Details: docs/collector.md (`workbench.collect.logdirs`).
"""

from __future__ import annotations

import contextlib
import logging
import warnings
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from workbench.config import ClientSettings
from workbench.errors import KafkaAuthError, KafkaRequestError, KafkaUnavailableError

log = logging.getLogger(__name__)

#: librdkafka key -> kafka-python keyword (values passed through unchanged).
_KEYS = {
    "security.protocol": "security_protocol",
    "sasl.mechanism": "sasl_mechanism",
    "sasl.mechanisms": "sasl_mechanism",
    "sasl.username": "sasl_plain_username",
    "sasl.password": "sasl_plain_password",
    "ssl.ca.location": "ssl_cafile",
    "ssl.certificate.location": "ssl_certfile",
    "ssl.key.location": "ssl_keyfile",
    "ssl.key.password": "ssl_password",
    "ssl.crl.location": "ssl_crlfile",
    "client.id": "client_id",
}


@dataclass(frozen=True)
class ReplicaDir:
    """One replica in one log directory of one broker."""

    broker: int
    log_dir: str
    topic: str
    partition: int
    size_bytes: int
    offset_lag: int
    is_future: bool


@dataclass(frozen=True)
class LogDirVolume:
    """One log directory's volume (DescribeLogDirs v4+, KIP-827): None where the broker does not say."""

    broker: int
    log_dir: str
    total_bytes: int | None
    usable_bytes: int | None


def kafka_python_config(settings: ClientSettings, timeout_s: float) -> dict[str, Any]:
    """kafka-python keyword arguments for ``settings`` (keys it cannot use are dropped, by name)."""
    conf: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_servers.split(","),
        "client_id": "kafka-capacity-workbench",
        "request_timeout_ms": int(timeout_s * 1000),
        "bootstrap_timeout_ms": int(timeout_s * 1000),
    }
    for key, value in settings.config.items():
        if key in _KEYS:
            conf[_KEYS[key]] = value
        elif key == "ssl.endpoint.identification.algorithm":
            conf["ssl_check_hostname"] = value.strip().lower() != "none"
        else:
            log.debug("log dirs: client property %s has no kafka-python equivalent; ignored", key)
    if "security_protocol" in conf:
        conf["security_protocol"] = str(conf["security_protocol"]).upper()
    return conf


@contextlib.contextmanager
def no_kafka_deprecations() -> Iterator[None]:
    """kafka-python 3.0 loads its protocol schemas with the deprecated
    ``importlib.resources.read_text``; that warning is its business, not the user's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def quiet_kafka_python() -> None:
    """Keep kafka-python's loggers at WARNING at most: its DEBUG lines print client configs."""
    logger = logging.getLogger("kafka")
    if logger.getEffectiveLevel() < logging.WARNING:
        logger.setLevel(logging.WARNING)


class KafkaPythonAdmin:
    """A kafka-python admin client created on first use (quiet loggers, errors translated);
    ``purpose`` names it in the connect error."""

    purpose = "kafka-python admin"

    def __init__(self, settings: ClientSettings, timeout_s: float = 15.0) -> None:
        self.settings = settings
        self.timeout_s = timeout_s
        self._client: Any = None

    def _admin(self) -> Any:
        if self._client is None:
            quiet_kafka_python()
            try:
                with no_kafka_deprecations():
                    from kafka.admin import KafkaAdminClient

                    self._client = KafkaAdminClient(**kafka_python_config(self.settings, self.timeout_s))
            except Exception as exc:
                raise self._translate(exc, f"connect for {self.purpose}") from exc
        return self._client

    def close(self) -> None:
        """Close the kafka-python client (if one was opened)."""
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None

    def _translate(self, exc: BaseException, what: str) -> Exception:
        return translate(exc, what, self.settings.bootstrap_servers, self.timeout_s)


class LogDirsClient(KafkaPythonAdmin):
    """A kafka-python admin client used only for DescribeLogDirs, created on first use."""

    purpose = "log dirs"

    def describe(self, brokers: Iterable[int]) -> list[ReplicaDir]:
        """Every replica's log dir and size on ``brokers``; a broker that fails is logged and skipped."""
        return parse_log_dirs(self.answers(brokers))

    def answers(self, brokers: Iterable[int]) -> list[Mapping[str, Any]]:
        """kafka-python's answer per broker (replicas and, from Kafka 3.3, volume sizes); a broker
        that fails is logged and skipped."""
        admin = self._admin()
        out: list[Mapping[str, Any]] = []
        for broker in brokers:
            try:
                with no_kafka_deprecations():
                    answer = admin.describe_log_dirs(brokers=[broker])
            except Exception as exc:
                err = self._translate(exc, f"describe log dirs of broker {broker}")
                if isinstance(err, KafkaAuthError):
                    raise err from exc
                log.warning("%s", err)
                continue
            out.extend(answer)
        return out


def translate(exc: BaseException, what: str, bootstrap: str, timeout_s: float) -> Exception:
    """A kafka-python error as the workbench's own (authentication, unavailable, or request)."""
    with no_kafka_deprecations():
        from kafka import errors as kerr

    name = type(exc).__name__
    auth = (kerr.SaslAuthenticationFailedError,)
    if isinstance(exc, auth):
        return KafkaAuthError(f"{what}: Kafka refused authentication ({name}); check --command-config")
    down = (kerr.KafkaConnectionError, kerr.KafkaTimeoutError, kerr.BrokerNotAvailableError)
    if isinstance(exc, down):
        return KafkaUnavailableError(
            f"{what}: Kafka at {bootstrap} did not answer within "
            f"{timeout_s:g}s ({name}); check that the brokers are up"
        )
    return KafkaRequestError(f"{what} failed: {name}: {exc}")


def parse_log_volumes(answer: Iterable[Mapping[str, Any]]) -> list[LogDirVolume]:
    """Each healthy log dir's total and usable bytes (-1 or absent: not known, before Kafka 3.3)."""

    def known(value: object) -> int | None:
        return int(value) if isinstance(value, int) and value >= 0 else None

    return [
        LogDirVolume(
            int(b["broker"]), str(d.get("log_dir")), known(d.get("total_bytes")), known(d.get("usable_bytes"))
        )
        for b in answer
        for d in b.get("log_dirs", [])
        if not d.get("error_code", 0)
    ]


def parse_log_dirs(answer: Iterable[Mapping[str, Any]]) -> list[ReplicaDir]:
    """kafka-python's describe_log_dirs answer as flat rows; a log dir with an error is logged."""
    out: list[ReplicaDir] = []
    for per_broker in answer:
        broker = int(per_broker["broker"])
        for d in per_broker.get("log_dirs", []):
            if d.get("error_code", 0):
                log.warning("broker %d log dir %s: error code %s", broker, d.get("log_dir"), d["error_code"])
                continue
            for topic in d.get("topics", []):
                for p in topic.get("partitions", []):
                    out.append(
                        ReplicaDir(
                            broker=broker,
                            log_dir=str(d.get("log_dir")),
                            topic=str(topic.get("name")),
                            partition=int(p["partition_index"]),
                            size_bytes=int(p.get("partition_size", 0)),
                            offset_lag=int(p.get("offset_lag", 0)),
                            is_future=bool(p.get("is_future_key", False)),
                        )
                    )
    return out
