#!/usr/bin/env python3
"""Writes tessel/_tessel.pyi, the type stub of the native extension, from the
signatures and docstrings pybind11 puts on the built module.

    PYTHONPATH=build/python /usr/bin/python3 bindings/make_stub.py [OUTPUT]

Without OUTPUT the stub is printed. tests/python/test_stub.py checks that the
checked-in stub equals what this prints, so a binding change without a new stub
fails the tests.

A single .pyi file cannot hold submodules: each submodule (core, hwmodels, sim,
mappers, store, codegen, sweep, calib) is written as a namespace class whose members are its classes
and (static) functions, so `_tessel.core.Graph` and `_tessel.core.load_models`
type-check as they are used.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap

# The source package beside this script has no extension: import the built one
# (from PYTHONPATH) instead.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _here]

import tessel._tessel as native  # noqa: E402

PREFIX = "tessel._tessel."
SUBMODULES = ["core", "hwmodels", "sim", "mappers", "store", "codegen", "sweep", "calib"]

# Return types pybind11 cannot see: a pointer that may be null.
RETURN_OVERRIDES = {
    "hwmodels.Soc.dma_for": "Optional[hwmodels.DmaEngine]",
}


def clean(text: str) -> str:
    text = text.replace(PREFIX, "")
    text = text.replace("os.PathLike", "os.PathLike[str]")
    return text


def doc_lines(doc: str, indent: str) -> list[str]:
    doc = doc.strip()
    if not doc:
        return []
    wrapped = textwrap.fill(doc, width=92 - len(indent), break_long_words=False,
                            break_on_hyphens=False)
    body = wrapped.replace('"""', "'''").splitlines()
    if len(body) == 1:
        return [f'{indent}"""{body[0]}"""']
    return [f'{indent}"""{body[0]}'] + [f"{indent}{l}" if l else "" for l in body[1:]] + \
           [f'{indent}"""']


def split_doc(obj) -> tuple[str, str]:
    """(signature line, rest of the docstring) of a pybind11 callable."""
    doc = obj.__doc__ or ""
    first, _, rest = doc.partition("\n")
    return first.strip(), rest.strip()


def signature(name: str, sig: str, qual: str, method: bool) -> str:
    """'name(args) -> ret' from pybind11's signature line, with self unannotated."""
    m = re.match(r"^[\w.]*\((.*)\)\s*->\s*(.+)$", sig)
    if not m:
        raise SystemExit(f"cannot parse the signature of {qual}: {sig!r}")
    args, ret = m.group(1), clean(m.group(2))
    ret = RETURN_OVERRIDES.get(qual, ret)
    args = clean(args)
    if method:
        args = re.sub(r"^(self|arg0): [\w.]+", "self", args)
    return f"def {name}({args}) -> {ret}: ..."


def function_lines(name: str, fn, qual: str, indent: str, method: bool,
                   static: bool = False) -> list[str]:
    sig, rest = split_doc(fn)
    out = []
    if static:
        out.append(f"{indent}@staticmethod")
    out.append(f"{indent}{signature(name, sig, qual, method)}")
    if rest:
        out[-1] = out[-1][:-len(" ...")]
        out += doc_lines(rest, indent + "    ")
    return out


def property_lines(name: str, prop: property, qual: str, indent: str) -> list[str]:
    sig, _ = split_doc(prop.fget)
    m = re.match(r"^\(.*\)\s*->\s*(.+)$", sig)
    if not m:
        raise SystemExit(f"cannot parse the getter of {qual}: {sig!r}")
    ret = clean(m.group(1))
    out = [f"{indent}@property", f"{indent}def {name}(self) -> {ret}:"]
    doc = (prop.__doc__ or "").strip()
    # def_readonly without a docstring repeats the getter signature as its doc.
    if doc and not doc.startswith("("):
        out += doc_lines(doc, indent + "    ")
    else:
        out[-1] += " ..."
    if prop.fset is not None:
        ssig, _ = split_doc(prop.fset)
        sm = re.match(r"^\((?:arg0|self): [\w.]+, arg[01]: (.+)\)\s*->\s*None$", ssig)
        if not sm:
            raise SystemExit(f"cannot parse the setter of {qual}: {ssig!r}")
        out += [f"{indent}@{name}.setter",
                f"{indent}def {name}(self, value: {clean(sm.group(1))}) -> None: ..."]
    return out


def class_lines(cls: type, qual: str, indent: str) -> list[str]:
    out = [f"{indent}class {cls.__name__}:"]
    inner = indent + "    "
    out += doc_lines(cls.__doc__ or "", inner)
    members = []
    for name, value in cls.__dict__.items():
        if name.startswith("_") and name not in ("__init__", "__eq__", "__len__", "__repr__"):
            continue
        if isinstance(value, property):
            members += property_lines(name, value, f"{qual}.{name}", inner)
        elif type(value).__name__ == "instancemethod":
            if name == "__eq__":
                members.append(f"{inner}def __eq__(self, other: object) -> bool: ...")
            else:
                members += function_lines(name, value, f"{qual}.{name}", inner, method=True)
    return out + (members or [f"{inner}..."])


def module_lines(mod, name: str) -> list[str]:
    out = [f"class {name}:"]
    out += doc_lines(mod.__doc__ or "", "    ")
    for attr, value in sorted(vars(mod).items()):
        if attr.startswith("_"):
            continue
        if isinstance(value, type):
            out.append("")
            out += class_lines(value, f"{name}.{attr}", "    ")
        elif isinstance(value, tuple):
            out.append("")
            out.append(f"    {attr}: Tuple[str, ...]")
    for attr, value in sorted(vars(mod).items()):
        if attr.startswith("_") or not type(value).__name__ == "builtin_function_or_method":
            continue
        out.append("")
        out += function_lines(attr, value, f"{name}.{attr}", "    ", method=False, static=True)
    return out


def stub() -> str:
    lines = [
        "# Type stub of the native extension tessel._tessel.",
        "# Generated by bindings/make_stub.py from the built module: do not edit by hand.",
        "# Submodules are written as namespace classes (a .pyi file cannot hold submodules).",
        "",
        "import os",
        "from typing import Dict, List, Optional, Tuple",
        "",
        "__version__: str",
        "",
    ]
    errors = ["Error", "ConfigError", "ModelError", "UnsupportedError", "MappingError",
              "IoError", "StoreError"]
    for e in errors:
        cls = getattr(native, e)
        bases = ", ".join(b.__name__ for b in cls.__bases__)
        lines.append(f"class {e}({bases}):")
        lines += doc_lines(cls.__doc__ or "", "    ")
        lines.append("")
    for sub in SUBMODULES:
        lines.append("")
        lines += module_lines(getattr(native, sub), sub)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    text = stub()
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
