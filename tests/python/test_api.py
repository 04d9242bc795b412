"""Loading, inspecting and modifying SoCs and models."""

import pandas as pd
import pytest

import tessel


def test_version_and_names():
    assert tessel.__version__.count(".") == 2
    assert "gap9" in set(tessel.socs()["name"])
    zoo = tessel.models()
    assert {"resnet8", "dscnn", "mobilenetv1", "autoencoder"} <= set(zoo["name"])
    assert zoo.set_index("name").loc["mlperf-tiny", "kind"] == "alias"
    assert tessel.OBJECTIVES == ("latency", "energy", "edp")
    assert tessel.MAPPERS == ("tessel", "dory", "divisor")


def test_soc_objects_and_frames(gap9):
    assert gap9.name == "gap9"
    assert gap9.clock_hz == 370e6
    assert gap9.level_names == ("L3", "L2", "L1")
    assert gap9.unit_names == ("fc", "cluster", "ne16")
    assert gap9.home == {"weights": "L2", "activations": "L2"}
    assert len(gap9.hash) == 16 and gap9.source == "<built-in>/gap9.yaml"
    assert "memories:" in gap9.yaml

    l1 = gap9.memory("L1")
    assert l1.size_bytes == 128 * 1024
    assert l1.accessible_by == ("cluster", "ne16")
    mem = gap9.memories
    assert list(mem.index) == ["L3", "L2", "L1"]
    assert mem.loc["L1", "size_bytes"] == 131072

    dma = gap9.dma("cluster_dma")
    assert ("L2", "L1") in dma.links and dma.bandwidth_bytes_per_cycle == 8
    assert gap9.dmas.loc["cluster_dma", "links"] == "L2->L1, L1->L2"
    assert gap9.dma_bandwidth("L2", "L1") == 8
    assert gap9.dma_bandwidth("L3", "L1") is None

    cl = gap9.unit("cluster")
    assert cl.kind == "cluster" and cl.params["cores"] == 8
    assert cl.reads == {"I": "L1", "W": "L1", "O": "L1"}
    assert cl.unrollings == ("OY", "K")
    units = gap9.units
    assert units.loc["ne16", "kernels"] == "1x1, 3x3"
    assert units.loc["fc", "reads_I"] == "L2"
    for bad in (gap9.memory, gap9.unit, gap9.dma):
        with pytest.raises(KeyError, match="no"):
            bad("nope")


def test_soc_replace_and_with_params(gap9):
    small = gap9.with_params({"L1.size": "64 KiB", "cluster.params.cores": 4})
    assert small.memory("L1").size_bytes == 65536
    assert small.unit("cluster").params["cores"] == 4
    assert small.hash != gap9.hash
    assert gap9.memory("L1").size_bytes == 131072  # the original is unchanged
    fast = gap9.replace(clock="400 MHz", L1__size="64 KiB", ne16__kernels=["3x3"])
    assert fast.clock_hz == 400e6
    assert fast.memory("L1").size_bytes == 65536
    assert fast.unit("ne16").kernels == ("3x3",)
    again = tessel.Soc.from_yaml(fast.yaml, "variant.yaml")
    assert again.hash == fast.hash and again == fast


def test_soc_supports(gap9):
    m = tessel.load_model("resnet8")
    ok, why = gap9.supports("ne16", m.layer("block2.shortcut"))  # 1x1 at stride 2
    assert not ok and "stride" in why
    assert gap9.supports("ne16", m.layer("block2.conv1")) == (True, "")  # 3x3 at stride 2
    assert gap9.supports("cluster", m.layer("block2.conv1")) == (True, "")


def test_models_and_layers():
    m = tessel.load_model("resnet8")
    assert m.name == "resnet8" and len(m) == 14
    assert m.macs == 12501632 and m.weight_bytes == 77360
    assert m.peak_activation_bytes == 49152
    df = m.layers
    assert isinstance(df, pd.DataFrame) and len(df) == 14
    assert list(df.columns[:10]) == ["name", "op", "N", "G", "K", "C", "OY", "OX", "FY", "FX"]
    assert df.loc[0, "name"] == "conv1" and df.loc[0, "macs"] == 442368
    assert df.loc[3, "op"] == "add" and df.loc[3, "producers"] == [0, 2]
    conv1 = m.layer("conv1")
    assert conv1.op == "conv" and conv1.dims["K"] == 16 and conv1.dim("oy") == 32
    assert conv1.padding == (1, 1, 1, 1) and conv1.stride == (1, 1)
    assert conv1.bits["accumulator"] == 32
    assert conv1.epilogue["activation"] == "clip"
    assert m.layer(-1).name == m.layers["name"].iloc[-1]
    assert [l.name for l in m] == list(df["name"])
    assert m.summary()["layers"] == 14
    assert len(m.tensors) > 14


def test_load_models_alias():
    ms = tessel.load_models("mlperf-tiny")
    assert [m.name for m in ms] == ["resnet8", "dscnn", "mobilenetv1", "autoencoder"]
    with pytest.raises(tessel.MappingError, match="load_models"):
        tessel.load_model("mlperf-tiny")
    assert tessel.load_model(ms[0]) is ms[0]


