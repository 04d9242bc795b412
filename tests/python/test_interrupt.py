"""Ctrl-C stops a long search: KeyboardInterrupt, nothing stored, the module still works."""

import _thread
import threading
import time

import pytest

import tessel


def test_keyboard_interrupt_cancels_search(tmp_path, gap9):
    path = tmp_path / "int.sqlite"
    tessel.explore("autoencoder", gap9, db=path, store="best")  # run 1 stays
    timer = threading.Timer(0.5, _thread.interrupt_main)
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            # Far more work than 0.5 s: 10^9 random samples per layer-unit pair.
            tessel.explore("mlperf-tiny", gap9, strategy="random", budget=10**9, db=path)
    finally:
        timer.cancel()
    assert time.monotonic() - start < 30
    db = tessel.read_db(path)
    assert list(db.runs["id"]) == [1]
    assert tessel.explore("resnet8", gap9).total["cycles"] > 0
