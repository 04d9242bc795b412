"""Peak L2 against latency of MobileNetV2 0.35 on GAP9 with the weights' home in L3,
with and without partial execution, as the L2 limit falls (docs/performance.md).

    PYTHONPATH=build/python /usr/bin/python3 scripts/partial_execution_curve.py \
        docs/partial_execution.png

Prints one line per limit and setting: the limit (L2's bytes for tensors: the level's
size less its reserve for code and runtime), the plan's L2 arena, the latency and the
layers run in slices; draws both curves into the PNG.
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import tessel  # noqa: E402

SOC = "tests/data/soc/gap9_weights_l3.yaml"
MODEL = "mobilenetv2-0.35"
LIMITS_KIB = [256, 192, 160, 144, 128, 112, 100, 96, 88, 80, 72, 64, 56, 48]


def point(limit_kib, partial):
    reserved = tessel.load_soc(SOC).memory("L2").reserved_bytes
    try:
        r = tessel.explore(MODEL, SOC, max_memory={"L2": reserved + limit_kib * 1024},
                           partial_execution=partial)
    except tessel.MappingError:
        return None
    layers = r.layers
    sliced = sorted(set(layers.loc[layers["slice"].notna(), "layer"]))
    return {"limit": limit_kib, "l2": r.total["peak_bytes"]["L2"],
            "cycles": r.total["cycles"], "sliced": sliced}


def main(png):
    curves = {}
    for partial in (True, False):
        rows = []
        for kib in LIMITS_KIB:
            p = point(kib, partial)
            if p is None:
                print(f"L2={kib}KiB partial={partial}: does not fit")
                continue
            print(f"L2={kib}KiB partial={partial}: arena {p['l2']} B, {p['cycles']:.0f} cycles, "
                  f"sliced {len(p['sliced'])} layers")
            rows.append(p)
        curves[partial] = rows
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for partial, style in ((False, "s--"), (True, "o-")):
        rows = curves[partial]
        ax.plot([p["l2"] / 1024 for p in rows], [p["cycles"] / 1e6 for p in rows], style,
                label="with partial execution" if partial else "spilling activations to L3 only")
    ax.set_xlabel("peak L2 (memory plan arena, KiB)")
    ax.set_ylabel("latency (M cycles)")
    ax.set_title(f"{MODEL} on GAP9, weights in L3")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png, dpi=120)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "partial_execution.png")
