"""SoC descriptions: :class:`Soc`, its parts, loading and modified copies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple

import pandas as pd

from . import _tessel

_hw = _tessel.hwmodels

__all__ = ["Soc", "Memory", "Dma", "Unit", "load_soc", "socs", "unit_kinds"]


@dataclass(frozen=True)
class Memory:
    """One memory level. Field names and units as in ``tessel socs show --json``."""

    name: str
    size_bytes: int  # the whole level
    reserved_bytes: int  # kept for code, stacks, runtime: tensors get size_bytes - reserved_bytes
    read_bandwidth_bytes_per_cycle: float
    write_bandwidth_bytes_per_cycle: float
    read_energy_pj_per_byte: float
    write_energy_pj_per_byte: float
    ports: int
    latency_cycles: float
    leakage_mw: float
    accessible_by: Tuple[str, ...]


@dataclass(frozen=True)
class Dma:
    """A DMA engine; ``links`` are (source, destination) level names."""

    name: str
    links: Tuple[Tuple[str, str], ...]
    bandwidth_bytes_per_cycle: float
    setup_cycles: float
    row_cycles: float
    dims: int
    channels: int
    energy_pj_per_byte: float


@dataclass(frozen=True)
class Unit:
    """A compute unit; ``reads`` maps each operand (I, W, O) to the level it is read from."""

    name: str
    kind: str
    frequency_hz: float
    ops: Tuple[str, ...]
    kernels: Tuple[str, ...]
    strides: Tuple[int, ...]
    weight_bits: Tuple[int, ...]
    activation_bits: Tuple[int, ...]
    reads: Dict[str, str]
    energy_per_mac_pj: float
    active_power_mw: float
    idle_power_mw: float
    launch_cycles: float
    tile_overhead_cycles: float
    layout: str
    params: Dict[str, float]
    unrollings: Tuple[str, ...]


def _yaml_value(value: Any) -> str:
    """A Python value as the YAML text of an override."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_yaml_value(v) for v in value) + "]"
    raise TypeError(f"override value {value!r}: expected a string, a number or a list")


