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
            f"- Default view, cold cache: the first request (runs, plateaus, their panels) "
            f"{a['default_cold_seconds']:.3f} s, the second (polish, Hessian, curvature, slice, "
            f"their panels) {a.get('default_end_seconds', float('nan')):.3f} s (target < 1 s "
            "for both).",
            f"- A control change with a warm cache: {1e3 * a['warm_change_seconds']:.1f} ms "
            "(target < 150 ms).",
            f"- A 101 x 101 loss slice on P1 (108 parameters): "
            f"{1e3 * a['slice_101_p1_seconds']:.1f} ms.",
            f"- A 101 x 101 slice of the default view, server time, run cached: "
            f"{1e3 * a['slice_default_cold_seconds']:.1f} ms (target < 300 ms).",
            f"- Animation payload of the default view (trajectory figure, marker path in meta): "
            f"{a['animation_bytes'] / 1e3:.0f} kB (target < 2 MB).",
        ]
        if a.get("staged"):
            lines += [
                "",
                "A new run's two requests (`app/explorer/staging.py`), server time, uncached, one "
                "BLAS thread, median of 3 seeds: the first draws what is on screen (L(t), the "
                "trajectory), the second the run's end below the fold:",
                "",
                "| parameters | first request | second request |",
                "|---|---|---|",
            ]
            lines += [
                f"| {r['params']:,} | {r['first_s']:.3f} s | {r['second_s']:.3f} s |"
                for r in a["staged"]
            ]
        if a.get("blas_threads"):
            lines += [
                "",
                "A new run's whole server work (run, curvature along it, analysed point, slice,"
                " every figure), one BLAS thread (as the app runs, `app/blas.py`) against two,"
                " median of 3 alternating in one process:",
                "",
                "| machine | parameters | one BLAS thread | two BLAS threads |",
                "|---|---|---|---|",
            ]
            lines += [
                f"| {'one core busy' if r['busy'] else 'quiet'} | {r['params']:,} | "
                f"{r['one_thread_s']:.3f} s | {r['two_threads_s']:.3f} s |"
                for r in a["blas_threads"]
            ]
    e = results.get("export")
    if e:
        lines += [
            "",
            "## Figures for papers",
            "",
            f"- The six standard figures of the Proposition 2 preset to PDF, cold exporter "
            f"(browser start and computation included): {e['six_pdfs_cold_seconds']:.2f} s "
            f"(target < 5 s); again with the exporter warm: {e['six_pdfs_warm_seconds']:.2f} s"
            + (
                f", and {e['six_pdfs_warm_run_cached_seconds']:.2f} s with the run computed "
                "already (as in the explorer)."
                if "six_pdfs_warm_run_cached_seconds" in e
                else "."
            ),
        ]
        if e.get("pdf_kb"):
            pdfs = ", ".join(f"{k[:-4]} {v:.0f} kB" for k, v in e["pdf_kb"].items())
            lines.append(f"- PDF sizes (single column): {pdfs}.")
        if "html_kb" in e:
            lines.append(
                f"- The interactive HTML page of the same view (`--format html`, six figures, "
                f"plotly.js and the player inlined): {e['html_kb'] / 1e3:.1f} MB, written in "
                f"{e['html_seconds']:.2f} s."
            )
    w = results.get("sweep")
    if w:
        lines += [
            "",
            "## Basin lab (P3: s = (12, 10, 8, 7), dx = 8, widths (6, 6), scale 0.1, t_max 100)",
            "",
            f"- core.sweep, 1,000 runs, one core: **{w['sweep_ms_per_run']:.2f} ms per run** "
            f"(best of {_repeats(w)} ms; target <= 1 ms; the compiled kernel run by run); "
            f"fraction to the global minimum "
            f"{w['fraction_global']:.3f}. The batched numpy Dormand-Prince it replaced (still the "
            f"path without a C compiler), same runs: "
            f"{w.get('numpy_batch_ms_per_run', float('nan')):.2f} ms per run.",
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
            ratio = w["celery_2_workers_runs_per_s"] / w["in_process_runs_per_s"]
            lines.append(
                f"- 10,000 runs of P3 through 2 local Celery workers (`linflow worker`, warmed; "
                f"from sending the 40 chunks to the last result): "
                f"{w['celery_2_workers_runs_per_s']:.0f} runs/s against "
                f"{w['in_process_runs_per_s']:.0f} runs/s for the same chunks in the benchmark's "
                f"process: **{ratio:.2f}x** (target ~2x; 2 cores, which also run Redis and the "
                f"collecting process). The whole `linflow sweep` command of the default state, "
                f"process start included: {w.get('command_celery_runs_per_s', float('nan')):.0f} "
                f"runs/s with `--celery`, {w.get('command_local_runs_per_s', float('nan')):.0f} "
                "without."
            )
    lines += _scaling(results.get("scaling")) + _browser(results.get("browser"))
    path.write_text("\n".join(lines) + "\n")


def _split_ranges() -> str:
    from app import limits

    return (
        f"from every eigenvalue up to {limits.DENSE_SPLIT_PARAMS:,} parameters, by LDL^T inertia "
        f"up to {limits.INERTIA_SPLIT_PARAMS:,}, Lanczos extremes alone beyond"
    )


def _repeats(w: dict[str, Any]) -> str:
    return ", ".join(f"{x:.2f}" for x in w.get("sweep_ms_per_run_repeats", [w["sweep_ms_per_run"]]))


def _scaling(sc: dict[str, Any] | None) -> list[str]:
    if not sc:
        return []
    out = [
        "",
        f"## Scaling with the network (Gaussian init 0.1, t in [0, {sc['t_max']:g}], rtol "
        f"{sc['rtol']:g}, no stop)",
        "",
        f"Arithmetic limit: the evaluations' work (6 dy n_params flops each) at this machine's "
        f"measured GEMM rate, {sc['gemm_gflops']:.1f} GFLOP/s. scipy DOP853 runs the numpy "
        "right-hand side at the same rtol.",
        "",
        "| dims (dy, dx, width, hidden) | params | method | s per unit t | arithmetic s per unit t "
        "| integrate / arithmetic | DOP853 s per unit t | evaluations per unit t (ours / DOP853) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in sc["rows"]:
        out.append(
            f"| {tuple(r['dims'])} | {r['n_params']:,} | {r['method']} | "
            f"{r['seconds_per_t']:.3g} | {r['arithmetic_seconds_per_t']:.3g} | "
            f"{r['seconds_per_t'] / r['arithmetic_seconds_per_t']:.1f} | "
            f"{r['dop853_seconds_per_t']:.3g} | {r['nfev'] / sc['t_max']:.0f} / "
            f"{r['dop853_nfev_per_t']:.0f} |"
        )
    return out


BROWSER_ROWS = (
    ("first_load_cold", "first page load, new browser profile, server just started", 1500),
    ("first_load_cold_browser", "first page load, new browser profile, server warmed", 1500),
    ("first_load", "page load, browser has the scripts, run cached", 1500),
    ("new_run", "a new run of the default size (init seed)", 600),
    ("cached_change", "a cached change (back to a seed drawn before)", 150),
    ("loss_axis", "a view change (loss axis log/linear)", 150),
    ("widths", "hidden widths changed", 1000),
    ("depth", "depth changed", 1000),
)


def _browser(b: dict[str, Any] | None) -> list[str]:
    if not b:
        return []
    out = [
        "",
        "## Explorer in the browser (Debian chromium, Playwright; `benchmarks/browser_bench.py`)",
        "",
        "From the change (the page's own timestamp of the click or Enter) to the last paint",
        "in the 1280 x 800 window (on screen, what the targets are for) and anywhere on the",
        "page (below the fold too: the panels of a run's end come by a second request when",
        "they are not cached), median of repeats; payload = bytes of Dash's callback responses.",
        "",
        "| interaction | on screen median ms | max ms | target ms | whole page median ms | "
        "payload kB | requests |",
        "|---|---|---|---|---|---|---|",
    ]
    for key, label, target in BROWSER_ROWS:
        if key in b:
            r = b[key]
            seen = r.get("median_seen_ms", r["median_ms"])
            out.append(
                f"| {label} | {seen:.0f} | {r.get('max_seen_ms', r['max_ms']):.0f} | "
                f"<= {target} | {r['median_ms']:.0f} | {r['median_kb']:.0f} | "
                f"{r['requests']:.0f} |"
            )
    sizes = b.get("by_size")
    if sizes:
        out += [
            "",
            "By network size (dx = 24, dy = 6: 64 rungs; the default view otherwise; the Hessian "
            f"panel's counts {_split_ranges()}), median of "
            f"{sizes[0]['new_run']['n']:.0f}:",
            "",
            "| hidden widths | parameters | a new run, on screen ms (target 600) | a new run, "
            "whole page ms | a cached change, on screen ms (target 150) | payload kB |",
            "|---|---|---|---|---|---|",
        ]
        for r in sizes:
            new, cached = r["new_run"], r["cached_change"]
            out.append(
                f"| {r['width']} x {r['depth']} | {r['params']:,} | "
                f"{new.get('median_seen_ms', new['median_ms']):.0f} | {new['median_ms']:.0f} | "
                f"{cached.get('median_seen_ms', cached['median_ms']):.0f} | "
                f"{new['median_kb']:.0f} |"
            )
    return out
