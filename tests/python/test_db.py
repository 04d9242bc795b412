"""to_sqlite / explore(db=...) write what `tessel explore --db` writes; read_db reads it."""

import sqlite3
import subprocess

import pandas as pd
import pytest

import tessel

# Columns that legitimately differ between two runs of the same exploration.
VOLATILE = {"id", "run_id", "started_at", "command", "wall_s", "owner", "network_id",
            "layer_id", "schedule_id", "soc_id"}


def table(path, sql):
    with sqlite3.connect(path) as con:
        df = pd.read_sql(sql, con)
    return df.drop(columns=[c for c in df.columns if c in VOLATILE])


def test_to_sqlite_equals_cli(tmp_path, tessel_cli):
    ours, theirs = tmp_path / "py.sqlite", tmp_path / "cli.sqlite"
    run = tessel.explore("resnet8", "gap9").to_sqlite(ours)  # with split layers
    assert run == 1
    subprocess.run([tessel_cli, "explore", "--model", "resnet8", "--soc", "gap9", "--db",
                    str(theirs)], check=True, capture_output=True)
    for sql in ["SELECT * FROM runs", "SELECT * FROM socs", "SELECT * FROM networks",
                "SELECT * FROM layers ORDER BY id", "SELECT * FROM schedules",
                "SELECT * FROM schedule_layers ORDER BY idx",
                "SELECT * FROM candidates ORDER BY id"]:
        a, b = table(ours, sql), table(theirs, sql)
        if "threads" in a:
            a, b = a.drop(columns="threads"), b.drop(columns="threads")
        pd.testing.assert_frame_equal(a, b, check_exact=True, obj=sql)


def test_read_db_round_trip(tmp_path, resnet8_result, mlperf_result):
    path = tmp_path / "runs.sqlite"
    r1 = resnet8_result.to_sqlite(path, store="best")
    r2 = mlperf_result.to_sqlite(path)
    assert (r1, r2) == (1, 2)
    db = tessel.read_db(path)
    assert list(db.runs["id"]) == [1, 2]
    assert list(db.runs["store"]) == ["best", "pareto"]
    assert db.runs.loc[0, "command"].startswith("tessel.explore(model=resnet8")
    assert len(db.socs) == 1 and db.socs.loc[0, "hash"] == resnet8_result.soc.hash
    assert len(db.schedules) == 5
    s = db.schedules.set_index(["run_id", "network"])
    assert s.loc[(1, "resnet8"), "cycles"] == resnet8_result.total["cycles"]
    assert s.loc[(1, "resnet8"), "peak_level_bytes"] == resnet8_result.total["peak_bytes"]
    nets = mlperf_result.networks.set_index("network")
    for net in nets.index:
        assert s.loc[(2, net), "cycles"] == nets.loc[net, "cycles"]
    sl = db.schedule_layers[db.schedule_layers["run_id"] == 1]
    pd.testing.assert_series_equal(
        sl["unit"].reset_index(drop=True), resnet8_result.layers["unit"], check_names=False)
    assert set(db.candidates["kind"]) == {"pareto"}
    assert set(db.candidates["run_id"]) == {2}  # run 1 stored 'best' only
    assert isinstance(db.candidates.loc[0, "level_bytes"], dict)
    only2 = tessel.read_db(path, run=2)
    assert list(only2.runs["id"]) == [2] and len(only2.schedules) == 4
    native = db.schedule(int(s.loc[(1, "resnet8"), "id"]))
    assert native.network == "resnet8" and native.cycles == resnet8_result.total["cycles"]
    assert "gap9" in db.yaml(int(db.socs.loc[0, "id"]))
    assert "2 runs" in repr(db)


def test_pareto_candidates_match_result(tmp_path, resnet8_result):
    path = tmp_path / "p.sqlite"
    resnet8_result.to_sqlite(path)
    db = tessel.read_db(path)
    c = db.candidates[(db.candidates["layer"] == "conv1") & (db.candidates["unit"] == "ne16")]
    front = resnet8_result.pareto("conv1", unit="ne16")
    assert sorted(c["cycles"]) == sorted(front["cycles"])


def test_explore_with_db_streams_all(tmp_path, gap9):
    path = tmp_path / "all.sqlite"
    res = tessel.explore("dscnn", gap9, db=path, store="all", units=["cluster"])
    assert res.database == str(path) and res.run_id == 1
    db = tessel.read_db(path)
    assert db.runs.loc[0, "store"] == "all"
    assert db.runs.loc[0, "evaluated"] == res.search["evaluated"]
    kinds = db.candidates["kind"].value_counts()
    assert kinds["evaluated"] > 0 and kinds["pareto"] > 0
    assert db.schedules.loc[0, "cycles"] == res.total["cycles"]


def test_failed_explore_leaves_no_run(tmp_path, gap9):
    path = tmp_path / "fail.sqlite"
    tessel.explore("autoencoder", gap9, db=path, store="best")
    with pytest.raises(tessel.MappingError):
        tessel.explore("resnet8", gap9, db=path, units=["ne16"])
    db = tessel.read_db(path)
    assert list(db.runs["id"]) == [1] and list(db.networks["name"]) == ["autoencoder"]


def test_read_db_leaves_out_incomplete_runs(tmp_path, tessel_cli):
    db = tmp_path / "runs.sqlite"
    for _ in range(2):
        subprocess.run([tessel_cli, "explore", "--model", "dscnn", "--store", "best",
                        "--db", str(db)], check=True, capture_output=True)
    # Run 2 as a run still being written by a process on another host.
    with sqlite3.connect(db) as con:
        con.execute("UPDATE runs SET complete = 0, owner = 'elsewhere 1 1' WHERE id = 2")
    d = tessel.read_db(db)
    assert list(d.runs["id"]) == [1]
    assert set(d.schedules["run_id"]) == {1}
    assert set(d.layers["run_id"]) == {1}
    assert tessel.read_db(db, run=2).schedules.empty
    with pytest.raises(tessel.StoreError, match="has not completed"):
        d.schedule(2)