class Soc:
    """An SoC description: memories, DMA engines, compute units (immutable).

    Load one with :func:`load_soc`; make variants with :meth:`replace` and
    :meth:`with_params`. ``native`` is the underlying ``_tessel.hwmodels.Soc``.
    """

    __slots__ = ("_native",)

    def __init__(self, native: "_hw.Soc"):
        if not isinstance(native, _hw.Soc):
            raise TypeError("Soc wraps a _tessel.hwmodels.Soc; use tessel.load_soc()")
        self._native = native

    # --- construction -------------------------------------------------------
    @classmethod
    def from_yaml(cls, text: str, origin: str = "<string>") -> "Soc":
        """Parses and validates an SoC description given as YAML text."""
        return cls(_hw.load_soc_text(text, origin))

    def with_params(self, params: Mapping[str, Any]) -> "Soc":
        """A re-validated copy with values replaced, keys as in ``tessel socs show --set``.

        ``soc.with_params({"L1.size": "64 KiB", "cluster.params.cores": 4})``. Keys:
        ``clock``, ``name``, ``description``, ``home.weights``, ``home.activations``,
        ``<memory>.<key>``, ``<dma>.<key>``, ``<unit>.<key>``, ``<unit>.params.<param>``
        (docs/soc-yaml.md, Overrides). Values are YAML text, numbers or lists. Raises
        :class:`tessel.ConfigError` naming the key for an unknown key or a bad value.
        """
        if not isinstance(params, Mapping):
            raise TypeError("with_params takes a mapping of 'key.path' -> value")
        text = {str(k): _yaml_value(v) for k, v in params.items()}
        return Soc(_hw.apply_overrides(self._native, text))

    def replace(self, **params: Any) -> "Soc":
        """:meth:`with_params` with keyword arguments; a double underscore stands for a dot.

        ``soc.replace(clock="400 MHz", L1__size="64 KiB", cluster__params__cores=4)``
        """
        return self.with_params({k.replace("__", "."): v for k, v in params.items()})

    # --- scalar attributes --------------------------------------------------
    @property
    def native(self) -> "_hw.Soc":
        return self._native

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def description(self) -> str:
        return self._native.description

    @property
    def source(self) -> str:
        """File path, or ``<built-in>/<name>.yaml``."""
        return self._native.source

    @property
    def hash(self) -> str:
        """FNV-1a 64 hash of the YAML text, 16 hex digits (as in the database)."""
        return self._native.hash

    @property
    def yaml(self) -> str:
        """The full YAML text (for a modified copy: the modified description)."""
        return self._native.yaml_text

    @property
    def clock_hz(self) -> float:
        return self._native.frequency

    @property
    def home(self) -> Dict[str, str]:
        """Levels where weights and activations reside between layers."""
        lv = self._native.levels
        return {"weights": lv[self._native.weights_home].name,
                "activations": lv[self._native.activations_home].name}

    @property
    def level_names(self) -> Tuple[str, ...]:
        return tuple(l.name for l in self._native.levels)

    @property
    def unit_names(self) -> Tuple[str, ...]:
        return tuple(u.name for u in self._native.units)

    # --- parts as objects ---------------------------------------------------
    def memory(self, name: str) -> Memory:
        """One memory level by name (KeyError when there is none)."""
        i = self._native.find_level(name)
        if i is None:
            raise KeyError(f"SoC '{self.name}' has no memory '{name}' "
                           f"(memories: {', '.join(self.level_names)})")
        l = self._native.levels[i]
        return Memory(l.name, l.size, l.reserved, l.read_bandwidth, l.write_bandwidth, l.read_energy,
                      l.write_energy, l.ports, l.latency, l.leakage, tuple(l.accessible_by))

    def dma(self, name: str) -> Dma:
        """One DMA engine by name (KeyError when there is none)."""
        names = [d.name for d in self._native.dmas]
        if name not in names:
            raise KeyError(f"SoC '{self.name}' has no DMA engine '{name}' "
                           f"(DMA engines: {', '.join(names) or 'none'})")
        d = self._native.dmas[names.index(name)]
        lv = self.level_names
        return Dma(d.name, tuple((lv[s], lv[t]) for s, t in d.links), d.bandwidth,
                   d.setup_cycles, d.row_cycles, d.dims, d.channels, d.energy)

    def unit(self, name: str) -> Unit:
        """One compute unit by name (KeyError when there is none)."""
        i = self._native.find_unit(name)
        if i is None:
            raise KeyError(f"SoC '{self.name}' has no unit '{name}' "
                           f"(units: {', '.join(self.unit_names)})")
        u = self._native.units[i]
        lv = self.level_names
        model = self._native.models[i]
        return Unit(
            u.name, u.kind, u.frequency, tuple(u.ops),
            tuple(f"{fy}x{fx}" for fy, fx in u.kernels), tuple(u.strides),
            tuple(u.weight_bits), tuple(u.activation_bits),
            dict(zip(("I", "W", "O"), (lv[x] for x in u.operand_level))),
            u.energy_per_mac, u.active_power, u.idle_power, u.launch_cycles,
            u.tile_overhead_cycles, u.layout, dict(u.params),
            tuple(r.name for r in model.unrollings))

    def supports(self, unit: str, layer: "_tessel.core.Layer") -> Tuple[bool, str]:
        """(True, '') when ``unit`` can run ``layer``, else (False, why)."""
        i = self._native.find_unit(unit)
        if i is None:
            raise KeyError(f"SoC '{self.name}' has no unit '{unit}'")
        return self._native.models[i].supports(layer)

    def dma_bandwidth(self, src: str, dst: str) -> Optional[float]:
        """Bytes per cycle of the DMA engine moving src -> dst, or None when none links them."""
        a, b = self._native.find_level(src), self._native.find_level(dst)
        if a is None or b is None:
            raise KeyError(f"SoC '{self.name}' has no memory '{src if a is None else dst}'")
        d = self._native.dma_for(a, b)
        return None if d is None else d.bandwidth

    # --- parts as tables ----------------------------------------------------
    @property
    def memories(self) -> pd.DataFrame:
        """One row per memory level (index: name), columns as :class:`Memory`."""
        rows = [vars_of(self.memory(n)) for n in self.level_names]
        return _frame(rows, Memory)

    @property
    def dmas(self) -> pd.DataFrame:
        """One row per DMA engine (index: name); links as 'L2->L1, L1->L2'."""
        rows = []
        for d in self._native.dmas:
            r = vars_of(self.dma(d.name))
            r["links"] = ", ".join(f"{s}->{t}" for s, t in r["links"])
            rows.append(r)
        return _frame(rows, Dma)

    @property
    def units(self) -> pd.DataFrame:
        """One row per compute unit (index: name); lists joined with ', ' ('any' when empty),
        the levels read as columns reads_I / reads_W / reads_O, kind parameters in ``params``."""
        rows = []
        for name in self.unit_names:
            u = vars_of(self.unit(name))
            reads = u.pop("reads")
            for key in ("ops", "kernels", "strides", "weight_bits", "activation_bits",
                        "unrollings"):
                u[key] = ", ".join(str(x) for x in u[key]) or "any"
            for op, lvl in reads.items():
                u[f"reads_{op}"] = lvl
            rows.append(u)
        df = pd.DataFrame(rows).set_index("name")
        return df

    def __repr__(self) -> str:
        return (f"Soc('{self.name}': {len(self.level_names)} memories, "
                f"{len(self.unit_names)} units {', '.join(self.unit_names)}, "
                f"{self.clock_hz / 1e6:g} MHz, hash {self.hash})")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Soc) and other.hash == self.hash

    def __hash__(self) -> int:
        return hash(self.hash)


def vars_of(obj: Any) -> Dict[str, Any]:
    return {k: getattr(obj, k) for k in obj.__dataclass_fields__}


def _frame(rows, cls) -> pd.DataFrame:
    cols = list(cls.__dataclass_fields__)
    return pd.DataFrame(rows, columns=cols).set_index("name")


def load_soc(name_or_path: "str | os.PathLike[str] | Soc") -> Soc:
    """A built-in target (``tessel.socs()``) or a YAML file (ending in .yaml / .yml, or
    naming an existing file). Raises :class:`tessel.MappingError` for an unknown name,
    :class:`tessel.IoError` for an unreadable file, :class:`tessel.ConfigError` for an
    invalid description (the message names file, line and key)."""
    if isinstance(name_or_path, Soc):
        return name_or_path
    return Soc(_hw.load_soc(os.fspath(name_or_path)))


def socs() -> pd.DataFrame:
    """The built-in targets: name and description."""
    rows = []
    for n in _hw.builtin_soc_names():
        rows.append({"name": n, "description": _hw.load_soc(n).description})
    return pd.DataFrame(rows, columns=["name", "description"])


def unit_kinds() -> pd.DataFrame:
    """The compute-unit kinds and the parameters their ``params:`` accept, one row per
    (kind, parameter); ``default`` is None for a required parameter."""
    rows = []
    for k in _hw.unit_kinds():
        for p in k.params:
            rows.append({"kind": k.name, "param": p.name, "quantity": p.quantity,
                         "unit": p.unit, "default": p.default, "required": p.required,
                         "description": p.description})
    return pd.DataFrame(rows, columns=["kind", "param", "quantity", "unit", "default",
                                       "required", "description"])
