// The pooling operators: MaxPool and AveragePool (pads, strides, auto_pad,
// ceil_mode), GlobalAveragePool and GlobalMaxPool, each a pool layer on a 4-D
// NCHW input.
#include "core/onnx/attrs.hpp"
#include "core/onnx/op_table.hpp"
#include "core/onnx/shapes.hpp"

namespace tessel::onnx_import {
namespace {

void emit_pool(Importer& im, const NodeProto& n, const Act& x, std::int64_t channels,
               const PoolParams& p) {
  auto d = draft(im, n, channels, 4, x.type);
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.pool(name, x.ref, p, std::move(e));
  });
}

// MaxPool / AveragePool / global pools.
void pool(Importer& im, const NodeProto& n, OpKind op) {
  const Act x = im.activation(n, 0);
  const auto& xs = feature_map(im, x, "2-D pooling");
  const Attrs a(n);
  if (n.output_size() > 1 && !n.output(1).empty())
    unsupported("the Indices output of MaxPool is not supported");
  if (a.i("storage_order", 0) != 0)
    bad_attribute("storage_order", std::to_string(a.i("storage_order", 0)), "0");
  const auto ceil_mode = a.i("ceil_mode", 0);
  if (ceil_mode != 0 && ceil_mode != 1)
    bad_attribute("ceil_mode", std::to_string(ceil_mode), "0 or 1");
  const auto cip = a.i("count_include_pad", 0);
  if (cip != 0 && cip != 1) bad_attribute("count_include_pad", std::to_string(cip), "0 or 1");
  const auto k = a.ints("kernel_shape", {});
  if (k.size() != 2)
    model_fail(
        fmt::format("attribute kernel_shape must give a 2-D window, got [{}]", fmt::join(k, ", ")));
  PoolParams p;
  p.op = op;
  p.kernel_y = to_int(k[0], "kernel height");
  p.kernel_x = to_int(k[1], "kernel width");
  apply_window(window(a, xs[2], xs[3], p.kernel_y, p.kernel_x, false), p);
  p.ceil_mode = ceil_mode == 1;
  emit_pool(im, n, x, xs[1], p);
}

void op_max_pool(Importer& im, const NodeProto& n) {
  pool(im, n, OpKind::max_pool);
}
void op_avg_pool(Importer& im, const NodeProto& n) {
  pool(im, n, OpKind::avg_pool);
}

void op_global_avg_pool(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const auto& xs = feature_map(im, x, "2-D pooling");
  auto d = draft(im, n, xs[1], 4, x.type);
  im.emit(n, std::move(d), [&](const std::string& name, LayerExtras e) {
    return im.builder.global_avg_pool(name, x.ref, std::move(e));
  });
}

void op_global_max_pool(Importer& im, const NodeProto& n) {
  const Act x = im.activation(n, 0);
  const auto& xs = feature_map(im, x, "2-D pooling");
  PoolParams p;
  p.op = OpKind::max_pool;
  p.kernel_y = p.stride_y = to_int(xs[2], "height");
  p.kernel_x = p.stride_x = to_int(xs[3], "width");
  emit_pool(im, n, x, xs[1], p);
}

}  // namespace

void register_pool_ops(OpTable& table) {
  table.add({"MaxPool", op_max_pool, nullptr, nullptr});
  table.add({"AveragePool", op_avg_pool, nullptr, nullptr});
  table.add({"GlobalAveragePool", op_global_avg_pool, nullptr, nullptr});
  table.add({"GlobalMaxPool", op_global_max_pool, nullptr, nullptr});
}

}  // namespace tessel::onnx_import
