"""``linflow export`` and ``linflow fetch-mathjax`` from the command line: presets by either
spelling, unknown names refused with the valid ones listed, state files checked for versions,
and MathJax found after an ordinary install (or a one-line warning)."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from app.cli import main
from app.export import ExportOptions, build_bundle
from app.export import mathjax as mj
from app.presets import PRESETS
from app.state import AppState
from app.views import FIGURES

FAST = ["--figures", "loss", "--format", "html"]  # no browser needed: quick


def _state(folder) -> dict:
    return json.loads((folder / "state.json").read_text())


@pytest.mark.parametrize("how", [["--preset", "prop2"], ["--state", "?preset=prop2"]])
def test_a_preset_exports_that_preset(tmp_path, capsys, how):
    assert main(["export", *how, *FAST, "--out", str(tmp_path)]) == 0
    doc = _state(tmp_path)
    assert doc["state"] == PRESETS["prop2"].state.to_dict()
    assert doc["state"] != AppState().to_dict()
    assert (tmp_path / "linflow-prop2.html").stat().st_size > 1_000_000


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["--preset", "nope"], PRESETS),
        (["--state", "?preset=nope"], PRESETS),
        (["--state", "preset:nope"], PRESETS),
        (["--figures", "loss,pie"], FIGURES),
    ],
)
def test_unknown_names_exit_non_zero_listing_the_valid_ones(tmp_path, capsys, args, names):
    assert main(["export", *args, "--format", "html", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("linflow export: ") and "Traceback" not in err
    assert all(n in err for n in names), err
    assert not (tmp_path / "x").exists()


def test_state_file_round_trip_and_version_warning(tmp_path, capsys):
    assert main(["export", "--preset", "prop2", *FAST, "--out", str(tmp_path / "a")]) == 0
    doc = _state(tmp_path / "a")
    v = doc["versions"]
    assert set(v) == {"linflow", "python", "numpy", "scipy", "plotly", "kaleido", "chromium"}
    assert all(v.values()) and v["chromium"].startswith("Chromium")
    assert doc["git_commit"] is None or len(doc["git_commit"].split("+")[0]) == 40
    assert doc["run"]["method"] and doc["run"]["rtol"] == PRESETS["prop2"].state.rtol
    assert doc["export"] == {**doc["export"], "fmt": "html", "figures": ["loss"]}
    capsys.readouterr()
    doc["versions"]["numpy"] = "0.0.1"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(doc))
    assert main(["export", "--state", str(old), *FAST, "--out", str(tmp_path / "b")]) == 0
    err = capsys.readouterr().err
    assert "linflow export: warning: " in err and "numpy 0.0.1 (now " in err
    for name in ("loss.csv", "loss.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def _tarball(with_entry: bool = True) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        name = "package/es5/tex-svg.js" if with_entry else "package/README.md"
        data = b"window.MathJax = {};"
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.fixture
def no_mathjax(tmp_path, monkeypatch):
    """An installation without MathJax: no env var, no source tree copy, an empty user cache."""
    monkeypatch.delenv(mj.MATHJAX_ENV, raising=False)
    monkeypatch.setattr(mj, "TREE_COPY", tmp_path / "no-tree")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert mj.find() is None
    return tmp_path


def test_fetch_mathjax_fills_the_user_cache_where_export_finds_it(no_mathjax, capsys):
    tgz = no_mathjax / "mathjax-3.2.2.tgz"
    tgz.write_bytes(_tarball())
    assert main(["fetch-mathjax", "--from", str(tgz)]) == 0
    found = mj.find()
    assert found is not None and found.origin == "user cache"
    assert found.path == no_mathjax / "cache" / "linflow" / "mathjax-3.2.2" / "es5" / "tex-svg.js"
    assert str(found.path) in capsys.readouterr().err


def test_fetch_mathjax_refuses_a_tarball_without_it(no_mathjax, capsys):
    bad = no_mathjax / "bad.tgz"
    bad.write_bytes(_tarball(with_entry=False))
    assert main(["fetch-mathjax", "--from", str(bad)]) == 2
    assert "has no es5/tex-svg.js" in capsys.readouterr().err
    assert mj.find() is None  # nothing half-written is found


def test_search_order_env_first(no_mathjax, monkeypatch):
    own = no_mathjax / "own" / "es5"
    own.mkdir(parents=True)
    (own / "tex-svg.js").write_text("x")
    monkeypatch.setenv(mj.MATHJAX_ENV, str(own.parent))  # a folder holding es5/tex-svg.js
    assert mj.find() == mj.Candidate(mj.MATHJAX_ENV, own / "tex-svg.js")
    assert [c.origin for c in mj.candidates()] == [mj.MATHJAX_ENV, "source tree", "user cache"]


def test_without_mathjax_the_export_warns_in_one_line(no_mathjax, capsys):
    bundle = build_bundle(AppState(), ExportOptions(figures=("drift",), fmt="svg"))
    assert bundle.warnings == (mj.FALLBACK_WARNING,)
    assert "\n" not in mj.FALLBACK_WARNING and "linflow fetch-mathjax" in mj.FALLBACK_WARNING
    assert b"$" not in bundle.files["drift.svg"]  # Unicode labels, never raw TeX
    assert main(["export", "--figures", "drift", "--format", "svg", "--out", str(no_mathjax)]) == 0
    err = capsys.readouterr().err
    assert f"linflow export: warning: {mj.FALLBACK_WARNING}" in err
