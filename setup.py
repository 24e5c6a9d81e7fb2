"""Builds the compiled flow kernel (core/_flownet.c, _flowgemm.c, _flowstage.c, _flowkernel.c),
which core/kernel.py loads with ctypes, and ships the app's browser assets; everything else is in
pyproject.toml."""

import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

# The explorer's scripts and style sheet live in the top-level assets/ (served from the checkout
# by `make serve`); a wheel carries a copy as app/_assets, which app.paths falls back to.
ASSET_SUFFIXES = (".js", ".css")


class BuildWithAssets(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads assets/ in the checkout
            return
        source = Path("assets")
        if not (source / "lazy_graphs.js").is_file():  # MANIFEST.in puts them in an sdist
            raise RuntimeError("assets/ (the explorer's scripts) is missing from these sources")
        target = Path(self.build_lib) / "app" / "_assets"
        target.mkdir(parents=True, exist_ok=True)
        for path in sorted(source.iterdir()):
            if path.suffix in ASSET_SUFFIXES:
                shutil.copy2(path, target / path.name)


setup(
    cmdclass={"build_py": BuildWithAssets},
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
