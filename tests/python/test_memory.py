"""The memory plan as Python sees it: the result's plan, its tensors, the database."""
import pandas as pd
import pytest

import tessel


def test_memory_plan_matches_schedule_and_has_no_overlap(resnet8_result):
    r = resnet8_result
    plan = r.memory_plan
    s = r.schedule
    levels = s.level_names
    assert set(plan["levels"]) == set(levels)
    for a in s.memory:
        name = levels[a.level]
        assert plan["levels"][name]["arena_bytes"] == a.arena_bytes == r.total["peak_bytes"][name]
        assert a.lower_bound_bytes <= a.arena_bytes
        m = r.soc.memory(name)
        assert a.arena_bytes <= m.size_bytes - m.reserved_bytes
    df = r.memory_tensors()
    assert list(df.columns) == ["network", "tensor", "role", "level", "offset", "bytes",
                                "first_step", "last_step", "alias"]
    assert len(df) == len(s.tensors)
    # No two tensors that live at a common step share a byte, unless one reuses the other.
    rows = df.to_dict("records")
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            if a["level"] != b["level"] or a["alias"] == b["tensor"] or b["alias"] == a["tensor"]:
                continue
            in_time = a["first_step"] <= b["last_step"] and b["first_step"] <= a["last_step"]
            in_space = (a["offset"] < b["offset"] + b["bytes"]
                        and b["offset"] < a["offset"] + a["bytes"])
            assert not (in_time and in_space and a["bytes"] and b["bytes"]), (a, b)
    # ResNet8's adds run in place: the output takes a dying input's buffer.
    adds = df[df["alias"].notna()]
    assert len(adds) >= 1
    assert s.order.method in ("exact", "greedy")


def test_memory_plan_round_trips_through_the_database(tmp_path):
    db = tmp_path / "m.sqlite"
    r = tessel.explore("resnet8", soc="gap9", db=str(db))
    d = tessel.read_db(str(db))
    assert set(d.schedule_memory["level"]) == set(r.schedule.level_names)
    back = d.schedule(int(d.schedules["id"].iloc[0]))
    assert [(a.level, a.arena_bytes, a.lower_bound_bytes) for a in back.memory] == \
        [(a.level, a.arena_bytes, a.lower_bound_bytes) for a in r.schedule.memory]
    assert [(t.name, t.offset, t.alias) for t in back.tensors] == \
        [(t.name, t.offset, t.alias) for t in r.schedule.tensors]
    assert back.order.method == r.schedule.order.method
    assert isinstance(d.schedule_tensors, pd.DataFrame) and (d.schedule_tensors["offset"] >= 0).all()


def test_max_memory_streams_weights_and_refuses_the_impossible(resnet8_result):
    free = resnet8_result.memory_plan["levels"]["L2"]["arena_bytes"]
    reserved = resnet8_result.soc.memory("L2").reserved_bytes  # code and runtime
    assert reserved > 0
    r = tessel.explore("resnet8", soc="gap9", max_memory={"L2": reserved + free // 2})
    assert r.memory_plan["levels"]["L2"]["arena_bytes"] <= free // 2
    assert r.total["cycles"] >= resnet8_result.total["cycles"]
    streamed = r.layers[r.layers["homes"].map(lambda h: h["W"] == "L3")]
    assert len(streamed) > 0 and (streamed["loop_nests"] >= 1).all()
    with pytest.raises(tessel.MappingError, match="smallest limits tessel finds to fit"):
        tessel.explore("resnet8", soc="gap9", max_memory={"L2": "1 KiB"})
    with pytest.raises(tessel.ConfigError, match="no memory level 'L9'"):
        tessel.explore("resnet8", soc="gap9", max_memory={"L9": "1 KiB"})


def test_partial_execution_slices_a_chain_under_a_memory_limit(data_dir):
    soc = str(data_dir / "soc" / "gap9_weights_l3.yaml")
    limit = {"L2": "164 KiB"}  # 100 KiB for tensors besides the 64 KiB reserve
    r = tessel.explore("mobilenetv2-0.35", soc, max_memory=limit, split=False, fusion=False)
    df = r.layers
    parts = df[df["slice"].notna()]
    assert set(parts["layer"]) == {"block1.expand", "block1.dw", "block1.project"}
    assert parts["slice"].iloc[0].startswith("K[0:")
    assert len(set(parts["step"])) == 1  # one fused step
    assert r.total["peak_bytes"]["L2"] <= 100 * 1024
    off = tessel.explore("mobilenetv2-0.35", soc, max_memory=limit, partial_execution=False,
                         split=False, fusion=False)
    assert off.layers["slice"].isna().all()
    assert r.total["cycles"] < off.total["cycles"]
    # The layer a part runs is its slice.
    s = r.schedule
    part = next(p for p in s.parts if not p.slice.whole)
    g = r.native.graphs[0]
    assert tessel._tessel.core.part_layer(g, part).dims["K"] < g.layers[part.index].dims["K"]
    # The simulator replays the fused step as one, within 3 % of the model.
    rep = tessel.simulate(result=r)
    fused = rep.steps[rep.steps["kind"] == "fused"]
    assert len(fused) == 1
    assert fused["layers"].iloc[0] == ["block1.expand", "block1.dw", "block1.project"]
    assert fused["parts"].iloc[0] == len(parts)
    assert abs(fused["difference_percent"].iloc[0]) <= 3.0
    off_steps = tessel.simulate(result=off).steps
    assert (off_steps["kind"] != "fused").all()
