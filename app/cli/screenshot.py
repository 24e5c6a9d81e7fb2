"""``python -m app.cli.screenshot [OUT_DIR]``: screenshots of the explorer, for the README and
for looking at what a lecture hall sees (``make screenshot``).

The app is served in-process on 127.0.0.1 and photographed by headless Debian Chromium once
every panel on screen has drawn: ``OUT_DIR/screenshot.png`` (the default view, the README
picture, 1280 x 1400) and, for every preset, ``OUT_DIR/screenshots/<preset>.png`` (the first
screen at 1280 x 720) and ``<preset>-present.png`` (presentation mode at the stage of its
story with the most to see, 1280 x 720).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from app.explorer import ids
from app.hosting.local import chromium, serving
from app.hosting.server import create_app
from app.presets import PRESETS

README_SIZE = {"width": 1280, "height": 1400}
SCREEN = {"width": 1280, "height": 720}  # a projector
# Every graph drawn, or owed its figure until it scrolls into view (assets/lazy_graphs.js).
DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')].every(
    g => g.closest('[data-owed]') ||
    (g._fullLayout && g.data && (g.data.length || (g.layout.annotations || []).length)))"""


def shoot(page: Any, url: str, out: Path, full_page: bool = False) -> None:
    """Open ``url``, wait until every graph has drawn and the server is quiet, save ``out``."""
    page.goto(url)
    page.wait_for_selector(f"#{ids.LOSS_GRAPH} .js-plotly-plot", timeout=60_000)
    page.wait_for_function(DRAWN, timeout=60_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)  # the player's first frame and the cursor
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out), full_page=full_page)
    print(f"saved {out}")


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "assets").resolve()
    with tempfile.TemporaryDirectory() as cache:
        try:
            with serving(create_app(cache_dir=cache)) as base, chromium() as ctx:
                page = ctx.new_page()
                page.set_viewport_size(README_SIZE)
                shoot(page, base + "/", root / "screenshot.png")
                page.set_viewport_size(SCREEN)
                for name, preset in PRESETS.items():
                    shoot(page, f"{base}/?preset={name}", root / "screenshots" / f"{name}.png")
                    step = len(preset.stages)  # the end of the story: every label on screen
                    query = f"?preset={name}&present=1" + (f"&step={step}" if step else "")
                    shoot(page, base + "/" + query, root / "screenshots" / f"{name}-present.png")
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
