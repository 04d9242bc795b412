"""Exploration: :func:`explore` (``tessel explore`` from Python), :class:`ExploreResult`,
and :func:`cost` (``tessel cost``)."""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

import pandas as pd

from . import _tessel
from ._model import Model, load_model, load_models
from ._soc import Soc, load_soc

_core = _tessel.core

__all__ = ["explore", "ExploreResult", "cost"]

ModelLike = Union[str, "os.PathLike[str]", Model, "_core.Graph"]


def _models_of(model: Union[ModelLike, Iterable[ModelLike]]) -> List[Model]:
    """Names, aliases, paths, Models and Graphs, alone or in a list, as a flat list."""
    if isinstance(model, (str, os.PathLike)):
        return load_models(model)
    if isinstance(model, Model):
        return [model]
    if isinstance(model, _core.Graph):
        return [Model(model)]
    try:
        items = list(model)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"model: expected a name, a path, a Model or a list of them, "
                        f"got {type(model).__name__}") from None
    out: List[Model] = []
    for m in items:
        if isinstance(m, (list, tuple)):
            raise TypeError("model: nested lists are not accepted")
        out.extend(_models_of(m))
    if not out:
        raise _tessel.ConfigError("explore: the list of models is empty")
    return out


def _units_of(units: Union[None, str, Iterable[str]]) -> List[str]:
    if units is None:
        return []
    if isinstance(units, str):
        return [u.strip() for u in units.split(",") if u.strip()]
    out = []
    for u in units:
        if not isinstance(u, str):
            raise TypeError(f"units: expected unit names, got {u!r}")
        out.append(u)
    return out


