"""``python -m app.screenshot OUT.png [QUERY]``: serve the app in-process on 127.0.0.1 and save a
screenshot taken by headless Debian Chromium (used by ``make screenshot`` for the README)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from werkzeug.serving import make_server

from app.hosting.server import create_app

WINDOW = "1280,1400"  # README picture; pass a size as the third argument
BUDGET_MS = 15000  # virtual time for the page to draw every panel (else it shows "Loading...")


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv else "assets/screenshot.png").resolve()
    query = argv[1] if len(argv) > 1 else ""
    window = argv[2] if len(argv) > 2 else WINDOW
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is missing: run `make system-deps`", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as profile:
        app = create_app(cache_dir=cache)
        srv = make_server("127.0.0.1", 0, app.server, threaded=True)
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{srv.server_port}/{query}"
        try:
            subprocess.run(
                [
                    chromium,
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--hide-scrollbars",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--no-first-run",
                    f"--user-data-dir={profile}",
                    f"--virtual-time-budget={BUDGET_MS}",
                    f"--window-size={window}",
                    f"--screenshot={out}",
                    url,
                ],
                check=True,
                capture_output=True,
                timeout=120,
            )
        finally:
            srv.shutdown()
            thread.join(timeout=5)
    print(f"saved {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
