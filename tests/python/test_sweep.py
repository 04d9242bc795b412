"""tessel.sweep, read_sweep, pareto and plot.pareto_sweep; a sweep on a real Dask cluster."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

import tessel

SPEC = """soc: gap9
models: [dscnn, autoencoder]
parameters:
  memories.L1.size: [64 KiB, 128 KiB]
  dmas.cluster_dma.bandwidth: {range: [4 B/cycle, 16 B/cycle], steps: 3}
  units.ne16: [present, absent]
"""

FIGURES = ["cycles", "energy_uj", "area_mm2", "status"]


def _rows(df):
    return df.drop(columns=["sweep"]).sort_values(["index", "model"]).reset_index(drop=True)


def test_sweep_rows_equal_the_cli(tmp_path, tessel_cli):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    df = tessel.sweep(str(spec), tmp_path / "py.sqlite")
    assert len(df) == 12 * 2 and set(df["model"]) == {"dscnn", "autoencoder"}
    out = subprocess.run([tessel_cli, "sweep", str(spec), "--db", str(tmp_path / "cli.sqlite"),
                          "--json"], capture_output=True, text=True, check=True)
    cli = json.loads(out.stdout)["points"]
    for row, c in zip(_rows(df).itertuples(), sorted(cli, key=lambda r: (r["index"], r["model"]))):
        assert (row.point, row.model, row.cycles, row.energy_uj) == (
            c["point"], c["model"], c["cycles"], c["energy_uj"])
        assert row.area_mm2 == pytest.approx(c["area_mm2"])
    assert df["area_mm2"].notna().all()
    # NE16 absent: less area at every point.
    present = df[df["units.ne16"] == "present"]["area_mm2"].iloc[0]
    absent = df[df["units.ne16"] == "absent"]["area_mm2"].iloc[0]
    assert absent < present


def test_sweep_from_a_dict_with_sets_and_pareto(tmp_path, tessel_cli):
    spec = {"soc": "gap9", "models": ["dscnn"],
            "parameters": {"units.ne16": ["present", "absent"]}}
    db = tmp_path / "d.sqlite"
    df = tessel.sweep(spec, db, sets=["dmas.cluster_dma.bandwidth=2,8"])
    assert len(df) == 4 and "dmas.cluster_dma.bandwidth" in df.columns
    front = tessel.pareto(df, z=None)
    out = subprocess.run([tessel_cli, "pareto", "--db", str(db), "--z", "none", "--json"],
                         capture_output=True, text=True, check=True)
    cli = json.loads(out.stdout)["front"]
    assert sorted(front["point"]) == sorted(f["point"] for f in cli)
    assert tessel.read_sweep(db).equals(df)
    fig = tessel.plot.pareto_sweep(df, path=tmp_path / "front.png")
    assert fig is not None and (tmp_path / "front.png").stat().st_size > 0
    with pytest.raises(tessel.ConfigError, match="unknown axis 'speed'"):
        tessel.pareto(df, x="speed")


def test_bad_specs_raise_and_write_nothing(tmp_path):
    db = tmp_path / "bad.sqlite"
    with pytest.raises(tessel.ConfigError, match="parameters.memories.L7.size"):
        tessel.sweep({"models": ["dscnn"], "parameters": {"memories.L7.size": ["64 KiB"]}}, db)
    with pytest.raises(tessel.ConfigError, match="unknown sampling"):
        tessel.sweep({"parameters": {"memories.L1.size": ["64 KiB"]}, "sampling": "sobol"}, db)
    assert not db.exists()
    with pytest.raises(tessel.IoError):
        tessel.read_sweep(tmp_path / "none.sqlite")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def dask_cluster(tmp_path):
    """A Dask scheduler and two worker processes on loopback, stopped afterwards."""
    pytest.importorskip("distributed")
    scheduler_bin, worker_bin = shutil.which("dask-scheduler"), shutil.which("dask-worker")
    if not scheduler_bin or not worker_bin:
        pytest.fail("dask-scheduler / dask-worker missing: install python3-distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = dict(os.environ)  # the workers import this tessel package
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(tessel.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([package_root] + [
        p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    log = open(tmp_path / "dask.log", "w")
    procs = [subprocess.Popen([sys.executable, scheduler_bin, "--host", "127.0.0.1", "--port",
                               str(port), "--no-dashboard"], stdout=log, stderr=log, env=env,
                              cwd=tmp_path)]
    try:
        for i in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, worker_bin, address, "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--host", "127.0.0.1",
                 "--local-directory", str(tmp_path / f"w{i}")],
                stdout=log, stderr=log, env=env, cwd=tmp_path))
        from distributed import Client
        client = Client(address, timeout=60)
        client.wait_for_workers(2, timeout=120)
        yield client
        client.close()
    finally:
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        log.close()


def test_a_sweep_on_dask_workers_gives_the_local_rows(tmp_path, dask_cluster):
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    local = tessel.sweep(str(spec), tmp_path / "local.sqlite")
    start = time.time()
    remote = tessel.sweep(str(spec), tmp_path / "dask.sqlite", client=dask_cluster)
    assert time.time() - start < 600
    workers = dask_cluster.run(lambda: os.getpid())
    assert len(workers) == 2
    a, b = _rows(local), _rows(remote)
    assert list(a["point"]) == list(b["point"])
    assert a[FIGURES + ["model", "index"]].equals(b[FIGURES + ["model", "index"]])
    # Run again with resume: nothing left to do, the rows stay.
    again = tessel.sweep(str(spec), tmp_path / "dask.sqlite", client=dask_cluster, resume=True)
    assert _rows(again).equals(b)
    # One point per task and no reuse on the workers: the same rows.
    single = tessel.sweep(str(spec), tmp_path / "single.sqlite", client=dask_cluster, chunk=1,
                          reuse=False)
    assert _rows(single)[FIGURES + ["model", "index"]].equals(b[FIGURES + ["model", "index"]])
    with pytest.raises(ValueError, match="chunk"):
        tessel.sweep(str(spec), tmp_path / "none.sqlite", client=dask_cluster, chunk=0)
    assert not (tmp_path / "none.sqlite").exists()
