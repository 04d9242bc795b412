#!/usr/bin/python3
"""Writes the small ONNX graphs of tessel's importer tests, one file per case.

Usage: make_test_models.py OUTPUT_DIR

Run at build time by tests/CMakeLists.txt; tests/core/test_onnx_import.cpp reads the
files and asserts the exact layers the importer makes of them. Every value below is
chosen so that the expected loop bounds, paddings and epilogue constants can be
written down by hand. The graphs are built with onnx.helper only; none is checked
with onnx.checker because some (integer Conv / MatMul, like the MLPerf Tiny files)
are deliberately not type-consistent ONNX.
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
U8 = TensorProto.UINT8
I8 = TensorProto.INT8
I32 = TensorProto.INT32
I64 = TensorProto.INT64
F64 = TensorProto.DOUBLE


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def raw(name, array):
    """An initializer stored in raw_data."""
    return numpy_helper.from_array(np.asarray(array), name)


def typed(name, elem, dims, values):
    """An initializer stored in the typed fields (float_data, int32_data, ...)."""
    return helper.make_tensor(name, elem, dims, values, raw=False)


def const(name, tensor):
    """A Constant node producing `name`."""
    return helper.make_node("Constant", [], [name], name="const_" + name, value=tensor)


def ramp(shape, scale=0.01, dtype=np.float32):
    n = int(np.prod(shape))
    return (np.arange(n) * scale).astype(dtype).reshape(shape)


CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


def save(out_dir, name, nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(inits))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 7
    onnx.save(model, os.path.join(out_dir, name + ".onnx"))


def conv_case(out_dir, name, x_shape, w_shape, attrs, with_bias=False):
    inits = [raw("W", ramp(w_shape))]
    inputs = ["x", "W"]
    if with_bias:
        inits.append(typed("B", F32, [w_shape[0]], [0.5 * (k + 1) for k in range(w_shape[0])]))
        inputs.append("B")
    node = helper.make_node("Conv", inputs, ["y"], name="conv", **attrs)
    save(out_dir, name, [node], [vi("x", F32, x_shape)], [vi("y", F32, None)], inits)


# ---------------------------------------------------------------- Conv variants

@case
def conv_bias(d):
    conv_case(d, "conv_bias", [1, 3, 8, 8], [4, 3, 3, 3], dict(pads=[1, 1, 1, 1]), True)


@case
def conv_grouped(d):
    conv_case(d, "conv_grouped", [1, 4, 8, 8], [8, 2, 3, 3], dict(group=2, pads=[1, 1, 1, 1]))


@case
def conv_depthwise(d):
    conv_case(d, "conv_depthwise", [1, 8, 8, 8], [8, 1, 3, 3], dict(group=8, pads=[1, 1, 1, 1]))


@case
def conv_pointwise(d):
    conv_case(d, "conv_pointwise", [1, 8, 6, 6], [16, 8, 1, 1], {})


@case
def conv_stride2(d):
    conv_case(d, "conv_stride2", [1, 3, 9, 9], [4, 3, 3, 3], dict(strides=[2, 2]))


@case
def conv_dilation2(d):
    conv_case(d, "conv_dilation2", [1, 3, 10, 10], [4, 3, 3, 3], dict(dilations=[2, 2]))


@case
def conv_pads(d):
    # ONNX pads: [top, left, bottom, right].
    conv_case(d, "conv_pads", [1, 3, 8, 8], [4, 3, 3, 3], dict(pads=[1, 2, 0, 1]))


@case
def conv_same_upper(d):
    conv_case(d, "conv_same_upper", [1, 3, 8, 8], [4, 3, 3, 3],
              dict(strides=[2, 2], auto_pad="SAME_UPPER"))


@case
def conv_same_lower(d):
    conv_case(d, "conv_same_lower", [1, 3, 8, 8], [4, 3, 3, 3],
              dict(strides=[2, 2], auto_pad="SAME_LOWER"))


@case
def conv_valid(d):
    conv_case(d, "conv_valid", [1, 3, 8, 8], [4, 3, 3, 3], dict(strides=[2, 2], auto_pad="VALID"))


@case
def conv_bad_auto_pad(d):
    conv_case(d, "conv_bad_auto_pad", [1, 3, 8, 8], [4, 3, 3, 3], dict(auto_pad="SAME_MIDDLE"))


@case
def conv_channel_mismatch(d):
    conv_case(d, "conv_channel_mismatch", [1, 3, 8, 8], [4, 2, 3, 3], dict(pads=[1, 1, 1, 1]))


# ---------------------------------------------------------------- Gemm / MatMul

@case
def gemm_transb(d):
    inits = [raw("B", ramp([4, 16])), typed("C", F32, [4], [1.0, 2.0, 3.0, 4.0])]
    node = helper.make_node("Gemm", ["a", "B", "C"], ["y"], name="fc", transB=1, alpha=0.5,
                            beta=2.0)
    save(d, "gemm_transb", [node], [vi("a", F32, [1, 16])], [vi("y", F32, None)], inits)


@case
def gemm_plain(d):
    inits = [raw("B", ramp([16, 4])), raw("C", np.array([[1, -1, 2, -2]], dtype=np.float32))]
    node = helper.make_node("Gemm", ["a", "B", "C"], ["y"], name="fc")
    save(d, "gemm_plain", [node], [vi("a", F32, [1, 16])], [vi("y", F32, None)], inits)


@case
def gemm_transa(d):
    inits = [raw("B", ramp([16, 4]))]
    node = helper.make_node("Gemm", ["a", "B"], ["y"], name="fc", transA=1)
    save(d, "gemm_transa", [node], [vi("a", F32, [16, 1])], [vi("y", F32, None)], inits)


@case
def matmul(d):
    inits = [raw("W", ramp([16, 8]))]
    node = helper.make_node("MatMul", ["a", "W"], ["y"], name="mm")
    save(d, "matmul", [node], [vi("a", F32, [1, 16])], [vi("y", F32, None)], inits)


@case
def matmul_mismatch(d):
    inits = [raw("W", ramp([10, 8]))]
    node = helper.make_node("MatMul", ["a", "W"], ["y"], name="mm")
    save(d, "matmul_mismatch", [node], [vi("a", F32, [1, 16])], [vi("y", F32, None)], inits)


# ---------------------------------------------------------------- pools

def pool_case(out_dir, name, op, attrs, x_shape=(1, 4, 8, 8)):
    node = helper.make_node(op, ["x"], ["y"], name="pool", **attrs)
    save(out_dir, name, [node], [vi("x", U8, list(x_shape))], [vi("y", U8, None)])


@case
def maxpool_pads(d):
    pool_case(d, "maxpool_pads", "MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2],
                                                 pads=[1, 1, 1, 1]))


@case
def avgpool_pads(d):
    pool_case(d, "avgpool_pads", "AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2],
                                                     pads=[1, 1, 0, 0], count_include_pad=1))


@case
def avgpool_ceil(d):
    pool_case(d, "avgpool_ceil", "AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2],
                                                     ceil_mode=1))


@case
def pool_window_too_large(d):
    pool_case(d, "pool_window_too_large", "MaxPool", dict(kernel_shape=[5, 5]), (1, 4, 4, 4))


@case
def pool_pad_too_large(d):
    pool_case(d, "pool_pad_too_large", "AveragePool", dict(kernel_shape=[2, 2],
                                                           pads=[2, 0, 0, 0]))


@case
def conv_conv_maxpool(d):
    # docs/validation.md: the pool's best tile on gap9 does not divide its rows.
    nodes = [helper.make_node("Conv", ["x", "W1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             helper.make_node("Cast", ["c1"], ["a1"], name="cast1", to=U8),
             helper.make_node("Conv", ["a1", "W2"], ["c2"], name="conv2", pads=[1, 1, 1, 1]),
             helper.make_node("Cast", ["c2"], ["a2"], name="cast2", to=U8),
             helper.make_node("MaxPool", ["a2"], ["y"], name="pool", kernel_shape=[2, 2],
                              strides=[2, 2])]
    save(d, "conv_conv_maxpool", nodes, [vi("x", U8, [1, 3, 32, 32])], [vi("y", U8, None)],
         [raw("W1", np.ones([16, 3, 3, 3], dtype=np.int8)),
          raw("W2", np.ones([32, 16, 3, 3], dtype=np.int8))])


@case
def global_avgpool(d):
    pool_case(d, "global_avgpool", "GlobalAveragePool", {}, (1, 8, 5, 5))


# ---------------------------------------------------------------- activations, BN, Add

def conv_then(out_dir, name, tail_nodes, tail_inits=(), opset=13, w_type=np.float32,
              x_type=F32):
    """x [1,2,4,4] -> Conv 1x1 (2 -> 2, weights W) -> c -> tail -> y."""
    w = np.ones([2, 2, 1, 1], dtype=w_type)
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], name="conv")] + tail_nodes
    save(out_dir, name, nodes, [vi("x", x_type, [1, 2, 4, 4])], [vi("y", F32, None)],
         [raw("W", w)] + list(tail_inits), opset)


@case
def conv_relu(d):
    conv_then(d, "conv_relu", [helper.make_node("Relu", ["c"], ["y"], name="relu")])


@case
def conv_clip11(d):
    conv_then(d, "conv_clip11", [helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip")],
              [typed("lo", F32, [], [0.0]), typed("hi", F32, [], [6.0])])


@case
def conv_clip10(d):
    conv_then(d, "conv_clip10",
              [helper.make_node("Clip", ["c"], ["y"], name="clip", min=-1.0, max=1.0)], opset=10)


BN = [typed("gamma", F32, [2], [2.0, 4.0]), typed("beta", F32, [2], [0.5, 0.0]),
      typed("mean", F32, [2], [1.0, 0.0]), typed("var", F32, [2], [4.0, 4.0])]


@case
def conv_bn(d):
    bn = helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["y"],
                          name="bn", epsilon=0.0)
    conv_then(d, "conv_bn", [bn], BN)


@case
def conv_bn_int(d):
    bn = helper.make_node("BatchNormalization", ["c", "gamma", "beta", "mean", "var"], ["y"],
                          name="bn", epsilon=0.0)
    conv_then(d, "conv_bn_int", [bn], BN, w_type=np.int8, x_type=U8)


@case
def conv_add_const(d):
    conv_then(d, "conv_add_const", [helper.make_node("Add", ["k", "c"], ["y"], name="add")],
              [typed("k", F32, [1, 2, 1, 1], [10.0, 20.0])])


@case
def add_layer(d):
    nodes = [helper.make_node("Conv", ["x", "W1"], ["a"], name="conv_a"),
             helper.make_node("Conv", ["x", "W2"], ["b"], name="conv_b"),
             helper.make_node("Add", ["a", "b"], ["s"], name="add"),
             helper.make_node("Relu", ["s"], ["y"], name="relu")]
    inits = [raw("W1", ramp([4, 3, 1, 1])), raw("W2", ramp([4, 3, 1, 1], 0.02))]
    save(d, "add_layer", nodes, [vi("x", F32, [1, 3, 6, 6])], [vi("y", F32, None)], inits)


@case
def add_mismatch(d):
    nodes = [helper.make_node("Conv", ["x", "W1"], ["a"], name="conv_a"),
             helper.make_node("Conv", ["x", "W2"], ["b"], name="conv_b", strides=[2, 2]),
             helper.make_node("Add", ["a", "b"], ["y"], name="bad_add")]
    inits = [raw("W1", ramp([4, 3, 1, 1])), raw("W2", ramp([4, 3, 1, 1]))]
    save(d, "add_mismatch", nodes, [vi("x", F32, [1, 3, 6, 6])], [vi("y", F32, None)], inits)


# ---------------------------------------------------------------- views

@case
def flatten_matmul(d):
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Flatten", ["c"], ["f"], name="flatten", axis=1),
             helper.make_node("MatMul", ["f", "M"], ["y"], name="fc")]
    inits = [raw("W", ramp([4, 3, 3, 3])), raw("M", ramp([16, 3]))]
    save(d, "flatten_matmul", nodes, [vi("x", F32, [1, 3, 2, 2])], [vi("y", F32, None)], inits)


@case
def reshape_matmul(d):
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Reshape", ["c", "shape1"], ["r1"], name="reshape1"),
             helper.make_node("Reshape", ["r1", "shape2"], ["r2"], name="reshape2"),
             helper.make_node("MatMul", ["r2", "M"], ["y"], name="fc")]
    inits = [raw("W", ramp([4, 3, 3, 3])), raw("M", ramp([16, 3])),
             typed("shape1", I64, [3], [0, 4, -1]), typed("shape2", I64, [2], [1, -1])]
    save(d, "reshape_matmul", nodes, [vi("x", F32, [1, 3, 2, 2])], [vi("y", F32, None)], inits)


@case
def cast_input_alias(d):
    nodes = [helper.make_node("Cast", ["x"], ["xi"], name="cast_in", to=I32),
             helper.make_node("Conv", ["xi", "W"], ["y"], name="conv")]
    save(d, "cast_input_alias", nodes, [vi("x", U8, [1, 2, 4, 4])], [vi("y", I32, None)],
         [raw("W", np.ones([2, 2, 1, 1], dtype=np.int8))])


@case
def flatten_cast_matmul(d):
    # A float input cast to uint8 before its first layer, whose float weights
    # hold whole numbers only (a quantised model exported with float types).
    nodes = [helper.make_node("Flatten", ["x"], ["f"], name="flatten", axis=1),
             helper.make_node("Cast", ["f"], ["q"], name="cast", to=U8),
             helper.make_node("MatMul", ["q", "M"], ["y"], name="fc")]
    weights = (np.arange(48) % 7 - 3).astype(np.float32).reshape(16, 3)
    save(d, "flatten_cast_matmul", nodes, [vi("x", F32, [1, 1, 4, 4])], [vi("y", F32, None)],
         [raw("M", weights)])


@case
def fp16_weights(d):
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["y"], name="conv")]
    save(d, "fp16_weights", nodes, [vi("x", TensorProto.FLOAT16, [1, 2, 4, 4])],
         [vi("y", TensorProto.FLOAT16, None)],
         [raw("W", np.array([0.5, -2.0, 65504.0, 2.0 ** -24], dtype=np.float16).reshape(2, 2, 1, 1)),
          typed("B", TensorProto.FLOAT16, [2], [15360, 49152])])  # bit patterns of 1.0, -2.0


@case
def string_initializer(d):
    nodes = [helper.make_node("Conv", ["x", "W"], ["y"], name="conv")]
    w = helper.make_tensor("W", TensorProto.STRING, [1], [b"a"])
    save(d, "string_initializer", nodes, [vi("x", F32, [1, 1, 4, 4])], [vi("y", F32, None)], [w])


# ---------------------------------------------------------------- quantisation

@case
def qdq_conv(d):
    ws = np.array([0.5, 0.25, 0.125, 1.0], dtype=np.float32)
    nodes = [
        helper.make_node("QuantizeLinear", ["x", "xs", "xzp"], ["xq"], name="q_in"),
        helper.make_node("DequantizeLinear", ["xq", "xs", "xzp"], ["xd"], name="dq_in"),
        helper.make_node("DequantizeLinear", ["wq", "ws", "wzp"], ["wd"], name="dq_w", axis=0),
        helper.make_node("DequantizeLinear", ["bq", "bs", "bzp"], ["bd"], name="dq_b", axis=0),
        helper.make_node("Conv", ["xd", "wd", "bd"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("QuantizeLinear", ["c", "ys", "yzp"], ["yq"], name="q_out"),
        helper.make_node("DequantizeLinear", ["yq", "ys", "yzp"], ["y"], name="dq_out"),
    ]
    inits = [
        typed("xs", F32, [], [0.5]), typed("xzp", U8, [], [128]),
        raw("wq", (np.arange(4 * 3 * 3 * 3) % 11 - 5).astype(np.int8).reshape([4, 3, 3, 3])),
        raw("ws", ws), raw("wzp", np.zeros([4], dtype=np.int8)),
        raw("bq", np.array([100, -100, 7, 0], dtype=np.int32)), raw("bs", ws * 0.5),
        raw("bzp", np.zeros([4], dtype=np.int32)),
        typed("ys", F32, [], [0.25]), typed("yzp", U8, [], [0]),
    ]
    save(d, "qdq_conv", nodes, [vi("x", F32, [1, 3, 8, 8])], [vi("y", F32, None)], inits)


@case
def qlinear_conv(d):
    node = helper.make_node(
        "QLinearConv", ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp", "b"], ["y"],
        name="qconv", pads=[1, 1, 1, 1], strides=[2, 2])
    inits = [
        typed("xs", F32, [], [0.5]), typed("xzp", U8, [], [0]),
        raw("w", (np.arange(8 * 3 * 3 * 3) % 7 - 3).astype(np.int8).reshape([8, 3, 3, 3])),
        typed("ws", F32, [], [0.25]), typed("wzp", I8, [], [0]),
        typed("ys", F32, [], [2.0]), typed("yzp", U8, [], [10]),
        raw("b", np.arange(8, dtype=np.int32) * 3),
    ]
    save(d, "qlinear_conv", [node], [vi("x", U8, [1, 3, 8, 8])], [vi("y", U8, None)], inits)


@case
def qlinear_conv_zero_point(d):
    """An asymmetric input (x_zero_point 128), which tessel's layer does not model."""
    node = helper.make_node(
        "QLinearConv", ["x", "xs", "xzp", "w", "ws", "wzp", "ys", "yzp"], ["y"], name="qconv")
    inits = [
        typed("xs", F32, [], [0.5]), typed("xzp", U8, [], [128]),
        raw("w", np.ones([2, 3, 1, 1], dtype=np.int8)),
        typed("ws", F32, [], [0.25]), typed("wzp", I8, [], [0]),
        typed("ys", F32, [], [2.0]), typed("yzp", U8, [], [0]),
    ]
    save(d, "qlinear_conv_zero_point", [node], [vi("x", U8, [1, 3, 4, 4])], [vi("y", U8, None)],
         inits)


