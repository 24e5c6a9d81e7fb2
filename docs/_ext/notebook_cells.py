"""A small Sphinx directive that shows a notebook's cells on a page, without pandoc.

``.. notebook-cells:: path/to/notebook.ipynb`` renders every code cell as a Python code block
and every Markdown cell as text. The Markdown is read as reStructuredText after two
translations, which is all linflow's notebooks use: headings become rubrics (the notebook's
title, a level-1 heading, is left to the page) and `code` becomes ``code``. Outputs are not
shown (the notebooks are stored without them).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
CODE = r"``\1``"


def markdown_to_rst(text: str) -> list[str]:
    """The notebooks' Markdown (headings, paragraphs, lists, `code`, **bold**) as RST lines."""
    out: list[str] = []
    for line in text.splitlines():
        m = HEADING.match(line)
        if m and len(m.group(1)) == 1:
            continue  # the notebook's title: the page has its own
        if m:
            out += ["", ".. rubric:: " + INLINE_CODE.sub(CODE, m.group(2)), ""]
        else:
            out.append(INLINE_CODE.sub(CODE, line))
    return [*out, ""]


class NotebookCells(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self) -> list[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0])
        self.env.note_dependency(rel)
        cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
        result: list[nodes.Node] = []
        for cell in cells:
            source = "".join(cell["source"])
            if cell["cell_type"] == "code":
                block = nodes.literal_block(source, source, language="python")
                result.append(block)
            elif cell["cell_type"] == "markdown":
                container = nodes.container(classes=["notebook-markdown"])
                lines = StringList(markdown_to_rst(source), source=path)
                self.state.nested_parse(lines, self.content_offset, container)
                result.extend(container.children)
        return result


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("notebook-cells", NotebookCells)
    return {"version": "1.0", "parallel_read_safe": True}
