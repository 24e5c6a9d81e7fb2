"""Access control of a hosted instance: an optional login on every route, per-client limits."""

from __future__ import annotations

import base64
import subprocess
import sys

import pytest

from app.hosting.access import AccessError, password_line, read_users
from app.hosting.server import create_app
from tests.app.hosting.fuzz import body

PASSWORD = "correct horse battery"
# Every kind of route: pages, Dash's own routes, assets, readiness, the callback route (which
# also serves every download).
PROTECTED = ["/", "/basin", "/about", "/_dash-layout", "/_dash-dependencies", "/health/ready"]


def _basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def _app(tmp_path, monkeypatch, **env: str):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return create_app(cache_dir=str(tmp_path / "cache")).server.test_client()


def _download_body(client) -> dict:
    """The explorer's CSV download: a callback request whose answer is the data."""
    deps = client.get("/_dash-dependencies", headers=client.auth).get_json()
    dep = next(d for d in deps if "download" in d["output"] and "csv" in str(d["inputs"]))
    return body(dep, {f"{dep['inputs'][0]['id']}.n_clicks": 1})


@pytest.fixture
def auth_file(tmp_path):
    path = tmp_path / "users"
    path.write_text("# collaborators\n" + password_line("ada", PASSWORD) + "\n")
    return path


def test_with_an_auth_file_every_route_asks_for_a_login(tmp_path, monkeypatch, auth_file):
    """Issue 16: a hosted instance had no access control at all."""
    client = _app(tmp_path, monkeypatch, LINFLOW_AUTH_FILE=str(auth_file))
    client.auth = _basic("ada", PASSWORD)
    for path in [*PROTECTED, "/assets/style.css"]:
        r = client.get(path)
        assert r.status_code == 401 and "Basic" in r.headers["WWW-Authenticate"], path
        assert client.get(path, headers=_basic("ada", "wrong password")).status_code == 401
        assert client.get(path, headers=_basic("eve", PASSWORD)).status_code == 401
    for path in PROTECTED:
        assert client.get(path, headers=client.auth).status_code == 200, path
    download = _download_body(client)
    assert client.post("/_dash-update-component", json=download).status_code == 401
    r = client.post("/_dash-update-component", json=download, headers=client.auth)
    assert r.status_code == 200
    assert client.get("/health").status_code == 200  # liveness stays open (it says only "ok")


def test_a_proxy_login_is_trusted_through_its_header(tmp_path, monkeypatch):
    client = _app(tmp_path, monkeypatch, LINFLOW_AUTH_HEADER="X-Remote-User")
    for path in PROTECTED:
        assert client.get(path).status_code == 403
        assert client.get(path, headers={"X-Remote-User": " "}).status_code == 403
        assert client.get(path, headers={"X-Remote-User": "ada"}).status_code == 200


def test_bad_login_settings_are_refused_with_a_reason(tmp_path, monkeypatch, auth_file):
    bad = tmp_path / "bad"
    bad.write_text("ada plain-password\n")
    with pytest.raises(AccessError, match="line 1: expected user:hash"):
        read_users(str(bad))
    monkeypatch.setenv("LINFLOW_AUTH_HEADER", "X-Remote-User")
    monkeypatch.setenv("LINFLOW_AUTH_FILE", str(auth_file))
    with pytest.raises(AccessError, match="not both"):
        create_app(cache_dir=str(tmp_path / "cache"))
    with pytest.raises(AccessError, match="8 characters"):
        password_line("ada", "short")


def test_linflow_passwd_prints_a_line_that_logs_in(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "app.cli", "passwd", "ada"],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    from werkzeug.security import check_password_hash

    users = read_users(_write(tmp_path / "users", out.stdout))
    assert check_password_hash(users["ada"], PASSWORD)
    assert not check_password_hash(users["ada"], PASSWORD + "x")


def _write(path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("backend", ["disk", "redis"])
def test_computations_are_limited_per_client(backend, request, tmp_path, monkeypatch):
    """Issue 16: any client could start computations without limit."""
    env = {"LINFLOW_AUTH_HEADER": "X-Remote-User", "LINFLOW_RATE_PER_MINUTE": "3"}
    if backend == "redis":
        env["LINFLOW_REDIS_URL"] = request.getfixturevalue("redis_url")
    client = _app(tmp_path, monkeypatch, **env)
    ada, bob = {"X-Remote-User": "ada"}, {"X-Remote-User": "bob"}
    client.auth = ada
    call = _download_body(client)
    for _ in range(3):
        assert client.post("/_dash-update-component", json=call, headers=ada).status_code == 200
    r = client.post("/_dash-update-component", json=call, headers=ada)
    assert r.status_code == 429 and "at most 3 a minute" in r.get_data(as_text=True)
    assert 1 <= int(r.headers["Retry-After"]) <= 61
    assert client.post("/_dash-update-component", json=call, headers=bob).status_code == 200
    assert client.get("/", headers=ada).status_code == 200  # pages are not computations
    poll = client.post("/_dash-update-component?cacheKey=x&job=y", json=call, headers=ada)
    assert poll.status_code != 429  # a running job's polls are not counted


@pytest.mark.browser
def test_a_logged_in_browser_uses_the_whole_app(tmp_path, monkeypatch, auth_file, browser_context):
    """The login covers the callback route, and a browser with the credentials draws views.
    The session's Chromium is used (a second Playwright in one thread is refused), the
    credentials sent as the Basic header Chromium would send."""
    import base64

    from app.explorer import ids
    from app.hosting.local import serving
    from tests.app.conftest import wait_drawn

    monkeypatch.setenv("LINFLOW_AUTH_FILE", str(auth_file))
    app = create_app(cache_dir=str(tmp_path / "cache"))
    basic = "Basic " + base64.b64encode(f"ada:{PASSWORD}".encode()).decode()
    with serving(app) as url:
        page = browser_context.new_page()
        try:
            page.set_extra_http_headers({"Authorization": basic})  # every request, XHR too
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(url + "/")
            wait_drawn(page, ids.LOSS_GRAPH)
            assert errors == []
        finally:
            page.close()
        page = browser_context.new_page()  # no credentials: refused
        try:
            try:
                response = page.goto(url + "/")
            except Exception as exc:  # Chromium may turn the 401 into a navigation error
                assert "ERR_INVALID_AUTH_CREDENTIALS" in str(exc)
            else:
                assert response is not None and response.status == 401
        finally:
            page.close()