@case
def qlinear_matmul(d):
    node = helper.make_node("QLinearMatMul", ["a", "as", "azp", "b", "bs", "bzp", "ys", "yzp"],
                            ["y"], name="qmm")
    inits = [
        typed("as", F32, [], [0.5]), typed("azp", U8, [], [0]),
        raw("b", (np.arange(16 * 4) % 9 - 4).astype(np.int8).reshape([16, 4])),
        raw("bs", np.array([1.0, 2.0, 4.0, 8.0], dtype=np.float32)),
        raw("bzp", np.zeros([4], dtype=np.int8)),
        typed("ys", F32, [], [4.0]), typed("yzp", I8, [], [0]),
    ]
    save(d, "qlinear_matmul", [node], [vi("a", U8, [1, 16])], [vi("y", I8, None)], inits)


# ---------------------------------------------------------------- requantisation chains

def requant_nodes(prefix, src, out, mul, add, div):
    """The MLPerf Tiny chain: Cast(i32), Mul, Add, Div, Floor, Clip(0, 255), Cast(u8)."""
    p = prefix
    return [
        const(p + "m", mul), const(p + "a", add), const(p + "d", div),
        helper.make_node("Cast", [src], [p + "0"], name=p + "cast_in", to=I32),
        helper.make_node("Mul", [p + "0", p + "m"], [p + "1"], name=p + "mul"),
        helper.make_node("Add", [p + "1", p + "a"], [p + "2"], name=p + "add"),
        helper.make_node("Div", [p + "2", p + "d"], [p + "3"], name=p + "div"),
        helper.make_node("Floor", [p + "3"], [p + "4"], name=p + "floor"),
        helper.make_node("Clip", [p + "4"], [p + "5"], name=p + "clip", min=0.0, max=255.0),
        helper.make_node("Cast", [p + "5"], [out], name=p + "cast_out", to=U8),
    ]


