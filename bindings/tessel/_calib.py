"""Calibration against measured cycles: tessel.calibrate (docs/calibration.md)."""

from __future__ import annotations

import json
import os
from typing import Iterable, List, Optional, Union

import pandas as pd

from . import _tessel
from ._soc import Soc, load_soc

_native = _tessel.calib

_STATS = ("median", "worst")


def _errors(table: list, key: str) -> pd.DataFrame:
    """A per-source or per-unit frame: rows, then median and worst |error| before,
    after the fit and held out (NaN when not cross-validated)."""
    out = []
    for g in table:
        row = {key: g["name"], "rows": g["rows"]}
        for when in ("before", "after", "held_out"):
            for stat in _STATS:
                row[f"{stat}_{when}"] = (g[when] or {}).get(stat, float("nan"))
        out.append(row)
    columns = [key, "rows"] + [f"{s}_{w}" for w in ("before", "after", "held_out")
                               for s in _STATS]
    return pd.DataFrame(out, columns=columns)


class Calibration:
    """What :func:`calibrate` fitted, as ``tessel calibrate`` reports it.

    ``rows``: one row per measurement (file, line, source, unit, group, name, kind,
    fit (False: kept out of the least squares), measured, before, after, held_out cycles and their relative errors
    ``error_before``, ``error_after``, ``error_held_out``); ``sources`` and ``units``:
    median and worst absolute relative error per source and per unit (``network`` for
    network rows) and over ``all``; ``params``: path, before, fitted, lo, hi;
    ``folds``: per held-out source, whether it was fitted and the values fitted
    without it. ``overlay``: the overlay SoC file of the fit (YAML text), ``soc``: it
    loaded, ``to_yaml(path)``: it written."""

    def __init__(self, report: dict, overlay: str, origin: Soc, no_overlay: str = ""):
        self._report = report
        self._overlay = overlay
        self._no_overlay = no_overlay
        self._origin = origin
        rows = pd.DataFrame(report["rows"],
                            columns=["file", "line", "source", "unit", "group", "name", "kind",
                                     "fit", "measured", "before", "after", "held_out"])
        rows["held_out"] = pd.to_numeric(rows["held_out"])
        for when in ("before", "after", "held_out"):
            rows[f"error_{when}"] = rows[when] / rows["measured"] - 1
        self.rows: pd.DataFrame = rows
        self.sources: pd.DataFrame = _errors(report["sources"], "source")
        self.units: pd.DataFrame = _errors(report["groups"], "unit")
        self.params: pd.DataFrame = pd.DataFrame(
            report["params"], columns=["path", "before", "fitted", "lo", "hi"])
        names = list(self.params["path"])
        folds = []
        for f in report["folds"]:
            row = {"source": f["source"], "fitted": f["fitted"]}
            row.update({n: (f["values"][i] if f["fitted"] else float("nan"))
                        for i, n in enumerate(names)})
            folds.append(row)
        self.folds: pd.DataFrame = pd.DataFrame(folds, columns=["source", "fitted"] + names)
        self.iterations: int = report["iterations"]
        self.converged: bool = report["converged"]

    @property
    def report(self) -> dict:
        """The whole report, as ``tessel calibrate --json`` prints it."""
        return self._report

    @property
    def cross_validated(self) -> bool:
        return bool(self._report["folds"])

    @property
    def overlay(self) -> str:
        """The overlay file (YAML text); ValueError when the SoC calibrated has no base
        file (a Soc changed after loading)."""
        if self._no_overlay:
            raise ValueError(self._no_overlay)
        return self._overlay

    @property
    def soc(self) -> Soc:
        """The SoC with the fitted values (the overlay loaded)."""
        return Soc(_tessel.hwmodels.load_soc_text(self.overlay, "<calibration>"))

    def to_yaml(self, path: Union[str, "os.PathLike[str]"]) -> None:
        """Writes the overlay file (usable as any ``soc`` argument and as ``--soc``)."""
        tmp = os.fspath(path) + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(self.overlay)
        os.replace(tmp, path)

    def __repr__(self) -> str:
        a = self.units[self.units["unit"] == "all"].iloc[0]
        held = (f", held out {100 * a['median_held_out']:.1f} %" if self.cross_validated
                else "")
        return (f"<tessel.Calibration {self._origin.name}: {len(self.rows)} rows, "
                f"{len(self.params)} params, median |error| {100 * a['median_before']:.1f} % "
                f"-> {100 * a['median_after']:.1f} %{held}>")


def _overlay_base(soc: Union[str, "os.PathLike[str]", Soc], loaded: Soc) -> str:
    """What the overlay's ``base:`` names: a built-in target by name, a file by its
    absolute path. A Soc object qualifies when it is a built-in or a file unchanged."""
    if not isinstance(soc, Soc):
        s = os.fspath(soc)
        return s if s in _tessel.hwmodels.builtin_soc_names() else os.path.abspath(s)
    if loaded.name in _tessel.hwmodels.builtin_soc_names() and \
            _tessel.hwmodels.load_soc(loaded.name).yaml_text == loaded.yaml:
        return loaded.name
    if os.path.isfile(loaded.source):
        with open(loaded.source, encoding="utf-8") as f:
            if f.read() == loaded.yaml:
                return os.path.abspath(loaded.source)
    raise ValueError(f"SoC '{loaded.name}' was changed after loading, so an overlay has no "
                     "base file: write soc.yaml to a file and calibrate that file")


def calibrate(soc: Union[str, "os.PathLike[str]", Soc] = "gap9",
              measurements: Optional[Iterable[Union[str, "os.PathLike[str]"]]] = None,
              params: Optional[Iterable[str]] = None, *, cross_validate: bool = False,
              threads: int = 0) -> Calibration:
    """Fits SoC parameters to measured cycles, as ``tessel calibrate`` does.

    ``soc``: a built-in target, a YAML path or a :class:`Soc` (built-in or unchanged
    file); ``measurements``: CSV files (default: the shipped measurements of the SoC's
    name); ``params``: ``UNIT.KEY``, ``UNIT.params.NAME``, ``DMA.KEY`` or ``MEMORY.KEY``,
    each optionally ``=LO:HI`` (default: launch and tile overhead of the measured
    units). With ``cross_validate`` each source is also held out once (a fit without
    its rows), filling the ``held_out`` columns.

    Raises :class:`tessel.ConfigError` naming file, line and column for a bad row, a
    parameter the SoC lacks or bad bounds; :class:`tessel.IoError` for an unreadable
    file."""
    loaded = load_soc(soc)
    files: List[str] = [os.fspath(m) for m in (measurements or [])]
    names = list(params or [])
    try:
        base, no_overlay = _overlay_base(soc, loaded), ""
    except ValueError as e:  # the fit still runs; only the overlay needs a base
        base, no_overlay = "", str(e)
    report, overlay = _native.calibrate(loaded.native, files, names, cross_validate, base,
                                        threads)
    return Calibration(json.loads(report), overlay, loaded, no_overlay)
