"""Figures for papers: formats, fonts, page sizes, round trips, failures."""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from app.export import FIGURES, SIZES, ExportError, ExportOptions, build_bundle
from app.export.style import paper_style
from app.presets import PRESETS
from app.state import AppState, encode
from app.state_files import STATE_SCHEMA, StateFileError, load_state_file, state_document
from app.views import figures

FULL = PRESETS["prop2"].state  # a state every figure has something to show for

LINE_PLOTS = ("loss", "drift", "hessian", "rate", "trajectory")
PT_PER_INCH = 72


@pytest.fixture(scope="module")
def bundles():
    return {
        fmt: build_bundle(FULL, ExportOptions(fmt=fmt, dpi=150)).files
        for fmt in ("pdf", "svg", "png")
    }


def _media_box(pdf: bytes) -> tuple[float, float]:
    m = re.search(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    assert m, "no MediaBox"
    return float(m.group(1)), float(m.group(2))


@pytest.mark.parametrize("kind", FIGURES)
def test_pdf_is_vector_with_embedded_fonts_and_preset_size(bundles, kind):
    pdf = bundles["pdf"][f"{kind}.pdf"]
    assert pdf.startswith(b"%PDF")
    assert b"/FontFile" in pdf  # fonts embedded, not referenced
    size = SIZES["single"]
    w, h = _media_box(pdf)
    assert w == pytest.approx(size.width_in * PT_PER_INCH, abs=1.0)
    assert h == pytest.approx(size.height_in * PT_PER_INCH, abs=1.0)
    if kind in LINE_PLOTS:
        assert b"/Subtype /Image" not in pdf and b"/Subtype/Image" not in pdf


@pytest.mark.parametrize("kind", FIGURES)
def test_svg_parses_and_png_has_dpi_size(bundles, kind):
    root = ET.fromstring(bundles["svg"][f"{kind}.svg"])
    assert root.tag.endswith("svg")
    png = bundles["png"][f"{kind}.png"]
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png[16:24])
    assert width == pytest.approx(SIZES["single"].width_in * 150, abs=2)
    assert height == pytest.approx(SIZES["single"].height_in * 150, abs=2)


def test_bundle_has_data_and_versioned_state(bundles):
    files = bundles["pdf"]
    doc = json.loads(files["state.json"])
    assert doc["schema"] == STATE_SCHEMA and doc["state"] == FULL.to_dict()
    assert set(doc["versions"]) == {
        "linflow",
        "python",
        "numpy",
        "scipy",
        "plotly",
        "kaleido",
        "chromium",
    }
    assert doc["versions"]["chromium"].startswith("Chromium")
    assert doc["git_commit"] is None or len(doc["git_commit"].split("+")[0]) == 40
    assert doc["run"]["method"].startswith("compiled") and doc["run"]["rtol"] == FULL.rtol
    assert doc["export"]["fmt"] == "pdf" and doc["export"]["dpi"] == 150
    for kind in FIGURES:
        assert files[f"{kind}.csv"].startswith(b"trace,index,x,y,z\n")
        assert json.loads(files[f"{kind}.json"])["figure"] == kind


def test_math_labels_or_unicode_never_raw_dollars():
    fig = figures(AppState(), ["loss"])["loss"]
    math = paper_style(fig, "loss", SIZES["single"], math=True)
    plain = paper_style(fig, "drift", SIZES["double"], "sans", math=False)
    assert math.layout.yaxis.title.text == "$L(t)$"
    assert "$" not in plain.layout.yaxis.title.text and "‖" in plain.layout.yaxis.title.text
    assert math.layout.title.text is None and not math.frames
    dashes = {t.line.dash for t in math.data if t.type == "scatter"}
    assert len(dashes) >= 2  # line styles as well as colours


def test_state_files_links_and_refusals(tmp_path):
    state = AppState(depth=1, widths=(3,), t_max=50.0)
    path = tmp_path / "state.json"
    path.write_text(json.dumps(state_document(state)))
    assert load_state_file(str(path)) == state
    assert load_state_file("http://127.0.0.1:8050/" + encode(state)) == state
    assert load_state_file(encode(state)) == state
    assert load_state_file("default") == AppState()
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"schema": 0, "state": {}}))
    with pytest.raises(StateFileError, match="schema 0"):
        load_state_file(str(old))
    with pytest.raises(StateFileError, match="unusable"):
        load_state_file("?dx=banana")
    with pytest.raises(ValueError, match="unknown figures"):
        ExportOptions(figures=("pie",))
    assert load_state_file("?preset=prop2") == FULL
    assert load_state_file("preset:prop2") == FULL
    with pytest.raises(StateFileError, match="no preset 'nope'"):
        load_state_file("?preset=nope")


def test_a_figure_with_nothing_to_show_is_skipped_with_the_reason():
    bundle = build_bundle(AppState(), ExportOptions(figures=("loss", "rate"), fmt="svg"))
    assert "rate.svg" not in bundle.files and "loss.svg" in bundle.files
    assert bundle.skipped and "Hypotheses do not hold" in bundle.skipped[0]