@case
def requant_chain(d):
    # conv1 + chain -> "y1", read by two convs (the chain ends there); each of
    # those has no chain of its own.
    mul = helper.make_tensor("m", I32, [1, 4, 1, 1], [3, 5, 7, 9])
    add = helper.make_tensor("a", I32, [1, 4, 1, 1], [-10, 20, -30, 40])
    div = helper.make_tensor("d", I32, [1], [32768])
    nodes = [helper.make_node("Conv", ["x", "W1"], ["c1"], name="conv1", pads=[1, 1, 1, 1])]
    nodes += requant_nodes("r1_", "c1", "y1", mul, add, div)
    nodes += [helper.make_node("Conv", ["y1", "W2"], ["y2"], name="conv2"),
              helper.make_node("Conv", ["y1", "W3"], ["y3"], name="conv3")]
    inits = [raw("W1", (np.arange(4 * 3 * 9) % 256).astype(np.uint8).reshape([4, 3, 3, 3])),
             raw("W2", np.ones([2, 4, 1, 1], dtype=np.uint8)),
             raw("W3", np.ones([2, 4, 1, 1], dtype=np.uint8))]
    save(d, "requant_chain", nodes, [vi("x", U8, [1, 3, 8, 8])],
         [vi("y2", U8, None), vi("y3", U8, None)], inits, opset=10)


