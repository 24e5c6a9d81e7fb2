"""The ``linflow`` command: ``serve``, ``host``, ``worker``, ``passwd``, ``export``, ``sweep``,
``fetch-mathjax``.

Every subcommand takes the explorer's state the same way (``--state``: a ``state.json``, a
linflow URL, its query string, ``preset:NAME`` or ``default``; see ``app.state_files``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys

from app import limits
from app.blas import THREAD_VARS, chosen_threads
from app.export.style import FONTS, FORMATS, SIZES
from app.views import FIGURES

STATE_HELP = "a state.json, a linflow URL, its query string, preset:NAME, or 'default'"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linflow", description="linflow: gradient descent in deep linear networks"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="start the app (embedded defaults: no Redis needed)")
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8050, help="port (default 8050)")
    serve.add_argument("--debug", action="store_true", help="Dash debug mode (never when hosted)")
    export = sub.add_parser("export", help="figures, their data and state.json, without a browser")
    export.add_argument("--state", default="default", help=STATE_HELP)
    export.add_argument(
        "--preset", default=None, help="export this preset (same as --state preset:NAME)"
    )
    export.add_argument(
        "--figures", default=",".join(FIGURES), help="comma-separated: " + ", ".join(FIGURES)
    )
    export.add_argument("--format", default="pdf", choices=FORMATS)
    export.add_argument("--size", default="single", choices=tuple(SIZES))
    export.add_argument("--font", default="serif", choices=tuple(FONTS))
    export.add_argument("--dpi", type=int, default=300, help="PNG resolution (50-1200)")
    export.add_argument("--title", action="store_true", help="keep figure titles")
    export.add_argument("--out", default="linflow-export", help="output folder")
    export.add_argument("--zip", action="store_true", help="also write the bundle as a zip")
    mj = sub.add_parser(
        "fetch-mathjax", help="put MathJax into the user cache (typeset math in exported figures)"
    )
    mj.add_argument("--from", dest="tarball", default=None, help="an npm tarball of mathjax")
    mj.add_argument("--version", default=None, help="MathJax version (default: the tested one)")
    sw = sub.add_parser("sweep", help="basin statistics over many initialisations (resumable)")
    sw.add_argument("--state", default="default", help="the problem and start: " + STATE_HELP)
    sw.add_argument("--runs", type=int, default=100, help="initialisations per scale")
    sw.add_argument("--scales", default="0.01,0.1,1", help="comma-separated init scales")
    sw.add_argument("--seed", type=int, default=0)
    sw.add_argument(
        "--t-max",
        dest="t_max",
        type=float,
        default=None,
        help="horizon (default: the state's t_max)",
    )
    sw.add_argument(
        "--flow", default=None, choices=("reduced", "original"), help="default: the state's"
    )
    sw.add_argument("--kind", default=None, help="initialisation (default: the state's, if random)")
    sw.add_argument("--rtol", type=float, default=1e-7)
    sw.add_argument("--chunk", type=int, default=256, help="runs per chunk (one file each)")
    sw.add_argument("--out", default="linflow-sweep", help="output folder (resumes if present)")
    sw.add_argument(
        "--celery",
        action="store_true",
        help="run the chunks as Celery tasks on `linflow worker`s (LINFLOW_REDIS_URL)",
    )
    host = sub.add_parser("host", help="serve the app under gunicorn for a group")
    host.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    host.add_argument("--bind", default="127.0.0.1:8050", help="address:port (default loopback)")
    host.add_argument("--timeout", type=int, default=60, help="worker timeout in seconds")
    host.add_argument("--pid", default=None, help="write gunicorn's PID to this file")
    host.add_argument(
        "--threads",
        type=int,
        default=limits.HOST_THREADS,
        help=f"request threads per worker (default {limits.HOST_THREADS}): a slow client holds one",
    )
    pw = sub.add_parser("passwd", help="print a LINFLOW_AUTH_FILE line for a user")
    pw.add_argument("user", help="the user name (no ':')")
    wk = sub.add_parser("worker", help="a Celery worker for sweeps (needs LINFLOW_REDIS_URL)")
    wk.add_argument("--concurrency", type=int, default=1, help="chunks at once (default 1)")
    wk.add_argument(
        "--role",
        choices=("all", "chunks", "jobs"),
        default="all",
        help="serve sweep chunks, the app's background jobs, or both (two pools; default)",
    )
    wk.add_argument(
        "--jobs", type=int, default=None, help="app jobs at once (default LINFLOW_MAX_JOBS or 2)"
    )
    wk.add_argument("--pidfile", default=None, help="write the worker's PID here")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "worker":
        return _worker(args)
    if args.command == "host":
        return _host(args)
    if args.command == "passwd":
        return _passwd(args)
    if args.command in ("sweep", "export"):
        from app.blas import limit_blas_threads

        limit_blas_threads()
    if args.command == "sweep":
        from app.cli.sweep import run as run_sweep

        return run_sweep(args)
    if args.command == "export":
        from app.cli.export import run as run_export

        return run_export(args)
    if args.command == "fetch-mathjax":
        from app.cli.export import fetch_mathjax

        return fetch_mathjax(args)
    from app.hosting.server import create_app, warm

    app = create_app()
    warm(app)
    print(f"linflow: serving on http://{args.host}:{args.port}", file=sys.stderr)
    app.run(host=args.host, port=args.port, debug=args.debug)
    return 0


def _host(args: argparse.Namespace) -> int:
    """Replace this process by gunicorn serving app.hosting.wsgi:server (its PID is gunicorn's)."""
    exe = shutil.which("gunicorn") or os.path.join(os.path.dirname(sys.executable), "gunicorn")
    env = dict(os.environ)
    threads = str(chosen_threads())  # one BLAS thread per worker unless asked (app.blas)
    for var in THREAD_VARS:
        env.setdefault(var, threads)
    argv = [
        exe,
        "app.hosting.wsgi:server",
        "--workers",
        str(args.workers),
        "--bind",
        args.bind,
        "--timeout",
        str(args.timeout),
        "--graceful-timeout",
        "20",
        # Threads: a slow client (a body trickled in, a slow reader) holds one thread, not the
        # worker; idle keep-alive connections wait in the worker's poller, not in a thread.
        "--worker-class",
        "gthread",
        "--threads",
        str(max(1, args.threads)),
        "--keep-alive",
        "5",
        # Gunicorn's control socket defaults to ~/.gunicorn/gunicorn.ctl, one path for every
        # instance of the user: none here (signals and the PID file control an instance).
        "--no-control-socket",
        "--access-logfile",
        "-",
    ]
    if args.pid:
        argv += ["--pid", args.pid]
    os.execvpe(exe, argv, env)
    return 0  # not reached


def _passwd(args: argparse.Namespace) -> int:
    """Print ``user:hash`` for the auth file; the password is read from the terminal (asked
    twice) or from one line of standard input."""
    import getpass

    from app.hosting.access import AccessError, password_line

    if sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.user}: ")
        if getpass.getpass("again: ") != password:
            print("linflow passwd: the passwords differ", file=sys.stderr)
            return 2
    else:
        password = sys.stdin.readline().rstrip("\n")
    try:
        print(password_line(args.user, password))
    except AccessError as exc:
        print(f"linflow passwd: {exc}", file=sys.stderr)
        return 2
    return 0


def _worker(args: argparse.Namespace) -> int:
    from app.redis_url import RedisURLError, redis_url

    try:
        url = redis_url()
    except RedisURLError as exc:
        print(f"linflow worker: {exc}", file=sys.stderr)
        return 2
    if not url:
        print(
            "linflow worker: set LINFLOW_REDIS_URL (e.g. redis://:PASSWORD@127.0.0.1:6379/0)",
            file=sys.stderr,
        )
        return 2
    from app.hosting.worker import run_worker

    return run_worker(args.role, args.concurrency, args.jobs, args.pidfile)
