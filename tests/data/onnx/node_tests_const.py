#!/usr/bin/python3
"""Copies ONNX node tests with their weight inputs turned into initialisers.

Usage: node_tests_const.py NODE_DIR OUTPUT_DIR CASE...

The node tests of Debian's libonnx-testdata feed a Conv's or Gemm's weights as graph
inputs (input_1.pb, ...); tessel imports weights only as constants. For each CASE this
writes OUTPUT_DIR/CASE/model.onnx with every input after the first an initialiser
holding the test's values, and copies test_data_set_0/input_0.pb and output_0.pb.
"""

import os
import shutil
import sys

import onnx


def convert(node_dir, out_dir, case):
    src = os.path.join(node_dir, case)
    model = onnx.load(os.path.join(src, "model.onnx"))
    data = os.path.join(src, "test_data_set_0")
    graph = model.graph
    for i, inp in enumerate(list(graph.input)[1:], start=1):
        t = onnx.TensorProto()
        with open(os.path.join(data, f"input_{i}.pb"), "rb") as f:
            t.ParseFromString(f.read())
        t.name = inp.name
        graph.initializer.append(t)
    del graph.input[1:]
    dst = os.path.join(out_dir, case)
    os.makedirs(dst, exist_ok=True)
    onnx.save(model, os.path.join(dst, "model.onnx"))
    for name in ("input_0.pb", "output_0.pb"):
        shutil.copyfile(os.path.join(data, name), os.path.join(dst, name))


def main(argv):
    node_dir, out_dir = argv[1], argv[2]
    for case in argv[3:]:
        convert(node_dir, out_dir, case)


if __name__ == "__main__":
    main(sys.argv)
