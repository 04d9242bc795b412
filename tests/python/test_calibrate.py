"""tessel.calibrate: the fit, the cross-validation and the overlay from Python
(docs/calibration.md)."""

import math

import pytest

import tessel

HEADER = ("source,soc,chip,unit,kind,name,op,c,iy,ix,k,fy,fx,sy,sx,pad,act_bits,"
          "weight_bits,scope,network,cycles,note\n")
SHAPES = ["conv,8,16,16,16,3,3,1,1,1", "pointwise,32,8,8,64,,,1,1,0",
          "conv,4,32,32,8,3,3,2,2,1", "dense,256,,,10,,,1,1,"]


def write_rows(path, cycles):
    text = "# source s1: test\n# source s2: test\n" + HEADER
    for i, (shape, c) in enumerate(zip(SHAPES, cycles)):
        text += f"s{1 + i % 2},cortex-m7,,cpu,layer,l{i},{shape},8,8,resident,,{c},\n"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def truth_rows(tmp_path_factory):
    """Rows whose cycles the cortex-m7 model gives with 1.0 load cycles per MAC."""
    path = write_rows(tmp_path_factory.mktemp("calib") / "rows.csv", [1] * len(SHAPES))
    truth = tessel.load_soc("cortex-m7").with_params({"cpu.params.load_cycles_per_mac": 1.0})
    cal = tessel.calibrate(truth, [path], ["cpu.launch"])
    with pytest.raises(ValueError, match="changed after loading"):
        cal.overlay  # a changed Soc has no base file for an overlay
    return write_rows(path, [round(c) for c in cal.rows["before"]])


def test_calibrate_recovers_a_parameter_and_holds_out_each_source(truth_rows, tmp_path):
    cal = tessel.calibrate("cortex-m7", [truth_rows], ["cpu.params.load_cycles_per_mac"],
                           cross_validate=True)
    assert cal.cross_validated
    assert cal.params["fitted"][0] == pytest.approx(1.0, rel=1e-3)
    shipped = tessel.load_soc("cortex-m7").unit("cpu").params["load_cycles_per_mac"]
    assert cal.params["before"][0] == pytest.approx(shipped)
    assert list(cal.rows.columns[:12]) == ["file", "line", "source", "unit", "group", "name",
                                           "kind", "fit", "measured", "before", "after",
                                           "held_out"]
    assert (cal.rows["error_held_out"].abs() < 2e-3).all()
    assert (cal.rows["error_before"] < -0.01).all()  # 0.63 load cycles per MAC: too fast here
    units = cal.units.set_index("unit")
    assert units.loc["cpu", "rows"] == len(SHAPES)
    assert units.loc["cpu", "worst_held_out"] < 2e-3
    assert list(cal.sources["source"]) == ["s1", "s2", "all"]
    assert list(cal.folds["source"]) == ["s1", "s2"]
    assert cal.folds["cpu.params.load_cycles_per_mac"].tolist() == \
        pytest.approx([1.0, 1.0], rel=1e-3)
    # The overlay loads as an SoC with the fitted value, written or not.
    assert cal.soc.unit("cpu").params["load_cycles_per_mac"] == pytest.approx(1.0, rel=1e-3)
    out = tmp_path / "fitted.yaml"
    cal.to_yaml(out)
    assert "base: cortex-m7" in out.read_text()
    assert tessel.load_soc(out).unit("cpu").params["load_cycles_per_mac"] == \
        pytest.approx(1.0, rel=1e-3)


def test_calibrate_without_cross_validation_leaves_held_out_empty(truth_rows):
    cal = tessel.calibrate("cortex-m7", [truth_rows], ["cpu.params.load_cycles_per_mac"])
    assert not cal.cross_validated
    assert cal.rows["held_out"].isna().all()
    assert all(math.isnan(x) for x in cal.units["median_held_out"])
    assert "tessel.Calibration cortex-m7: 4 rows, 1 params" in repr(cal)


def test_calibrate_errors_name_what_is_wrong(truth_rows, tmp_path):
    with pytest.raises(tessel.ConfigError, match="has no value at 'cpu.lunch'"):
        tessel.calibrate("cortex-m7", [truth_rows], ["cpu.lunch"])
    bad = tmp_path / "bad.csv"
    bad.write_text("# source s1: test\n" + HEADER +
                   "s1,cortex-m7,,cpu,layer,l,conv,8,16,16,16,3,3,1,1,1,8,8,layer,,12k,\n")
    with pytest.raises(tessel.ConfigError, match=r"bad.csv:3: column 'cycles'"):
        tessel.calibrate("cortex-m7", [bad])
    with pytest.raises(tessel.IoError, match="cannot open measurement file .*missing.csv.: no such file"):
        tessel.calibrate("cortex-m7", [tmp_path / "missing.csv"])
    one = tmp_path / "one.csv"
    one.write_text(truth_rows.read_text().replace("s2,", "s1,"))
    with pytest.raises(tessel.ConfigError, match="needs at least two"):
        tessel.calibrate("cortex-m7", [one], ["cpu.params.load_cycles_per_mac"],
                         cross_validate=True)
    with pytest.raises(tessel.ConfigError, match="threads must be"):
        tessel.calibrate("cortex-m7", [truth_rows], threads=-1)
