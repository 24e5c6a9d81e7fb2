"""Uploads: every malformed kind refused with file, row and column; content-addressed storage."""

from __future__ import annotations

import base64
import io
import os
import time
import zipfile

import numpy as np
import pytest

from app.computation import build_problem
from app.explorer import uploading as callbacks
from app.state import AppState, decode, encode
from app.uploads import UploadError, load, parse_upload, store


@pytest.fixture(autouse=True)
def _data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LINFLOW_CACHE_DIR", str(tmp_path))


def _b64(raw: bytes) -> str:
    return "data:application/octet-stream;base64," + base64.b64encode(raw).decode()


def _csv(rows) -> str:
    return _b64("\n".join(",".join(str(c) for c in r) for r in rows).encode())


def _good(m=12, dx=4, dy=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((m, dx)), rng.standard_normal((m, dy))


def _upload_csv(X, Y, header=False):
    xrows = ([[f"x{j}" for j in range(X.shape[1])]] if header else []) + X.tolist()
    return parse_upload([("X.csv", _csv(xrows)), ("Y.csv", _csv(Y.tolist()))])


def test_good_csv_and_npz_round_trip():
    X, Y = _good()
    X2, _ = _upload_csv(X, Y, header=True)
    np.testing.assert_array_equal(X2, X)
    buf = io.BytesIO()
    np.savez(buf, X=X, Y=Y)
    _, Y3 = parse_upload([("data.npz", _b64(buf.getvalue()))])
    np.testing.assert_array_equal(Y3, Y)
    digest = store(X, Y)
    assert digest == store(X.copy(), Y.copy()) and len(digest) == 64
    np.testing.assert_array_equal(load(digest)[0], X)


@pytest.mark.parametrize(
    ("files", "fragment"),
    [
        (
            [("X.csv", _csv([[1, 2], [3]])), ("Y.csv", _csv([[1], [2]]))],
            "X.csv row 2 has 1 columns",
        ),
        (
            [("X.csv", _csv([[1, 2], [3, "abc"]])), ("Y.csv", _csv([[1], [2]]))],
            "X.csv row 2, column 2: 'abc' is not a number",
        ),
        (
            [("X.csv", _csv([[1, 2], [3, "nan"]])), ("Y.csv", _csv([[1], [2]]))],
            "row 2, column 2 is nan (NaN or Inf)",
        ),
        ([("X.csv", _csv([[1, 2], [3, "inf"]])), ("Y.csv", _csv([[1], [2]]))], "NaN or Inf"),
        (
            [("X.csv", _csv([[1, 2, 3, 4]] * 2)), ("Y.csv", _csv([[1, 2]] * 4))],
            "are they transposed",
        ),
        ([("X.csv", _csv([[1, 2, 3, 4]] * 3)), ("Y.csv", _csv([[1]] * 3))], "too few samples"),
        ([("A.csv", _csv([[1]])), ("B.csv", _csv([[1]]))], "names start with X and Y"),
        ([("X.csv", _b64(b"\xff\xfe\x00bad")), ("Y.csv", _csv([[1]]))], "not UTF-8"),
        ([("data.npz", _b64(b"not a zip"))], "not an NPZ"),
    ],
)
def test_malformed_uploads_name_what_is_wrong(files, fragment):
    with pytest.raises(UploadError) as err:
        parse_upload(files)
    assert fragment in str(err.value)


def test_oversize_and_pickle_inside_npz_are_refused():
    big = _b64(b"1," * 800_000)
    with pytest.raises(UploadError, match=r"uploads are limited to 1\.4 MB"):
        parse_upload([("X.csv", big), ("Y.csv", _csv([[1]]))])
    buf = io.BytesIO()
    np.savez(buf, X=np.array([[{"a": 1}]], dtype=object), Y=np.ones((1, 1)))
    with pytest.raises(UploadError, match="pickle, which is refused"):
        parse_upload([("evil.npz", _b64(buf.getvalue()))])
    buf = io.BytesIO()
    np.savez(buf, X=np.ones((3, 2)))
    with pytest.raises(UploadError, match="needs arrays named X and Y"):
        parse_upload([("one.npz", _b64(buf.getvalue()))])


def test_assumption_failures_come_from_core():
    X, Y = _good()
    X[:, 3] = X[:, 2]  # rank deficient
    out = callbacks.upload_data(
        [_csv(X.tolist()), _csv(Y.tolist())],
        ["X.csv", "Y.csv"],
        encode(AppState(depth=1, widths=(3,))),
    )
    assert "Assumption 2" in out[1]
    X, _ = _good()
    Yrep = np.zeros((12, 2))
    Yrep[:, 0], Yrep[:, 1] = X[:, 0], X[:, 1] * 0 + X[:, 0] * 0  # second target zero: rank
    out = callbacks.upload_data(
        [_csv(X.tolist()), _csv(Yrep.tolist())], ["X.csv", "Y.csv"], encode(AppState())
    )
    assert out[0] is callbacks.no_update and "Upload refused" in out[1]


def test_upload_switches_the_view_and_the_link_carries_the_hash():
    X, Y = _good(m=30, dx=5, dy=3)
    query, status = callbacks.upload_data(
        [_csv(X.tolist()), _csv(Y.tolist())], ["X.csv", "Y.csv"], encode(AppState())
    )
    assert status.startswith("Loaded 30 samples")
    state, notices = decode(query)
    assert notices == [] and state.source == "upload" and (state.dx, state.dy) == (5, 3)
    p = build_problem(state)
    np.testing.assert_allclose(p.X, X.T)
    assert len(state.data_hash) == 64 and state.data_hash in query


def test_expired_data_says_so(monkeypatch):
    X, Y = _good()
    digest = store(X, Y)
    path = next(p for p in os.listdir(os.environ["LINFLOW_CACHE_DIR"] + "/data"))
    old = time.time() - 10
    os.utime(os.path.join(os.environ["LINFLOW_CACHE_DIR"], "data", path), (old, old))
    monkeypatch.setenv("LINFLOW_DATA_TTL", "1")
    with pytest.raises(UploadError, match="has expired or is not on this server"):
        load(digest)
    with pytest.raises(UploadError, match="malformed"):
        load("../etc/passwd")


def test_repeated_singular_values_are_refused_as_core_says():
    q, _ = np.linalg.qr(np.random.default_rng(1).standard_normal((12, 4)))
    out = callbacks.upload_data(
        [_csv(q.tolist()), _csv(q[:, :2].tolist())], ["X.csv", "Y.csv"], encode(AppState())
    )
    assert "Assumption 3" in out[1] and "distinct singular values" in out[1]


def _zip(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def test_an_npz_holding_x_twice_is_refused():
    """Issue 16: with members X and X.npy one was checked and the other loaded."""
    X, Y = _good()
    raw = _zip({"X.npy": _npy_bytes(X), "Y.npy": _npy_bytes(Y), "X": _npy_bytes(np.ones((9, 9)))})
    with pytest.raises(UploadError, match="holds X twice"):
        parse_upload([("two.npz", _b64(raw))])
    raw = _zip({"X.npy": _npy_bytes(X), "Y.npy": _npy_bytes(Y), "notes.txt": b"hi"})
    with pytest.raises(UploadError, match="only the arrays X and Y"):
        parse_upload([("extra.npz", _b64(raw))])


def test_a_compression_bomb_is_refused_before_it_is_unpacked():
    """Issue 16: a 4.8 KB bzip2 NPZ took a worker to 2 GB."""
    header = _npy_bytes(np.zeros((1, 1)))[:-8].replace(b"(1, 1)", b"(4000000, 6)")
    cases = ((zipfile.ZIP_BZIP2, "compressed unusually"), (zipfile.ZIP_DEFLATED, "unpacks to 20"))
    for method, why in cases:
        bomb = _zip({"X.npy": header + b"\0" * 20_000_000, "Y.npy": b"\0"}, method)
        assert len(bomb) < 100_000
        t0 = time.perf_counter()
        with pytest.raises(UploadError, match=why):
            parse_upload([("bomb.npz", _b64(bomb))])
        assert time.perf_counter() - t0 < 0.5  # refused from the directory, nothing unpacked


def test_what_is_loaded_is_what_was_checked():
    X, Y = _good()
    lying = bytearray(_npy_bytes(X))
    lying = bytes(lying).replace(b"(12, 4)", b"(10, 4)")  # header says fewer rows than held
    with pytest.raises(UploadError, match=r"declares shape \(10, 4\)"):
        parse_upload([("lying.npz", _b64(_zip({"X.npy": lying, "Y.npy": _npy_bytes(Y)})))])
    short = _npy_bytes(X)[:-8]
    with pytest.raises(UploadError, match="holds"):
        parse_upload([("short.npz", _b64(_zip({"X.npy": short, "Y.npy": _npy_bytes(Y)})))])
    good = _zip({"X.npy": _npy_bytes(X), "Y.npy": _npy_bytes(Y)})
    Xl, Yl = parse_upload([("good.npz", _b64(good))])
    np.testing.assert_array_equal(Xl, X)
    np.testing.assert_array_equal(Yl, Y)


def test_malformed_npz_files_are_refused_with_a_message():
    from tests.app.hosting.fuzz import malformed_uploads

    for name, contents in malformed_uploads():
        with pytest.raises(UploadError):
            parse_upload([(name, contents)])
