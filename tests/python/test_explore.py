"""tessel.explore: equal to `tessel explore`, result tables, Pareto fronts, options."""

import json
import subprocess

import pandas as pd
import pytest

import tessel


def cli_json(cli, *args):
    out = subprocess.run([cli, "explore", *args, "--json", "--db", ""], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def test_totals_equal_cli(tessel_cli, resnet8_result):
    j = cli_json(tessel_cli, "--model", "resnet8", "--soc", "gap9", "--no-split", "--no-fusion")
    t = resnet8_result.total
    assert t["cycles"] == j["total"]["cycles"]
    assert t["ms"] == j["total"]["ms"]
    assert t["energy_uj"] == j["total"]["energy_uj"]
    assert t["peak_bytes"] == j["total"]["peak_bytes"]
    assert list(t["peak_bytes"]) == ["L3", "L2", "L1"]
    assert t == j["total"]


def test_layers_equal_cli(tessel_cli, resnet8_result):
    j = cli_json(tessel_cli, "--model", "resnet8", "--soc", "gap9", "--no-split", "--no-fusion")
    df = resnet8_result.layers
    assert len(df) == len(j["layers"])
    for (_, row), lj in zip(df.iterrows(), j["layers"]):
        for key, value in lj.items():
            if key == "slice" and value is not None:  # the CLI's JSON object, Python's label
                value = f"{value['dim']}[{value['begin']}:{value['end']}]"
            assert row[key] == value, (lj["layer"], key)


@pytest.mark.parametrize("args", [
    dict(mapper="dory"),
    dict(mapper="divisor", objective="energy"),
    dict(units=["cluster"], objective="edp"),
])
def test_variants_equal_cli(tessel_cli, gap9, args):
    res = tessel.explore("dscnn", gap9, **args)
    cli_args = ["--model", "dscnn"]
    for k, v in args.items():
        cli_args += [f"--{k}", ",".join(v) if isinstance(v, list) else v]
    assert res.total == cli_json(tessel_cli, *cli_args)["total"]
    if "units" in args:
        assert set(res.layers["unit"]) == {"cluster"}


def test_alias_and_list_of_models(tessel_cli, mlperf_result, gap9):
    j = cli_json(tessel_cli, "--model", "mlperf-tiny")
    assert mlperf_result.total == j["total"]
    assert list(mlperf_result.networks["network"]) == [n["network"] for n in j["networks"]]
    for (_, row), n in zip(mlperf_result.networks.iterrows(), j["networks"]):
        assert row["cycles"] == n["total"]["cycles"]
        assert row["energy_uj"] == n["total"]["energy_uj"]
        assert row["evaluated"] == n["search"]["evaluated"]
        assert row["cache_hits"] == n["search"]["cache_hits"]
    models = [tessel.load_model("resnet8"), "dscnn", tessel.load_models("mobilenetv1")[0],
              "autoencoder"]
    assert tessel.explore(models, gap9).total == j["total"]


def test_result_tables(resnet8_result):
    r = resnet8_result
    assert r.objective == "latency" and r.mapper == "tessel" and r.strategy == "auto"
    assert r.database is None and r.run_id is None
    df = r.layers
    assert len(df) == 14 and set(df["network"]) == {"resnet8"}
    parts = df["compute_cycles"] + df["dma_cycles"] + df["overhead_cycles"] + \
        df["stall_cycles"] + df["transition_cycles"]
    assert (abs(parts - df["cycles"]) <= 1e-6 * df["cycles"]).all()
    assert df["cycles"].sum() == pytest.approx(r.total["cycles"], rel=1e-12)
    assert (df["bytes_moved"] == df[["bytes_moved_I", "bytes_moved_W", "bytes_moved_O"]]
            .sum(axis=1)).all()
    s = r.search
    assert s["evaluated"] > 0 and s["proven"] and s["threads"] >= 1
    assert r.schedule.network == "resnet8" and len(r.schedule.steps) == 14
    assert [p.layer for p in r.schedule.parts] == list(df["layer"])
    assert list(df["step"]) == list(range(14)) and (df["loop_nests"] == 1).all()
    assert sum(st.cycles for st in r.schedule.steps) == pytest.approx(r.total["cycles"], rel=1e-12)
    # Every activation and weight tensor and the steps' tile buffers, placed by the plan.
    roles = {t.role for t in r.schedule.tensors}
    assert {"activation", "weights", "scratch"} <= roles
    assert all(t.offset >= 0 and t.first_step <= t.last_step for t in r.schedule.tensors)
    assert r.schedules[0].cycles == r.total["cycles"]
    assert "resnet8" in repr(r)


def dominated(a, b):
    """b weakly dominates a in (cycles, energy, unit bytes) and differs."""
    keys = ["cycles", "energy_uj", "unit_bytes"]
    return all(b[k] <= a[k] for k in keys) and any(b[k] < a[k] for k in keys)


def test_pareto_front(resnet8_result):
    front = resnet8_result.pareto("block1.conv1")
    assert not front.empty
    assert set(front["unit"]) == {resnet8_result.layers.loc[1, "unit"]}
    assert front["chosen"].sum() == 1
    assert list(front["cycles"]) == sorted(front["cycles"])
    rows = front.to_dict("records")
    for a in rows:
        assert not any(dominated(a, b) for b in rows), a
    chosen = front[front["chosen"]].iloc[0]
    layer_row = resnet8_result.layers.loc[1]
    assert chosen["cycles"] == layer_row["cycles"] - layer_row["transition_cycles"]
    everything = resnet8_result.pareto(1, unit="all")
    assert set(everything["unit"]) == {"fc", "cluster", "ne16"}
    cl = resnet8_result.pareto("block1.conv1", unit="cluster")
    assert set(cl["unit"]) == {"cluster"} and not cl["chosen"].any()
    with pytest.raises(KeyError, match="did not map"):
        resnet8_result.pareto("block2.shortcut", unit="ne16")  # 1x1 at stride 2: ne16 cannot
    with pytest.raises(KeyError, match="no layer"):
        resnet8_result.pareto("nope")
    with pytest.raises(IndexError):
        resnet8_result.pareto(99)


def test_searches_table(resnet8_result):
    s = resnet8_result.searches("conv1")
    assert set(s["unit"]) == {"fc", "cluster", "ne16"}
    assert s["chosen"].sum() == 1
    best = s.loc[s["cycles"].idxmin()]
    assert best["chosen"]  # latency objective, no conversions on gap9


def test_ambiguous_layer_names(mlperf_result):
    # "pool" and "fc" exist in resnet8 and dscnn.
    with pytest.raises(KeyError, match="network="):
        mlperf_result.pareto("pool")
    assert set(mlperf_result.pareto("pool", network="dscnn")["network"]) == {"dscnn"}


def test_threads_do_not_change_results(gap9):
    one = tessel.explore("dscnn", gap9, threads=1)
    two = tessel.explore("dscnn", gap9, threads=2)
    assert one.total == two.total and one.threads == 1 and two.threads == 2
    pd.testing.assert_frame_equal(one.layers, two.layers)


def test_random_strategy_is_seeded(gap9):
    a = tessel.explore("autoencoder", gap9, strategy="random", budget=300, seed=3)
    b = tessel.explore("autoencoder", gap9, strategy="random", budget=300, seed=3)
    assert a.total == b.total and not a.search["proven"]


def test_soc_variant(gap9):
    base = tessel.explore("resnet8", gap9, units="cluster")
    small = tessel.explore("resnet8", gap9.with_params({"L1.size": "32 KiB"}), units="cluster")
    assert small.total["peak_bytes"]["L1"] <= 32 * 1024
    assert small.total["cycles"] >= base.total["cycles"]


def test_registered_strategies(gap9):
    """Strategies come from the native registry; a new one is usable by name."""
    assert tessel.STRATEGIES[0] == "auto"
    assert {"exhaustive", "random", "annealing", "hillclimb"} <= set(tessel.STRATEGIES)
    help_texts = tessel.strategy_help()
    assert set(help_texts) == set(tessel.STRATEGIES) and all(help_texts.values())
    r = tessel.explore("dscnn", gap9, strategy="hillclimb", budget=500)
    assert r.strategy == "hillclimb" and r.total["cycles"] > 0
    assert not r.search["proven"]
    with pytest.raises(tessel.ConfigError, match="unknown search strategy"):
        tessel.explore("dscnn", gap9, strategy="heuristic")
