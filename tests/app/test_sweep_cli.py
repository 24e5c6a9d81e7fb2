"""``linflow sweep``: chunked output, resume, and the same numbers as core.sweep."""

import json

from app.cli import main
from app.compute import build_problem
from app.state import AppState
from core.sweep import sweep

ARGS = ["sweep", "--runs", "6", "--scales", "0.1,0.5", "--chunk", "4", "--t-max", "60"]


def test_sweep_cli_writes_chunks_and_resumes(tmp_path, capsys):
    out = tmp_path / "sw"
    assert main([*ARGS, "--out", str(out)]) == 0
    chunks = sorted((out / "chunks").glob("chunk-*.json"))
    assert len(chunks) == 3 and len(list((out / "chunks").glob("*.npz"))) == 3
    first = json.loads((out / "result.json").read_text())
    assert [s["scale"] for s in first["scales"]] == [0.1, 0.5]
    # Interrupt: lose the last chunk, then rerun: only it is recomputed, results identical.
    chunks[-1].unlink()
    capsys.readouterr()
    assert main([*ARGS, "--out", str(out)]) == 0
    assert "resumed: 2 of 3 chunks" in capsys.readouterr().err
    assert json.loads((out / "result.json").read_text()) == first
    # The same sweep in-process gives the same per-run rows.
    res = sweep(build_problem(AppState()), 6, [0.1, 0.5], seed=0, t_max=60.0, chunk_size=4)
    rows = [
        r for c in sorted((out / "chunks").glob("chunk-*.json")) for r in json.loads(c.read_text())
    ]
    assert [r["seed"] for r in rows] == [r.seed for r in res.runs]
    assert [tuple(r["subset"]) for r in rows] == [r.subset for r in res.runs]


def test_sweep_cli_refuses_a_different_sweep_in_the_same_folder(tmp_path, capsys):
    out = tmp_path / "sw"
    assert main([*ARGS, "--out", str(out)]) == 0
    assert main([*ARGS[:-2], "--t-max", "61", "--out", str(out)]) == 2
    assert "different sweep" in capsys.readouterr().err
