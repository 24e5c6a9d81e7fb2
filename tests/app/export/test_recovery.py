"""A failed export does not leave the app's exporter broken."""

import pytest

from app.export import ExportError, export_image
from app.export import exporter as exporter_module
from app.state import AppState
from app.views import figures


def test_exporter_recovers_after_a_timeout(monkeypatch):
    fig = figures(AppState(), ["loss"])["loss"]
    fig.update_layout(width=300, height=200)
    exporter_module.close_exporter()
    monkeypatch.setenv(exporter_module.TIMEOUT_ENV, "0.0001")
    with pytest.raises(ExportError, match=r"at most 0\.0001 s"):
        export_image(fig, "svg")
    monkeypatch.delenv(exporter_module.TIMEOUT_ENV)
    assert export_image(fig, "svg").lstrip().startswith(b"<svg")
