"""``linflow sweep``: a basin sweep without a browser, written chunk by chunk, resumable.

Files in OUT/: ``manifest.json`` (the sweep's definition), ``chunks/chunk-NNNNN.json`` and
``.npz`` (per-run summaries, written atomically as each chunk finishes), and ``result.json``
(aggregates per scale). Rerunning the same command skips chunks already written.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from app.compute import VERSION, build_problem
from app.export.bundle import load_state_file
from app.state import encode
from core.sweep import RunSummary, plan, run_chunk, summarise


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # a chunk is either complete or absent, never half-written


def _npz_bytes(runs: list[RunSummary], dy: int) -> bytes:
    import io

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
        subset=mask,
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


def aggregates(result: Any) -> dict[str, Any]:
    out = []
    for st in result.stats:
        times = st.times
        out.append(
            {
                "scale": st.scale,
                "n_runs": st.n_runs,
                "n_global": st.n_global,
                "fraction_global": st.fraction_global,
                "wilson_95": list(st.interval),
                "rung_counts": st.rung_counts,
                "status_counts": st.status_counts,
                "convergence_time_quantiles": (
                    np.quantile(times, [0.1, 0.5, 0.9]).tolist() if times.size else []
                ),
                "path_counts": st.path_counts,
            }
        )
    return {"scales": out, "non_global": [r.to_dict() for r in result.non_global]}


def run(args: Any) -> int:
    state = load_state_file(args.state)
    problem = build_problem(state)
    scales = [float(x) for x in args.scales.split(",") if x.strip()]
    manifest = {
        "state": state.to_dict(),
        "n_runs": args.runs,
        "scales": scales,
        "seed": args.seed,
        "t_max": args.t_max,
        "flow": args.flow,
        "kind": args.kind,
        "rtol": args.rtol,
        "chunk_size": args.chunk,
        "linflow_version": VERSION,
    }
    out = Path(args.out)
    (out / "chunks").mkdir(parents=True, exist_ok=True)
    mpath = out / "manifest.json"
    if mpath.exists():
        old = json.loads(mpath.read_text())
        if {k: v for k, v in old.items() if k != "linflow_version"} != {
            k: v for k, v in manifest.items() if k != "linflow_version"
        }:
            print(
                f"linflow sweep: {out} holds a different sweep; choose another --out",
                file=sys.stderr,
            )
            return 2
    else:
        _write_atomic(mpath, json.dumps(manifest, indent=1).encode())
    jobs = plan(
        problem,
        args.runs,
        scales,
        args.seed,
        args.t_max,
        args.flow,
        args.kind,
        rtol=args.rtol,
        chunk_size=args.chunk,
    )
    total = args.runs * len(scales)
    runs: list[RunSummary] = []
    t0 = time.perf_counter()
    pending = {
        k: job
        for k, job in enumerate(jobs)
        if not (out / "chunks" / f"chunk-{k:05d}.json").exists()
    }
    skipped = len(jobs) - len(pending)
    remote = {}
    if getattr(args, "celery", False) and pending:
        from app.celery_app import submit_chunks

        keys = sorted(pending)
        remote = dict(
            zip(keys, submit_chunks(encode(state), [pending[k] for k in keys]), strict=True)
        )
    for k, job in enumerate(jobs):
        jpath = out / "chunks" / f"chunk-{k:05d}.json"
        if k not in pending:
            part = [RunSummary.from_dict(d) for d in json.loads(jpath.read_text())]
        else:
            if k in remote:
                part = [RunSummary.from_dict(d) for d in remote[k].get(timeout=None)]
            else:
                part = run_chunk(job)
            _write_atomic(out / "chunks" / f"chunk-{k:05d}.npz", _npz_bytes(part, problem.dy))
            _write_atomic(jpath, json.dumps([r.to_dict() for r in part]).encode())
        runs.extend(part)
        _progress(len(runs), total, t0)
    print(file=sys.stderr)
    result = summarise(
        problem, args.runs, scales, args.seed, args.t_max, args.flow, args.kind, runs
    )
    _write_atomic(out / "result.json", json.dumps(aggregates(result), indent=1).encode())
    for st in result.stats:
        lo, hi = st.interval
        print(
            f"scale {st.scale:g}: {st.n_global}/{st.n_runs} reached the global minimum "
            f"(95% CI {lo:.3f}-{hi:.3f})",
            file=sys.stderr,
        )
    if skipped:
        print(f"resumed: {skipped} of {len(jobs)} chunks were already done", file=sys.stderr)
    return 0
