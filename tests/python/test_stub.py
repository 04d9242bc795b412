"""The checked-in type stub matches the built extension (bindings/make_stub.py)."""

import importlib.util
from pathlib import Path

import tessel

ROOT = Path(__file__).resolve().parents[2]


def test_stub_is_current():
    spec = importlib.util.spec_from_file_location("make_stub", ROOT / "bindings" / "make_stub.py")
    make_stub = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_stub)
    checked_in = (ROOT / "bindings" / "tessel" / "_tessel.pyi").read_text()
    assert make_stub.stub() == checked_in, \
        "bindings/tessel/_tessel.pyi is out of date: run bindings/make_stub.py OUTPUT"


def test_package_exports():
    for name in tessel.__all__:
        assert hasattr(tessel, name), name
