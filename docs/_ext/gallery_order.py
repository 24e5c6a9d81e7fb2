"""The gallery's reading order: the staircase first, then what the Hessian says at its rungs,
then many runs at once. Scripts not listed follow, by file name."""

from __future__ import annotations

ORDER = ("plot_staircase.py", "plot_proposition5.py", "plot_basin_fraction.py")


class GalleryOrder:
    """A sphinx-gallery ``within_subsection_order`` key."""

    def __init__(self, src_dir: str) -> None:
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        rank = ORDER.index(filename) if filename in ORDER else len(ORDER)
        return (rank, filename)