def _int_option(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an integer, got {value!r}")
    if value < minimum:
        raise _tessel.ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def explore(model: Union[ModelLike, Sequence[ModelLike]],
            soc: Union[str, "os.PathLike[str]", Soc] = "gap9", *,
            objective: str = "latency", mapper: str = "tessel",
            threads: Optional[int] = None, strategy: str = "auto", budget: int = 200000,
            units: Union[None, str, Sequence[str]] = None, db: Optional[str] = None,
            store: str = "pareto", seed: int = 1,
            max_memory: Optional[Dict[str, Union[int, str]]] = None,
            partial_execution: bool = True, split: bool = True,
            precision_policy: str = "strict", fusion: bool = True) -> "ExploreResult":
    """Maps every layer of every network onto the SoC, as ``tessel explore`` does.

    model
        a zoo name, an alias (``"mlperf-tiny"``), an ONNX path, a :class:`Model`, or a
        list of these.
    soc
        a built-in target, a YAML path, or a :class:`Soc` (e.g. from ``soc.replace``).
    objective
        ``latency`` | ``energy`` | ``edp``: what is minimised.
    mapper
        ``tessel`` (full search) | ``dory`` (DORY-style heuristic) | ``divisor``
        (divisor tiles, first unrolling).
    threads
        worker threads; None for all cores. Results do not depend on it.
    strategy, budget, seed
        ``auto`` or a registered strategy (``tessel.STRATEGIES``, each one's help in
        ``tessel.strategy_help()``); evaluations per layer-unit of the sampling
        strategies (all but ``exhaustive``); their seed.
    units
        only these compute units (``["cluster"]`` or ``"cluster"`` for a cluster-only
        deployment); None for all.
    db, store
        when ``db`` names a SQLite file, the run is written there during the search,
        as ``tessel explore --db DB --store STORE`` (``best`` | ``pareto`` | ``all``).
        Without it, nothing is written; :meth:`ExploreResult.to_sqlite` can do it later.
    max_memory
        memory limits ``{"L2": "256 KiB"}`` (or bytes as ints), as ``tessel explore
        --max-memory L2=256KiB``: the fastest schedule tessel finds whose memory plan fits;
        :class:`tessel.MappingError` naming the level and the smallest plan tessel reaches
        when none does. None: the levels' capacities.
    partial_execution
        False forbids the memory fit to run chains (expand -> depthwise -> project) in
        channel slices, as ``tessel explore --no-partial-execution``.
    split, precision_policy
        False forbids splitting a layer's output channels across units that run at
        once, as ``tessel explore --no-split``; ``strict`` lets a split's parts run only
        on units of the layer's bit widths, ``allow-lower`` also on units of lower weight
        precision (each part's ``weight_bits`` says what it runs at), as
        ``--precision-policy``.
    fusion
        False forbids running a chain of layers fused (band by band of rows, the
        intermediates at the unit's level), as ``tessel explore --no-fusion``.

    The search runs without the GIL; Ctrl-C (or a Jupyter interrupt) stops it and
    raises KeyboardInterrupt, leaving nothing of the run in ``db``. Bad input raises
    :class:`tessel.ConfigError` (option values), :class:`tessel.MappingError` (unknown
    unit, a layer no unit can run), and the loading errors of :func:`load_soc` and
    :func:`load_models`.
    """
    models = _models_of(model)
    the_soc = load_soc(soc)
    unit_list = _units_of(units)
    nthreads = 0 if threads is None else _int_option("threads", threads, 1)
    _int_option("budget", budget, 1)
    _int_option("seed", seed, 0)
    if db is not None and not isinstance(db, (str, os.PathLike)):
        raise TypeError(f"db: expected a path or None, got {db!r}")
    db_path = "" if db is None else os.fspath(db)
    if db is not None and not db_path:
        raise _tessel.ConfigError("db: empty path (pass None to write no database)")
    if max_memory is not None and not isinstance(max_memory, dict):
        raise TypeError(f"max_memory: expected a dict {{level: size}}, got {max_memory!r}")
    limits = [f"{k}={v} B" if isinstance(v, int) else f"{k}={v}"
              for k, v in (max_memory or {}).items()]
    command = _command(models, the_soc, objective, mapper, strategy, budget, unit_list, store)
    native = _tessel.mappers.explore(
        [m.native for m in models], the_soc.native, objective=objective, mapper=mapper,
        strategy=strategy, budget=budget, seed=seed, units=unit_list, threads=nthreads,
        db=db_path, store=store, command=command, max_memory=limits,
        partial_execution=bool(partial_execution), split=bool(split),
        precision_policy=precision_policy, fusion=bool(fusion))
    return ExploreResult(native, models, the_soc)


def _command(models, soc, objective, mapper, strategy, budget, units, store) -> str:
    """What runs.command records for a run made from Python."""
    parts = [f"model={','.join(m.name for m in models)}", f"soc={soc.name}",
             f"objective={objective}", f"mapper={mapper}", f"strategy={strategy}",
             f"budget={budget}", f"store={store}"]
    if units:
        parts.append(f"units={','.join(units)}")
    return "tessel.explore(" + ", ".join(parts) + ")"


_LAYER_COLUMNS = [
    "network", "step", "step_kind", "layer", "slice", "weight_bits", "index", "op", "unit", "tile", "loop_order", "double_buffer",
    "unrolling", "loop_nests", "homes", "cycles", "compute_cycles", "dma_cycles", "overhead_cycles", "stall_cycles",
    "transition_cycles", "energy_uj", "unit_level", "unit_level_bytes", "macs",
    "bytes_moved", "bytes_moved_I", "bytes_moved_W", "bytes_moved_O", "dma_busy_cycles",
    "tiles", "proven", "cached"]

_PARETO_COLUMNS = [
    "network", "layer", "unit", "tile", "loop_order", "double_buffer", "unrolling", "cycles",
    "compute_cycles", "dma_cycles", "overhead_cycles", "stall_cycles", "energy_uj",
    "unit_bytes", "tiles", "chosen"]


class ExploreResult:
    """The outcome of :func:`explore`.

    ``total`` and ``layers`` are what ``tessel explore --json`` prints under ``total``
    and ``layers`` (the DataFrame has more columns); ``networks`` has one row per
    network; ``pareto(layer)`` the Pareto front of a layer; ``schedules`` the native
    schedules; ``to_sqlite(path)`` writes the run as the CLI does.
    """

    def __init__(self, native: "_tessel.mappers.Exploration", models: List[Model], soc: Soc):
        self._native = native
        self._models = list(models)
        self._soc = soc
        self._layers: Optional[pd.DataFrame] = None

    # --- what was run -------------------------------------------------------
    @property
    def native(self) -> "_tessel.mappers.Exploration":
        return self._native

    @property
    def soc(self) -> Soc:
        return self._soc

    @property
    def models(self) -> List[Model]:
        return list(self._models)

    @property
    def objective(self) -> str:
        return self._native.objective

    @property
    def mapper(self) -> str:
        return self._native.mapper

    @property
    def strategy(self) -> str:
        return self._native.strategy

    @property
    def threads(self) -> int:
        return self._native.threads

    @property
    def database(self) -> Optional[str]:
        """The SQLite file written during the run (``db=``), else None."""
        return self._native.database or None

    @property
    def run_id(self) -> Optional[int]:
        """The run's id in :attr:`database`, else None."""
        return self._native.run_id if self._native.database else None

    # --- totals ---------------------------------------------------------------
    @property
    def total(self) -> Dict[str, Any]:
        """``{"cycles", "ms", "energy_uj", "peak_bytes": {level: bytes}}`` over all
        networks, equal to ``tessel explore --json``'s ``total``."""
        return self._native.total()

    @property
    def memory_plan(self) -> Dict[str, Any]:
        """The memory plan, equal to ``tessel explore --json``'s ``memory_plan``:
        ``{"levels": {level: {"arena_bytes", "lower_bound_bytes"}}, "tensors": [...]}``
        (over several networks a level's figures are the largest of any network's)."""
        return self._native.memory_plan()

    def memory_tensors(self) -> pd.DataFrame:
        """One row per planned tensor of every network: network, tensor, role, level,
        offset, bytes, first_step, last_step (inclusive) and alias."""
        return pd.DataFrame(self.memory_plan["tensors"],
                            columns=["network", "tensor", "role", "level", "offset", "bytes",
                                     "first_step", "last_step", "alias"])

    @property
    def search(self) -> Dict[str, Any]:
        """The search figures of the run, as ``tessel explore --json``'s ``search``."""
        n = self._native
        eps = n.evaluated / n.wall_seconds if n.wall_seconds > 0 else 0.0
        return {"evaluated": n.evaluated, "pruned": n.pruned, "proven": n.proven,
                "wall_s": n.wall_seconds, "evaluations_per_second": eps,
                "threads": n.threads}

    @property
    def networks(self) -> pd.DataFrame:
        """One row per network: totals (cycles, ms, energy_uj, peak_<level> bytes) and
        search figures (evaluated, pruned, searches, cache_hits, proven, wall_s)."""
        rows = []
        freq = self._soc.clock_hz
        for r in self._native.results:
            s = r.schedule
            row = {"network": s.network, "cycles": s.cycles, "ms": s.cycles / freq * 1e3,
                   "energy_uj": s.energy * 1e-6}
            for name, b in zip(s.level_names, s.peak_bytes):
                row[f"peak_{name}"] = b
            row.update({"evaluated": r.evaluated, "pruned": r.pruned,
                        "searches": r.searches_run, "cache_hits": r.cache_hits,
                        "proven": r.proven, "wall_s": r.wall_seconds})
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def schedules(self) -> List["_core.NetworkSchedule"]:
        """One native NetworkSchedule per network, in order."""
        return [r.schedule for r in self._native.results]

    @property
    def schedule(self) -> "_core.NetworkSchedule":
        """The schedule of the only network (use :attr:`schedules` for several)."""
        if len(self._models) != 1:
            raise ValueError(f"this result has {len(self._models)} networks; "
                             f"use .schedules (a list) instead of .schedule")
        return self._native.results[0].schedule

    # --- per layer -----------------------------------------------------------
    @property
    def layers(self) -> pd.DataFrame:
        """One row per layer of every network, in execution order: network, layer, slice
        (``"K[0:48]"`` for a part of a chain run in channel slices, None for a whole
        layer; a slice's row has the slice's MACs and tile, and its ``proven`` is the
        network's), op,
        unit, tile, loop_order, double_buffer, unrolling, cycles (including the layout
        conversion before the layer, ``transition_cycles``), compute / dma / overhead /
        stall cycles, energy_uj, the unit's level and the bytes held there, MACs, bytes
        moved by DMA (total and per operand), DMA busy cycles, tile steps, and whether the
        chosen mapping is proven optimal and was reused from an identical layer."""
        if self._layers is not None:
            return self._layers.copy()
        soc = self._soc.native
        rows = []
        for g, r in zip(self._native.graphs, self._native.results):
            for step_index, step in enumerate(r.schedule.steps):
                for k, part in enumerate(step.parts):
                    # The step's layout conversion goes with its first part.
                    first = k == 0
                    rows.append(self._part_row(
                        soc, g, r, step_index, step.kind, part,
                        step.transition_cycles if first else 0.0,
                        step.transition_energy if first else 0.0))
        self._layers = pd.DataFrame(rows, columns=_LAYER_COLUMNS)
        return self._layers.copy()

    @staticmethod
    def _part_row(soc, g, r, step_index: int, step_kind: str, ls, transition: float,
                  transition_energy: float) -> dict:
        """One row of :attr:`layers`: a schedule part and its step's layout conversion."""
        layer = _core.part_layer(g, ls)
        c = ls.cost
        lvl = soc.units[ls.unit].operand_level[0]
        unrollings = soc.models[ls.unit].unrollings
        # A slice's proof and reuse are its chain's, not the whole layer's search.
        search = next((us for us in r.searches[ls.index] if us.unit == ls.unit), None)
        whole = ls.slice.whole
        moved = c.bytes_moved
        default = [soc.activations_home, soc.weights_home, soc.activations_home]
        homes = {op: soc.levels[h if h >= 0 else d].name
                 for op, h, d in zip("IWO", ls.mapping.home, default)}
        return {
            "network": g.name, "step": step_index, "step_kind": step_kind, "layer": ls.layer,
            "slice": None if whole else _core.slice_string(ls.slice),
            "weight_bits": layer.bits["weight"],  # the part's, lower for an allow-lower part
            "index": ls.index,
            "op": layer.op, "unit": ls.unit_name, "tile": _core.tile_string(layer, ls.mapping),
            "loop_order": _core.order_string(layer, ls.mapping),
            "double_buffer": _core.buffering_string(ls.mapping),
            "unrolling": unrollings[ls.mapping.unrolling].name,
            "loop_nests": ls.mapping.depth, "homes": homes, "cycles": c.cycles + transition,
            "compute_cycles": c.compute_cycles, "dma_cycles": c.dma_cycles,
            "overhead_cycles": c.overhead_cycles, "stall_cycles": c.stall_cycles,
            "transition_cycles": transition, "energy_uj": (c.energy + transition_energy) * 1e-6,
            "unit_level": soc.levels[lvl].name, "unit_level_bytes": c.bytes_held[lvl],
            "macs": layer.macs, "bytes_moved": sum(moved.values()),
            "bytes_moved_I": moved["I"], "bytes_moved_W": moved["W"],
            "bytes_moved_O": moved["O"], "dma_busy_cycles": c.dma_busy_cycles,
            "tiles": c.tiles,
            "proven": search.result.proven if whole and search else r.proven,
            "cached": search.cached if whole and search else False}

    def _locate(self, layer: Union[int, str], network: Optional[str]):
        """(graph index, layer index) of a layer given by row of .layers or by name."""
        graphs = self._native.graphs
        if isinstance(layer, bool) or not isinstance(layer, (int, str)):
            raise TypeError(f"layer: expected a name or a row index, got {layer!r}")
        if network is not None:
            idx = [i for i, g in enumerate(graphs) if g.name == network]
            if not idx:
                raise KeyError(f"no network '{network}' in this result "
                               f"(networks: {', '.join(g.name for g in graphs)})")
        else:
            idx = list(range(len(graphs)))
        if isinstance(layer, int):
            if network is None:
                rows = [(gi, li) for gi in idx for li in range(len(graphs[gi]))]
            else:
                rows = [(idx[0], li) for li in range(len(graphs[idx[0]]))]
            if not -len(rows) <= layer < len(rows):
                raise IndexError(f"layer {layer}: this result has {len(rows)} layers")
            return rows[layer]
        hits = [(gi, graphs[gi].find_layer(layer)) for gi in idx]
        hits = [(gi, li) for gi, li in hits if li is not None]
        if not hits:
            raise KeyError(f"no layer '{layer}' in "
                           f"{', '.join(graphs[gi].name for gi in idx)}")
        if len(hits) > 1:
            raise KeyError(f"layer '{layer}' is in several networks "
                           f"({', '.join(graphs[gi].name for gi, _ in hits)}); pass network=")
        return hits[0]

    def searches(self, layer: Union[int, str], network: Optional[str] = None) -> pd.DataFrame:
        """The best mapping of a layer on every unit that can run it: one row per unit with
        its cycles, energy_uj, tile, search figures, and ``chosen`` for the scheduled unit."""
        gi, li = self._locate(layer, network)
        g, r = self._native.graphs[gi], self._native.results[gi]
        ls = _part_of(r.schedule, li)
        soc = self._soc.native
        rows = []
        for us in r.searches[li]:
            res = us.result
            rows.append({"network": g.name, "layer": g.layers[li].name,
                         "unit": soc.units[us.unit].name, "cycles": res.cost.cycles,
                         "energy_uj": res.cost.energy * 1e-6,
                         "tile": _core.tile_string(g.layers[li], res.best),
                         "loop_order": _core.order_string(g.layers[li], res.best),
                         "evaluated": res.evaluated, "pruned": res.pruned,
                         "space_size": res.space_size, "strategy": res.strategy,
                         "proven": res.proven, "cached": us.cached,
                         "pareto_points": len(res.pareto), "chosen": us.unit == ls.unit})
        return pd.DataFrame(rows)

    def pareto(self, layer: Union[int, str], network: Optional[str] = None,
               unit: Optional[str] = None) -> pd.DataFrame:
        """The Pareto front of a layer over (cycles, energy, bytes at the unit's level), of
        the candidates its search evaluated, sorted by cycles.

        ``layer`` is a name or a row index of :attr:`layers`; ``network`` disambiguates a
        name present in several networks. ``unit``: None for the unit the schedule chose,
        a unit name, or ``"all"`` for every unit that can run the layer. ``chosen`` marks
        the scheduled mapping. Cycles here exclude layout conversions.
        """
        gi, li = self._locate(layer, network)
        g, r = self._native.graphs[gi], self._native.results[gi]
        lay = g.layers[li]
        ls = _part_of(r.schedule, li)
        soc = self._soc.native
        searches = list(r.searches[li])
        if unit is None:
            searches = [us for us in searches if us.unit == ls.unit]
        elif unit != "all":
            searches = [us for us in searches if soc.units[us.unit].name == unit]
            if not searches:
                ran = ", ".join(soc.units[us.unit].name for us in r.searches[li])
                raise KeyError(f"unit '{unit}' did not map layer '{lay.name}' "
                               f"(units that did: {ran})")
        rows = []
        for us in searches:
            unrollings = soc.models[us.unit].unrollings
            for p in us.result.pareto:
                c, mp = p.cost, p.mapping
                rows.append({
                    "network": g.name, "layer": lay.name, "unit": soc.units[us.unit].name,
                    "tile": _core.tile_string(lay, mp), "loop_order": _core.order_string(lay, mp),
                    "double_buffer": _core.buffering_string(mp),
                    "unrolling": unrollings[mp.unrolling].name, "cycles": c.cycles,
                    "compute_cycles": c.compute_cycles, "dma_cycles": c.dma_cycles,
                    "overhead_cycles": c.overhead_cycles, "stall_cycles": c.stall_cycles,
                    "energy_uj": c.energy * 1e-6, "unit_bytes": p.unit_bytes, "tiles": c.tiles,
                    "chosen": us.unit == ls.unit and mp == ls.mapping})
        df = pd.DataFrame(rows, columns=_PARETO_COLUMNS)
        return df.sort_values(["cycles", "energy_uj", "unit_bytes"], kind="stable") \
                 .reset_index(drop=True)

    # --- storage --------------------------------------------------------------
    def to_sqlite(self, path: "str | os.PathLike[str]", store: str = "pareto") -> int:
        """Writes this run into a tessel results database (created if missing) as
        ``tessel explore --db PATH --store STORE`` does; ``store`` is ``best`` or
        ``pareto`` (``all`` needs ``explore(db=..., store="all")``). Returns the run id.
        Raises :class:`tessel.StoreError` when the file cannot be written."""
        models = self._models
        command = _command(models, self._soc, self.objective, self.mapper, self.strategy,
                           self._native.budget, list(self._native.units), store)
        return _tessel.store.write_exploration(self._native, os.fspath(path), store, command)

    def __repr__(self) -> str:
        t = self.total
        names = ", ".join(m.name for m in self._models)
        return (f"ExploreResult({names} on {self._soc.name}, {self.mapper} mapper, "
                f"{self.objective}: {t['cycles']:,.0f} cycles, {t['ms']:.3f} ms, "
                f"{t['energy_uj']:.3f} uJ)")


def cost(model: Union[ModelLike], layer: Union[int, str], unit: str,
         soc: Union[str, "os.PathLike[str]", Soc] = "gap9", *, tile: str = "",
         order: str = "", double_buffer: str = "none", unrolling: int = 0) -> pd.Series:
    """The cost of one explicit mapping, as ``tessel cost`` computes it.

    ``tile`` gives tile extents at the unit's memory (``"K=16,OY=8"``; unlisted dims
    whole), ``order`` the tile loops outermost first (``"OY,K"``), ``double_buffer``
    ``none`` | ``all`` | a list of I, W, O; ``unrolling`` indexes the unit's spatial
    unrollings. Returns a Series: legal, reason, cycles and their split, us, energy_pj and
    its split, bytes held per level (``bytes_<level>``), transfers and bytes moved per
    operand, tiles, macs. An illegal mapping comes back with legal False and the reason.
    """
    m = load_model(model)
    s = load_soc(soc)
    lay = m.layer(layer)
    u = s.native.find_unit(unit)
    if u is None:
        raise _tessel.MappingError(f"SoC '{s.name}' has no unit '{unit}' "
                                   f"(units: {', '.join(s.unit_names)})")
    mp = _core.make_mapping(lay, u, tile, order, double_buffer, unrolling)
    c = _tessel.sim.Analytical(s.native).evaluate(lay, mp)
    out: Dict[str, Any] = {
        "layer": lay.name, "unit": unit, "tile": _core.tile_string(lay, mp),
        "loop_order": _core.order_string(lay, mp),
        "double_buffer": _core.buffering_string(mp), "legal": c.legal, "reason": c.reason,
        "cycles": c.cycles, "compute_cycles": c.compute_cycles, "dma_cycles": c.dma_cycles,
        "overhead_cycles": c.overhead_cycles, "stall_cycles": c.stall_cycles,
        "dma_busy_cycles": c.dma_busy_cycles, "us": c.cycles / s.clock_hz * 1e6,
        "energy_pj": c.energy, "compute_energy_pj": c.compute_energy,
        "static_energy_pj": c.static_energy, "dma_energy_pj": c.dma_energy}
    for i, name in enumerate(s.level_names):
        out[f"bytes_{name}"] = c.bytes_held[i]
        out[f"energy_pj_{name}"] = c.level_energy[i]
    for op in ("I", "W", "O"):
        out[f"transfers_{op}"] = c.transfers[op]
        out[f"bytes_moved_{op}"] = c.bytes_moved[op]
    out["tiles"] = c.tiles
    out["macs"] = c.macs
    return pd.Series(out, name=lay.name)



class SimulationResult:
    """The replay of explored schedules in the event simulator (``tessel.simulate``).

    ``layers``: one row per layer with ``analytical_cycles``, ``simulated_cycles`` and
    ``difference_percent`` ((analytical - simulated) / simulated); ``networks``: the
    same per network; ``steps``: per step of more than one part (``kind`` ``fused``: a
    chain run in channel slices, ``concurrent``: a layer split across units) its
    ``layers``, ``parts`` and cycles as a whole (its parts' own simulated figures are
    split where their seams overlap, or stretched by waiting for each other's
    transfers); ``resources``: busy cycles
    and utilisation of every DMA engine, unit and memory level, per network; ``stalls``:
    stall cycles by cause, per network; ``trace``: the trace file written, if any.
    """

    def __init__(self, layers: pd.DataFrame, networks: pd.DataFrame, resources: pd.DataFrame,
                 stalls: pd.DataFrame, trace: Optional[str], steps: pd.DataFrame):
        self.layers = layers
        self.steps = steps
        self.networks = networks
        self.resources = resources
        self.stalls = stalls
        self.trace = trace

    def __repr__(self) -> str:
        return (f"SimulationResult({len(self.networks)} network(s), {len(self.layers)} layer(s), "
                f"max |difference| {self.layers['difference_percent'].abs().max():.2f}%)")


def simulate(model: Union[ModelLike, Sequence[ModelLike], None] = None, soc: Union[str, Soc] = "gap9",
             *, result: Optional[ExploreResult] = None, objective: str = "latency",
             mapper: str = "tessel", layer: Optional[str] = None,
             trace: Optional["str | os.PathLike[str]"] = None, split: bool = True,
             precision_policy: str = "strict", fusion: bool = True) -> SimulationResult:
    """Replays schedules in the event simulator, next to the analytical model.

    As ``tessel simulate``: either the schedules of an exploration (``result=``) or those
    of a fresh ``explore(model, soc, objective=, mapper=, split=, precision_policy=,
    fusion=)``
    (nothing stored). ``layer``
    keeps one layer; ``trace`` writes a Chrome / Perfetto trace JSON (one network only).
    """
    if result is None:
        if model is None:
            raise _tessel.ConfigError("simulate: give a model (and soc) or result=an ExploreResult")
        result = explore(model, soc, objective=objective, mapper=mapper, split=split,
                         precision_policy=precision_policy, fusion=fusion)
    elif not isinstance(result, ExploreResult):
        raise _tessel.ConfigError("simulate: result= must be a tessel.ExploreResult")
    schedules = result.schedules
    if trace is not None and len(schedules) != 1:
        raise _tessel.ConfigError(f"simulate: a trace needs one network; this result has {len(schedules)}")
    native_soc = result.soc.native
    rows, nets, res_rows, stall_rows, fused_rows = [], [], [], [], []
    for model_obj, schedule in zip(result.models, schedules):
        rep = _tessel.sim.replay_schedule(native_soc, model_obj.native, schedule,
                                          "" if trace is None else os.fspath(trace),
                                          layer or "")
        sim, analytical_total = rep.result, rep.analytical_total
        for row in rep.rows:
            rows.append({"network": schedule.network, "layer": row.layer, "unit": row.unit,
                         "analytical_cycles": row.analytical, "simulated_cycles": row.simulated,
                         "difference_percent": _percent(row.analytical, row.simulated)})
        for f in rep.steps:
            fused_rows.append({"network": schedule.network, "step": f.step, "kind": f.kind,
                               "layers": list(f.layers),
                               "parts": f.rows, "analytical_cycles": f.analytical,
                               "simulated_cycles": f.simulated,
                               "difference_percent": _percent(f.analytical, f.simulated)})
        nets.append({"network": schedule.network, "analytical_cycles": analytical_total,
                     "simulated_cycles": sim.cycles,
                     "difference_percent": _percent(analytical_total, sim.cycles),
                     "events": sim.events})
        for r in sim.resources:
            res_rows.append({"network": schedule.network, "resource": r.name, "kind": r.kind,
                             "busy_cycles": r.busy, "utilisation": r.utilisation, "jobs": r.jobs})
        stall_rows.append({"network": schedule.network, **sim.stalls})
    return SimulationResult(pd.DataFrame(rows), pd.DataFrame(nets), pd.DataFrame(res_rows),
                            pd.DataFrame(stall_rows), None if trace is None else os.fspath(trace),
                            pd.DataFrame(fused_rows, columns=_FUSED_STEP_COLUMNS))


_FUSED_STEP_COLUMNS = ["network", "step", "kind", "layers", "parts", "analytical_cycles",
                       "simulated_cycles", "difference_percent"]


def _part_of(schedule, layer_index: int):
    """The (first) schedule part that runs the layer of this index."""
    return next(p for p in schedule.parts if p.index == layer_index)


def _percent(analytical: float, simulated: float) -> float:
    return (analytical - simulated) / simulated * 100 if simulated > 0 else 0.0


def emit(result: ExploreResult, backend: str = "host",
         out_dir: "str | os.PathLike[str]" = "tessel_out", *, network: Optional[str] = None,
         force: bool = False) -> Dict[str, Any]:
    """Writes the C project of a schedule of ``result``, as ``tessel emit`` does.

    backend
        ``host`` | ``gap9`` | ``diana`` | ``cortex-m`` (``tessel.BACKENDS``;
        docs/codegen.md, "Backends").
    out_dir
        the project directory: created; one that is not empty raises
        :class:`tessel.ConfigError` unless ``force``.
    network
        which network's schedule, for a result of several (its name); None for the only one.

    Returns ``{"dir", "files", "constant_bytes", "arena_bytes": {level: bytes}}``;
    ``make -C dir`` builds it. Raises :class:`tessel.UnsupportedError` for what the
    emitter does not run (partial sums into an outer nest's narrow buffer, a unit the
    backend does not drive), naming it.
    """
    if not isinstance(result, ExploreResult):
        raise _tessel.ConfigError("emit: result must be a tessel.ExploreResult")
    pairs = list(zip(result.models, result.schedules))
    if network is not None:
        pairs = [p for p in pairs if p[1].network == network]
        if not pairs:
            names = ", ".join(s.network for s in result.schedules)
            raise _tessel.ConfigError(f"emit: no network '{network}' in this result ({names})")
    elif len(pairs) != 1:
        raise _tessel.ConfigError(f"emit: this result has {len(pairs)} networks; "
                                  "name one with network=")
    model_obj, schedule = pairs[0]
    out = os.fspath(out_dir)
    r = _tessel.codegen.emit(result.soc.native, model_obj.native, schedule, backend, out,
                             bool(force))
    return {"dir": out, "files": list(r.files), "constant_bytes": r.constant_bytes,
            "arena_bytes": {name: b for name, b in zip(schedule.level_names, r.arena_bytes)}}
