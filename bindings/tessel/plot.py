"""Plots of exploration results (matplotlib, no pyplot: safe under any backend).

Every function returns a :class:`matplotlib.figure.Figure` and, when ``path`` is
given, also writes it there as PNG. In Jupyter (``%matplotlib inline``) a returned
figure displays as the cell's value.
"""

from __future__ import annotations

import os
from typing import Dict, List, Optional, Union

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle
import numpy as np
import pandas as pd

from ._explore import ExploreResult

__all__ = ["latency_breakdown", "memory_plan", "pareto_front", "pareto_sweep", "roofline"]

_HATCHES = ["", "///", "...", "xxx", "\\\\\\", "+++", "ooo", "---"]
_PARTS = [("compute_cycles", "compute", "#4C72B0"), ("dma_cycles", "DMA (exposed)", "#DD8452"),
          ("overhead_cycles", "overhead", "#55A868"), ("other", "stall + conversion", "#8C8C8C")]


def _save(fig: Figure, path: Optional[Union[str, "os.PathLike[str]"]]) -> Figure:
    if path is not None:
        fig.savefig(os.fspath(path), dpi=120, bbox_inches="tight", format="png")
    return fig


def _unit_hatches(units: List[str]) -> Dict[str, str]:
    return {u: _HATCHES[i % len(_HATCHES)] for i, u in enumerate(units)}


def latency_breakdown(result: ExploreResult, network: Optional[str] = None,
                      path: Optional[Union[str, "os.PathLike[str]"]] = None) -> Figure:
    """Per-layer latency as stacked bars: compute, exposed DMA, overhead, and stall plus
    layout conversion; the hatching of a bar says which unit runs the layer. One panel per
    network (or only ``network``)."""
    df = result.layers
    if network is not None:
        if network not in set(df["network"]):
            raise KeyError(f"no network '{network}' in this result "
                           f"(networks: {', '.join(dict.fromkeys(df['network']))})")
        df = df[df["network"] == network]
    nets = list(dict.fromkeys(df["network"]))
    units = list(dict.fromkeys(df["unit"]))
    hatch = _unit_hatches(units)
    widest = max(len(df[df["network"] == n]) for n in nets)
    fig = Figure(figsize=(max(6.0, 0.32 * widest + 2.5), 3.4 * len(nets)),
                 layout="constrained")
    axes = fig.subplots(len(nets), 1, squeeze=False)[:, 0]
    with matplotlib.rc_context({"hatch.linewidth": 0.6}):
        for ax, net in zip(axes, nets):
            d = df[df["network"] == net].reset_index(drop=True)
            other = d["stall_cycles"] + d["transition_cycles"]
            x = np.arange(len(d))
            bottom = np.zeros(len(d))
            for col, label, color in _PARTS:
                vals = (other if col == "other" else d[col]).to_numpy(dtype=float)
                if col == "other" and not vals.any():
                    continue
                ax.bar(x, vals, bottom=bottom, color=color, edgecolor="black", linewidth=0.4,
                       hatch=None, label=label, width=0.8)
                bottom += vals
            # Hatching per unit drawn over the whole stack.
            for i, u in enumerate(d["unit"]):
                if hatch[u]:
                    ax.bar(x[i], bottom[i], color="none", edgecolor="black", linewidth=0,
                           hatch=hatch[u], width=0.8)
            ax.set_xticks(x, d["layer"], rotation=70, ha="right", fontsize=7)
            ax.set_ylabel("cycles")
            ax.ticklabel_format(axis="y", style="sci", scilimits=(-3, 4))
            tot = d["cycles"].sum()
            ax.set_title(f"{net} on {result.soc.name} ({result.mapper} mapper): "
                         f"{tot:,.0f} cycles, {tot / result.soc.clock_hz * 1e3:.3f} ms",
                         fontsize=9)
            ax.grid(axis="y", alpha=0.3)
            ax.set_axisbelow(True)
        handles = [Patch(facecolor=c, edgecolor="black", label=l) for col, l, c in _PARTS
                   if col != "other" or (df["stall_cycles"] + df["transition_cycles"]).any()]
        handles += [Patch(facecolor="white", edgecolor="black", hatch=hatch[u] * 2,
                          label=f"unit {u}") for u in units]
        axes[0].legend(handles=handles, fontsize=7, ncol=2, loc="upper right")
    return _save(fig, path)