def test_onnx_import(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper
    import numpy as np
    w = helper.make_tensor("w", TensorProto.FLOAT, [8, 3, 3, 3],
                           np.ones(8 * 27, dtype=np.float32).tolist())
    node = helper.make_node("Conv", ["x", "w"], ["y"], name="c1", pads=[1, 1, 1, 1])
    graph = helper.make_graph([node], "tiny",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                             [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT,
                                                             [1, 8, 16, 16])], [w])
    path = tmp_path / "tiny.onnx"
    onnx.save(helper.make_model(graph), str(path))
    m = tessel.load_model(path)
    assert m.name == "tiny" and m.layer("c1").dims["K"] == 8


def test_cost_matches_cli(tessel_cli):
    import json
    import subprocess
    s = tessel.cost("resnet8", "block1.conv1", "cluster", tile="OY=8", double_buffer="all")
    out = subprocess.run([tessel_cli, "cost", "--model", "resnet8", "--layer", "block1.conv1",
                          "--unit", "cluster", "--tile", "OY=8", "--double-buffer", "all",
                          "--json"], check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    assert s["legal"] and j["legal"]
    assert s["cycles"] == j["cycles"]["total"]
    assert s["compute_cycles"] == j["cycles"]["compute"]
    assert s["energy_pj"] == j["energy_pj"]["total"]
    assert s["tiles"] == j["tiles"] and s["macs"] == j["macs"]


def test_cost_illegal_mapping(gap9):
    tiny_l1 = gap9.with_params({"L1.size": "13 KiB"})  # 4 KiB besides the 9 KiB of stacks
    s = tessel.cost("resnet8", "block1.conv1", "cluster", tiny_l1)  # the whole layer as one tile
    assert not s["legal"] and s["reason"]
    with pytest.raises(tessel.MappingError, match="unrolling"):
        tessel.cost("resnet8", "conv1", "cluster", unrolling=7)
    with pytest.raises(tessel.MappingError, match="cannot run"):
        tessel.cost("resnet8", "block2.shortcut", "ne16")  # 1x1 at stride 2
    with pytest.raises(tessel.ConfigError):
        tessel.cost("resnet8", "conv1", "cluster", tile="Q=3")


def test_native_objects(gap9):
    core = tessel._tessel.core
    g = core.zoo_model("dscnn")
    assert isinstance(g, core.Graph) and g.find_layer("nope") is None
    assert core.parse_quantity("128 KiB", "bytes") == 131072
    assert core.format_quantity(131072, "bytes") == "128 KiB"
    mp = core.Mapping()
    mp.tile = {"K": 4}
    mp.order = "OY,K"
    mp.double_buffer = "I,W"
    assert mp.tile["K"] == 4 and mp.order[:2] == ["OY", "K"]
    assert mp.double_buffer == {"I": True, "W": True, "O": False}
    kinds = tessel.unit_kinds()
    assert {"cpu", "cluster", "conv_engine", "pe_array", "aimc"} <= set(kinds["kind"])


def test_mapping_of_two_loop_nests(gap9):
    """A mapping staged through L2 (weights homed in L3) is costed; an outer nest of the
    whole layer that moves nothing costs what the one-nest mapping costs."""
    core, sim = tessel._tessel.core, tessel._tessel.sim
    g = core.zoo_model("resnet8")
    layer = g.layers[g.find_layer("block1.conv1")]
    unit = [u.name for u in gap9.native.units].index("cluster")
    one = core.make_mapping(layer, unit, tile="OY=8", double_buffer="all")
    base = sim.Analytical(gap9.native).evaluate(layer, one)
    assert base.legal and one.depth == 1 and len(one.nests) == 1
    whole = {"tile": {d: layer.dims[d] for d in core.dim_names},
             "order": list(core.dim_names), "double_buffer": {"I": False, "W": False, "O": False},
             "level": {"I": -1, "W": -1, "O": -1}}
    two = core.make_mapping(layer, unit, tile="OY=8", double_buffer="all")
    two.nests = [whole] + one.nests
    assert two.depth == 2 and two.tile == one.tile
    same = sim.Analytical(gap9.native).evaluate(layer, two)
    assert same.cycles == pytest.approx(base.cycles, rel=1e-12)
    # Weights in L3: the outer nest brings output-channel tiles of them into L2.
    levels = [lv.name for lv in gap9.native.levels]
    staged_soc = gap9.with_params({"home.weights": "L3"})
    staged = core.make_mapping(layer, unit, tile="OY=8", double_buffer="all")
    outer = dict(whole, level={"I": -1, "W": levels.index("L2"), "O": -1},
                 double_buffer={"I": False, "W": True, "O": False})
    outer["tile"] = dict(whole["tile"], K=layer.dims["K"] // 2)
    staged.nests = [outer] + one.nests
    c = sim.Analytical(staged_soc.native).evaluate(layer, staged)
    assert c.legal, c.reason
    assert c.cycles > base.cycles and c.bytes_moved["W"] > base.bytes_moved["W"]
    with pytest.raises(tessel.ConfigError):
        staged.nests = []
