"""Bad input raises the right Python exception, with the C++ message; nothing dies."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import tessel

BROKEN = sorted((Path(__file__).resolve().parents[1] / "data" / "soc" / "broken").glob("*.yaml"))


def test_hierarchy():
    for cls, base in [(tessel.ConfigError, ValueError), (tessel.ModelError, ValueError),
                      (tessel.UnsupportedError, ValueError), (tessel.MappingError, ValueError),
                      (tessel.IoError, OSError), (tessel.StoreError, RuntimeError)]:
        assert issubclass(cls, tessel.Error) and issubclass(cls, base)
    assert issubclass(tessel.Error, Exception)


def test_unknown_soc():
    with pytest.raises(tessel.MappingError) as e:
        tessel.load_soc("gap10")
    assert "unknown SoC 'gap10'" in str(e.value) and "gap9" in str(e.value)


def test_missing_soc_file(tmp_path):
    with pytest.raises(tessel.IoError, match="nope.yaml"):
        tessel.load_soc(tmp_path / "nope.yaml")


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_yaml(path):
    assert BROKEN, "tests/data/soc/broken is empty"
    with pytest.raises(tessel.ConfigError) as e:
        tessel.load_soc(path)
    msg = str(e.value)
    assert path.name in msg, msg
    assert "\n" not in msg.strip(), msg


def test_broken_yaml_text():
    with pytest.raises(tessel.ConfigError, match="inline.yaml"):
        tessel.Soc.from_yaml("name: [unclosed", "inline.yaml")


def test_unknown_model_and_missing_onnx(tmp_path):
    with pytest.raises(tessel.MappingError, match="resnet9"):
        tessel.load_model("resnet9")
    missing = tmp_path / "missing.onnx"
    with pytest.raises(tessel.IoError) as e:
        tessel.load_model(missing)
    assert str(missing) in str(e.value)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x00\x01 not a protobuf \xff" * 10)
    with pytest.raises(tessel.ModelError, match="garbage.onnx"):
        tessel.load_models(garbage)


def test_unknown_parameter(gap9):
    with pytest.raises(tessel.ConfigError) as e:
        gap9.with_params({"L1.colour": "blue"})
    assert "L1.colour" in str(e.value) and "size" in str(e.value)
    with pytest.raises(tessel.ConfigError, match="nosuchunit"):
        gap9.replace(nosuchunit__launch="3 cycles")
    with pytest.raises(tessel.ConfigError, match="L1.size"):
        gap9.with_params({"L1.size": "0 KiB"})
    with pytest.raises(TypeError):
        gap9.with_params({"L1.size": object()})


def test_bad_explore_options(gap9):
    with pytest.raises(tessel.ConfigError, match="objective 'speed'"):
        tessel.explore("resnet8", gap9, objective="speed")
    with pytest.raises(tessel.ConfigError, match="mapper 'timeloop'"):
        tessel.explore("resnet8", gap9, mapper="timeloop")
    with pytest.raises(tessel.ConfigError, match="strategy 'genetic'"):
        tessel.explore("resnet8", gap9, strategy="genetic")
    with pytest.raises(tessel.ConfigError, match="store mode 'most'"):
        tessel.explore("resnet8", gap9, store="most")
    with pytest.raises(tessel.MappingError, match="no unit 'gpu'"):
        tessel.explore("resnet8", gap9, units=["gpu"])
    with pytest.raises(tessel.ConfigError, match="threads"):
        tessel.explore("resnet8", gap9, threads=0)
    with pytest.raises(tessel.ConfigError, match="budget"):
        tessel.explore("resnet8", gap9, strategy="random", budget=0)
    with pytest.raises(TypeError):
        tessel.explore(42, gap9)
    with pytest.raises(tessel.ConfigError, match="empty"):
        tessel.explore([], gap9)


def test_layer_no_unit_can_run(gap9):
    # ne16 alone cannot run strided convolutions, pools or adds.
    with pytest.raises(tessel.MappingError, match="no unit of SoC 'gap9' can run layer"):
        tessel.explore("resnet8", gap9, units=["ne16"])


def test_store_errors(tmp_path, resnet8_result):
    with pytest.raises(tessel.StoreError, match="no-such-dir"):
        resnet8_result.to_sqlite(tmp_path / "no-such-dir" / "x.sqlite")
    with pytest.raises(tessel.ConfigError, match="store='all'"):
        resnet8_result.to_sqlite(tmp_path / "x.sqlite", store="all")
    with pytest.raises(tessel.IoError):
        tessel.read_db(tmp_path / "absent.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(tessel.StoreError):
        tessel.read_db(junk)


def test_interpreter_survives_bad_input(tmp_path):
    """Every kind of bad input in one process; it must end normally."""
    script = textwrap.dedent(f"""
        import tessel
        caught = 0
        calls = [
            lambda: tessel.load_soc("nope"),
            lambda: tessel.load_soc({str(BROKEN[0])!r}),
            lambda: tessel.load_model("nope.onnx"),
            lambda: tessel.load_soc("gap9").with_params({{"x.y.z": "1"}}),
            lambda: tessel.explore("resnet8", "gap9", units=["ne16"]),
            lambda: tessel.explore("resnet8", "gap9", objective="x"),
            lambda: tessel.read_db({str(tmp_path / "none.sqlite")!r}),
            lambda: tessel._tessel.core.zoo_model("resnet8").layer(100),
            lambda: tessel._tessel.core.zoo_model("resnet8").producers(100),
            lambda: tessel._tessel.hwmodels.load_soc("gap9").dma_for(0, 9),
            lambda: tessel._tessel.sim.Analytical(None),
            lambda: tessel.cost("resnet8", "conv1", "cluster", tile="K=0"),
        ]
        for call in calls:
            try:
                call()
            except (tessel.Error, IndexError, TypeError, KeyError):
                caught += 1
        print("caught", caught)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "caught 12", out.stdout + out.stderr