@case
def residual_chain(d):
    # The ResNet-8 residual: Cast, Cast, Add, Clip(0, 6), Cast, Mul(42, x),
    # Floor, Div(42), Cast, after two requantised convs.
    m = helper.make_tensor("m", I32, [1, 4, 1, 1], [1, 1, 1, 1])
    a = helper.make_tensor("a", I32, [1, 4, 1, 1], [0, 0, 0, 0])
    dv = helper.make_tensor("d", I32, [1], [2])
    nodes = [helper.make_node("Conv", ["x", "W1"], ["c1"], name="conv1")]
    nodes += requant_nodes("r1_", "c1", "y1", m, a, dv)
    nodes += [helper.make_node("Conv", ["y1", "W2"], ["c2"], name="conv2")]
    nodes += requant_nodes("r2_", "c2", "y2", m, a, dv)
    nodes += [
        helper.make_node("Cast", ["y2"], ["s1"], name="cast_b", to=I32),
        helper.make_node("Cast", ["y1"], ["s0"], name="cast_a", to=I32),
        helper.make_node("Add", ["s0", "s1"], ["s"], name="res_add"),
        helper.make_node("Clip", ["s"], ["t0"], name="res_clip", min=0.0, max=6.0),
        helper.make_node("Cast", ["t0"], ["t1"], name="res_cast0", to=U8),
        const("k42", helper.make_tensor("k42", I32, [], [42])),
        helper.make_node("Cast", ["t1"], ["t2"], name="res_cast1", to=I32),
        helper.make_node("Mul", ["k42", "t2"], ["t3"], name="res_mul"),
        helper.make_node("Floor", ["t3"], ["t4"], name="res_floor"),
        const("k42b", helper.make_tensor("k42b", I32, [], [42])),
        helper.make_node("Div", ["t4", "k42b"], ["t5"], name="res_div"),
        helper.make_node("Cast", ["t5"], ["y"], name="res_cast2", to=U8),
    ]
    inits = [raw("W1", np.ones([4, 4, 1, 1], dtype=np.uint8)),
             raw("W2", np.ones([4, 4, 1, 1], dtype=np.uint8))]
    save(d, "residual_chain", nodes, [vi("x", U8, [1, 4, 4, 4])], [vi("y", U8, None)], inits,
         opset=10)


