"""tessel.emit: the C project of an exploration's schedule (docs/codegen.md)."""
import os
import subprocess

import pytest

import tessel

KWS = os.path.join(os.path.dirname(__file__), "..", "data", "models", "keyword_spotting.onnx")


def test_emit_writes_a_host_project_that_builds_and_runs(tmp_path):
    res = tessel.explore(KWS, "gap9")
    out = tmp_path / "kws"
    r = tessel.emit(res, "host", out)
    assert r["dir"] == str(out)
    assert "tessel_network.c" in r["files"] and "Makefile" in r["files"]
    assert r["constant_bytes"] > 0
    assert r["arena_bytes"]["L2"] > 0
    subprocess.run(["make", "-s", "-C", str(out)], check=True)
    header = (out / "tessel_network.h").read_text()
    sizes = {line.split()[1]: int(line.split()[2]) for line in header.splitlines()
             if line.startswith("#define TESSEL_") and len(line.split()) == 3
             and line.split()[2].isdigit()}
    data = (bytes(range(256)) * 64)[:sizes["TESSEL_INPUT_BYTES"]]
    done = subprocess.run([str(out / "network")], input=data, capture_output=True, check=True)
    assert len(done.stdout) == sizes["TESSEL_OUTPUT_BYTES"]
    # The same project as `tessel emit` writes for the same network and SoC.
    cli = os.environ.get("TESSEL_CLI")
    if cli:
        subprocess.run([cli, "emit", "--model", KWS, "--out", str(tmp_path / "cli")], check=True,
                       capture_output=True)
        assert (tmp_path / "cli" / "tessel_network.c").read_text() == \
            (out / "tessel_network.c").read_text()


def test_emit_refuses_what_it_cannot_write(tmp_path):
    res = tessel.explore(KWS, "gap9")
    assert set(tessel.BACKENDS) == {"host", "gap9", "diana", "cortex-m"}
    with pytest.raises(tessel.ConfigError):
        tessel.emit(res, "gpu", tmp_path / "a")
    with pytest.raises(tessel.UnsupportedError):
        tessel.emit(res, "cortex-m", tmp_path / "b")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "keep.txt").write_text("mine")
    with pytest.raises(tessel.ConfigError):
        tessel.emit(res, "host", tmp_path / "c")
    assert not (tmp_path / "c" / "tessel_network.c").exists()
    several = tessel.explore("mlperf-tiny", "gap9")
    with pytest.raises(tessel.ConfigError):
        tessel.emit(several, "host", tmp_path / "d")
