"""Connection settings: Kafka-style client.properties, environment and flags -> frozen objects.

Kafka's own CLI tools take ``--command-config client.properties`` with Java client keys. The
workbench reads the same file and maps it to librdkafka's keys:

* ``sasl.jaas.config`` (PlainLoginModule / ScramLoginModule ``username=... password=...``)
  becomes ``sasl.username`` / ``sasl.password``;
* ``ssl.truststore.location`` (JKS/PKCS12 trust stores) is refused with the fix to use
  ``ssl.ca.location`` (PEM) instead; ``ssl.endpoint.identification.algorithm=`` (empty, Java's
  "disable") becomes ``none``;
* ``${env:NAME}`` or ``${NAME}`` anywhere in a value is replaced by that environment variable,
  and ``${file:/path}`` by the file's contents, so secrets need not sit in the file.

Secrets are held in :class:`ClientSettings` but never printed: ``repr``/``str`` and
:meth:`ClientSettings.describe` mask them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from workbench.errors import ConfigError

#: librdkafka keys whose values are secrets.
SECRET_KEYS = frozenset(
    {
        "sasl.password",
        "ssl.key.password",
        "ssl.keystore.password",
        "ssl.key.pem",
        "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.config",
    }
)

_JAAS_RE = re.compile(r"""(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([^\s;]+))""")
_REF_RE = re.compile(r"\$\{(?:(env|file):)?([^}]+)\}")

# Java client keys librdkafka does not know and that carry no meaning for it: dropped quietly.
_JAVA_ONLY = frozenset(
    {
        "ssl.truststore.type",
        "ssl.keystore.type",
        "sasl.login.callback.handler.class",
        "key.serializer",
        "value.serializer",
        "key.deserializer",
        "value.deserializer",
    }
)


def is_secret(key: str) -> bool:
    """True when the value of client property ``key`` must never be shown or stored."""
    k = key.lower()
    return k in SECRET_KEYS or "password" in k or "secret" in k or k == "sasl.jaas.config"


@dataclass(frozen=True)
class ClientSettings:
    """Frozen librdkafka configuration for one cluster. Secrets are masked in every rendering."""

    bootstrap_servers: str
    config: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.bootstrap_servers or not self.bootstrap_servers.strip():
            raise ConfigError("no bootstrap server: pass --bootstrap-server HOST:PORT")
        object.__setattr__(self, "config", MappingProxyType(dict(self.config)))

    def librdkafka(self, **extra: str | int | float | bool) -> dict[str, object]:
        """The full librdkafka configuration dict (with secrets) for a client."""
        conf: dict[str, object] = {"bootstrap.servers": self.bootstrap_servers, **self.config}
        conf.update(extra)
        return conf

    def describe(self) -> dict[str, str]:
        """The configuration with secrets masked, safe for logs and stored metadata."""
        out = {"bootstrap.servers": self.bootstrap_servers}
        out.update({k: ("***" if is_secret(k) else v) for k, v in self.config.items()})
        return out

    def __repr__(self) -> str:
        return f"ClientSettings({self.describe()!r})"

    __str__ = __repr__


def load_settings(
    bootstrap_servers: str,
    command_config: str | os.PathLike[str] | None = None,
    overrides: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> ClientSettings:
    """Build :class:`ClientSettings` from a bootstrap list, an optional client.properties file
    and ``key=value`` overrides (which win)."""
    env = os.environ if environ is None else environ
    props: dict[str, str] = {}
    if command_config is not None:
        props.update(read_properties(command_config, env))
    if overrides:
        props.update({k: _expand(v, env, "override", 0) for k, v in overrides.items()})
    props.pop("bootstrap.servers", None)
    return ClientSettings(bootstrap_servers, to_librdkafka(props, str(command_config or "overrides")))


def read_properties(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Parse a Java ``.properties`` file (``key=value``, ``key: value``, ``#``/``!`` comments,
    backslash line continuations). A line without a separator is an error naming the line."""
    env = os.environ if environ is None else environ
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read command config {p}: {exc.strerror}; check the path") from exc
    props: dict[str, str] = {}
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        lineno = i + 1
        line = lines[i].strip()
        i += 1
        while line.endswith("\\") and not line.endswith("\\\\") and i < len(lines):
            line = line[:-1] + lines[i].strip()
            i += 1
        if not line or line[0] in "#!":
            continue
        m = re.match(r"^([^=:\s]+)\s*[=:]\s*(.*)$", line)
        if not m:
            raise ConfigError(
                f"{p}:{lineno}: malformed line (no '=' or ':' after a key): expected key=value "
                "as in Kafka's client.properties"
            )
        props[m.group(1)] = _expand(m.group(2), env, str(p), lineno)
    return props


def to_librdkafka(props: Mapping[str, str], where: str = "client properties") -> dict[str, str]:
    """Map Java client keys to librdkafka keys (see the module docstring)."""
    out: dict[str, str] = {}
    for key, value in props.items():
        k = key.strip()
        if k == "sasl.jaas.config":
            out.update(_parse_jaas(value, where))
        elif k in ("ssl.truststore.location", "ssl.truststore.password"):
            raise ConfigError(
                f"{where}: {k} (a Java trust store) is not supported by librdkafka: convert it to PEM "
                "(keytool -exportcert -rfc) and set ssl.ca.location instead"
            )
        elif k == "ssl.endpoint.identification.algorithm" and value.strip() == "":
            out[k] = "none"
        elif k in _JAVA_ONLY:
            continue
        else:
            out[k] = value
    return out


def _parse_jaas(value: str, where: str) -> dict[str, str]:
    fields = {
        m.group(1): m.group(2) if m.group(2) is not None else (m.group(3) or m.group(4))
        for m in _JAAS_RE.finditer(value)
    }
    if "username" not in fields or "password" not in fields:
        raise ConfigError(
            f'{where}: sasl.jaas.config has no username="..." password="...": '
            "only PLAIN and SCRAM login modules are supported"
        )
    return {"sasl.username": fields["username"], "sasl.password": fields["password"].replace('\\"', '"')}


def _expand(value: str, env: Mapping[str, str], where: str, lineno: int) -> str:
    def repl(m: re.Match[str]) -> str:
        kind, name = m.group(1) or "env", m.group(2)
        if kind == "file":
            try:
                return Path(name).read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"{where}:{lineno}: cannot read secret file {name}: {exc.strerror}"
                ) from exc
        if name not in env:
            raise ConfigError(
                f"{where}:{lineno}: environment variable {name} is not set; export it or edit the file"
            )
        return env[name]

    return _REF_RE.sub(repl, value)