@case
def constant_types(d):
    # Epilogue constants of every storage form: typed double / int64 / int32 /
    # int8, raw uint8, and a Constant node with value_float.
    nodes = [
        helper.make_node("Conv", ["x", "W"], ["c"], name="conv"),
        helper.make_node("Mul", ["c", "k_f64"], ["t1"], name="mul_f64"),
        helper.make_node("Add", ["t1", "k_i64"], ["t2"], name="add_i64"),
        helper.make_node("Div", ["t2", "k_i32"], ["t3"], name="div_i32"),
        helper.make_node("Mul", ["t3", "k_u8"], ["t4"], name="mul_u8"),
        helper.make_node("Mul", ["t4", "k_i8"], ["t5"], name="mul_i8"),
        helper.make_node("Constant", [], ["k_vf"], name="const_vf", value_float=0.75),
        helper.make_node("Add", ["t5", "k_vf"], ["y"], name="add_vf"),
    ]
    inits = [
        raw("W", np.array([1.0, -2.0, 3.5, 0.25], dtype=np.float32).reshape([2, 2, 1, 1])),
        typed("k_f64", F64, [1, 2, 1, 1], [1.5, 2.5]),
        typed("k_i64", I64, [1, 2, 1, 1], [-3, 4000000000]),
        typed("k_i32", I32, [], [8]),
        raw("k_u8", np.array([200, 7], dtype=np.uint8).reshape([1, 2, 1, 1])),
        typed("k_i8", I8, [1, 2, 1, 1], [-5, 6]),
    ]
    save(d, "constant_types", nodes, [vi("x", F32, [1, 2, 4, 4])], [vi("y", F32, None)], inits)


