"""Runs spec.yaml's 1,000-point sweep on a local Dask cluster and reports its throughput.

    PYTHONPATH=build/python /usr/bin/python3 experiments/sweep_1000/dask_run.py \
        [--workers 2] [--db dask.sqlite] [--compare local.sqlite]

Starts a scheduler and --workers worker processes (one task thread each; the engine
inside a task uses its own TBB threads) on 127.0.0.1, runs tessel.sweep with a client
on them, and prints the points per second, counting from the first task sent to the
last row written (worker start-up excluded, each worker's first import of tessel
included). With --compare, checks that the rows equal those of a local sweep of the
same spec stored in that file (`tessel sweep experiments/sweep_1000/spec.yaml --db
local.sqlite`). docs/performance.md reports the figures.
"""

import argparse
import os
import sqlite3
import sys
import time

import tessel

HERE = os.path.dirname(os.path.abspath(__file__))


def rows(db: str):
    """The sweep's result rows, in a canonical order."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT point, model, status, message, cycles, energy_uj, peak_bytes "
                           "FROM sweep_results ORDER BY point, model").fetchall()
    finally:
        con.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--db", default="sweep_1000_dask.sqlite")
    ap.add_argument("--compare", help="a local run's database to compare the rows with")
    args = ap.parse_args()
    for ext in ("", "-wal", "-shm"):
        if os.path.exists(args.db + ext):
            os.remove(args.db + ext)
    from distributed import Client, LocalCluster  # Debian python3-distributed

    # The workers import the tessel package this script imported.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(tessel.__file__)))
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(args.workers)
        start = time.perf_counter()
        df = tessel.sweep(os.path.join(HERE, "spec.yaml"), args.db, client=client)
        seconds = time.perf_counter() - start
    points = df["index"].nunique()
    print(f"{points} points x {df['model'].nunique()} networks on {args.workers} Dask workers "
          f"in {seconds:.2f} s ({points / seconds:.2f} points/s)")
    if args.compare:
        same = rows(args.db) == rows(args.compare)
        print("rows equal to the local run's" if same else "rows DIFFER from the local run's")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
