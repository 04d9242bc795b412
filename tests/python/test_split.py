"""Layers split across units running at once (docs/memory.md, "Split layers")."""

import pytest

import tessel


def test_split_layers_on_gap9_are_faster_and_replayed_within_3_percent():
    on = tessel.explore("dscnn", "gap9")
    off = tessel.explore("dscnn", "gap9", split=False)
    assert on.total["cycles"] <= off.total["cycles"]
    assert (off.layers["step_kind"] != "concurrent").all()
    parts = on.layers[on.layers["step_kind"] == "concurrent"]
    assert len(parts) >= 2
    for _, step in parts.groupby("step"):
        assert step["unit"].is_unique  # each part on its own unit
        assert len(set(step["layer"])) == 1
        assert step["slice"].notna().all()
    steps = on.schedules[0].steps
    split = [s for s in steps if s.kind == "concurrent"]
    assert all(s.sync_cycles == 100 for s in split)  # gap9.yaml concurrency.sync
    sim = tessel.simulate(result=on)
    concurrent = sim.steps[sim.steps["kind"] == "concurrent"]
    assert len(concurrent) == len(split)
    assert (concurrent["difference_percent"].abs() <= 3).all()


def test_allow_lower_runs_parts_on_the_ternary_analog_array_of_diana():
    strict = tessel.explore("dscnn", "diana")
    assert (strict.layers["unit"] != "analog").all()  # 8-bit weights, a 2-bit array
    lower = tessel.explore("dscnn", "diana", precision_policy="allow-lower")
    analog = lower.layers[lower.layers["unit"] == "analog"]
    assert len(analog) > 0
    assert (analog["weight_bits"] == 2).all()
    assert (lower.layers[lower.layers["unit"] != "analog"]["weight_bits"] == 8).all()
    with pytest.raises(tessel.ConfigError, match="unknown precision policy 'loose'"):
        tessel.explore("dscnn", "diana", precision_policy="loose")
