"""client.properties and sasl.jaas.config read as Java and Kafka read them: Java is the oracle.

Each case is written to a file, read by ``tests/oracle/PropsOracle.java`` (``java.util.Properties``
and Kafka's own JAAS parser from the fetched jars, one JVM for the whole table) and by the
workbench; the two must agree, value for value, or both refuse the input.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from kafka_local import REPO_ROOT, SCRIPT

from workbench.config import read_properties
from workbench.errors import ConfigError
from workbench.jaas import parse_jaas

pytestmark = pytest.mark.slow  # two JVM runs (compile + parse) of about 5 s each

ORACLE = REPO_ROOT / "tests" / "oracle" / "PropsOracle.java"

# (id, client.properties text): the six cases of issue 18 first, then more of Java's rules
PROPS = [
    ("whitespace-separator", "security.protocol SASL_SSL\n"),
    ("escaped-equals-in-value", "sasl.password=pa\\=ss\n"),
    ("escaped-colon-in-key", "my\\:key=v\n"),
    ("unicode-escape", "sasl.username=\\u00e9t\\u00E9\n"),
    ("key-without-value", "lonely.key\n"),
    ("trailing-backslashes", "even=abc\\\\\nodd=abc\\\n"),
    ("continuation-strips-indent", "ssl.ca.location=/etc/ssl/\\\n      ca.pem\n"),
    ("continuation-then-blank", "a=b\\\n\nc=d\n"),
    ("trailing-whitespace-kept", "a = b  \n"),
    ("comments", "  # indented\n! bang\n#x=\\\ny=1\n"),
    ("separators", "a=b=c\nd:e=f\ng = :h\ni\\ j=k\n"),
    ("escapes", "t=a\\tb\\nc\\qd\\\\e\n"),
    ("crlf-and-cr", "a=1\r\nb=2\rc=3\r\n"),
    ("duplicate-key-last-wins", "a=1\na=2\n"),
    ("raw-utf8", "sasl.password=p\u00e4ssw\u00f6rd\u20ac\n"),
    ("empty-values", "k=\nk2   \nk3:\n"),
    ("form-feed-whitespace", "\fa\f=\fb\n"),
    ("jaas-line", 'sasl.jaas.config=x.PlainLoginModule required username="u" password="p\\\\\\"q";\n'),
    ("escaped-space-in-value", "a=\\ lead\n"),
    ("no-final-newline", "a=b"),
]

# (id, sasl.jaas.config value)
JAAS = [
    ("plain", 'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="p";'),
    ("escaped-quote-and-backslash", 'm.Plain required username="u" password="a\\"b\\\\c";'),
    ("single-quotes", "m.Plain required username='u' password='a b';"),
    ("unquoted-words", "m.Plain required username=alice password=s3cr3t-x_y$z;"),
    ("semicolon-and-equals-inside", 'm.Plain required username="u" password="a;b=c";'),
    ("comments", 'm.Plain required /* c */ username="u" // to eol\n password="p";'),
    ("octal-and-tab", 'm.Plain required username="\\101x" password="a\\tb";'),
    ("newlines-between", 'm.Plain\nrequired\n  username="u"\n  password="p"\n;'),
    ("flag-case", 'm.Plain REQUIRED username="u" password="p";'),
    ("unclosed-quote", 'm.Plain required username="u" password="p;'),
    ("no-semicolon", 'm.Plain required username="u" password="p"'),
    ("missing-value", "m.Plain required username= ;"),
    ("two-modules", 'm.A required a="1"; m.B required b="2";'),
    ("bad-flag", 'm.Plain always username="u";'),
    ("numeric-unquoted-value", "m.Plain required username=123;"),
]


def _unescape(text: str) -> str:
    return re.sub(r"\\u([0-9a-f]{4})", lambda m: chr(int(m[1], 16)), text)


@pytest.fixture(scope="module")
def java_oracle(tmp_path_factory: pytest.TempPathFactory):
    """Run the oracle on a list of (mode, texts) -> one dict (or 'ERROR') per text."""
    if shutil.which("java") is None or shutil.which("javac") is None:
        pytest.fail("java and javac (JDK 17) are needed: scripts/setup-system installs them")
    libs = subprocess.run([str(SCRIPT), "fetch"], capture_output=True, text=True, timeout=600, check=True)
    classpath = libs.stdout.strip().splitlines()[-1] + "/*"
    base = tmp_path_factory.mktemp("oracle")

    def run(mode: str, texts: list[str]) -> list[dict[str, str] | str]:
        files = []
        for i, text in enumerate(texts):
            (f := base / f"{mode}-{i}.txt").write_bytes(text.encode("utf-8"))
            files.append(str(f))
        cmd = ["java", "-cp", classpath, str(ORACLE), mode, *files]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout
        results: list[dict[str, str] | str] = []
        for line in out.splitlines():
            if line.startswith("== "):
                results.append({})
            elif line.startswith("ERROR\t"):
                results[-1] = "ERROR"
            elif "\t" in line:
                key, value = line.split("\t", 1)
                results[-1][_unescape(key)] = _unescape(value)  # type: ignore[index]
        return results

    return run


@pytest.fixture(scope="module")
def java_props(java_oracle) -> dict[str, dict[str, str] | str]:
    return dict(zip([c[0] for c in PROPS], java_oracle("props", [c[1] for c in PROPS]), strict=True))


@pytest.fixture(scope="module")
def java_jaas(java_oracle) -> dict[str, dict[str, str] | str]:
    return dict(zip([c[0] for c in JAAS], java_oracle("jaas", [c[1] for c in JAAS]), strict=True))


@pytest.mark.parametrize(("case", "text"), PROPS, ids=[c[0] for c in PROPS])
def test_properties_match_java(tmp_path: Path, java_props, case: str, text: str) -> None:
    f = tmp_path / "client.properties"
    f.write_bytes(text.encode("utf-8"))
    assert read_properties(f, {}) == java_props[case]


@pytest.mark.parametrize(("case", "text"), JAAS, ids=[c[0] for c in JAAS])
def test_jaas_matches_kafka(java_jaas, case: str, text: str) -> None:
    expected = java_jaas[case]
    if expected == "ERROR":
        with pytest.raises(ConfigError) as err:
            parse_jaas(text, "client.properties")
        assert "\n" not in str(err.value) and "client.properties: sasl.jaas.config" in str(err.value)
    else:
        assert parse_jaas(text, "client.properties").options == expected