def _front_2d(df: pd.DataFrame) -> pd.DataFrame:
    """The points not dominated in (cycles, energy_uj), sorted by cycles."""
    d = df.sort_values(["cycles", "energy_uj"], kind="stable")
    keep, best = [], np.inf
    for i, e in zip(d.index, d["energy_uj"]):
        if e < best:
            keep.append(i)
            best = e
    return d.loc[keep]


def pareto_front(data: Union[ExploreResult, pd.DataFrame], layer: Union[int, str, None] = None,
                 network: Optional[str] = None, unit: Optional[str] = "all",
                 path: Optional[Union[str, "os.PathLike[str]"]] = None) -> Figure:
    """Latency-energy trade-off of one layer: the points of its Pareto front (over cycles,
    energy and memory; from ``result.pareto(layer, network, unit)`` or a DataFrame of that
    form), coloured by unit, with the latency-energy front as a step line and the
    scheduled mapping starred."""
    if isinstance(data, ExploreResult):
        if layer is None:
            raise ValueError("pareto_front: give the layer (name or row of result.layers)")
        df = data.pareto(layer, network=network, unit=unit)
    elif isinstance(data, pd.DataFrame):
        df = data
    else:
        raise TypeError("pareto_front takes an ExploreResult or a DataFrame from .pareto()")
    if df.empty:
        raise ValueError("pareto_front: no points to plot")
    fig = Figure(figsize=(6.0, 4.2), layout="constrained")
    ax = fig.subplots()
    colors = matplotlib.colormaps["tab10"]
    for i, (u, d) in enumerate(df.groupby("unit", sort=False)):
        ax.scatter(d["cycles"], d["energy_uj"], s=18, color=colors(i % 10), alpha=0.75,
                   label=f"{u} ({len(d)} points)")
    front = _front_2d(df)
    ax.step(front["cycles"], front["energy_uj"], where="post", color="black", linewidth=1.4,
            zorder=4, label=f"latency-energy front ({len(front)} points)")
    if "chosen" in df and df["chosen"].any():
        c = df[df["chosen"]]
        ax.scatter(c["cycles"], c["energy_uj"], marker="*", s=180, color="gold",
                   edgecolor="black", zorder=5, label="scheduled")
    if df["cycles"].max() > 10 * df["cycles"].min():
        ax.set_xscale("log")
    if df["energy_uj"].max() > 10 * df["energy_uj"].min():
        ax.set_yscale("log")
    ax.set_xlabel("cycles")
    ax.set_ylabel("energy (uJ)")
    title = f"{df['network'].iloc[0]} / {df['layer'].iloc[0]}" if "layer" in df else "layer"
    ax.set_title(f"{title}: Pareto points over (cycles, energy, memory)", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return _save(fig, path)


def roofline(result: ExploreResult, path: Optional[Union[str, "os.PathLike[str]"]] = None,
             peaks: Optional[Dict[str, float]] = None) -> Figure:
    """Roofline-style view per compute unit: each layer with MACs at (operational
    intensity = MACs / bytes moved by DMA, achieved MACs per SoC cycle). Roofs: the
    bandwidth of the DMA feeding the unit's level (or the level's read bandwidth when the
    unit reads the home level directly) and the unit's compute peak, from ``peaks``
    ({unit: MACs per cycle}) when given, else the best compute-only throughput (MACs /
    compute cycles) of its layers in this result, drawn dashed."""
    df = result.layers
    soc = result.soc
    graphs = {g.name: g for g in result.native.graphs}
    df = df[df["macs"] > 0].copy()
    if df.empty:
        raise ValueError("roofline: no layer with MACs in this result")
    # Layers whose operands are not moved (read in place) count their own bytes.
    own = [graphs[n].layers[i] for n, i in zip(df["network"], df["index"])]
    own_bytes = np.array([l.input_bytes + l.weight_bytes + l.output_bytes for l in own])
    moved = df["bytes_moved"].to_numpy(dtype=float)
    df["bytes"] = np.where(moved > 0, moved, own_bytes)
    df["intensity"] = df["macs"] / df["bytes"]
    df["achieved"] = df["macs"] / (df["cycles"] - df["transition_cycles"])
    df["compute_only"] = df["macs"] / df["compute_cycles"].where(df["compute_cycles"] > 0)
    units = list(dict.fromkeys(df["unit"]))
    nets = list(dict.fromkeys(df["network"]))
    colors = matplotlib.colormaps["tab10"]
    fig = Figure(figsize=(4.6 * len(units), 4.0), layout="constrained")
    axes = fig.subplots(1, len(units), squeeze=False)[0]
    home = soc.home["activations"]
    for ax, u in zip(axes, units):
        d = df[df["unit"] == u]
        for i, n in enumerate(nets):
            dn = d[d["network"] == n]
            if not dn.empty:
                ax.scatter(dn["intensity"], dn["achieved"], s=22, color=colors(i % 10),
                           label=n, zorder=3)
        lo = min(d["intensity"].min(), 0.5) / 2
        hi = d["intensity"].max() * 4
        x = np.geomspace(lo, hi, 200)
        level = soc.unit(u).reads["I"]
        bw = soc.dma_bandwidth(home, level) if level != home else None
        bw_label = f"DMA {home}->{level}"
        if bw is None:
            bw = soc.memory(level).read_bandwidth_bytes_per_cycle
            bw_label = f"{level} read"
        given = peaks is not None and u in peaks
        peak = float(peaks[u]) if given else float(np.nanmax(d["compute_only"]))
        ax.plot(x, np.minimum(bw * x, peak), color="black", linewidth=1.2)
        ax.plot(x, bw * x, color="black", linewidth=0.6, linestyle=":",
                label=f"{bw_label}: {bw:g} B/cycle")
        ax.axhline(peak, color="firebrick", linewidth=1, linestyle="-" if given else "--",
                   label=(f"peak {peak:.3g} MAC/cycle" if given
                          else f"best compute-only {peak:.3g} MAC/cycle"))
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(min(d["achieved"].min(), peak) / 3, peak * 3)
        ax.set_xlim(lo, hi)
        ax.set_xlabel("operational intensity (MACs / byte moved)")
        ax.set_ylabel("achieved MACs / cycle")
        ax.set_title(f"{u} on {soc.name} ({len(d)} layers)", fontsize=9)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


_ROLE_COLOURS = {"activation": "#4C72B0", "weights": "#DD8452", "params": "#C44E52",
                 "scratch": "#55A868"}


def memory_plan(plan: Union[ExploreResult, Dict], network: Optional[str] = None,
                levels: Optional[List[str]] = None,
                path: Optional[Union[str, "os.PathLike[str]"]] = None) -> Figure:
    """The static memory plan over time: one panel per memory level (those with an
    arena, or ``levels``), one rectangle per tensor from its first to its last step
    (x) at its offset and size in the level's arena (y), coloured by role; the arena
    and its lower bound as lines. ``plan`` is an :class:`ExploreResult` or a
    ``memory_plan`` dict as ``tessel explore --json`` prints it; ``network`` picks one
    network when the plan has several (default: the first)."""
    data = plan.memory_plan if isinstance(plan, ExploreResult) else plan
    tensors = pd.DataFrame(data["tensors"])
    if tensors.empty:
        raise ValueError("the memory plan has no tensors")
    nets = list(dict.fromkeys(tensors["network"]))
    net = nets[0] if network is None else network
    if net not in nets:
        raise ValueError(f"no network {net!r} in the plan (networks: {', '.join(nets)})")
    tensors = tensors[tensors["network"] == net]
    arenas = data["levels"]
    names = levels or [n for n in arenas if arenas[n]["arena_bytes"] > 0]
    unknown = [n for n in names if n not in arenas]
    if unknown:
        raise ValueError(f"no level {unknown[0]!r} in the plan (levels: {', '.join(arenas)})")
    fig = Figure(figsize=(10, 2.6 * len(names)))
    steps = int(tensors["last_step"].max()) + 1
    for k, name in enumerate(names):
        ax = fig.add_subplot(len(names), 1, k + 1)
        at = tensors[tensors["level"] == name]
        for _, t in at.iterrows():
            ax.add_patch(Rectangle(
                (t["first_step"], t["offset"]), t["last_step"] + 1 - t["first_step"], t["bytes"],
                facecolor=_ROLE_COLOURS.get(t["role"], "#8C8C8C"), edgecolor="black",
                linewidth=0.3, alpha=0.85))
        arena = arenas[name]["arena_bytes"]
        bound = arenas[name]["lower_bound_bytes"]
        ax.axhline(arena, color="black", linewidth=1, label=f"arena {arena:,} B")
        if bound != arena:
            ax.axhline(bound, color="firebrick", linewidth=1, linestyle="--",
                       label=f"lower bound {bound:,} B")
        ax.set_xlim(0, steps)
        ax.set_ylim(0, max(arena, 1) * 1.05)
        ax.set_ylabel(f"{name} offset (B)")
        ax.set_title(f"{net}: {name}", fontsize=10)
        handles = [Patch(facecolor=c, label=r) for r, c in _ROLE_COLOURS.items()
                   if r in set(at["role"])]
        ax.legend(handles=handles + ax.get_legend_handles_labels()[0], fontsize=7,
                  loc="upper right")
    fig.axes[-1].set_xlabel("step")
    fig.tight_layout()
    return _save(fig, path)


def _main(argv: List[str]) -> int:
    """``python -m tessel.plot memory-plan PLAN.json PNG [NETWORK]``: what ``tessel plan
    --png`` runs."""
    import json
    import sys
    if len(argv) not in (3, 4) or argv[0] != "memory-plan":
        sys.stderr.write("usage: python -m tessel.plot memory-plan PLAN.json PNG [NETWORK]\n")
        return 2
    with open(argv[1], encoding="utf-8") as f:
        plan = json.load(f)
    memory_plan(plan, network=argv[3] if len(argv) == 4 else None, path=argv[2])
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(_main(sys.argv[1:]))


def pareto_sweep(df: pd.DataFrame, x: str = "cycles", y: str = "energy_uj",
                 color: Optional[str] = "area_mm2", model: Optional[str] = None,
                 path: Optional[Union[str, "os.PathLike[str]"]] = None) -> Figure:
    """A sweep's points (``tessel.read_sweep``'s frame) over two axes, coloured by a third
    (``color``, e.g. ``area_mm2``; None: one colour), with the front over all the axes
    (``tessel.pareto``) drawn as a line through its points and ringed."""
    from ._sweep import pareto, point_totals
    totals = point_totals(df, model)
    totals = totals[totals["feasible"]]
    front = pareto(df, x, y, color, model).sort_values(x)
    fig = Figure(figsize=(6.4, 4.4), layout="constrained")
    ax = fig.subplots()
    if color is not None and totals[color].notna().any():
        sc = ax.scatter(totals[x], totals[y], c=totals[color], cmap="viridis", s=22, zorder=2)
        fig.colorbar(sc, ax=ax, label=color)
    else:
        ax.scatter(totals[x], totals[y], s=22, color="#4C72B0", zorder=2)
    two_d = pareto(df, x, y, None, model).sort_values(x)
    ax.step(two_d[x], two_d[y], where="post", color="#C44E52", lw=1.2, zorder=1,
            label=f"front over {x}, {y}")
    ax.scatter(front[x], front[y], s=70, facecolors="none", edgecolors="#C44E52", zorder=3,
               label="front over all axes" if color else "front")
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.set_title(f"{len(totals)} feasible points" + (f", {model}" if model else ""))
    ax.legend(loc="upper right", fontsize=8)
    return _save(fig, path)
