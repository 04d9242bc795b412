"""Hardware parameter sweeps: tessel.sweep, tessel.read_sweep, tessel.pareto (docs/sweep.md)."""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from typing import Any, Dict, Iterable, Optional, Sequence

import pandas as pd

from . import _tessel

_native = _tessel.sweep

# The worker side of a Dask sweep: one plan per spec and process, so that the
# points a worker runs share its layer results.
_worker_plans: Dict[Any, Any] = {}


def _run_points(spec_json: str, reuse: bool, indices: Sequence[int]) -> list:
    """Runs a block of a sweep's points (on a Dask worker); their rows as JSON text."""
    plan = _worker_plans.get((spec_json, reuse))
    if plan is None:
        plan = _native.SweepPlan(spec_json, reuse)
        _worker_plans[(spec_json, reuse)] = plan
    return [plan.run(index) for index in indices]


def _blocks(pending: Sequence[int], workers: int, chunk: Optional[int]) -> list:
    """Consecutive points in blocks: neighbours in a grid differ in the last parameters
    only, so a block shares most layer results in its worker's cache. By default a
    block is an eighth of a worker's share, so that the workers stay balanced."""
    if chunk is None:
        chunk = max(1, len(pending) // (8 * max(1, workers)))
    return [list(pending[i:i + chunk]) for i in range(0, len(pending), chunk)]


def _spec_json(spec: Any, sets: Sequence[str]) -> str:
    if isinstance(spec, dict):  # JSON is YAML
        return _native.spec_json(json.dumps(spec), False, list(sets))
    if isinstance(spec, os.PathLike) or (isinstance(spec, str) and "\n" not in spec
                                         and os.path.exists(spec)):
        return _native.spec_json(os.fspath(spec), True, list(sets))
    if isinstance(spec, str):
        return _native.spec_json(spec, False, list(sets))
    raise TypeError("spec must be a YAML file path, YAML text or a dict")


def sweep(spec: Any, db: str = "tessel.sqlite", *, sets: Iterable[str] = (),
          resume: bool = False, threads: int = 0, client: Any = None,
          reuse: bool = True, chunk: Optional[int] = None) -> pd.DataFrame:
    """Runs a sweep as ``tessel sweep SPEC --db DB`` does and returns :func:`read_sweep`'s frame.

    ``spec`` is a spec file, YAML text or a dict (docs/sweep.md); ``sets`` are ``--set``
    items. With ``client`` (a ``dask.distributed.Client``) the points run on its
    workers, each with the C++ engine and its own threads, and the rows are written
    here, into ``db``, one point per transaction; the rows are those of a local run.
    Each Dask task runs ``chunk`` consecutive points (default: an eighth of a worker's
    share), which then share the layer results of that worker's cache.
    Bad specs raise :class:`tessel.ConfigError` before anything is written."""
    if chunk is not None and chunk < 1:
        raise ValueError(f"chunk must be at least 1 (got {chunk})")
    spec_json = _spec_json(spec, list(sets))
    plan = _native.SweepPlan(spec_json, reuse)
    command = "tessel.sweep(" + " ".join(sys.argv[:1]) + ")"
    if client is None:
        sweep_id = _native.run_sweep(plan, os.fspath(db), resume, command, threads)
        return read_sweep(db, sweep_id)
    store = _native.SweepStore(os.fspath(db), plan, resume, command)
    pending = store.pending()
    from dask.distributed import as_completed  # the Debian package python3-distributed
    blocks = _blocks(pending, len(client.scheduler_info()["workers"]), chunk)
    futures = client.map(_run_points, [spec_json] * len(blocks), [reuse] * len(blocks), blocks,
                         pure=False)
    for future in as_completed(futures):
        for row in future.result():
            store.put(row)
    return read_sweep(db, store.sweep_id)


def read_sweep(db: str, sweep: Optional[int] = None) -> pd.DataFrame:
    """The rows of a stored sweep (the latest without ``sweep``): one per (point, network).

    Columns: ``sweep``, ``point`` (id), ``index``, one per parameter path with its value,
    ``model``, ``status`` (``ok`` / ``infeasible``), ``message``, ``cycles``,
    ``energy_uj``, ``area_mm2``, ``peak_bytes`` (dict: level -> bytes). Raises
    :class:`tessel.IoError` for a missing file, :class:`tessel.ConfigError` when the file
    holds no such sweep."""
    path = os.fspath(db)
    if not os.path.exists(path):
        raise _tessel.IoError(f"cannot open database '{path}': no such file")
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        if sweep is None:
            row = con.execute("SELECT max(id) FROM sweeps").fetchone()
            if row is None or row[0] is None:
                raise _tessel.ConfigError(f"database '{path}' holds no sweep")
            sweep = int(row[0])
        rows = con.execute(
            "SELECT p.point, p.idx, p.params, p.area_mm2, r.model, r.status, r.message, "
            "r.cycles, r.energy_uj, r.peak_bytes FROM sweep_points p JOIN sweep_results r "
            "ON r.sweep_id = p.sweep_id AND r.point = p.point WHERE p.sweep_id = ? "
            "ORDER BY p.idx, r.rowid", (sweep,)).fetchall()
    except sqlite3.Error as e:
        raise _tessel.StoreError(f"database '{path}': {e}") from None
    finally:
        con.close()
    records = []
    for point, idx, params, area, model, status, message, cycles, energy, peak in rows:
        rec: Dict[str, Any] = {"sweep": sweep, "point": point, "index": idx}
        rec.update(json.loads(params))
        rec.update({"model": model, "status": status, "message": message, "cycles": cycles,
                    "energy_uj": energy, "area_mm2": area,
                    "peak_bytes": json.loads(peak) if peak else None})
        records.append(rec)
    return pd.DataFrame.from_records(records)


_AXES = ("cycles", "energy_uj", "area_mm2")


def point_totals(df: pd.DataFrame, model: Optional[str] = None) -> pd.DataFrame:
    """Per point: its values and the sums of ``cycles`` and ``energy_uj`` over its networks
    (one network's with ``model``), ``area_mm2``, and ``feasible`` (every network mapped)."""
    if model is not None:
        if model not in set(df["model"]):
            raise _tessel.ConfigError(f"the sweep has no network '{model}' (networks: "
                                      f"{', '.join(sorted(set(df['model'])))})")
        df = df[df["model"] == model]
    fixed = ["sweep", "point", "index", "model", "status", "message", "cycles", "energy_uj",
             "area_mm2", "peak_bytes"]
    params = [c for c in df.columns if c not in fixed]
    grouped = df.groupby("index", sort=True)
    out = grouped[["point"] + params + ["area_mm2"]].first()
    out["cycles"] = grouped["cycles"].sum(min_count=1)
    out["energy_uj"] = grouped["energy_uj"].sum(min_count=1)
    out["feasible"] = grouped["status"].apply(lambda s: bool((s == "ok").all()))
    return out.reset_index()


def pareto(df: pd.DataFrame, x: str = "cycles", y: str = "energy_uj",
           z: Optional[str] = "area_mm2", model: Optional[str] = None) -> pd.DataFrame:
    """The non-dominated points of :func:`read_sweep`'s frame over the axes (all minimised),
    as ``tessel pareto`` gives them: per-point totals, infeasible points and points with
    an unknown value on an axis left out."""
    axes = [a for a in (x, y, z) if a is not None]
    for a in axes:
        if a not in _AXES:
            raise _tessel.ConfigError(f"unknown axis '{a}'; axes: {', '.join(_AXES)}")
    totals = point_totals(df, model)
    usable = totals[totals["feasible"]].dropna(subset=axes).reset_index(drop=True)
    front = _native.pareto_front(usable[axes].astype(float).values.tolist())
    return usable.iloc[front].reset_index(drop=True)
