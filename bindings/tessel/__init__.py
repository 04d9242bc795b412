"""tessel: design-space exploration and cost model of DNN deployments on microcontroller SoCs.

Python interface to the tessel C++ libraries (docs/python.md)::

    import tessel
    soc = tessel.load_soc("gap9")
    res = tessel.explore("resnet8", soc)          # as `tessel explore --model resnet8`
    res.total, res.layers, res.pareto("conv1")
    res.to_sqlite("runs.sqlite"); tessel.read_db("runs.sqlite").schedules
    cal = tessel.calibrate("cortex-m7", cross_validate=True)   # fit to measurements
    cal.units, cal.rows, cal.to_yaml("fitted.yaml")

Submodules: ``tessel.plot`` (matplotlib figures, imported on first use) and
``tessel._tessel`` (the native extension, one submodule per C++ module).
"""

from __future__ import annotations

from . import _tessel
from ._tessel import (ConfigError, Error, IoError, MappingError, ModelError, StoreError,
                      UnsupportedError)
from ._calib import Calibration, calibrate
from ._db import Database, read_db
from ._explore import ExploreResult, SimulationResult, cost, emit, explore, simulate
from ._model import Model, load_model, load_models, models
from ._soc import Dma, Memory, Soc, Unit, load_soc, socs, unit_kinds
from ._sweep import pareto, point_totals, read_sweep, sweep

__version__: str = _tessel.__version__

# Mapper, objective, strategy and store names accepted by explore().
OBJECTIVES = tuple(_tessel.mappers.objectives)
MAPPERS = tuple(_tessel.mappers.mappers)
STRATEGIES = tuple(_tessel.mappers.strategies)  # "auto", then the registered ones
strategy_help = _tessel.mappers.strategy_help  # {name: one-line help}, from the registry
STORE_MODES = tuple(_tessel.store.store_modes)

BACKENDS = tuple(_tessel.codegen.backends())  # "host", "gap9", "diana", "cortex-m"

__all__ = [
    "BACKENDS", "emit",
    "__version__", "Error", "ConfigError", "ModelError", "UnsupportedError", "MappingError",
    "IoError", "StoreError", "Soc", "Memory", "Dma", "Unit", "load_soc", "socs", "unit_kinds",
    "Model", "load_model", "load_models", "models", "explore", "ExploreResult", "cost",
    "simulate", "SimulationResult",
    "read_db", "Database", "OBJECTIVES", "MAPPERS", "STRATEGIES", "strategy_help", "STORE_MODES",
    "sweep", "read_sweep", "pareto", "point_totals", "calibrate", "Calibration",
    "plot",
]


def __getattr__(name: str):
    # tessel.plot imports matplotlib: only when asked for.
    if name == "plot":
        import importlib
        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'tessel' has no attribute '{name}'")
