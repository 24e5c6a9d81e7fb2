"""The example notebook (docs/notebooks/explorer_in_jupyter.ipynb) runs top to bottom in a fresh
kernel: the engine, the explorer's figure, and the explorer itself served by Dash's
``jupyter_mode`` on loopback, which answers HTTP 200 from inside the notebook."""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from traitlets.config import Config

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "notebooks" / "explorer_in_jupyter.ipynb"
CELL_TIMEOUT = 120  # seconds; the slowest cell (starting the explorer) takes a few


def _outputs(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def test_the_notebook_is_stored_clean() -> None:
    """No outputs or execution counts in the repository: the docs show the cells only."""
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


@pytest.mark.slow
def test_the_notebook_runs_and_the_explorer_answers(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    # The kernel talks over Unix sockets in tmp_path (no TCP port), and sees no LINFLOW_*
    # setting of the caller's (no Redis: the explorer uses its embedded defaults).
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(tmp_path / "kernel")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINFLOW_")}
    client = NotebookClient(
        nb,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        config=config,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=env)  # raises CellExecutionError on the first failing cell

    outputs = _outputs(nb)
    assert not [out for out in outputs if out.output_type == "error"]
    text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "converged" in text
    assert "{1,2}" in text  # the plateaus cell printed the staircase of saddles
    plotly = [out for out in outputs if "application/vnd.plotly.v1+json" in out.get("data", {})]
    assert plotly, "the loss figure was not displayed"
    served = re.search(r"Dash app running on http://127\.0\.0\.1:(\d+)/", text)
    assert served, text
    assert "GET /health: HTTP 200" in text
    assert "GET /: HTTP 200" in text

    # nbclient shut the kernel down, and the explorer's server thread went with it: nothing
    # is left listening and nothing keeps this process waiting.
    assert client.km is None or not client.km.has_kernel
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", int(served.group(1)))) != 0
