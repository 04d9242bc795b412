"""Builds the extension tessel._tessel with CMake for pip / setuptools.

pyproject.toml holds the metadata; this file only adds a build_ext that
configures the tessel CMake project (C++ tests and benchmarks off, for the
interpreter running the build), builds the target `_tessel` and copies the
module where setuptools packs it. Needs the Debian packages of scripts/setup.sh
(CMake, Ninja, a C++20 compiler, the libraries, pybind11-dev).

    TESSEL_CMAKE_ARGS="-DCMAKE_BUILD_TYPE=Debug"  extra CMake arguments
    TESSEL_BUILD_JOBS=2                           parallel jobs (default: all cores)
"""

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = Path(__file__).resolve().parent


class CMakeExtension(Extension):
    def __init__(self, name: str, target: str):
        super().__init__(name, sources=[])
        self.target = target


class CMakeBuild(build_ext):
    def build_extension(self, ext: Extension) -> None:
        if not isinstance(ext, CMakeExtension):
            return super().build_extension(ext)
        build_dir = Path(self.build_temp).resolve() / "cmake"
        build_dir.mkdir(parents=True, exist_ok=True)
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        config = [
            "cmake", "-S", str(ROOT), "-B", str(build_dir), *generator,
            "-DCMAKE_BUILD_TYPE=Release",
            "-DTESSEL_BUILD_TESTS=OFF", "-DTESSEL_BUILD_BENCH=OFF", "-DTESSEL_BUILD_PYTHON=ON",
            f"-DPython_EXECUTABLE={sys.executable}", f"-DPython3_EXECUTABLE={sys.executable}",
            *shlex.split(os.environ.get("TESSEL_CMAKE_ARGS", "")),
        ]
        subprocess.run(config, check=True)
        jobs = os.environ.get("TESSEL_BUILD_JOBS", str(os.cpu_count() or 1))
        subprocess.run(["cmake", "--build", str(build_dir), "--target", ext.target, "-j", jobs],
                       check=True)
        built = sorted((build_dir / "python" / "tessel").glob("_tessel*.so"))
        if not built:
            raise RuntimeError(f"the CMake build did not produce _tessel in {build_dir}")
        dest = Path(self.get_ext_fullpath(ext.name))
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built[0], dest)


# setuptools' scratch files go to build-pip/ (ignored by git), never to build/, which
# is the CMake build of scripts/build.sh.
SCRATCH = ROOT / "build-pip"
SCRATCH.mkdir(exist_ok=True)

setup(ext_modules=[CMakeExtension("tessel._tessel", target="_tessel")],
      cmdclass={"build_ext": CMakeBuild},
      options={"build": {"build_base": str(SCRATCH)},
               "egg_info": {"egg_base": str(SCRATCH)}})
