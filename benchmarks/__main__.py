"""`python -m benchmarks [--quick] [--only=core,app,export,sweep,scaling,browser]`: run the
benchmarks and rewrite benchmarks/RESULTS.md. Each section measures its ratios within one
process run; ``--only`` reruns the named sections and keeps the others' latest results
from results.json."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from threadpoolctl import threadpool_limits

from benchmarks import (
    app_bench,
    browser_bench,
    core_bench,
    export_bench,
    scaling_bench,
    sweep_bench,
)
from benchmarks.report import write_results
from core.lazy import scipy_module

HERE = Path(__file__).resolve().parent


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def main() -> None:
    quick = "--quick" in sys.argv
    sections: dict[str, Callable[[], dict[str, Any]]] = {
        "core": lambda: core_bench.run(quick=quick),
        "app": app_bench.run,
        "export": export_bench.run,
        "sweep": sweep_bench.run,
        "scaling": scaling_bench.run,
        "browser": browser_bench.run,
    }
    only = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")), None)
    chosen = only.split(",") if only else list(sections)
    out = HERE / "results.json"
    results: dict[str, Any] = json.loads(out.read_text()) if only and out.exists() else {}
    results["machine"] = machine()
    scipy_module("linalg")  # scipy's own OpenBLAS loaded, so its threads are restored too
    for name in chosen:
        print(f"{name} benchmarks", flush=True)
        # Each section with the BLAS threads (in this process and in the environment its
        # children get) the run started with: the app's server limits them to one (app.blas),
        # which must not carry over to the sections after it.
        env = dict(os.environ)
        with threadpool_limits(limits=None):
            results[name] = sections[name]()
        os.environ.clear()
        os.environ.update(env)
        # Written after every section, so a section that fails keeps the ones before it.
        out.write_text(json.dumps(results, indent=2, default=float))
        write_results(results, HERE / "RESULTS.md")
    print((HERE / "RESULTS.md").read_text())


if __name__ == "__main__":
    main()
