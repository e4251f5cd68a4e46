"""client.properties -> librdkafka settings: table-driven, plus secret masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.config import load_settings, mask_text, read_properties, to_librdkafka
from workbench.errors import ConfigError

ENV = {"KAFKA_PASSWORD": "s3cr3t-env", "KAFKA_USER": "alice", "ODD": "a\"b\\c'd"}

# (client.properties text, expected librdkafka config)
CASES = [
    # plain keys pass through; comments and blank lines are ignored
    (
        "# c\n! c\n\nsecurity.protocol=SASL_SSL\nsasl.mechanism: PLAIN\n",
        {"security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN"},
    ),
    # sasl.jaas.config (PLAIN) becomes sasl.username/sasl.password
    (
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required "
        'username="bob" password="pw";\n',
        {"sasl.username": "bob", "sasl.password": "pw"},
    ),
    # SCRAM module, values from environment variables
    (
        "sasl.mechanism=SCRAM-SHA-512\n"
        "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule "
        'required username="${env:KAFKA_USER}" password="${KAFKA_PASSWORD}";\n',
        {"sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "alice", "sasl.password": "s3cr3t-env"},
    ),
    # Java's empty endpoint identification (disable) must become librdkafka's "none"
    ("ssl.endpoint.identification.algorithm=\n", {"ssl.endpoint.identification.algorithm": "none"}),
    # OAuthBearerLoginModule maps to librdkafka's OIDC keys
    (
        "sasl.mechanism=OAUTHBEARER\nsasl.oauthbearer.token.endpoint.url=https://idp/t\n"
        'sasl.jaas.config=x.OAuthBearerLoginModule required clientId="c" clientSecret="s";\n',
        {
            "sasl.mechanism": "OAUTHBEARER",
            "sasl.oauthbearer.token.endpoint.url": "https://idp/t",
            "sasl.oauthbearer.method": "oidc",
            "sasl.oauthbearer.client.id": "c",
            "sasl.oauthbearer.client.secret": "s",
        },
    ),
    # a secret from the environment holding quotes and backslashes stays data inside JAAS
    (
        'sasl.jaas.config=x.PlainLoginModule required username="u" password="${env:ODD}";\n',
        {"sasl.username": "u", "sasl.password": "a\"b\\c'd"},
    ),
    # Java-only keys are dropped; backslash continuation joins lines
    (
        "key.serializer=org.Foo\nssl.ca.location=/etc/ssl/\\\n  ca.pem\n",
        {"ssl.ca.location": "/etc/ssl/ca.pem"},
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_properties_map_to_librdkafka(tmp_path: Path, text: str, expected: dict) -> None:
    f = tmp_path / "client.properties"
    f.write_text(text)
    assert to_librdkafka(read_properties(f, ENV), str(f)) == expected


# (client.properties text, fragment of the one-line error)
ERRORS = [
    ("security.protocol=SSL\nsasl.username=\\uZZZZ\n", "client.properties:2: "),
    (
        "a=1\n" + 'sasl.jaas.config=x.PlainLoginModule required username="u" password="p;\n',
        'unclosed " quote',
    ),
    ('sasl.jaas.config=x.PlainLoginModule required username="u" password="p"\n', "not terminated"),
    ("sasl.mechanism=OAUTHBEARER\nsecurity.protocol=SASL_SSL\n", "OAUTHBEARER without a token config"),
    (
        "sasl.mechanism=OAUTHBEARER\nsasl.oauthbearer.method=oidc\nsasl.oauthbearer.client.id=c\n",
        "sasl.oauthbearer.client.secret, sasl.oauthbearer.token.endpoint.url",
    ),
    ("ssl.truststore.location=/x.jks\n", "ssl.ca.location"),
    (
        "sasl.password=${env:NOT_SET_ANYWHERE}\n",
        "client.properties:1: environment variable NOT_SET_ANYWHERE is not set",
    ),
    (
        "sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true;\n",
        "only PLAIN, SCRAM and OAUTHBEARER",
    ),
]


@pytest.mark.parametrize(("text", "fragment"), ERRORS)
def test_bad_properties_give_one_line_errors(tmp_path: Path, text: str, fragment: str) -> None:
    f = tmp_path / "client.properties"
    f.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_settings("127.0.0.1:9092", f, environ=ENV)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_secret_file_reference_and_masking(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("from-a-file\n")
    f = tmp_path / "client.properties"
    f.write_text(
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
        f'sasl.jaas.config=x.PlainLoginModule required username="u" password="${{file:{secret}}}";\n'
    )
    s = load_settings("h:1", f, environ={})
    assert s.librdkafka()["sasl.password"] == "from-a-file"
    shown = repr(s) + str(s) + str(s.describe())
    assert "from-a-file" not in shown and "***" in shown


def test_missing_bootstrap_and_missing_file() -> None:
    with pytest.raises(ConfigError, match="--bootstrap-server"):
        load_settings("")
    with pytest.raises(ConfigError, match="cannot read command config"):
        load_settings("h:1", "/nonexistent/client.properties")


def test_invalid_utf8_is_one_line_naming_the_file(tmp_path: Path) -> None:
    f = tmp_path / "client.properties"
    f.write_bytes(b"security.protocol=SSL\nsasl.password=\xff\xfe\n")
    with pytest.raises(ConfigError) as err:
        load_settings("h:1", f, environ={})
    assert str(err.value).startswith(f"{f}:2: not UTF-8 text") and "\n" not in str(err.value)


# (free text, masked): labels and sweeps hold key=value pairs; only secret keys are masked
MASK_TEXT = [
    ("sasl.password=hunter2 linger.ms=5", "sasl.password=*** linger.ms=5"),
    ("run A ssl.key.password: k3y, acks=all", "run A ssl.key.password: ***, acks=all"),
    ('x.Plain required username="u" password="p w";', 'x.Plain required username="u" password=***;'),
    ("no secrets here", "no secrets here"),
    (None, None),
]


@pytest.mark.parametrize(("text", "masked"), MASK_TEXT)
def test_mask_text(text: str | None, masked: str | None) -> None:
    assert mask_text(text) == masked
