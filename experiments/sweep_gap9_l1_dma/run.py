"""Runs the sweep of spec.yaml and writes its Pareto plot.

    PYTHONPATH=build/python /usr/bin/python3 experiments/sweep_gap9_l1_dma/run.py \
        [--db sweep.sqlite] [--png pareto.png] [--resume | --overwrite]

Prints the non-dominated points over cycles, energy and area (tessel.pareto) and
writes the plot of every point over cycles and energy, coloured by area
(tessel.plot.pareto_sweep). The tests run it in a temporary directory.
"""

import argparse
import os

import matplotlib

matplotlib.use("Agg")

import tessel  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default="sweep_gap9_l1_dma.sqlite")
    ap.add_argument("--png", default="sweep_gap9_l1_dma_pareto.png")
    ap.add_argument("--resume", action="store_true", help="continue the sweep in --db")
    ap.add_argument("--overwrite", action="store_true", help="delete --db first")
    args = ap.parse_args()
    if args.overwrite:
        for ext in ("", "-wal", "-shm"):
            if os.path.exists(args.db + ext):
                os.remove(args.db + ext)
    df = tessel.sweep(os.path.join(HERE, "spec.yaml"), args.db, resume=args.resume)
    front = tessel.pareto(df)
    cols = ["index", "memories.L1.size", "dmas.cluster_dma.bandwidth", "units.ne16", "cycles",
            "energy_uj", "area_mm2"]
    print(front[cols].to_string(index=False))
    tessel.plot.pareto_sweep(df, path=args.png)
    print(f"{len(front)} of {df['index'].nunique()} points on the front; plot: {args.png}")


if __name__ == "__main__":
    main()
