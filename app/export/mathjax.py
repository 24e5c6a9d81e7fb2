"""Where exported figures find MathJax (``tex-svg.js``) for their math labels, and how a plain
``pip install`` gets a copy.

The search order (first existing file wins):

1. ``$LINFLOW_MATHJAX``: the path of a ``tex-svg.js`` (or of a MathJax folder holding
   ``es5/tex-svg.js``), for an installation that keeps its own copy;
2. the source tree's ``.cache/node_modules/mathjax`` (``make install`` puts it there);
3. the user cache, ``$XDG_CACHE_HOME/linflow/mathjax-VERSION`` (default ``~/.cache``), which
   ``linflow fetch-mathjax`` fills from the npm registry through ``npm`` (or from a tarball
   already downloaded, ``--from mathjax-VERSION.tgz``).

Without any of them the axis labels fall back to Unicode (and the exporter says so in one line).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

MATHJAX_VERSION = "3.2.2"  # the release the labels were checked with (MathJax 3, SVG output)
MATHJAX_ENV = "LINFLOW_MATHJAX"
ENTRY = Path("es5") / "tex-svg.js"
TREE_COPY = Path(__file__).resolve().parents[2] / ".cache" / "node_modules" / "mathjax"
FALLBACK_WARNING = (
    "MathJax not found: axis labels use Unicode instead of typeset math "
    "(run `linflow fetch-mathjax`, or set LINFLOW_MATHJAX to a tex-svg.js)"
)
NPM_TIMEOUT = 300.0  # seconds `npm pack` may take


class MathJaxError(RuntimeError):
    """MathJax could not be fetched (npm missing or failing, a bad tarball)."""


@dataclass(frozen=True)
class Candidate:
    """One place MathJax may be: where it comes from and the ``tex-svg.js`` it would be."""

    origin: str
    path: Path


def user_cache(version: str = MATHJAX_VERSION) -> Path:
    """The per-user copy: ``$XDG_CACHE_HOME/linflow/mathjax-VERSION`` (``~/.cache`` default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "linflow" / f"mathjax-{version}"


def candidates() -> list[Candidate]:
    """Every place searched, in order (see the module docstring)."""
    out = []
    env = os.environ.get(MATHJAX_ENV)
    if env:
        p = Path(env).expanduser()
        out.append(Candidate(MATHJAX_ENV, p / ENTRY if p.is_dir() else p))
    out.append(Candidate("source tree", TREE_COPY / ENTRY))
    out.append(Candidate("user cache", user_cache() / ENTRY))
    return out


def find() -> Candidate | None:
    """The first MathJax that exists, or None (labels fall back to Unicode)."""
    return next((c for c in candidates() if c.path.is_file()), None)


def mathjax_path() -> Path | None:
    """The ``tex-svg.js`` exported figures use, or None."""
    found = find()
    return found.path if found else None


def _unpack(tgz: bytes, dest: Path) -> Path:
    """Extract the ``es5/`` folder of an npm tarball of mathjax (members under ``package/``)
    into ``dest`` atomically (a half-written copy is never found)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".mathjax-", dir=dest.parent))
    try:
        with tarfile.open(fileobj=io.BytesIO(tgz), mode="r:gz") as tar:
            members = [
                m
                for m in tar.getmembers()
                if m.name.startswith("package/es5/") and (m.isfile() or m.isdir())
            ]
            if not any(m.name == f"package/{ENTRY.as_posix()}" for m in members):
                raise MathJaxError(f"the tarball has no {ENTRY.as_posix()}: is it mathjax?")
            for m in members:
                m.name = m.name[len("package/") :]
            tar.extractall(tmp, members=members, filter="data")
        if dest.exists():
            shutil.rmtree(dest)
        tmp.rename(dest)
    except (tarfile.TarError, OSError) as exc:
        raise MathJaxError(f"cannot unpack MathJax: {exc}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return dest / ENTRY


def _npm_pack(version: str) -> bytes:
    """The npm tarball of mathjax@version, fetched by the npm client from its registry."""
    npm = shutil.which("npm")
    if npm is None:
        raise MathJaxError(
            "fetching MathJax needs npm (e.g. apt-get install npm), or pass a tarball "
            f"downloaded elsewhere: linflow fetch-mathjax --from mathjax-{version}.tgz"
        )
    with tempfile.TemporaryDirectory(prefix="linflow-npm-") as tmp:
        try:
            done = subprocess.run(
                [npm, "pack", f"mathjax@{version}", "--pack-destination", tmp, "--silent"],
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT,
                cwd=tmp,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise MathJaxError(f"npm pack mathjax@{version} failed: {exc}") from None
        packed = sorted(Path(tmp).glob("mathjax-*.tgz"))
        if done.returncode != 0 or not packed:
            detail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no tarball"]
            raise MathJaxError(f"npm pack mathjax@{version} failed: {detail[0]}")
        return packed[0].read_bytes()


def fetch(
    *, version: str = MATHJAX_VERSION, tarball: Path | None = None, dest: Path | None = None
) -> Path:
    """Put MathJax into the user cache (or ``dest``) and return its ``tex-svg.js``: from
    ``tarball`` if given, else ``npm pack mathjax@version``."""
    data = tarball.read_bytes() if tarball is not None else _npm_pack(version)
    return _unpack(data, dest or user_cache(version))