@case
def two_readers(d):
    # conv1 -> Relu -> r; r is read by a Cast (foldable, but not folded: r has
    # two readers) and by conv3. The Cast becomes an alias that conv2 reads.
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], name="conv1"),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Cast", ["r"], ["rc"], name="cast", to=F32),
             helper.make_node("Conv", ["rc", "W"], ["y2"], name="conv2"),
             helper.make_node("Conv", ["r", "W"], ["y3"], name="conv3")]
    save(d, "two_readers", nodes, [vi("x", F32, [1, 2, 4, 4])],
         [vi("y2", F32, None), vi("y3", F32, None)],
         [raw("W", np.ones([2, 2, 1, 1], dtype=np.float32))])


@case
def relu_two_readers(d):
    nodes = [helper.make_node("Conv", ["x", "W"], ["c"], name="conv1"),
             helper.make_node("Relu", ["c"], ["y2"], name="late_relu"),
             helper.make_node("Conv", ["c", "W"], ["y3"], name="conv2")]
    save(d, "relu_two_readers", nodes, [vi("x", F32, [1, 2, 4, 4])],
         [vi("y2", F32, None), vi("y3", F32, None)],
         [raw("W", np.ones([2, 2, 1, 1], dtype=np.float32))])


@case
def names(d):
    # Layer names: node name, "<op_type>_<output>" when empty, made unique.
    nodes = [helper.make_node("Conv", ["x", "W"], ["a"]),
             helper.make_node("Conv", ["a", "W"], ["b"], name="dup"),
             helper.make_node("Conv", ["b", "W"], ["y"], name="dup")]
    save(d, "names", nodes, [vi("x", F32, [1, 2, 4, 4])], [vi("y", F32, None)],
         [raw("W", np.ones([2, 2, 1, 1], dtype=np.float32))])


