"""``linflow export``: figures, their data and ``state.json`` for a state, without a browser."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.export import ExportError, ExportOptions, build_bundle, zip_bundle
from app.state_files import StateFileError, read_state, version_mismatches


def run(args: argparse.Namespace) -> int:
    from app.export.exporter import close_exporter

    spec = f"preset:{args.preset}" if args.preset else args.state
    try:
        state, doc = read_state(spec)
        for mismatch in version_mismatches(doc):
            print(f"linflow export: warning: {spec} was written with {mismatch}", file=sys.stderr)
        options = ExportOptions(
            figures=tuple(f.strip() for f in args.figures.split(",") if f.strip()),
            fmt=args.format,
            size=args.size,
            font=args.font,
            dpi=args.dpi,
            title=args.title,
        )
        bundle = build_bundle(state, options)
    except (StateFileError, ValueError, ExportError) as exc:
        print(f"linflow export: {exc}", file=sys.stderr)
        return 2
    finally:
        close_exporter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, data in bundle.files.items():
        (out / name).write_bytes(data)
    if args.zip:
        (out / f"{bundle.name}.zip").write_bytes(zip_bundle(bundle.files))
    for reason in bundle.skipped:
        print(f"linflow export: skipped {reason}", file=sys.stderr)
    for warning in bundle.warnings:
        print(f"linflow export: warning: {warning}", file=sys.stderr)
    print(f"linflow export: wrote {len(bundle.files)} files to {out}/", file=sys.stderr)
    return 0


def fetch_mathjax(args: argparse.Namespace) -> int:
    """``linflow fetch-mathjax``: MathJax into the user cache, for typeset labels."""
    from app.export.mathjax import MATHJAX_VERSION, MathJaxError, fetch

    try:
        path = fetch(
            version=args.version or MATHJAX_VERSION,
            tarball=Path(args.tarball) if args.tarball else None,
        )
    except (MathJaxError, OSError) as exc:
        print(f"linflow fetch-mathjax: {exc}", file=sys.stderr)
        return 2
    print(f"linflow fetch-mathjax: exported figures now typeset math with {path}", file=sys.stderr)
    return 0
