"""Leave-one-source-out cross-validation of the shipped targets against their shipped
measurements (docs/calibration.md, docs/validation.md).

    PYTHONPATH=build/python /usr/bin/python3 scripts/validation.py [--record] \
        [docs/calibration.png]

For each SoC in PARAMS: fits those parameters to all its rows and once per source
without that source's rows (tessel.calibrate(..., cross_validate=True)), and prints per
unit and per source the median and worst |relative error| of the target as shipped,
fitted to all rows, and held out, as markdown tables. With --record it writes
hwmodels/measurements/held-out/<soc>.json, the record `tessel socs show S --fidelity`
shows (made on the target as shipped: remake it when the model or a target changes; the
test "the shipped held-out records match the shipped targets" says when). With a PNG
path it draws measured against predicted cycles, shipped and held out, per SoC.
"""
import datetime
import json
import os
import sys

import tessel

# The parameters fitted per target: the ones the rows can tell apart (docs/calibration.md
# says why these).
PARAMS = {
    "cortex-m7": ["cpu.params.load_cycles_per_mac"],
    "gap9": ["cluster.launch", "cluster.params.load_cycles", "cluster.params.block_cycles",
             "cluster.params.gather_cycles_per_byte"],
}

RECORDS = os.path.join(os.path.dirname(__file__), "..", "hwmodels", "measurements",
                       "held-out")


def pct(x):
    return "-" if x != x else f"{100 * x:.1f} %"  # NaN: not held out


def table(frame, key):
    lines = [f"| {key} | rows | median shipped | worst shipped | median fitted | "
             "worst fitted | median held out | worst held out |",
             "|---|---|---|---|---|---|---|---|"]
    for _, r in frame.iterrows():
        lines.append(f"| {r[key]} | {r['rows']} | {pct(r['median_before'])} | "
                     f"{pct(r['worst_before'])} | {pct(r['median_after'])} | "
                     f"{pct(r['worst_after'])} | {pct(r['median_held_out'])} | "
                     f"{pct(r['worst_held_out'])} |")
    return "\n".join(lines)


def record(soc, params, cal):
    groups = [{"name": g["name"], "before": g["before"], "held_out": g["held_out"]}
              for g in cal.report["groups"] if g["name"] != "all"]
    command = f"tessel calibrate --soc {soc} --params {','.join(params)} --cross-validate"
    return {"soc": soc, "command": command, "date": datetime.date.today().isoformat(),
            "params": params, "groups": groups}


def plot(results, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(results), figsize=(5.5 * len(results), 5), squeeze=False)
    for ax, (soc, cal) in zip(axes[0], results.items()):
        rows = cal.rows
        lo = min(rows["measured"].min(), rows["before"].min()) / 2
        hi = max(rows["measured"].max(), rows["before"].max()) * 2
        ax.plot([lo, hi], [lo, hi], color="grey", lw=0.8, label="predicted = measured")
        for kind, marker in (("layer", "o"), ("network", "s")):
            part = rows[rows["kind"] == kind]
            if part.empty:
                continue
            ax.scatter(part["measured"], part["before"], marker=marker, facecolors="none",
                       edgecolors="tab:red", label=f"{kind} rows, shipped")
            held = part[part["held_out"].notna()]
            ax.scatter(held["measured"], held["held_out"], marker=marker, color="tab:blue",
                       s=18, label=f"{kind} rows, held out")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(lo, hi)
        ax.set_ylim(lo, hi)
        ax.set_xlabel("measured cycles")
        ax.set_ylabel("predicted cycles")
        ax.set_title(f"{soc}: {len(rows)} rows, {len(cal.params)} parameter(s) fitted")
        ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv):
    write = "--record" in argv
    pngs = [a for a in argv if a.endswith(".png")]
    results = {}
    for soc, params in PARAMS.items():
        cal = tessel.calibrate(soc, params=params, cross_validate=True)
        results[soc] = cal
        print(f"## {soc}\n\n{table(cal.units, 'unit')}\n\n{table(cal.sources, 'source')}\n")
        print("| parameter | shipped | fitted to all rows | per fold |\n|---|---|---|---|")
        for _, p in cal.params.iterrows():
            folds = ", ".join(f"{f['source']}: {f[p['path']]:.4g}" if f["fitted"] else
                              f"{f['source']}: -" for _, f in cal.folds.iterrows())
            print(f"| {p['path']} | {p['before']:.4g} | {p['fitted']:.4g} | {folds} |")
        print()
        if write:
            os.makedirs(RECORDS, exist_ok=True)
            path = os.path.join(RECORDS, f"{soc}.json")
            with open(path + ".tmp", "w", encoding="utf-8") as f:
                json.dump(record(soc, params, cal), f, indent=2)
                f.write("\n")
            os.replace(path + ".tmp", path)
    for p in pngs:
        plot(results, p)


if __name__ == "__main__":
    main(sys.argv[1:])
