"""How much room a piece of text takes at print size, so that margins, legends and labels can be
laid out before the browser draws them (the figure lint then measures what was drawn).

Widths are the advance widths of Liberation Sans and Liberation Serif (metric-compatible with
Helvetica/Arial and Times New Roman, the fonts of :data:`app.export.style.FONTS`; DejaVu for the
few symbols Liberation lacks), in thousandths of an em, read from the font files with PyMuPDF
(``pymupdf.Font(fontfile=...).text_length(ch, fontsize=1)``). Plotly's rich text is reduced
to what is drawn: ``<br>`` breaks lines, ``<sup>``/``<sub>`` are 70 % size.
"""

from __future__ import annotations

import re

_CHARS = "".join(chr(c) for c in range(32, 127)) + "αβλ‖−·…×≤≥²³¹↓"
_SANS = (
    "278 278 355 556 556 889 667 191 333 333 389 584 278 333 278 278 556 556 556 556 556 556 556 "
    "556 556 556 278 278 584 584 584 556 1015 667 667 722 722 667 611 778 722 278 500 667 556 833 "
    "722 778 667 778 722 667 611 722 667 944 667 667 611 278 278 278 469 556 333 556 556 500 556 "
    "556 278 556 556 222 222 500 222 833 556 556 556 556 333 500 278 556 500 722 500 500 500 334 "
    "260 334 584 578 575 500 500 584 278 1000 584 549 549 333 333 333 500"
)
_SERIF = (
    "250 333 408 500 500 833 778 180 333 333 500 564 250 333 250 278 500 500 500 500 500 500 500 "
    "500 500 500 278 278 564 564 564 444 921 722 667 667 722 611 556 722 722 333 389 722 611 889 "
    "722 722 556 722 667 556 611 722 722 944 722 722 611 333 278 333 469 500 333 444 500 444 500 "
    "444 333 500 500 278 278 500 278 778 500 500 500 500 333 389 278 500 500 722 500 500 444 480 "
    "200 480 541 524 509 485 500 564 250 1000 564 549 549 300 300 300 500"
)
WIDTHS = {
    family: dict(zip(_CHARS, (int(w) / 1000 for w in table.split()), strict=True))
    for family, table in (("sans", _SANS), ("serif", _SERIF))
}
UNKNOWN_EM = 0.6  # a character outside the tables: wider than most, so layouts err roomy
LINE_EM = 1.3  # plotly's line height for multi-line text
SCRIPT = 0.7  # plotly draws <sup> and <sub> at 70 %
_TAG = re.compile(r"<(/?)(sup|sub|b|i|span)[^>]*>", re.IGNORECASE)


def _line_width(line: str, family: str, script: float = SCRIPT) -> float:
    table, width, scale, pos = WIDTHS[family], 0.0, 1.0, 0
    for m in [*_TAG.finditer(line), None]:
        chunk = line[pos : m.start()] if m else line[pos:]
        width += scale * sum(table.get(ch, UNKNOWN_EM) for ch in chunk)
        if m is None:
            break
        if m.group(2).lower() in ("sup", "sub"):
            scale = 1.0 if m.group(1) else script
        pos = m.end()
    return width


def lines(text: str) -> list[str]:
    """The lines plotly draws for ``text`` (``<br>`` separated)."""
    return re.split(r"<br\s*/?>", text or "", flags=re.IGNORECASE)


def text_width(text: str, size_px: float, family: str = "sans", script: float = SCRIPT) -> float:
    """Width in px of the widest line of ``text`` at ``size_px`` (``<sup>``/``<sub>`` at
    ``script`` of it: plotly's 70 %, unless the label sets its own exponent size)."""
    return size_px * max(_line_width(line, family, script) for line in lines(text))


def text_height(text: str, size_px: float) -> float:
    """Height in px of ``text``'s lines at plotly's line spacing."""
    return size_px * LINE_EM * len(lines(text))
