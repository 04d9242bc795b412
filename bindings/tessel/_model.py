"""Networks: :class:`Model` (a wrapped graph), loading from the zoo or ONNX."""

from __future__ import annotations

import os
from typing import Iterator, List, Union

import pandas as pd

from . import _tessel

_core = _tessel.core

__all__ = ["Model", "load_model", "load_models", "models"]

_DIMS = ("N", "G", "K", "C", "OY", "OX", "FY", "FX")


class Model:
    """A network: its layers in execution order (immutable).

    ``model.layers`` is a DataFrame (one row per layer); ``model.layer(name or index)``
    and iteration give ``_tessel.core.Layer`` objects with attributes (``name``, ``op``,
    ``dims``, ``stride``, ``padding``, ``bits``, ``macs``, ...). ``native`` is the
    underlying ``_tessel.core.Graph``.
    """

    __slots__ = ("_native",)

    def __init__(self, native: "_core.Graph"):
        if not isinstance(native, _core.Graph):
            raise TypeError("Model wraps a _tessel.core.Graph; use tessel.load_model()")
        self._native = native

    @property
    def native(self) -> "_core.Graph":
        return self._native

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def macs(self) -> int:
        return self._native.total_macs

    @property
    def weight_bytes(self) -> int:
        return self._native.total_weight_bytes

    @property
    def peak_activation_bytes(self) -> int:
        """Largest sum of live activation bytes when the layers run one after the other."""
        return self._native.peak_activation_bytes

    @property
    def inputs(self) -> List[str]:
        return list(self._native.inputs)

    @property
    def outputs(self) -> List[str]:
        return list(self._native.outputs)

    def layer(self, key: Union[int, str]) -> "_core.Layer":
        """A layer by index or name (IndexError / :class:`tessel.MappingError` otherwise)."""
        return self._native.layer(key)

    def __iter__(self) -> Iterator["_core.Layer"]:
        return iter(self._native.layers)

    def __len__(self) -> int:
        return len(self._native)

    @property
    def layers(self) -> pd.DataFrame:
        """One row per layer in execution order: name, op, the eight loop bounds, stride,
        MACs, weight / input / output bytes, inputs, output, producers (layer indices).
        The columns of ``tessel models show``."""
        rows = []
        for i, l in enumerate(self._native.layers):
            r = {"name": l.name, "op": l.op}
            r.update(l.dims)
            r["stride_y"], r["stride_x"] = l.stride
            r.update({"macs": l.macs, "weight_bytes": l.weight_bytes,
                      "input_bytes": l.input_bytes, "output_bytes": l.output_bytes,
                      "inputs": ", ".join(l.inputs), "output": l.output,
                      "producers": list(self._native.producers(i))})
            rows.append(r)
        cols = ["name", "op", *_DIMS, "stride_y", "stride_x", "macs", "weight_bytes",
                "input_bytes", "output_bytes", "inputs", "output", "producers"]
        df = pd.DataFrame(rows, columns=cols)
        df.index.name = "idx"
        return df

    @property
    def tensors(self) -> pd.DataFrame:
        """One row per tensor: name, shape, dtype, constant, bytes."""
        rows = [{"name": t.name, "shape": "x".join(str(s) for s in t.shape), "dtype": t.dtype,
                 "constant": t.constant, "bytes": t.bytes}
                for t in self._native.tensors.values()]
        return pd.DataFrame(rows, columns=["name", "shape", "dtype", "constant", "bytes"])

    def summary(self) -> dict:
        """The total line of ``tessel models show``."""
        return {"model": self.name, "layers": len(self), "macs": self.macs,
                "weight_bytes": self.weight_bytes,
                "peak_activation_bytes": self.peak_activation_bytes}

    def __repr__(self) -> str:
        return f"Model('{self.name}': {len(self)} layers, {self.macs:,} MACs)"


def load_models(name_or_path: "str | os.PathLike[str]") -> List[Model]:
    """Always a list: one Model for a zoo name or an ONNX file, several for an alias
    (``"mlperf-tiny"``: resnet8, dscnn, mobilenetv1, autoencoder).

    Anything ending in ``.onnx`` or naming an existing file is imported as ONNX. Raises
    :class:`tessel.MappingError` for an unknown name (listing the known ones),
    :class:`tessel.IoError` for a missing file, :class:`tessel.ModelError` /
    :class:`tessel.UnsupportedError` for a file the importer rejects."""
    return [Model(g) for g in _core.load_models(os.fspath(name_or_path))]


def load_model(name_or_path: "str | os.PathLike[str] | Model") -> Model:
    """Exactly one network: a zoo name or an ONNX file. An alias naming several networks
    raises :class:`tessel.MappingError` pointing to :func:`load_models`."""
    if isinstance(name_or_path, Model):
        return name_or_path
    found = load_models(name_or_path)
    if len(found) != 1:
        names = ", ".join(m.name for m in found)
        raise _tessel.MappingError(
            f"'{os.fspath(name_or_path)}' names {len(found)} networks ({names}); "
            f"use tessel.load_models() for a list")
    return found[0]


def models() -> pd.DataFrame:
    """The built-in networks (kind 'model') and aliases (kind 'alias') with descriptions."""
    rows = [{"name": n, "kind": "model", "description": d} for n, d in _core.zoo_entries()]
    rows += [{"name": a, "kind": "alias", "description": ", ".join(ns)}
             for a, ns in _core.zoo_aliases()]
    return pd.DataFrame(rows, columns=["name", "kind", "description"])
