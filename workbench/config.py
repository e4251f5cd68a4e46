"""Connection settings: Kafka-style client.properties, environment and flags -> frozen objects.

Kafka's own CLI tools take ``--command-config client.properties`` with Java client keys. The
workbench reads the same file and maps it to librdkafka's keys:

Details: docs/connecting.md (`workbench.config`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from workbench.errors import ConfigError
from workbench.jaas import parse_jaas

#: What every masked secret is shown as.
MASK = "***"

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

_KV_RE = re.compile(r"""([\w.\-]+)(\s*[=:]\s*)("(?:[^"\\]|\\.)*"?|'[^']*'?|[^\s,;]*)""")
_URL_SECRET_RE = re.compile(r"(?<=://)([^/@:\s]*):[^/@\s]*@")
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


def mask_props(props: Mapping[str, str]) -> dict[str, str]:
    """``props`` with every secret value (:func:`is_secret`) replaced by ``***``."""
    return {k: (MASK if is_secret(k) else v) for k, v in props.items()}


def mask_text(text: str | None) -> str | None:
    """Free text (a label, a sweep, a JAAS line) with ``key=value`` secrets replaced by ``***``."""
    if not text:
        return text
    return _KV_RE.sub(lambda m: m[1] + m[2] + MASK if is_secret(m[1]) else m[0], text)


def mask_url(url: str) -> str:
    """``url`` with the password of its ``user:password@`` part replaced by ``***``."""
    return _URL_SECRET_RE.sub(lambda m: f"{m[1]}:{MASK}@", url)


@dataclass(frozen=True)
class ClientSettings:
    """Frozen librdkafka configuration for one cluster. Secrets are masked in every rendering."""

    bootstrap_servers: str
    config: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.bootstrap_servers or not self.bootstrap_servers.strip():
            raise ConfigError("no bootstrap server: pass --bootstrap-server HOST:PORT")
        object.__setattr__(self, "config", MappingProxyType(dict(self.config)))

    def librdkafka(self, **extra: Any) -> dict[str, Any]:
        """The full librdkafka configuration dict (with secrets) for a client; ``extra`` may hold
        callbacks and a logger besides plain values."""
        conf: dict[str, Any] = {"bootstrap.servers": self.bootstrap_servers, **self.config}
        conf.update(extra)
        return conf

    def describe(self) -> dict[str, str]:
        """The configuration with secrets masked, safe for logs and stored metadata."""
        return {"bootstrap.servers": self.bootstrap_servers, **mask_props(self.config)}

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
        props.update({k: _expand(v, env, "override") for k, v in overrides.items()})
    props.pop("bootstrap.servers", None)
    where = str(command_config or "overrides")
    conf = to_librdkafka(props, where)
    check_oauthbearer(conf, where)
    return ClientSettings(bootstrap_servers, conf)


def read_properties(path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Parse a Java ``.properties`` file exactly as ``java.util.Properties.load`` does (UTF-8),
    then expand ``${env:..}``/``${file:..}`` in the values. Errors name the file and line."""
    env = os.environ if environ is None else environ
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read command config {p}: {exc.strerror}; check the path") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{p}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8 "
            "or write the character as \\uXXXX"
        ) from None
    props: dict[str, str] = {}
    for lineno, key, value in _entries(text, str(p)):
        props[key] = value if key == "sasl.jaas.config" else _expand(value, env, f"{p}:{lineno}")
    if "sasl.jaas.config" in props:
        props["sasl.jaas.config"] = _expand_jaas(props["sasl.jaas.config"], env, f"{p}")
    return props


def _entries(text: str, where: str) -> Iterator[tuple[int, str, str]]:
    """``(line, key, value)`` per entry, by javaproperties (Java's rules)."""
    import javaproperties  # here: it loads urllib, http and ssl (~30 ms), which a store read never needs

    line = 1
    try:
        for element in javaproperties.parse(text):
            if isinstance(element, javaproperties.KeyValue):
                yield line, element.key, element.value
            line += element.source.count("\n")
    except ValueError:  # javaproperties.InvalidUEscapeError; its text would quote the (secret) value
        raise ConfigError(
            f"{where}:{line}: malformed \\uXXXX escape (four hex digits expected); write a backslash as \\\\"
        ) from None


def to_librdkafka(props: Mapping[str, str], where: str = "client properties") -> dict[str, str]:
    """Map Java client keys to librdkafka keys (see the module docstring)."""
    out: dict[str, str] = {}
    for key, value in props.items():
        k = key.strip()
        if k == "sasl.jaas.config":
            out.update(_jaas_to_librdkafka(value, where))
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


def _jaas_to_librdkafka(value: str, where: str) -> dict[str, str]:
    entry = parse_jaas(value, where)
    opts = entry.options
    if entry.module.endswith("OAuthBearerLoginModule"):
        mapping = {"clientId": "sasl.oauthbearer.client.id", "clientSecret": "sasl.oauthbearer.client.secret"}
        mapping["scope"] = "sasl.oauthbearer.scope"
        out = {mapping[k]: v for k, v in opts.items() if k in mapping}
        return {"sasl.oauthbearer.method": "oidc", **out} if out else {}
    if "username" not in opts or "password" not in opts:
        raise ConfigError(
            f'{where}: sasl.jaas.config has no username="..." password="...": '
            "only PLAIN, SCRAM and OAUTHBEARER (clientId/clientSecret) login modules are supported"
        )
    return {"sasl.username": opts["username"], "sasl.password": opts["password"]}


def check_oauthbearer(conf: Mapping[str, str], where: str) -> None:
    """OAUTHBEARER needs a token source librdkafka can use without a callback."""
    mechanism = conf.get("sasl.mechanism", conf.get("sasl.mechanisms", "")).strip().upper()
    if mechanism != "OAUTHBEARER":
        return
    if conf.get("enable.sasl.oauthbearer.unsecure.jwt", "").strip().lower() == "true":
        return
    oidc = (
        "sasl.oauthbearer.client.id",
        "sasl.oauthbearer.client.secret",
        "sasl.oauthbearer.token.endpoint.url",
    )
    missing = [k for k in oidc if not conf.get(k)]
    if conf.get("sasl.oauthbearer.method", "").strip().lower() == "oidc" and not missing:
        return
    raise ConfigError(
        f"{where}: sasl.mechanism=OAUTHBEARER without a token config: set "
        f"sasl.oauthbearer.method=oidc and {', '.join(missing or oidc)} "
        "(or OAuthBearerLoginModule clientId/clientSecret in sasl.jaas.config)"
    )


def _expand_jaas(value: str, env: Mapping[str, str], where: str) -> str:
    """Expand references in a JAAS value, escaped so a quote or backslash in a secret stays data."""

    def repl(m: re.Match[str]) -> str:
        text = _reference(m, env, f"{where}: sasl.jaas.config")
        return text.replace("\\", "\\\\").replace('"', '\\"').replace("'", "\\'")

    return _REF_RE.sub(repl, value)


def _expand(value: str, env: Mapping[str, str], where: str) -> str:
    return _REF_RE.sub(lambda m: _reference(m, env, where), value)


def _reference(m: re.Match[str], env: Mapping[str, str], where: str) -> str:
    kind, name = m.group(1) or "env", m.group(2)
    if kind == "file":
        try:
            return Path(name).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise ConfigError(f"{where}: cannot read secret file {name}: {reason}") from exc
    if name not in env:
        raise ConfigError(f"{where}: environment variable {name} is not set; export it or edit the file")
    return env[name]
