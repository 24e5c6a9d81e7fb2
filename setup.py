"""Builds the compiled flow kernel (core/_flownet.c, core/_flowkernel.c), which core/kernel.py
loads with ctypes; everything else is configured in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "core._flowkernel",
            ["core/_flownet.c", "core/_flowkernel.c"],
            extra_compile_args=["-O3", "-std=c99"],
            depends=["core/_flownet.h"],
            libraries=["m"],
            optional=True,  # without a C compiler linflow still works (LSODA instead)
        )
    ]
)
