"""``python -m app.cli.gallery [OUT_DIR]``: every figure of every preset as ``linflow export``
writes it, at single and double column, rendered from the PDFs to PNG (``make figures``; default
``docs/figures``), so that a reviewer of the code sees the paper figures at a glance.

Writes ``OUT_DIR/<preset>/<figure>-<size>.png`` and ``OUT_DIR/index.rst``, the docs page that
shows them (with each preset's skipped figures and why). The PNGs are drawn from the PDFs by
PyMuPDF (the test extra) or, without it, poppler's ``pdftoppm``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from app.computation import analyse_point, compute
from app.export import ExportOptions, build_bundle
from app.export.exporter import close_exporter
from app.presets import PRESETS
from app.slicing import compute_slice

SIZES = ("single", "double")
DPI = 150  # a screen's view of a printed figure; the PDFs themselves are vector
TITLE = "Gallery of exported figures"


def pdf_to_png(pdf: bytes, out: Path, dpi: int = DPI) -> None:
    """Page 1 of ``pdf`` as a PNG at ``dpi``."""
    try:
        import pymupdf
    except ImportError:
        pass
    else:
        page = pymupdf.open(stream=pdf, filetype="pdf")[0]
        page.get_pixmap(dpi=dpi).save(str(out))
        return
    exe = shutil.which("pdftoppm")
    if exe is None:
        raise RuntimeError("rendering PDFs needs PyMuPDF (pip install pymupdf) or pdftoppm")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "figure.pdf"
        src.write_bytes(pdf)
        subprocess.run(
            [exe, "-png", "-r", str(dpi), "-singlefile", str(src), str(out.with_suffix(""))],
            check=True,
            timeout=60,
        )


def _page(rows: list[tuple[str, str, list[str], tuple[str, ...]]]) -> str:
    """The docs page: one section per preset, its figures at single column (double linked)."""
    out = [
        "..",
        "   Written by `make figures` (app/cli/gallery.py): do not edit by hand.",
        "",
        TITLE,
        "=" * len(TITLE),
        "",
        "Every figure of every preset as ``linflow export --preset NAME`` writes it, rendered "
        f"from the PDFs at {DPI} dpi. Single column (3.4 in) is shown; the double-column "
        "(7 in) rendering is linked under each figure.",
        "",
    ]
    for name, title, kinds, skipped in rows:
        heading = f"{title} (``{name}``)"
        out += [heading, "-" * len(heading), ""]
        for kind in kinds:
            out += [
                f".. figure:: {name}/{kind}-single.png",
                f"   :alt: {kind}, preset {name}, single column",
                "",
                f"   ``{kind}``; :download:`double column <{name}/{kind}-double.png>`",
                "",
            ]
        out += [f"- skipped {reason}" for reason in skipped]
        out += [""] if skipped else []
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "docs/figures").resolve()
    rows = []
    t0 = time.perf_counter()
    try:
        for name, preset in PRESETS.items():
            state = preset.state
            r = compute(state)
            point = analyse_point(state, r)
            sl = compute_slice(state, r, point)
            kinds: list[str] = []
            skipped: tuple[str, ...] = ()
            for size in SIZES:
                bundle = build_bundle(state, ExportOptions(size=size), result=r, point=point, sl=sl)
                skipped = bundle.skipped
                (root / name).mkdir(parents=True, exist_ok=True)
                kinds = [f[:-4] for f in bundle.files if f.endswith(".pdf")]
                for kind in kinds:
                    pdf_to_png(bundle.files[f"{kind}.pdf"], root / name / f"{kind}-{size}.png")
            rows.append((name, preset.title, kinds, skipped))
            print(f"{name}: {len(kinds)} figures", file=sys.stderr)
    except (RuntimeError, ValueError, OSError) as exc:
        print(f"gallery: {exc}", file=sys.stderr)
        return 1
    finally:
        close_exporter()
    (root / "index.rst").write_text(_page(rows))
    print(f"gallery: wrote {root} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
