"""Depth-first fused groups (docs/memory.md, "Fused layers")."""

import tessel


def test_fused_groups_are_faster_listed_and_replayed_within_3_percent():
    on = tessel.explore("mobilenetv1", "gap9", split=False)
    off = tessel.explore("mobilenetv1", "gap9", split=False, fusion=False)
    assert on.total["cycles"] < off.total["cycles"]
    assert (off.layers["step_kind"] == "single").all()
    parts = on.layers[on.layers["step_kind"] == "fused"]
    assert len(parts) >= 2
    for _, step in parts.groupby("step"):
        assert step["unit"].nunique() == 1  # a group runs on one unit
        assert len(set(step["layer"])) >= 2  # its layers, each a band of rows
        assert step["slice"].str.startswith("OY[").all()
    fused = [s for s in on.schedules[0].steps if s.kind == "fused"]
    assert len(fused) == len(set(parts["step"]))
    sim = tessel.simulate(result=on)
    replayed = sim.steps[sim.steps["kind"] == "fused"]
    assert len(replayed) == len(fused)
    assert (replayed["difference_percent"].abs() <= 3).all()


def test_simulate_takes_the_fusion_switch():
    off = tessel.simulate("dscnn", "gap9", split=False, fusion=False)
    assert "fused" not in set(off.steps["kind"])  # the multi-part steps: none fused
    on = tessel.simulate("dscnn", "gap9", split=False)
    assert (on.steps["kind"] == "fused").any()
