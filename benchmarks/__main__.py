"""`python -m benchmarks [--quick]`: run the benchmarks and rewrite benchmarks/RESULTS.md."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path

from benchmarks import app_bench, core_bench, export_bench
from benchmarks.report import write_results


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
    print("core engine benchmarks")
    print("explorer benchmarks")
    explorer = app_bench.run()
    print("export benchmarks")
    exports = export_bench.run()
    results = {
        "machine": machine(),
        "core": core_bench.run(quick=quick),
        "app": explorer,
        "export": exports,
    }
    out = Path(__file__).with_name("results.json")
    out.write_text(json.dumps(results, indent=2, default=float))
    write_results(results, Path(__file__).with_name("RESULTS.md"))
    print(Path(__file__).with_name("RESULTS.md").read_text())


if __name__ == "__main__":
    main()
