"""Config rule settings: which rules run and with which thresholds, parsed from TOML.

TOML keys: ``disable`` (rule ids), ``drift_ignore`` (more per-broker keys for the drift rule),
``[thresholds]`` (name = number; see docs/config-health.md).
An unknown rule id, threshold key or top-level key is a :class:`~workbench.errors.ConfigError`.
"""

from __future__ import annotations

import tomllib
from types import MappingProxyType

from workbench.analyze.config.model import DEFAULT_THRESHOLDS, PER_BROKER_KEYS, RuleSettings
from workbench.analyze.config.registry import rule_ids
from workbench.errors import ConfigError

_TOP_KEYS = {"disable", "thresholds", "drift_ignore"}


def parse_rule_settings(text: str, where: str = "rule file") -> RuleSettings:
    """Rule settings from TOML text; :class:`ConfigError` naming any unknown key or rule id."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {', '.join(unknown)}: expected {', '.join(sorted(_TOP_KEYS))}"
        )
    disabled = _string_list(data.get("disable", []), where, "disable")
    bad = sorted(set(disabled) - set(rule_ids()))
    if bad:
        raise ConfigError(
            f"{where}: unknown rule id {', '.join(bad)} in disable (see `workbench validate --list-rules`)"
        )
    thresholds = dict(DEFAULT_THRESHOLDS)
    given = data.get("thresholds", {})
    if not isinstance(given, dict):
        raise ConfigError(f"{where}: [thresholds] must be a table of name = number")
    for key, value in given.items():
        if key not in thresholds:
            raise ConfigError(f"{where}: unknown threshold {key!r}: known are {', '.join(thresholds)}")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{where}: threshold {key} must be a number, not {value!r}")
        thresholds[key] = value
    ignore = PER_BROKER_KEYS | frozenset(_string_list(data.get("drift_ignore", []), where, "drift_ignore"))
    return RuleSettings(frozenset(disabled), MappingProxyType(thresholds), ignore)


def _string_list(value: object, where: str, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings")
    return list(value)
