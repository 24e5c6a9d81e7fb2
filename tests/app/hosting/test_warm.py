from dash import no_update

from app.explorer import callbacks, panels
from app.hosting.server import create_app, warm
from app.state import AppState, encode


def test_a_started_server_has_drawn_the_default_view(tmp_path, monkeypatch):
    app = create_app(cache_dir=str(tmp_path))
    warm(app).join(timeout=60)

    def no_drawing(*args, **kwargs):
        raise AssertionError("the default view was drawn again")

    monkeypatch.setattr(panels, "figures", no_drawing)
    with app.server.app_context():
        out = callbacks.render(encode(AppState()), None)
    assert out["error"] == "" and "reached the global minimum" in out["status"]
    # The run's end too: the first visitor's view is one request, every panel drawn.
    assert out["end_pending"] is no_update and out["hessian"]["data"]
    assert out["trajectory"]["layout"]["meta"]["times"]
