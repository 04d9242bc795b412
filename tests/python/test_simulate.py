"""tessel.simulate: the event simulator next to the analytical model."""

import json

import pytest

import tessel


def test_simulate_resnet8_agrees_and_writes_a_trace(tmp_path):
    trace = tmp_path / "resnet8.json"
    sim = tessel.simulate("resnet8", "gap9", trace=trace, split=False)
    assert len(sim.layers) == 14
    # The mappings tessel chooses agree with the simulation within 3 %.
    assert (sim.layers["difference_percent"].abs() <= 3).all()
    net = sim.networks.iloc[0]
    assert net["simulated_cycles"] > 0
    assert net["analytical_cycles"] == pytest.approx(sim.layers["analytical_cycles"].sum())
    doc = json.loads(trace.read_text())
    complete = [e for e in doc["traceEvents"] if e["ph"] == "X"]
    assert 2 * len(complete) == net["events"]
    assert set(sim.resources["kind"]) >= {"dma", "unit", "memory"}
    assert "input_fetch" in sim.stalls.columns


def test_simulate_an_exploration_and_one_layer():
    res = tessel.explore("dscnn", "diana")
    whole = tessel.simulate(result=res)
    assert whole.networks.iloc[0]["analytical_cycles"] == pytest.approx(res.total["cycles"])
    one = tessel.simulate(result=res, layer="block1.pw")  # the step that runs it: a fused group
    assert any(name.startswith("block1.pw") for name in one.layers["layer"])
    alone = tessel.simulate(result=tessel.explore("dscnn", "diana", fusion=False), layer="block1.pw")
    assert list(alone.layers["layer"]) == ["block1.pw"]


def test_simulate_bad_input_raises():
    with pytest.raises(tessel.ConfigError, match="one network"):
        tessel.simulate("mlperf-tiny", "gap9", trace="/tmp/never.json")
    with pytest.raises(tessel.MappingError, match="no layer 'nosuch'"):
        tessel.simulate("resnet8", "gap9", layer="nosuch")
    with pytest.raises(tessel.ConfigError):
        tessel.simulate()
    with pytest.raises(tessel.IoError):
        tessel.simulate("resnet8", "gap9", trace="/nonexistent/dir/t.json")