def _marked_sessions(mark: bytes) -> dict[int, tuple[int, bytes]]:
    """Live processes carrying ``mark`` in their environment -> (session id, command line);
    zombies and vanished processes skipped."""
    found = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as env:
                if mark not in env.read():
                    continue
            stat = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()
            cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
        except OSError:
            continue
        if stat[0] != "Z":
            found[int(entry.name)] = (int(stat[3]), cmdline)
    return found


def _live_in_sessions(sessions: set[int]) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,sid,stat,args"], capture_output=True, text=True).stdout
    rows = [line.split(None, 3) for line in out.splitlines()[1:]]
    return [r[3] for r in rows if len(r) == 4 and int(r[1]) in sessions and r[2][0] != "Z"]


def _cli(*args: str, env: dict | None = None, browser: bool = False) -> subprocess.CompletedProcess:
    """``linflow export`` in a subprocess, and afterwards no process it started may be alive.

    Its processes are told apart from every other browser on the machine (the browser tests'
    Chromium, this process's own Kaleido) by a mark in their environment: Chromium's processes
    inherit it (the crashpad handlers, which leave for their own sessions, too) except the
    zygote's children, which rewrite it with their titles but stay in the browser's session. So
    the sessions of marked processes are collected while it runs; after it exits nothing may be
    left in them, and nothing marked may be left anywhere. ``browser``: the export must have
    started one (so the watch is known to see it)."""
    mark = f"LINFLOW_TEST_MARK={uuid.uuid4().hex}"
    own = os.getsid(0)
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "export", *args],
            stdout=out,
            stderr=err,
            text=True,
            start_new_session=True,
            env={**os.environ, **(env or {}), "LINFLOW_TEST_MARK": mark.split("=")[1]},
        )
        sessions: set[int] = set()
        saw_browser = False
        t0 = time.monotonic()
        while proc.poll() is None and time.monotonic() - t0 < 240:
            marked = _marked_sessions(mark.encode())
            sessions |= {sid for sid, _ in marked.values()} - {own}
            saw_browser |= any(b"chrom" in cmd for _, cmd in marked.values())
            time.sleep(0.05)
        proc.wait(timeout=5)
        assert saw_browser or not browser, "no browser seen while the export ran"
        for _ in range(50):  # a browser's helpers exit shortly after it
            left = _live_in_sessions(sessions) + [str(p) for p in _marked_sessions(mark.encode())]
            if not left:
                break
            time.sleep(0.1)
        assert not left, f"the export left processes behind: {left}"
        out.seek(0), err.seek(0)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out.read(), err.read())


def test_cli_round_trip_is_bit_for_bit_and_leaves_no_browser(tmp_path):
    first = _cli(
        "--state",
        "default",
        "--figures",
        "loss,hessian,slice",
        "--format",
        "svg",
        "--out",
        str(tmp_path / "a"),
        "--zip",
        browser=True,
    )
    assert first.returncode == 0, first.stderr
    again = _cli(
        "--state",
        str(tmp_path / "a" / "state.json"),
        "--figures",
        "loss,hessian,slice",
        "--format",
        "svg",
        "--out",
        str(tmp_path / "b"),
    )
    assert again.returncode == 0, again.stderr
    for name in (
        "loss.csv",
        "loss.json",
        "hessian.csv",
        "hessian.json",
        "slice.csv",
        "slice.json",
        "state.json",
    ):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert (tmp_path / "a" / "linflow-s4-2-1-H2-gaussian0.01-seed0.zip").stat().st_size > 0


def test_failing_export_is_a_clear_error_without_stray_browser(tmp_path):
    bad = _cli(
        "--figures", "loss", "--out", str(tmp_path / "x"), env={"LINFLOW_EXPORT_TIMEOUT": "0.0001"}
    )
    assert bad.returncode == 2
    assert "linflow export:" in bad.stderr and "Traceback" not in bad.stderr
    missing = _cli("--state", str(tmp_path / "nope.json"), "--out", str(tmp_path / "y"))
    assert missing.returncode == 2 and "cannot read state file" in missing.stderr


def test_export_error_type_for_bad_format():
    from app.export import export_image

    with pytest.raises(ExportError, match="format must be"):
        export_image(figures(AppState(), ["loss"])["loss"], "gif")
    assert Path


def test_export_deadline_is_a_clear_error():
    with pytest.raises(ExportError, match="took longer than 0 s"):
        build_bundle(
            AppState(), ExportOptions(figures=("loss", "hessian"), fmt="svg"), deadline=0.0
        )


def test_export_deadline_covers_the_drawing(monkeypatch):
    """The figures are queued at once and drawn one by one: the deadline must bound the wait for
    the drawing too, not only the queueing (a hosted export stayed inside gunicorn's timeout
    only if it did)."""
    import app.export.bundle as bundle

    def slow(fig, fmt, dpi=None):
        time.sleep(1.5)
        return b"%PDF-slow"

    monkeypatch.setattr(bundle, "export_image", slow)
    opts = ExportOptions(figures=("loss", "hessian", "drift"), fmt="pdf")
    t0 = time.perf_counter()
    with pytest.raises(ExportError, match=r"took longer than 0\.5 s"):
        build_bundle(AppState(), opts, deadline=0.5)
    # Past the deadline by at most the styling of a figure, not by three drawings (4.5 s).
    assert time.perf_counter() - t0 < 2.5
