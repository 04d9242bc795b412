#!/usr/bin/python3
"""Writes MobileNetV2 0.35 at 96x96 as an integer ONNX file with synthetic weights.

Usage: mobilenetv2.py OUTPUT.onnx

The network of tessel's zoo model `mobilenetv2-0.35` (core/zoo.cpp: Sandler et al.,
CVPR 2018, Table 2, width 0.35, channels rounded to multiples of 8), written in the
integer style of the MLPerf Tiny exports in tests/data/models: uint8 activations,
int8 weights, every Conv followed by Cast -> Mul -> Add -> Div -> Floor -> Clip ->
Cast (requantisation to uint8), residual adds as Cast -> Add -> Clip -> Cast, a
global AveragePool, Flatten and an int8 MatMul to 1000 int32 logits (Cast -> Add of a
bias, as the exports write their classifiers). Weights and
requantisation constants come from a fixed seed and are scaled so that activations
spread over the uint8 range instead of saturating. Like the MLPerf files, the graph
is not type-consistent ONNX (integer Conv), so onnx.checker is not run.
"""

import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(35)
NODES, INITS = [], []
COUNT = [0]


def fresh(prefix):
    COUNT[0] += 1
    return f"{prefix}_{COUNT[0]}"


def const(values, dtype):
    name = fresh("c")
    NODES.append(helper.make_node("Constant", [], [name], name=name,
                                  value=numpy_helper.from_array(np.asarray(values, dtype))))
    return name


def node(op, inputs, **attrs):
    out = fresh(op.lower())
    NODES.append(helper.make_node(op, inputs, [out], name=out, **attrs))
    return out


def divisible8(channels):
    c = max(8, int(channels + 4) // 8 * 8)
    return c + 8 if c < 0.9 * channels else c


def requant(acc, channels, fan_in):
    """int32 accumulator -> uint8: clip(floor((acc * m + b) / d), 0, 255)."""
    x = node("Cast", [acc], to=TensorProto.INT32)
    m = RNG.integers(1, 4, size=(1, channels, 1, 1))
    d = 2 ** int(np.ceil(np.log2(np.sqrt(fan_in) * 60 * 40 * 2.5 / 64)))
    b = (RNG.integers(32, 96, size=(1, channels, 1, 1)) * d).astype(np.int32)
    x = node("Mul", [x, const(m, np.int32)])
    x = node("Add", [x, const(b, np.int32)])
    x = node("Div", [x, const(np.array([d]), np.int32)])
    x = node("Floor", [x])
    x = node("Clip", [x], min=0.0, max=255.0)
    return node("Cast", [x], to=TensorProto.UINT8)


def conv(x, cin, cout, k, stride, group=1):
    w = fresh("w")
    INITS.append(numpy_helper.from_array(
        RNG.integers(-40, 41, size=(cout, cin // group, k, k)).astype(np.int8), w))
    acc = node("Conv", [x, w], kernel_shape=[k, k], strides=[stride, stride],
               pads=[k // 2] * 4, group=group, dilations=[1, 1])
    return requant(acc, cout, cin // group * k * k)


def add(a, b):
    s = node("Add", [node("Cast", [a], to=TensorProto.INT32),
                     node("Cast", [b], to=TensorProto.INT32)])
    return node("Cast", [node("Clip", [s], min=0.0, max=255.0)], to=TensorProto.UINT8)


def main(path):
    alpha, size = 0.35, 96
    x = "input"
    ch = divisible8(32 * alpha)
    x = conv(x, 3, ch, 3, 2)
    stages = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
              (6, 160, 3, 2), (6, 320, 1, 1)]
    for t, c, n, s in stages:
        out = divisible8(int(c * alpha))
        for i in range(n):
            stride = s if i == 0 else 1
            y, hidden = x, ch * t
            if t != 1:
                y = conv(y, ch, hidden, 1, 1)
            y = conv(y, hidden, hidden, 3, stride, group=hidden)
            y = conv(y, hidden, out, 1, 1)
            x = add(y, x) if stride == 1 and ch == out else y
            ch = out
    x = conv(x, ch, 1280, 1, 1)
    last = (size + 31) // 32
    x = node("AveragePool", [x], kernel_shape=[last, last], strides=[last, last])
    x = node("Flatten", [x], axis=1)
    w = fresh("fc_w")
    INITS.append(numpy_helper.from_array(
        RNG.integers(-40, 41, size=(1280, 1000)).astype(np.int8), w))
    x = node("Cast", [node("MatMul", [x, w])], to=TensorProto.INT32)
    bias = RNG.integers(-1000, 1000, size=(1, 1000)).astype(np.int32)
    NODES.append(helper.make_node("Add", [x, const(bias, np.int32)], ["output"], name="fc_bias"))
    graph = helper.make_graph(
        NODES, "mobilenetv2_0.35",
        [helper.make_tensor_value_info("input", TensorProto.UINT8, [1, 3, size, size])],
        [helper.make_tensor_value_info("output", TensorProto.INT32, [1, 1000])], INITS)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 10)])
    onnx.save(model, path)


if __name__ == "__main__":
    main(sys.argv[1])
