"""tessel.plot returns Figures and writes PNGs."""

import pandas as pd
import pytest
from matplotlib.figure import Figure

import tessel
import tessel.plot as tp

PNG = b"\x89PNG\r\n\x1a\n"


def check_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 10_000


def test_latency_breakdown(tmp_path, mlperf_result):
    fig = tp.latency_breakdown(mlperf_result, path=tmp_path / "all.png")
    assert isinstance(fig, Figure) and len(fig.axes) == 4
    check_png(tmp_path / "all.png")
    one = tp.latency_breakdown(mlperf_result, network="dscnn")
    assert len(one.axes) == 1 and "dscnn" in one.axes[0].get_title()
    with pytest.raises(KeyError):
        tp.latency_breakdown(mlperf_result, network="nope")


def test_pareto_front(tmp_path, resnet8_result):
    fig = tp.pareto_front(resnet8_result, "block1.conv1", path=tmp_path / "p.png")
    assert isinstance(fig, Figure)
    check_png(tmp_path / "p.png")
    df = resnet8_result.pareto("conv1", unit="all")
    assert isinstance(tp.pareto_front(df), Figure)
    with pytest.raises(ValueError):
        tp.pareto_front(resnet8_result)
    with pytest.raises(ValueError):
        tp.pareto_front(pd.DataFrame(columns=df.columns))


def test_roofline(tmp_path, mlperf_result):
    fig = tp.roofline(mlperf_result, path=tmp_path / "r.png")
    units = set(mlperf_result.layers.query("macs > 0")["unit"])
    assert isinstance(fig, Figure) and len(fig.axes) == len(units)
    check_png(tmp_path / "r.png")
    fig = tp.roofline(mlperf_result, peaks={"cluster": 32.0})
    assert any("peak 32" in t.get_text() for ax in fig.axes
               for t in ax.get_legend().get_texts())


def test_plot_is_lazy_attribute():
    assert tessel.plot is tp


def test_memory_plan(tmp_path, resnet8_result, mlperf_result):
    fig = tp.memory_plan(resnet8_result, path=tmp_path / "plan.png")
    # One panel per level with an arena (gap9: L2 and L1), one rectangle per tensor there.
    assert [ax.get_title() for ax in fig.axes] == ["resnet8: L2", "resnet8: L1"]
    l2 = [t for t in resnet8_result.schedule.tensors if t.level == 1]
    assert len(fig.axes[0].patches) == len(l2)
    check_png(tmp_path / "plan.png")
    two = tp.memory_plan(mlperf_result.memory_plan, network="dscnn", levels=["L1"])
    assert [ax.get_title() for ax in two.axes] == ["dscnn: L1"]
    with pytest.raises(ValueError, match="no network"):
        tp.memory_plan(mlperf_result, network="nope")
    with pytest.raises(ValueError, match="no level"):
        tp.memory_plan(mlperf_result, levels=["L9"])
