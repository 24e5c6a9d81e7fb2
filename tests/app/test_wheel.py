"""An ordinary install from a wheel (not the checkout) serves the explorer's scripts and style
sheet and inlines them into an HTML export: before, they were read from the checkout's assets/
only, so a wheel's app drew no panel (the lazy drawing lives in assets/lazy_graphs.js)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(p.name for p in (ROOT / "assets").iterdir() if p.suffix in (".js", ".css"))

PROBE = """
import json, sys
from app.paths import ASSETS
from app.hosting.server import create_app
client = create_app(cache_dir=sys.argv[1]).server.test_client()
page = client.get("/").get_data(as_text=True)
served = {name: client.get("/assets/" + name).status_code for name in json.loads(sys.argv[2])}
print(json.dumps({"assets": str(ASSETS), "page_has_lazy": "lazy_graphs.js" in page,
                  "served": served}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The wheel pip builds from the sdist of a copy of the sources (as a release goes: an sdist
    lacking assets/ gave no wheel; an in-tree build would reuse a stale build/ folder), installed
    without dependencies into a folder that shadows the checkout's editable install."""
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    skip = shutil.ignore_patterns("*.so", "__pycache__", "node_modules", "screenshots")
    for name in ("core", "app", "assets"):
        shutil.copytree(ROOT / name, src / name, ignore=skip)
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    subprocess.run([sys.executable, "-m", "build", "--sdist", "-o", str(tmp), str(src)], check=True)
    (sdist,) = tmp.glob("linflow-*.tar.gz")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", str(sdist), "-w", str(tmp)], check=True)
    (wheel,) = tmp.glob("linflow-*.whl")
    target = tmp / "site"
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)], check=True)
    return wheel, target


def test_the_wheel_carries_the_assets(installed):
    wheel, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert SHIPPED and {f"app/_assets/{n}" for n in SHIPPED} <= names
    assert not [n for n in names if n.startswith("assets/")]  # no top-level "assets" package


def test_an_installed_app_serves_its_assets(installed, tmp_path):
    _, target = installed
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(tmp_path / "cache"), json.dumps(SHIPPED)],
        cwd=tmp_path,  # not the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(seen["assets"]) == target / "app" / "_assets"
    assert seen["page_has_lazy"]
    assert seen["served"] == dict.fromkeys(SHIPPED, 200)
