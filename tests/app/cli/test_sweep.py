"""``linflow sweep``: chunked output, resume, and the same numbers as core.sweep."""

import json

from app.cli import main
from app.computation import build_problem
from app.state import AppState
from core import sweep

ARGS = ["sweep", "--runs", "6", "--scales", "0.1,0.5", "--chunk", "4", "--t-max", "60"]


def test_sweep_cli_writes_chunks_and_resumes(tmp_path, capsys):
    out = tmp_path / "sw"
    assert main([*ARGS, "--out", str(out)]) == 0
    chunks = sorted((out / "chunks").glob("chunk-*.json"))
    assert len(chunks) == 3 and len(list((out / "chunks").glob("*.npz"))) == 3
    first = json.loads((out / "result.json").read_text())
    assert [s["scale"] for s in first["scales"]] == [0.1, 0.5] and first["t_max"] == 60.0
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
    assert [r["subset"] for r in rows] == [[i + 1 for i in r.subset] for r in res.runs]  # 1-based


def test_sweep_cli_takes_t_max_from_the_state_and_says_when_runs_are_unfinished(tmp_path, capsys):
    # H = 2 from 1e-4: on the origin's plateau for ~1e4 time units; the state's t_max is 60.
    args = ["sweep", "--state", "?init_scale=0.0001&t_max=60", "--runs", "4", "--scales", "1e-4"]
    assert main([*args, "--out", str(tmp_path / "u")]) == 0
    err = capsys.readouterr().err
    assert "no run finished by t_max; 4 unfinished" in err and "raise --t-max" in err
    result = json.loads((tmp_path / "u" / "result.json").read_text())
    scale = result["scales"][0]
    assert result["t_max"] == 60.0 and scale["n_unfinished"] == 4 and scale["n_finished"] == 0
    assert scale["fraction_global_of_finished"] is None and scale["saddle_counts"] == {"{}": 4}
    assert main(["sweep", "--state", "?preset=nope", "--out", str(tmp_path / "v")]) == 2
    assert "no preset 'nope'" in capsys.readouterr().err


def test_sweep_cli_refuses_a_different_sweep_in_the_same_folder(tmp_path, capsys):
    out = tmp_path / "sw"
    assert main([*ARGS, "--out", str(out)]) == 0
    assert main([*ARGS[:-2], "--t-max", "61", "--out", str(out)]) == 2
    assert "different sweep" in capsys.readouterr().err
