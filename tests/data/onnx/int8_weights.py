#!/usr/bin/python3
"""Writes the MLPerf Tiny models with their weights typed int8.

Usage: int8_weights.py OUTPUT_DIR MODEL.onnx ...

The exports in tests/data/models store their Conv and MatMul weights as uint8 tensors
whose bytes are int8 two's-complement values (the histogram of every file peaks at 0 and
at 255). Read with their stored type, the weights are all positive and every network
saturates to an output that does not depend on its input. The copies written here
(OUTPUT_DIR/<name>.onnx) keep every byte and retype those initialisers to INT8, so that
the reference interpreter and the emitted code compute the networks the exporter meant
and a test's random inputs reach the outputs. Nothing else changes.
"""

import os
import sys

import onnx
from onnx import TensorProto


def retype(path, out_dir):
    m = onnx.load(path)
    weights = {n.input[1] for n in m.graph.node if n.op_type in ("Conv", "MatMul", "Gemm")}
    changed = 0
    for t in m.graph.initializer:
        if t.name in weights and t.data_type == TensorProto.UINT8:
            t.data_type = TensorProto.INT8
            changed += 1
    if changed == 0:
        sys.exit(f"{path}: no uint8 weight initialiser to retype")
    onnx.save(m, os.path.join(out_dir, os.path.basename(path)))


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for path in sys.argv[2:]:
        retype(path, out_dir)


if __name__ == "__main__":
    main()
