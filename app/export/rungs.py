"""Rung labels of the loss figure at print size: right of the axes, each at its rung's height.

On screen the labels are merged for a 300 px plot; a printed plot is shorter, so they are laid
out again: rungs closer than half a line share a line ("{}, {3}"), lines are then spread apart
just enough not to overlap (each cluster of lines centred on its rungs), and a label moved off
its rung gets a short leader line to it. The note of a log axis on the rung at L = 0 ("L = 0 ↓")
stays at the bottom and takes part in the spreading. Long runs of indices are written as papers
write them ("{1,…,4}"): the label column is the width the plot loses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go

from app.export.layout import Axis
from app.export.metrics import LINE_EM, text_width

RUNG_TRACES = ("critical values (ladder)", "critical values")
INK = "#444"
GAP = 3.0  # px between the axes and the labels
LEADER_GAP = 7.0  # px, when leader lines are drawn in the gap
MOVED = 0.3  # a label this many lines off its rung gets a leader
SAME_LINE = 0.5  # rungs closer than this many lines share one
BUDGET = 0.12  # a shared line is at most this fraction of the figure's width
ATTEMPTS = 8  # widenings of "the same height" to fit every label (then the visited rungs')


@dataclass(frozen=True)
class Side:
    """What sits right of the axes: its width in px, annotations and shapes."""

    width: float = 0.0
    annotations: list[dict[str, Any]] = field(default_factory=list)
    shapes: list[dict[str, Any]] = field(default_factory=list)


def rungs(fig: go.Figure) -> list[tuple[str, float]]:
    """(label, value) of every rung drawn by the loss figure's ladder trace."""
    tr = next((t for t in fig.data if t.name in RUNG_TRACES), None)
    if tr is None or tr.y is None or tr.hovertext is None:
        return []
    out: dict[str, float] = {}
    for y, text in zip(tr.y, tr.hovertext, strict=False):
        m = re.match(r"rung S = (\{[^}]*\})", text or "")
        if m and y is not None:
            out.setdefault(m.group(1), float(y))
    return list(out.items())


def compact(label: str) -> str:
    """Runs of four or more consecutive indices shortened: "{1,2,3,4,6}" -> "{1,…,4,6}"."""

    def shorten(m: re.Match[str]) -> str:
        nums = [int(x) for x in m.group(1).split(",") if x]
        parts: list[str] = []
        i = 0
        while i < len(nums):
            j = i
            while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
                j += 1
            run = nums[i : j + 1]
            parts.extend([f"{run[0]},…,{run[-1]}"] if len(run) >= 4 else map(str, run))
            i = j + 1
        return "{" + ",".join(parts) + "}"

    return re.sub(r"\{([\d,]*)\}", shorten, label)


def spread(desired: list[float], heights: list[float], lo: float, hi: float) -> list[float]:
    """Centres for boxes of ``heights`` wanted at ``desired`` (ascending), none overlapping,
    within [lo, hi]: clusters of touching boxes, each placed so its members are displaced by
    zero on average (then clamped)."""
    clusters: list[list[int]] = []
    starts: list[float] = []

    def place(c: list[int]) -> float:
        offs = np.cumsum([0.0] + [heights[k] for k in c[:-1]])
        centres = offs + np.array([heights[k] for k in c]) / 2
        start = float(np.mean([desired[k] for k in c] - centres))
        total = float(sum(heights[k] for k in c))
        return min(max(start, lo), max(lo, hi - total))

    for i in range(len(desired)):
        clusters.append([i])
        starts.append(place([i]))
        while len(clusters) > 1:
            prev, last = clusters[-2], clusters[-1]
            end = starts[-2] + sum(heights[k] for k in prev)
            if end <= starts[-1]:
                break
            clusters[-2:] = [prev + last]
            starts[-2:] = [place(clusters[-1])]
    out = [0.0] * len(desired)
    for c, start in zip(clusters, starts, strict=True):
        y = start
        for k in c:
            out[k] = y + heights[k] / 2
            y += heights[k]
    return out


