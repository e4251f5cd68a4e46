"""Object-store settings for an ``s3://`` (or ``az://``, ``gs://``) data directory.

Credentials come from the environment (``AWS_*``, ``AZURE_*``, ``GOOGLE_*``) and, for S3, from the
AWS shared files (``~/.aws/credentials``, ``~/.aws/config``, profile ``AWS_PROFILE``); they live in
memory only and are masked in every message (:func:`scrub`). Commits to S3 are made safe for
concurrent writers with conditional put (``If-None-Match``) unless the user chose otherwise
(docs/fleet.md).
"""

from __future__ import annotations

import configparser
import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from workbench.config import MASK

_ENV_PREFIXES = ("AWS_", "AZURE_", "GOOGLE_")
#: Keys of the AWS shared files -> object_store option names.
_CREDENTIAL_KEYS = {
    "aws_access_key_id": "aws_access_key_id",
    "aws_secret_access_key": "aws_secret_access_key",
    "aws_session_token": "aws_session_token",
}
_CONFIG_KEYS = {"region": "aws_region", "endpoint_url": "aws_endpoint_url"}
#: Any one of these means the user chose how commits are made safe (or unsafe) on S3.
_COMMIT_CHOICES = ("aws_conditional_put", "aws_s3_locking_provider", "aws_copy_if_not_exists")
_UNSAFE = "aws_s3_allow_unsafe_rename"
_SECRET_WORDS = ("secret", "token", "password", "key_id", "sas", "account_key")


def storage_options(uri: str, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The options the table library and Polars get for ``uri``, from ``env`` (default:
    ``os.environ``) and, for ``s3://``, the AWS shared files (environment values win)."""
    env = os.environ if env is None else env
    opts = {k.lower(): v for k, v in env.items() if k.startswith(_ENV_PREFIXES) and v}
    if not uri.startswith(("s3://", "s3a://")):
        return opts
    opts = {**aws_shared_files(env), **opts}
    if opts.get("aws_endpoint_url", "").startswith("http://"):
        opts.setdefault("aws_allow_http", "true")  # an explicitly given plain-HTTP endpoint
    if opts.get(_UNSAFE, "").lower() == "true":
        print(
            "warning: AWS_S3_ALLOW_UNSAFE_RENAME=true: two writers committing at once can lose a "
            "commit; use one writer per table or remove it (conditional put is the default)",
            file=sys.stderr,
        )
    elif not any(k in opts for k in _COMMIT_CHOICES):
        opts["aws_conditional_put"] = "etag"  # PUT If-None-Match: * for each commit file
    return opts


def aws_shared_files(env: Mapping[str, str]) -> dict[str, str]:
    """Credentials, region and endpoint of profile ``AWS_PROFILE`` (default ``default``) from the
    AWS shared credentials and config files, as object_store option names."""
    profile = env.get("AWS_PROFILE") or env.get("AWS_DEFAULT_PROFILE") or "default"
    home = Path(env.get("HOME") or Path.home())
    cred_file = Path(env.get("AWS_SHARED_CREDENTIALS_FILE") or home / ".aws" / "credentials")
    conf_file = Path(env.get("AWS_CONFIG_FILE") or home / ".aws" / "config")
    out = {}
    conf_section = profile if profile == "default" else f"profile {profile}"
    for path, section, keys in (
        (conf_file, conf_section, _CONFIG_KEYS),
        (conf_file, conf_section, _CREDENTIAL_KEYS),
        (cred_file, profile, _CREDENTIAL_KEYS),
    ):
        values = _section(path, section)
        out.update({name: values[key] for key, name in keys.items() if values.get(key)})
    return out


def _section(path: Path, section: str) -> dict[str, str]:
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (OSError, configparser.Error):
        return {}
    return dict(parser.items(section)) if parser.has_section(section) else {}


def is_secret_option(key: str) -> bool:
    """True when an object-store option's value must never be shown."""
    return any(word in key.lower() for word in _SECRET_WORDS)


def scrub(text: str, opts: Mapping[str, str]) -> str:
    """``text`` with every secret option value replaced by ``***`` (for error messages)."""
    for key, value in opts.items():
        if is_secret_option(key) and len(value) >= 4:
            text = text.replace(value, MASK)
    return text


def lock_dir(uri: str, env: Mapping[str, str] | None = None) -> Path:
    """Where this host keeps the maintenance and collector locks of a remote data directory:
    ``WORKBENCH_LOCK_DIR``, else ``~/.cache/workbench/locks/<hash of the URI>``. Such a lock
    guards one host only (docs/fleet.md)."""
    env = os.environ if env is None else env
    base = Path(env.get("WORKBENCH_LOCK_DIR") or Path.home() / ".cache" / "workbench" / "locks")
    return base / hashlib.sha256(uri.encode()).hexdigest()[:16]
