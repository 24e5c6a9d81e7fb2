"""What a preset is: a named state, its text, and the stages of its story."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.state import AppState, Point


@dataclass(frozen=True)
class Stage:
    """One step of a story: what to notice, at which point (its time sets the cursor), and the
    settings this stage changes from the preset's state, as (field, value) pairs."""

    text: str
    point: str = "limit"
    settings: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Preset:
    title: str
    state: AppState
    text: str
    stages: tuple[Stage, ...] = ()

    def at_step(self, step: int) -> AppState:
        """The preset's state at a step of its story (0: the beginning)."""
        if step == 0 or not self.stages:
            return self.state
        k = min(step, len(self.stages))
        stage = self.stages[k - 1]
        return self.state.replace(step=k, point=Point.parse(stage.point), **dict(stage.settings))


def preset_state(name: str, **kw: object) -> AppState:
    """The state of the preset ``name``: the defaults with ``kw`` changed."""
    return AppState(preset=name, **kw)  # type: ignore[arg-type]
