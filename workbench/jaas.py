"""A ``sasl.jaas.config`` value read as Kafka's ``JaasConfig`` reads it (``StreamTokenizer``).

``Module required key="value" key2=word;``: one login module, a control flag, options whose
values are words or quoted strings (``"..."`` or ``'...'`` with Java escapes ``\\n``, ``\\t``,
``\\"``, ``\\\\``, octal), and ``//`` or ``/* */`` comments. Anything Kafka would refuse, and an
unclosed quote (which Java would end silently at the line end), is a :class:`ConfigError`.
The test oracle is Kafka's own parser (``tests/oracle/PropsOracle.java``).
"""

from __future__ import annotations

from dataclasses import dataclass

from workbench.errors import ConfigError

_FLAGS = ("required", "requisite", "sufficient", "optional")
_ESCAPES = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}


@dataclass(frozen=True)
class JaasEntry:
    """One login module: its class name, control flag and options."""

    module: str
    flag: str
    options: dict[str, str]


def _word_start(c: str) -> bool:
    return (c.isascii() and c.isalpha()) or c in "_$" or ord(c) >= 160


def _word_char(c: str) -> bool:
    return _word_start(c) or c.isdigit() or c in ".-"


def tokens(text: str, where: str) -> list[tuple[str, str]]:
    """``(kind, text)`` pairs: kind ``word``, ``quoted`` or ``op`` (any other single char)."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c <= " ":
            i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif c == "/":  # '//' and Java's comment char '/': to the end of the line
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
        elif c in "\"'":
            value, i = _quoted(text, i, where)
            out.append(("quoted", value))
        elif _word_char(c):
            j = i + 1
            while j < n and _word_char(text[j]):
                j += 1
            out.append(("word" if _word_start(c) else "number", text[i:j]))
            i = j
        else:
            out.append(("op", c))
            i += 1
    return out


def _quoted(text: str, start: int, where: str) -> tuple[str, int]:
    """The string quoted at ``start`` and the index after its closing quote."""
    quote, i = text[start], start + 1
    out: list[str] = []
    while i < len(text) and text[i] not in "\r\n":
        c = text[i]
        if c == quote:
            return "".join(out), i + 1
        if c == "\\" and i + 1 < len(text):
            i, char = _escape(text, i + 1)
            out.append(char)
            continue
        out.append(c)
        i += 1
    raise ConfigError(
        f"{where}: sasl.jaas.config has an unclosed {quote} quote (opened at character {start + 1}): "
        f"close it, and write a {quote} inside a value as \\{quote}"
    )


def _escape(text: str, i: int) -> tuple[int, str]:
    """A backslash escape starting at ``text[i]`` (after the backslash) as StreamTokenizer reads it."""
    c = text[i]
    if "0" <= c <= "7":
        j, limit = i, i + (3 if c <= "3" else 2)
        while j < min(limit, len(text)) and "0" <= text[j] <= "7":
            j += 1
        return j, chr(int(text[i:j], 8))
    return i + 1, _ESCAPES.get(c, c)


def parse_jaas(text: str, where: str) -> JaasEntry:
    """The one login module of a ``sasl.jaas.config`` value; :class:`ConfigError` otherwise."""
    toks = tokens(text, where)

    def fail(problem: str) -> ConfigError:
        return ConfigError(f'{where}: sasl.jaas.config {problem}; expected: Module required key="value";')

    if len(toks) < 2 or toks[0][0] != "word" or toks[1][0] != "word":
        raise fail("does not start with a login module class and a control flag")
    module, flag = toks[0][1], toks[1][1]
    if flag.lower() not in _FLAGS:
        raise fail(f"has control flag {flag!r}, not one of {', '.join(_FLAGS)}")
    options: dict[str, str] = {}
    i = 2
    while i < len(toks) and toks[i] != ("op", ";"):
        key, eq, value = (toks[i : i + 3] + [("", "")] * 3)[:3]
        if key[0] not in ("word", "quoted") or eq != ("op", "=") or value[0] not in ("word", "quoted"):
            raise fail(f"has no value for option {key[1]!r} (quote values that are not plain words)")
        options[key[1]] = value[1]
        i += 3
    if i >= len(toks):
        raise fail("is not terminated by a semicolon")
    if i + 1 < len(toks):
        raise fail("holds more than one login module (Kafka takes one)")
    return JaasEntry(module, flag, options)
