"""Render benchmark results as Markdown."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _row(name: str, r: dict[str, Any]) -> str:
    d, o = r["dop853"], r["integrate"]
    return (
        f"| {name} ({r['n_params']} params, {r['method']}) | {d['rtol']:.0e} / {d['nfev']} / "
        f"{d['seconds']:.3f} s | {o['rtol']:.0e} / {o['nfev']} / {o['seconds']:.3f} s | "
        f"**{r['speedup']:.1f}x** | {r['euler_err']:.2e} ({r['euler_steps']} steps) | "
        f"{r['rhs_us']:.1f} / {r.get('kernel_rhs_us', float('nan')):.1f} / "
        f"{r['matmul_us']:.1f} us ({r.get('kernel_rhs_us', float('nan')) / r['matmul_us']:.2f}x) |"
    )


def write_results(results: dict[str, Any], path: Path) -> None:
    c = results["core"]
    lines = [
        "# Benchmark results",
        "",
        f"Machine: {results['machine']}. Produced by `make bench`; every ratio below was measured",
        "in one process run. Accuracy target: max relative error of L(t) <= 1e-6 against DOP853",
        "(rtol 1e-13, atol 1e-16) at 20 log-spaced times in [1, 200] and 400 uniform times.",
        "",
        "## Core engine: integrate against scipy DOP853",
        "",
        "| problem | DOP853 rtol / nfev / time | integrate rtol / nfev / time | speed-up |"
        " Euler error in the same time | RHS numpy / compiled / bare numpy products"
        " (compiled / bare) |",
        "|---|---|---|---|---|---|",
    ]
    for name in ("P1", "P2"):
        if name in c:
            lines.append(_row(name, c[name]))
    lines += [
        "",
        f"Cold start (new process, import, one P1 solve): {c['cold_start_seconds']:.3f} s.",
    ]
    if "P2" in c and "peak_mb_default_sampling" in c["P2"]:
        lines.append(
            f"Peak traced memory of a P2 run with default sampling: "
            f"{c['P2']['peak_mb_default_sampling']:.0f} MB."
        )
    a = results.get("app")
    if a:
        lines += [
            "",
            "## Explorer (server time, through the callbacks)",
            "",
            f"- Default view, cold cache (run, plateaus, polish, Hessian, figures): "
            f"{a['default_cold_seconds']:.3f} s (target < 1 s).",
            f"- A control change with a warm cache: {1e3 * a['warm_change_seconds']:.1f} ms "
            "(target < 150 ms).",
            f"- A 101 x 101 loss slice on P1 (108 parameters): "
            f"{1e3 * a['slice_101_p1_seconds']:.1f} ms.",
            f"- A 101 x 101 slice of the default view, server time, run cached: "
            f"{1e3 * a['slice_default_cold_seconds']:.1f} ms (target < 300 ms).",
            f"- Animation payload of the default view (trajectory figure with its frames): "
            f"{a['animation_bytes'] / 1e3:.0f} kB (target < 2 MB).",
        ]
    e = results.get("export")
    if e:
        lines += [
            "",
            "## Figures for papers",
            "",
            f"- The six standard figures of the default state to PDF, cold exporter (browser start "
            f"and computation included): {e['six_pdfs_cold_seconds']:.2f} s (target < 5 s); "
            f"again with the exporter warm: {e['six_pdfs_warm_seconds']:.2f} s.",
        ]
    w = results.get("sweep")
    if w:
        lines += [
            "",
            "## Basin lab (P3: s = (12, 10, 8, 7), dx = 8, widths (6, 6), scale 0.1, t_max 100)",
            "",
            f"- core.sweep, 1,000 runs, one core: **{w['sweep_ms_per_run']:.2f} ms per run** "
            f"(target < 3 ms); fraction to the global minimum {w['fraction_global']:.3f}.",
            f"- Loops of scipy solve_ivp (rtol 1e-6, atol 1e-7) in the same process: DOP853 "
            f"{w['dop853_loop_ms_per_run']:.1f} ms per run, LSODA "
            f"{w['lsoda_loop_ms_per_run']:.1f} ms per run.",
            f"- Worst relative error of L(t) over 40 runs at 420 times (floored at 1e-6 L(0)): "
            f"{w['accuracy_rtol_1e-7']:.1e} at the default rtol 1e-7 (target 1e-5); "
            f"{w['accuracy_rtol_1e-6']:.1e} at rtol 1e-6.",
            f"- 10,000 runs: {w['sweep_10k_seconds']:.1f} s; peak resident memory of the whole "
            f"benchmark process {w['sweep_10k_peak_mb']:.0f} MB (a sweep keeps per-run "
            "summaries only; target < 1 GB).",
        ]
        if "celery_2_workers_runs_per_s" in w:
            lines.append(
                f"- 10,000 runs through `linflow sweep`: 2 local Celery workers "
                f"{w['celery_2_workers_runs_per_s']:.0f} runs/s against in-process "
                f"{w['in_process_runs_per_s']:.0f} runs/s (2 cores; both include process start)."
            )
    path.write_text("\n".join(lines) + "\n")
