"""The instance secret: one value for every worker process of an instance.

Dash signs background-job handles with the Flask secret key, and the result cache signs its
values with a key derived from it, so every gunicorn worker (and every restart) must hold the
same secret. It is LINFLOW_SECRET_KEY when set (required when several machines serve one
instance), else a random value generated once into the private cache folder (file mode 0600):
the first process to start writes it, atomically, and every later one reads it back.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from app.paths import private_dir

SECRET_ENV = "LINFLOW_SECRET_KEY"
SECRET_FILE = "secret"  # in the cache folder's root
MIN_SECRET_CHARS = 32


class SecretError(RuntimeError):
    """The instance secret cannot be used (too short, or its file is not private)."""


def _read(path: Path) -> str:
    info = path.stat()
    if info.st_mode & 0o077 or info.st_uid != os.getuid():
        raise SecretError(
            f"{path} must be a file of this user with mode 0600 (it signs the cache and jobs)"
        )
    text = path.read_text().strip()
    if len(text) < MIN_SECRET_CHARS:
        raise SecretError(f"{path} holds no usable secret; delete it to have a new one made")
    return text


def instance_secret() -> str:
    """LINFLOW_SECRET_KEY, or the secret of this cache folder (made on first use)."""
    env = os.environ.get(SECRET_ENV, "")
    if env:
        if len(env) < MIN_SECRET_CHARS:
            raise SecretError(f"{SECRET_ENV} must be at least {MIN_SECRET_CHARS} characters")
        return env
    path = private_dir() / SECRET_FILE
    if path.exists():
        return _read(path)
    tmp = path.with_name(f".{SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32) + "\n")
    try:
        os.link(tmp, path)  # atomic and exclusive: the first process's secret wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return _read(path)


def derived_key(secret: str, purpose: str) -> bytes:
    """A key for one purpose (``"cache"``, ...), so no two uses share the raw secret."""
    return hmac.new(secret.encode(), purpose.encode(), hashlib.sha256).digest()
