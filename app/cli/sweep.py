"""``linflow sweep``: a basin sweep without a browser, written chunk by chunk, resumable.

Files in OUT/: ``manifest.json`` (the state and the ``SweepSpec``), ``chunks/chunk-NNNNN.json``
and ``.npz`` (per-run summaries, written atomically as each chunk finishes; subsets 1-based in
JSON, as masks in NPZ), and ``result.json`` (aggregates per scale: fractions over finished runs,
unfinished runs counted beside). Rerunning the same command skips chunks already written.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import core
from app.computation import build_problem
from app.state import encode
from app.state_files import StateFileError, read_state
from core.basins import (
    SWEEP_KINDS,
    ChunkSpec,
    RunSummary,
    SweepResult,
    SweepSpec,
    run_chunk,
    summarise,
)


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # a chunk is either complete or absent, never half-written


def _npz_bytes(runs: list[RunSummary], dy: int) -> bytes:
    mask = np.zeros((len(runs), dy), dtype=bool)
    for k, r in enumerate(runs):
        mask[k, list(r.subset)] = True
    buf = io.BytesIO()
    np.savez(
        buf,
        index=np.array([r.index for r in runs]),
        scale=np.array([r.scale for r in runs]),
        seed=np.array([r.seed for r in runs], dtype=np.uint32),
        t_end=np.array([r.t_end for r in runs]),
        final_loss=np.array([r.final_loss for r in runs]),
        reached_global=np.array([r.reached_global for r in runs]),
        status=np.array([r.status for r in runs]),
        subset=mask,  # column i-1 is mode i
    )
    return buf.getvalue()


def _progress(done: int, total: int, t0: float) -> None:
    width = 30
    frac = done / total if total else 1.0
    elapsed = time.perf_counter() - t0
    left = elapsed / frac * (1 - frac) if frac > 0 else float("nan")
    bar = "#" * int(width * frac) + "." * (width - int(width * frac))
    print(
        f"\r[{bar}] {done}/{total} runs, {elapsed:.1f} s elapsed, ~{left:.1f} s left",
        end="",
        file=sys.stderr,
        flush=True,
    )


def aggregates(result: SweepResult) -> dict[str, Any]:
    out = []
    for st in result.stats:
        times = st.times
        out.append(
            {
                "scale": st.scale,
                "n_runs": st.n_runs,
                "n_finished": st.n_finished,
                "n_unfinished": st.n_unfinished,
                "n_global": st.n_global,
                "fraction_global_of_finished": st.fraction_global if st.n_finished else None,
                "wilson_95_of_finished": list(st.interval) if st.n_finished else None,
                "status_counts": st.status_counts,
                "saddle_counts": st.saddle_counts,
                "rung_counts": st.rung_counts,
                "convergence_time_quantiles": (
                    np.quantile(times, [0.1, 0.5, 0.9]).tolist() if times.size else []
                ),
                "path_counts": st.path_counts,
            }
        )
    return {
        "t_max": result.spec.t_max,
        "scales": out,
        "non_global": [r.to_dict() for r in result.non_global],
    }


def spec_from_args(args: argparse.Namespace, state: Any) -> SweepSpec:
    """The sweep: the command line's options, else the state's t_max, flow and start."""
    kind = args.kind or (state.init_kind if state.init_kind in SWEEP_KINDS else "gaussian")
    return SweepSpec(
        n_runs=args.runs,
        scales=tuple(float(x) for x in args.scales.split(",") if x.strip()),
        seed=args.seed,
        t_max=state.t_max if args.t_max is None else args.t_max,
        flow=args.flow or state.flow,
        kind=kind,
        rtol=args.rtol,
        chunk_size=args.chunk,
    )


def run(args: argparse.Namespace) -> int:
    try:
        state, _ = read_state(args.state)
        spec = spec_from_args(args, state)
    except (StateFileError, ValueError) as exc:
        print(f"linflow sweep: {exc}", file=sys.stderr)
        return 2
    problem = build_problem(state)
    manifest = {"state": state.to_dict(), "sweep": spec.to_json()}
    out = Path(args.out)
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    mpath = out / "manifest.json"
    if mpath.exists():
        old = json.loads(mpath.read_text())
        if {k: old.get(k) for k in manifest} != manifest:
            print(
                f"linflow sweep: {out} holds a different sweep; choose another --out",
                file=sys.stderr,
            )
            return 2
    else:
        _write_atomic(
            mpath, json.dumps({**manifest, "linflow_version": core.__version__}, indent=1).encode()
        )
    chunks = spec.chunks()
    path = {c.index: out / "chunks" / f"chunk-{c.index:05d}.json" for c in chunks}
    pending = [c for c in chunks if not path[c.index].exists()]
    remote = {}
    if getattr(args, "celery", False) and pending:
        from app.basin.tasks import submit_chunks

        remote = dict(
            zip([c.index for c in pending], submit_chunks(encode(state), pending), strict=True)
        )
    runs: list[RunSummary] = []
    t0 = time.perf_counter()
    for chunk in chunks:
        runs.extend(_chunk_runs(chunk, path[chunk.index], problem, remote))
        _progress(len(runs), spec.total, t0)
    print(file=sys.stderr)
    result = summarise(spec, runs)
    _write_atomic(out / "result.json", json.dumps(aggregates(result), indent=1).encode())
    for st in result.stats:
        print(f"scale {st.scale:g}: {_line(st)}", file=sys.stderr)
    if result.n_unfinished:
        print(
            f"{result.n_unfinished} runs were unfinished at t_max = {spec.t_max:g} (still moving "
            "or on a saddle's plateau): they are not counted as failures; raise --t-max to "
            "finish them",
            file=sys.stderr,
        )
    if len(pending) < len(chunks):
        print(
            f"resumed: {len(chunks) - len(pending)} of {len(chunks)} chunks were already done",
            file=sys.stderr,
        )
    return 0


def _chunk_runs(
    chunk: ChunkSpec, path: Path, problem: core.Problem, remote: dict
) -> list[RunSummary]:
    if path.exists():
        return [RunSummary.from_dict(d) for d in json.loads(path.read_text())]
    if chunk.index in remote:
        part = [RunSummary.from_dict(d) for d in remote[chunk.index].get(timeout=None)]
    else:
        part = run_chunk(problem, chunk)
    _write_atomic(path.with_suffix(".npz"), _npz_bytes(part, problem.dy))
    _write_atomic(path, json.dumps([r.to_dict() for r in part]).encode())
    return part


def _line(st: core.ScaleStats) -> str:
    unfinished = f"; {st.n_unfinished} unfinished" if st.n_unfinished else ""
    if not st.n_finished:
        return f"no run finished by t_max{unfinished}"
    lo, hi = st.interval
    return (
        f"{st.n_global}/{st.n_finished} finished runs reached the global minimum "
        f"(95% CI {lo:.3f}-{hi:.3f}){unfinished}"
    )
