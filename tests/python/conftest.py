"""Shared fixtures of the Python package tests.

Run through CTest (tests/CMakeLists.txt), which sets PYTHONPATH to the build
tree's package (<build>/python) and TESSEL_CLI to the built `tessel` binary.
By hand:
    PYTHONPATH=build/python TESSEL_CLI=build/cli/tessel /usr/bin/python3 -m pytest -q tests/python
"""

import os
import shutil
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="session")
def tessel_cli() -> str:
    cli = os.environ.get("TESSEL_CLI") or shutil.which("tessel")
    if not cli or not os.path.exists(cli):
        pytest.fail("set TESSEL_CLI to the built tessel binary (ctest does)")
    return cli


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def gap9():
    import tessel
    return tessel.load_soc("gap9")


@pytest.fixture(scope="session")
def resnet8_result(gap9):
    import tessel
    # one unit per layer, one step each (splits: test_split, fusion: test_fusion)
    return tessel.explore("resnet8", gap9, split=False, fusion=False)


@pytest.fixture(scope="session")
def mlperf_result(gap9):
    import tessel
    return tessel.explore("mlperf-tiny", gap9)
