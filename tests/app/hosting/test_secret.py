"""One secret per instance: every worker process of a cache folder signs with the same one."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

import pytest

from app.hosting.secret import SecretError, instance_secret
from app.hosting.server import create_app

READ_SECRET = "from app.hosting.secret import instance_secret; print(instance_secret())"


def test_worker_processes_share_one_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("LINFLOW_SECRET_KEY", raising=False)
    env = {**os.environ, "LINFLOW_CACHE_DIR": str(tmp_path)}
    env.pop("LINFLOW_SECRET_KEY", None)
    # Four processes start at once, as gunicorn's workers do: one secret wins, all read it.
    procs = [
        subprocess.Popen([sys.executable, "-c", READ_SECRET], env=env, stdout=subprocess.PIPE)
        for _ in range(4)
    ]
    secrets = {p.communicate(timeout=60)[0].strip() for p in procs}
    assert len(secrets) == 1 and len(secrets.pop()) == 64
    path = tmp_path / "secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    monkeypatch.setenv("LINFLOW_CACHE_DIR", str(tmp_path))
    a = create_app(cache_dir=str(tmp_path)).server.secret_key
    b = create_app(cache_dir=str(tmp_path)).server.secret_key
    assert a == b == path.read_text().strip()


def test_the_environment_wins_and_must_be_long(tmp_path, monkeypatch):
    monkeypatch.setenv("LINFLOW_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("LINFLOW_SECRET_KEY", "x" * 40)
    assert instance_secret() == "x" * 40
    monkeypatch.setenv("LINFLOW_SECRET_KEY", "short")
    with pytest.raises(SecretError, match="at least 32"):
        instance_secret()


def test_a_secret_file_others_can_read_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("LINFLOW_SECRET_KEY", raising=False)
    monkeypatch.setenv("LINFLOW_CACHE_DIR", str(tmp_path))
    instance_secret()
    (tmp_path / "secret").chmod(0o644)
    with pytest.raises(SecretError, match="mode 0600"):
        instance_secret()
