"""The ``linflow`` command: ``linflow serve [--host H] [--port P] [--debug]``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="linflow", description="linflow: gradient descent in deep linear networks"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the app (embedded defaults: no Redis needed)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    serve.add_argument("--debug", action="store_true", help="Dash debug mode (never when hosted)")
    args = parser.parse_args(argv)
    if args.command == "serve":
        from app.server import create_app

        app = create_app()
        print(f"linflow: serving on http://{args.host}:{args.port}", file=sys.stderr)
        app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


if __name__ == "__main__":
    sys.exit(main())