@case
def invalid_utf8_names(d):
    # Names with bytes that are not UTF-8 (0xFF, 0xFE; a lone lead byte 0xC3): the
    # Python protobuf API refuses them, so the file is written with same-length
    # placeholders that are then replaced byte for byte.
    nodes = [helper.make_node("Conv", ["x@@@", "W"], ["a@@@"], name="conv@@@"),
             helper.make_node("Relu", ["a@@@"], ["y"], name="relu")]
    graph = helper.make_graph(nodes, "graph@@@", [vi("x@@@", F32, [1, 2, 4, 4])],
                              [vi("y", F32, None)],
                              [raw("W", np.ones([2, 2, 1, 1], dtype=np.float32))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 7
    data = model.SerializeToString().replace(b"@@@", b"\xff\xfe\xc3")
    with open(os.path.join(d, "invalid_utf8_names.onnx"), "wb") as f:
        f.write(data)


# ---------------------------------------------------------------- error cases

def batch_case(out_dir, name, n):
    nodes = [helper.make_node("Conv", ["x", "W"], ["y"], name="conv", pads=[1, 1, 1, 1])]
    save(out_dir, name, nodes, [vi("x", U8, [n, 8, 16, 16])], [vi("y", I32, None)],
         [raw("W", np.ones([8, 8, 3, 3], dtype=np.int8))])


@case
def huge_batch(d):
    batch_case(d, "huge_batch", 100000)


@case
def huge_input(d):
    batch_case(d, "huge_input", 2 ** 40)


@case
def unsupported_softmax(d):
    nodes = [helper.make_node("MatMul", ["a", "W"], ["l"], name="fc"),
             helper.make_node("Softmax", ["l"], ["y"], name="sm")]
    save(d, "unsupported_softmax", nodes, [vi("a", F32, [1, 16])], [vi("y", F32, None)],
         [raw("W", ramp([16, 4]))])


@case
def relu_on_input(d):
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="early_relu"),
             helper.make_node("Conv", ["r", "W"], ["y"], name="conv")]
    save(d, "relu_on_input", nodes, [vi("x", F32, [1, 2, 4, 4])], [vi("y", F32, None)],
         [raw("W", np.ones([2, 2, 1, 1], dtype=np.float32))])


@case
def empty_graph(d):
    save(d, "empty_graph", [], [vi("x", F32, [1, 4])], [vi("x", F32, [1, 4])])


@case
def no_inputs(d):
    nodes = [const("k", helper.make_tensor("k", F32, [2], [1.0, 2.0])),
             helper.make_node("Identity", ["k"], ["y"], name="id")]
    save(d, "no_inputs", nodes, [], [vi("y", F32, [2])])


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_test_models.py OUTPUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for fn in CASES.values():
        fn(out_dir)
    # Marker for the build system: every case has been written.
    with open(os.path.join(out_dir, "cases.txt"), "w") as f:
        f.write("\n".join(sorted(CASES)) + "\n")


if __name__ == "__main__":
    main()
