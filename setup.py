"""Builds the compiled flow kernel (core/_flownet.c, _flowgemm.c, _flowstage.c, _flowkernel.c),
which core/kernel.py loads with ctypes, and ships the app's browser assets; everything else is in
pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

# The explorer's scripts and style sheet live in the top-level assets/ (served from the checkout
# by `make serve`); an sdist carries them as they are, a wheel as app/_assets (app.paths).
ASSET_SUFFIXES = (".js", ".css")


def asset_files() -> list[Path]:
    return [p for p in sorted(Path("assets").iterdir()) if p.suffix in ASSET_SUFFIXES]


class SdistWithAssets(sdist):
    # assets/ is not a package, so an sdist would leave it out (and no wheel could be built).
    def make_release_tree(self, base_dir: str, files: list[str]) -> None:
        super().make_release_tree(base_dir, files)
        (Path(base_dir) / "assets").mkdir(exist_ok=True)
        for path in asset_files():
            shutil.copy2(path, Path(base_dir) / path)


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads assets/ in the checkout
            return
        if not Path("assets/lazy_graphs.js").is_file():
            raise RuntimeError("assets/ (the explorer's scripts) is missing from these sources")
        target = Path(self.build_lib) / "app" / "_assets"
        target.mkdir(parents=True, exist_ok=True)
        for path in asset_files():
            shutil.copy2(path, target / path.name)


setup(
    cmdclass={"build_py": BuildWithAssets, "sdist": SdistWithAssets},
    ext_modules=[
        Extension(
            "core._flowkernel",
            ["core/_flownet.c", "core/_flowgemm.c", "core/_flowstage.c", "core/_flowkernel.c"],
            # No fused multiply-adds unless written: the plain and AVX-512 stage loops must
            # round alike (gcc's ISO mode already does not contract; clang would).
            extra_compile_args=["-O3", "-std=c99", "-ffp-contract=off"],
            depends=["core/_flownet.h", "core/_flowgemm.h", "core/_flowstage.h"],
            libraries=["m"],
            optional=True,  # without a C compiler linflow still works (LSODA instead)
        )
    ],
)
