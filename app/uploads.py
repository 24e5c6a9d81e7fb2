"""User data: X and Y as two CSV files or one NPZ, checked, then stored by content.

Files hold one sample per ROW: X.csv has m rows of dx numbers, Y.csv m rows of dy numbers (an
optional header row of names is skipped). An NPZ holds arrays ``X`` (m, dx) and ``Y`` (m, dy).
Errors name the file, the row and the column. An NPZ must hold exactly X and Y (no duplicates, no
other member, nothing declaring more than an upload can use); each member's header is checked
and exactly the bytes it declares are read, never with pickle. Accepted data is stored as
``<sha256>.npz`` in the data folder (LINFLOW_CACHE_DIR/data, mode 0700) and expires after
LINFLOW_DATA_TTL seconds (default 30 days); a link carries only the hash.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import math
import os
import time
import zipfile
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from app.limits import MAX_DX, MAX_DY, MAX_M, MAX_UPLOAD_BYTES
from app.paths import private_dir

DATA_TTL = 30 * 24 * 3600  # seconds an uploaded data set is kept
HASH_CHARS = 64  # a SHA-256 in hex


class UploadError(ValueError):
    """What is wrong with an upload, naming the file, row and column."""


def data_dir() -> Path:
    return private_dir("data")


def _decode(name: str, contents: str) -> bytes:
    """Dash's upload payload ('data:...;base64,...') -> bytes, with the size cap."""
    try:
        raw = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (IndexError, ValueError):
        raise UploadError(f"{name}: could not read the upload") from None
    if len(raw) > MAX_UPLOAD_BYTES:
        raise UploadError(
            f"{name} is {len(raw) / 1e6:.1f} MB; uploads are limited to "
            f"{MAX_UPLOAD_BYTES / 1e6:.1f} MB"
        )
    return raw