def _lines(items: list[tuple[str, float]], px: float, family: str, budget: float, near: float):
    """Rungs (label, desired px) grouped into lines: neighbours within ``near`` px that fit."""
    lines: list[list[tuple[str, float]]] = []
    for name, y in items:
        if lines:
            last = lines[-1]
            text = ", ".join([n for n, _ in last] + [name])
            if y - last[0][1] < near and text_width(text, px, family) <= budget:
                last.append((name, y))
                continue
        lines.append([(name, y)])
    return lines


def rung_labels(
    fig: go.Figure,
    px: float,
    family: str,
    top: float,
    bottom: float,
    yax: Axis,
    height: float,
    pad: float,
) -> Side:
    """Rung labels for a plot spanning ``top``-``bottom`` px in a figure ``height`` px tall."""
    notes = [a for a in fig.layout.annotations if (a.name or "").startswith("rung")]
    hidden = [a for a in notes if a.yref == "paper"]
    found = rungs(fig)
    if not notes or not found:
        return Side()
    line_h = LINE_EM * px
    values = np.array([v for _, v in found])
    ys = yax.to_px(values, top, bottom - top, flip=True)
    items = sorted(
        (
            (compact(n), float(y))
            for (n, _), y in zip(found, ys, strict=True)
            if top - 1 <= y <= bottom + 1
        ),
        key=lambda r: r[1],
    )
    meta = fig.layout.meta if isinstance(fig.layout.meta, dict) else {}
    visited = {compact(n) for n in meta.get("visited") or ()}
    budget = max(BUDGET * fig.layout.width, *(text_width(n, px, family) for n, _ in items))
    near = SAME_LINE * line_h
    for attempt in range(2 * ATTEMPTS):
        # Widen "the same height" until the labels fit the figure's height. A ladder too dense
        # for that (the semantic data set's 32 rungs overflowed the figure) keeps the labels of
        # the saddles the run visited (its plateaus), and tries again.
        if attempt == ATTEMPTS:
            items = [(n, y) for n, y in items if n in visited]
            near = SAME_LINE * line_h
        lines = _lines(items, px, family, budget, near)
        texts = [", ".join(n for n, _ in ln) for ln in lines]
        desired = [float(np.mean([y for _, y in ln])) for ln in lines]
        heights = [line_h] * len(lines)
        for a in hidden:
            text = compact(str(a.text).replace("L = 0 below", "L = 0 ↓"))  # narrower, the same
            h = line_h * len(text.split("<br>"))
            texts.append(text)
            desired.append(bottom - h / 2)
            heights.append(h)
        if sum(heights) <= height - 2 * pad:
            break
        near *= 1.6
    order = sorted(range(len(desired)), key=lambda k: desired[k])
    placed = spread([desired[k] for k in order], [heights[k] for k in order], pad, height - pad)
    centre = {k: placed[i] for i, k in enumerate(order)}
    moved = [
        (y, centre[k])
        for k, ln in enumerate(lines)
        for _, y in ln
        if abs(centre[k] - y) > MOVED * line_h
    ]
    gap = LEADER_GAP if moved else GAP
    anns = [
        {
            "x": 1.0,
            "xref": "paper",
            "xanchor": "left",
            "xshift": gap,
            "y": (bottom - centre[k]) / (bottom - top),
            "yref": "y domain",
            "yanchor": "middle",
            "text": text,
            "showarrow": False,
            "align": "left",
            "font": {"size": px, "color": INK},
        }
        for k, text in enumerate(texts)
    ]
    shapes = [
        {
            "type": "line",
            "xref": "paper",
            "xsizemode": "pixel",
            "xanchor": 1.0,
            "x0": 0.5,
            "x1": gap - 1.0,
            "yref": "y domain",
            "y0": (bottom - y0) / (bottom - top),
            "y1": (bottom - y1) / (bottom - top),
            "line": {"color": INK, "width": 0.6},
        }
        for y0, y1 in moved
    ]
    width = max(text_width(t, px, family) for t in texts)
    return Side(gap + width + 1.0, anns, shapes)
