"""Object-store settings: credentials from env and AWS files, safe commits by default, masking."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.store._location import Location, translate
from workbench.store.objectstore import aws_shared_files, lock_dir, scrub, storage_options

CPUT = "aws_conditional_put"
KEYS = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s3cr3t-value"}

# (env, expected options subset, keys that must be absent)
CASES = [
    # 1. keys from the environment; conditional put chosen for safe concurrent commits
    (KEYS, {"aws_access_key_id": "AKIDEXAMPLE", "aws_conditional_put": "etag"}, []),
    # 2. a plain-HTTP endpoint (an S3-compatible server) is allowed because it was given explicitly
    ({**KEYS, "AWS_ENDPOINT_URL": "http://127.0.0.1:9000"}, {"aws_allow_http": "true"}, []),
    # 3. an https endpoint needs no such permission
    ({**KEYS, "AWS_ENDPOINT_URL": "https://s3.example"}, {"aws_conditional_put": "etag"}, ["aws_allow_http"]),
    # 4. the user's own commit choice (DynamoDB lock) is kept, no conditional put added
    ({**KEYS, "AWS_S3_LOCKING_PROVIDER": "dynamodb"}, {"aws_s3_locking_provider": "dynamodb"}, [CPUT]),
    # 5. unsafe rename: kept (the user's choice), warned about, no conditional put added
    ({**KEYS, "AWS_S3_ALLOW_UNSAFE_RENAME": "true"}, {"aws_s3_allow_unsafe_rename": "true"}, [CPUT]),
    # 6. an empty variable is not an option
    ({**KEYS, "AWS_REGION": ""}, {}, ["aws_region"]),
]  # fmt: skip


@pytest.mark.parametrize(("env", "want", "absent"), CASES)
def test_storage_options_from_the_environment(
    env: dict[str, str], want: dict[str, str], absent: list[str], tmp_path: Path, capsys
) -> None:
    opts = storage_options("s3://bucket/hist", {**env, "HOME": str(tmp_path)})
    assert want.items() <= opts.items()
    assert not set(absent) & set(opts)
    warned = capsys.readouterr().err
    assert ("UNSAFE_RENAME" in warned) == ("AWS_S3_ALLOW_UNSAFE_RENAME" in env)


def test_local_and_other_schemes_get_no_s3_defaults(tmp_path: Path) -> None:
    assert storage_options("az://container/x", {"HOME": str(tmp_path)}) == {}
    assert Location.parse(tmp_path).storage_options == {}


def _aws_files(home: Path) -> None:
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(
        "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"
        "[ops]\naws_access_key_id = OPSKEY\naws_secret_access_key = opssecret\naws_session_token = tok123\n"
    )
    (home / ".aws" / "config").write_text(
        "[default]\nregion = eu-west-1\n[profile ops]\nregion = us-east-2\nendpoint_url = http://127.0.0.1:8333\n"
    )


def test_credentials_region_and_endpoint_from_the_aws_files(tmp_path: Path) -> None:
    _aws_files(tmp_path)
    default = aws_shared_files({"HOME": str(tmp_path)})
    assert default == {
        "aws_region": "eu-west-1",
        "aws_access_key_id": "FILEKEY",
        "aws_secret_access_key": "filesecret",
    }
    ops = storage_options("s3://b/p", {"HOME": str(tmp_path), "AWS_PROFILE": "ops"})
    assert ops["aws_access_key_id"] == "OPSKEY" and ops["aws_session_token"] == "tok123"
    assert ops["aws_endpoint_url"] == "http://127.0.0.1:8333" and ops["aws_allow_http"] == "true"


def test_the_environment_wins_over_the_files(tmp_path: Path) -> None:
    _aws_files(tmp_path)
    opts = storage_options("s3://b/p", {"HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "ENVKEY"})
    assert opts["aws_access_key_id"] == "ENVKEY"


def test_broken_or_missing_files_give_nothing(tmp_path: Path) -> None:
    (tmp_path / ".aws").mkdir()
    (tmp_path / ".aws" / "credentials").write_text("no section header here\n")
    assert aws_shared_files({"HOME": str(tmp_path)}) == {}
    assert aws_shared_files({"HOME": str(tmp_path / "nowhere")}) == {}


def test_secrets_are_masked_in_messages() -> None:
    opts = storage_options("s3://b/p", {**KEYS, "AWS_SESSION_TOKEN": "tok-abcdef", "HOME": "/nonexistent"})
    text = scrub("failed with key s3cr3t-value and token tok-abcdef for AKIDEXAMPLE", opts)
    assert "s3cr3t-value" not in text and "tok-abcdef" not in text and "AKIDEXAMPLE" not in text
    err = translate(RuntimeError("denied: s3cr3t-value"), "s3://b/p/offsets", "appending")
    assert "s3cr3t-value" in str(err) and "s3cr3t-value" not in scrub(str(err), opts)


def test_remote_locks_live_on_this_host_per_uri(tmp_path: Path) -> None:
    env = {"WORKBENCH_LOCK_DIR": str(tmp_path)}
    a, b = lock_dir("s3://b/one", env), lock_dir("s3://b/two", env)
    assert a.parent == tmp_path and a != b and lock_dir("s3://b/one", env) == a
    assert Location.parse(tmp_path / "data").lock_dir == tmp_path / "data" / ".locks"