def parse_csv(name: str, raw: bytes) -> NDArray[np.float64]:
    """Rows of numbers -> array (rows, columns); errors name the row and column (1-based)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UploadError(f"{name} is not UTF-8 text; save it as CSV") from None
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise UploadError(f"{name} is empty")
    start = 0
    if all(_not_number(c) for c in rows[0]):
        start = 1  # a header row of names
    width = len(rows[start]) if len(rows) > start else 0
    values = []
    for i, row in enumerate(rows[start:], start=start + 1):
        if len(row) != width:
            raise UploadError(
                f"{name} row {i} has {len(row)} columns; row {start + 1} has {width} (ragged rows)"
            )
        out = []
        for j, cell in enumerate(row, start=1):
            try:
                v = float(cell)
            except ValueError:
                raise UploadError(
                    f"{name} row {i}, column {j}: {cell.strip()[:20]!r} is not a number"
                ) from None
            if not math.isfinite(v):
                raise UploadError(
                    f"{name} row {i}, column {j} is {cell.strip()} (NaN or Inf); "
                    "remove or impute it"
                )
            out.append(v)
        values.append(out)
    if not values:
        raise UploadError(f"{name} has a header but no data rows")
    return np.array(values, dtype=np.float64)


def _not_number(cell: str) -> bool:
    try:
        float(cell)
        return False
    except ValueError:
        return True


NPZ_MEMBERS = ("X", "Y")  # the arrays of an NPZ upload, stored as X.npy and Y.npy (or X, Y)
NPZ_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)  # what np.savez(_compressed) writes
# Decompressed bytes an NPZ member may declare: the largest X the explorer takes (m x dx
# float64) with room for its header. Checked from the archive's directory before reading.
MAX_NPZ_MEMBER_BYTES = MAX_M * MAX_DX * 8 + 4096


def _npz_members(name: str, zf: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """X and Y's entries, once each: an archive with any other member, a duplicate (X and
    X.npy), a directory, encryption, an unusual compression or a member declaring more than
    MAX_NPZ_MEMBER_BYTES is refused before anything is decompressed."""
    members: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        key = info.filename.removesuffix(".npy")
        if key not in NPZ_MEMBERS or info.is_dir():
            raise UploadError(
                f"{name} may hold only the arrays X and Y; it also has {info.filename[:40]!r}"
            )
        if key in members:
            raise UploadError(
                f"{name} holds {key} twice ({members[key].filename!r} and "
                f"{info.filename!r}); keep one"
            )
        if info.flag_bits & 0x1 or info.compress_type not in NPZ_METHODS:
            raise UploadError(
                f"{name}: {info.filename} is encrypted or compressed unusually; save it with "
                "numpy.savez or numpy.savez_compressed"
            )
        if info.file_size > MAX_NPZ_MEMBER_BYTES:
            raise UploadError(
                f"{name}: {key} unpacks to {info.file_size / 1e6:.1f} MB; at most "
                f"{MAX_NPZ_MEMBER_BYTES / 1e6:.1f} MB (m <= {MAX_M}, dx <= {MAX_DX})"
            )
        members[key] = info
    missing = [k for k in NPZ_MEMBERS if k not in members]
    if missing:
        raise UploadError(f"{name} needs arrays named X and Y; it lacks {', '.join(missing)}")
    return members


def _npy(name: str, key: str, data: bytes) -> NDArray[np.float64]:
    """The array in ``data`` (one .npy file), its header checked first, then exactly the bytes
    the header declares read from the same bytes (never with pickle)."""
    fh = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fh)
        read_header = (
            np.lib.format.read_array_header_1_0
            if version == (1, 0)
            else np.lib.format.read_array_header_2_0
        )
        shape, fortran, dtype = read_header(fh)
    except (ValueError, EOFError, SyntaxError) as exc:
        raise UploadError(f"{name}: {key} is not a valid .npy array ({exc})") from None
    if dtype.hasobject or dtype.kind not in "biuf":
        raise UploadError(
            f"{name}: {key} has dtype {dtype}; only numbers are accepted "
            "(object arrays would need pickle, which is refused)"
        )
    if len(shape) != 2:
        raise UploadError(f"{name}: {key} must be 2-D (samples x features); got shape {shape}")
    expected = int(np.prod(shape)) * dtype.itemsize
    if len(data) - fh.tell() != expected:
        raise UploadError(
            f"{name}: {key} declares shape {shape} ({expected} bytes) but holds "
            f"{len(data) - fh.tell()} bytes"
        )
    arr = np.frombuffer(data, dtype=dtype, count=int(np.prod(shape)), offset=fh.tell())
    arr = arr.reshape(shape, order="F" if fortran else "C")
    return np.asarray(arr, dtype=np.float64)


def parse_npz(name: str, raw: bytes) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Arrays X and Y from an NPZ: members, sizes and headers checked before anything is
    decompressed or loaded, never with pickle."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as zf:
            members = _npz_members(name, zf)
            data = {}
            for key, info in members.items():
                with zf.open(info) as fh:
                    data[key] = fh.read(MAX_NPZ_MEMBER_BYTES + 1)
    except UploadError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
        raise UploadError(f"{name} is not an NPZ (zip) file that can be read ({exc})") from None
    except Exception as exc:  # zlib.error and the like: a damaged archive
        raise UploadError(f"{name} is damaged ({type(exc).__name__})") from None
    X, Y = (_npy(name, k, data[k]) for k in NPZ_MEMBERS)
    for key, arr in (("X", X), ("Y", Y)):
        bad = np.argwhere(~np.isfinite(arr))
        if bad.size:
            i, j = bad[0]
            raise UploadError(f"{name}: {key} row {i + 1}, column {j + 1} is NaN or Inf")
    return X, Y


def check_shapes(X: NDArray, Y: NDArray, names: tuple[str, str]) -> None:
    """Samples are rows: both files need the same number of rows."""
    (mx, dx), (my, dy) = X.shape, Y.shape
    if mx != my:
        hint = (
            " They have the same number of columns: are they transposed? Put one sample per row."
            if X.shape[1] == Y.shape[1] or (dx == my or dy == mx)
            else ""
        )
        raise UploadError(
            f"{names[0]} has {mx} rows (samples) but {names[1]} has {my}; each "
            f"sample is one row in both.{hint}"
        )
    if mx > MAX_M:
        raise UploadError(f"{mx} samples; the interactive limit is {MAX_M}")
    if dx > MAX_DX or dy > MAX_DY:
        raise UploadError(
            f"{names[0]} has {dx} and {names[1]} {dy} columns; the explorer takes at most "
            f"{MAX_DX} inputs and {MAX_DY} outputs"
        )
    if mx < dx:
        raise UploadError(
            f"too few samples: {mx} rows in {names[0]} for {dx} input columns "
            f"(Assumption 1 needs m >= dx); did you mean to transpose?"
        )


def parse_upload(files: list[tuple[str, str]]) -> tuple[NDArray, NDArray]:
    """(name, Dash contents) pairs -> X (m, dx), Y (m, dy). One NPZ, or two CSVs named X*, Y*."""
    if len(files) == 1 and files[0][0].lower().endswith(".npz"):
        name, contents = files[0]
        X, Y = parse_npz(name, _decode(name, contents))
        check_shapes(X, Y, (f"{name}:X", f"{name}:Y"))
        return X, Y
    csvs = {n: c for n, c in files if n.lower().endswith(".csv")}
    xs = [n for n in csvs if Path(n).stem.lower().startswith("x")]
    ys = [n for n in csvs if Path(n).stem.lower().startswith("y")]
    if len(files) != 2 or len(xs) != 1 or len(ys) != 1:
        raise UploadError(
            "upload one .npz with arrays X and Y, or two CSV files whose names "
            "start with X and Y (e.g. X.csv and Y.csv)"
        )
    X = parse_csv(xs[0], _decode(xs[0], csvs[xs[0]]))
    Y = parse_csv(ys[0], _decode(ys[0], csvs[ys[0]]))
    check_shapes(X, Y, (xs[0], ys[0]))
    return X, Y


def store(X: NDArray, Y: NDArray) -> str:
    """Save (X, Y) by content; returns the SHA-256 hex of the canonical bytes."""
    X, Y = np.ascontiguousarray(X, dtype="<f8"), np.ascontiguousarray(Y, dtype="<f8")
    h = hashlib.sha256()
    for arr in (X, Y):
        h.update(str(arr.shape).encode())
        h.update(arr.tobytes())
    digest = h.hexdigest()
    path = data_dir() / f"{digest}.npz"
    if not path.exists():
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, X=X, Y=Y)
        os.replace(tmp, path)
    os.utime(path)  # refreshed on every store: the expiry counts from the last upload
    return digest


def load(digest: str) -> tuple[NDArray, NDArray]:
    """The data behind a hash, or an UploadError saying it expired or is unknown here."""
    if len(digest) != HASH_CHARS or any(c not in "0123456789abcdef" for c in digest):
        raise UploadError("the data link is malformed (not a SHA-256)")
    path = data_dir() / f"{digest}.npz"
    ttl = float(os.environ.get("LINFLOW_DATA_TTL", DATA_TTL))
    if path.exists() and time.time() - path.stat().st_mtime > ttl:
        path.unlink(missing_ok=True)
    if not path.exists():
        raise UploadError(
            f"the uploaded data of this link ({digest[:12]}...) has expired or is "
            "not on this server; upload it again"
        )
    with np.load(path, allow_pickle=False) as data:
        return np.array(data["X"]), np.array(data["Y"])
