#include "core/builder.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel {
namespace {

[[noreturn]] void fail(const std::string& layer, const std::string& what) {
  throw ModelError(fmt::format("layer '{}': {}", layer, what));
}

const std::vector<std::int64_t>& feature_map(const GraphBuilder& g, const std::string& layer,
                                             const std::string& in) {
  const auto& s = g.shape(in);
  if (s.size() != 4)
    fail(layer,
         fmt::format("expects a 4-D NCHW input, tensor '{}' has shape {}", in, shape_string(s)));
  return s;
}

// Input properties copied into the layer's precision.
Precision with_input(Precision p, const DataType& in) {
  p.input = in.bits;
  p.input_signed = in.is_signed;
  return p;
}

}  // namespace

std::string GraphBuilder::input(const std::string& name, std::vector<std::int64_t> shape,
                                DataType type) {
  Tensor t;
  t.name = name;
  t.shape = std::move(shape);
  t.type = type;
  graph_.add_tensor(std::move(t));
  inputs_.push_back(name);
  return name;
}

void GraphBuilder::constant(Tensor t) {
  t.constant = true;
  graph_.add_tensor(std::move(t));
}

std::string GraphBuilder::add_output(const std::string& layer_name, const LayerExtras& extras,
                                     std::vector<std::int64_t> shape, DataType type) {
  Tensor t;
  t.name = extras.output.empty() ? layer_name + ".out" : extras.output;
  t.shape = std::move(shape);
  t.type = type;
  auto name = t.name;
  graph_.add_tensor(std::move(t));
  return name;
}

namespace {

// Registers the weight tensor of a layer: the given one (checked), or a
// shape-only tensor of the layer's weight precision.
std::string weight_tensor(Graph& g, const std::string& layer, LayerExtras& extras,
                          std::vector<std::int64_t> shape, Precision& bits) {
  Tensor w;
  if (extras.weights) {
    w = std::move(*extras.weights);
    extras.weights.reset();
    std::int64_t expect = 1;
    for (auto s : shape)
      expect *= s;
    if (w.elems() != expect)
      fail(layer, fmt::format("weight tensor '{}' has shape {}, expected {} elements ({})", w.name,
                              shape_string(w.shape), expect, shape_string(shape)));
    bits.weight = w.type.bits;
    bits.weight_signed = w.type.is_signed;
  } else {
    w.name = layer + ".weight";
    w.shape = std::move(shape);
    w.type = {bits.weight, bits.weight_signed, false};
  }
  w.constant = true;
  auto name = w.name;
  if (!g.has_tensor(name)) g.add_tensor(std::move(w));
  return name;
}

// The output tensor's element type: the explicit one, else the integer type of
// the output precision.
DataType output_type(const Precision& p, const LayerExtras& extras) {
  return extras.output_type ? *extras.output_type : DataType{p.output, p.output_signed, false};
}

// Extra end padding that makes the floor-based output extent equal the
// ceil-mode one (0 when both agree).
int ceil_mode_extra_pad(std::int64_t in, int kernel, int stride, int pad_begin, int pad_end) {
  const std::int64_t span = in + pad_begin + pad_end - kernel;
  if (span < 0) return 0;
  std::int64_t out = (span + stride - 1) / stride + 1;
  // The last window must start inside the input or the begin padding.
  if ((out - 1) * stride >= in + pad_begin) --out;
  const std::int64_t extra = (out - 1) * stride + kernel - (in + pad_begin + pad_end);
  return extra > 0 ? static_cast<int>(extra) : 0;
}

}  // namespace

std::string GraphBuilder::conv(const std::string& name, const std::string& in, const ConvParams& p,
                               LayerExtras extras) {
  const auto s = feature_map(*this, name, in);
  const std::int64_t cin = s[1];
  if (p.groups < 1 || cin % p.groups != 0 || p.out_channels % p.groups != 0)
    fail(name, fmt::format("{} groups do not divide {} input and {} output channels", p.groups, cin,
                           p.out_channels));
  Layer l;
  l.name = name;
  l.in_y = s[2];
  l.in_x = s[3];
  l.stride_y = p.stride_y;
  l.stride_x = p.stride_x;
  l.dilation_y = p.dilation_y;
  l.dilation_x = p.dilation_x;
  l.pad_top = p.pad_top;
  l.pad_left = p.pad_left;
  l.pad_bottom = p.pad_bottom;
  l.pad_right = p.pad_right;
  const bool depthwise = p.groups > 1 && p.groups == cin && p.out_channels == cin;
  l.op = depthwise                                               ? OpKind::depthwise
         : (p.groups == 1 && p.kernel_y == 1 && p.kernel_x == 1) ? OpKind::pointwise
                                                                 : OpKind::conv;
  l.dim(Dim::N) = s[0];
  l.dim(Dim::G) = p.groups;
  l.dim(Dim::K) = p.out_channels / p.groups;
  l.dim(Dim::C) = cin / p.groups;
  l.dim(Dim::FY) = p.kernel_y;
  l.dim(Dim::FX) = p.kernel_x;
  if (p.stride_y < 1 || p.stride_x < 1 || p.dilation_y < 1 || p.dilation_x < 1)
    fail(name, "stride and dilation must be at least 1");
  l.dim(Dim::OY) =
      conv_out_extent(l.in_y, p.kernel_y, p.stride_y, p.dilation_y, p.pad_top, p.pad_bottom);
  l.dim(Dim::OX) =
      conv_out_extent(l.in_x, p.kernel_x, p.stride_x, p.dilation_x, p.pad_left, p.pad_right);
  if (l.dim(Dim::OY) < 1 || l.dim(Dim::OX) < 1)
    fail(name, fmt::format("a {}x{} kernel does not fit the padded {}x{} input", p.kernel_y,
                           p.kernel_x, l.in_y, l.in_x));
  l.bits = with_input(extras.bits, graph_.tensor(resolve(in)).type);
  l.epilogue = extras.epilogue;
  l.inputs = {resolve(in)};
  l.weights = weight_tensor(graph_, name, extras,
                            {p.out_channels, cin / p.groups, p.kernel_y, p.kernel_x}, l.bits);
  l.output = add_output(name, extras, {s[0], p.out_channels, l.dim(Dim::OY), l.dim(Dim::OX)},
                        output_type(l.bits, extras));
  graph_.add_layer(std::move(l));
  return graph_.layers().back().output;
}

std::string GraphBuilder::dense(const std::string& name, const std::string& in,
                                std::int64_t out_features, LayerExtras extras, bool weights_ck) {
  const auto& s = shape(in);
  std::int64_t features = 0;
  if (s.size() == 2) {
    features = s[1];
  } else if (s.size() == 4 && s[2] == 1 && s[3] == 1) {
    features = s[1];
  } else {
    fail(name, fmt::format("expects an [N, features] input, tensor '{}' has shape {}", in,
                           shape_string(s)));
  }
  if (out_features < 1) fail(name, "output features must be at least 1");
  Layer l;
  l.name = name;
  l.op = OpKind::dense;
  l.dim(Dim::N) = s[0];
  l.dim(Dim::K) = out_features;
  l.dim(Dim::C) = features;
  l.bits = with_input(extras.bits, graph_.tensor(resolve(in)).type);
  l.epilogue = extras.epilogue;
  l.inputs = {resolve(in)};
  l.weights_ck = weights_ck;
  l.weights = weight_tensor(graph_, name, extras,
                            weights_ck ? std::vector<std::int64_t>{features, out_features}
                                       : std::vector<std::int64_t>{out_features, features},
                            l.bits);
  l.output = add_output(name, extras, {s[0], out_features}, output_type(l.bits, extras));
  graph_.add_layer(std::move(l));
  return graph_.layers().back().output;
}

std::string GraphBuilder::pool(const std::string& name, const std::string& in, const PoolParams& p,
                               LayerExtras extras) {
  const auto s = feature_map(*this, name, in);
  if (p.op != OpKind::max_pool && p.op != OpKind::avg_pool)
    fail(name, "a pool layer must be max_pool or avg_pool");
  if (p.stride_y < 1 || p.stride_x < 1) fail(name, "stride must be at least 1");
  Layer l;
  l.name = name;
  l.op = p.op;
  l.in_y = s[2];
  l.in_x = s[3];
  l.stride_y = p.stride_y;
  l.stride_x = p.stride_x;
  l.pad_top = p.pad_top;
  l.pad_left = p.pad_left;
  l.pad_bottom = p.pad_bottom;
  l.pad_right = p.pad_right;
  if (p.ceil_mode) {
    l.pad_bottom += ceil_mode_extra_pad(l.in_y, p.kernel_y, p.stride_y, p.pad_top, p.pad_bottom);
    l.pad_right += ceil_mode_extra_pad(l.in_x, p.kernel_x, p.stride_x, p.pad_left, p.pad_right);
  }
  l.dim(Dim::N) = s[0];
  l.dim(Dim::G) = s[1];
  l.dim(Dim::FY) = p.kernel_y;
  l.dim(Dim::FX) = p.kernel_x;
  l.dim(Dim::OY) = conv_out_extent(l.in_y, p.kernel_y, p.stride_y, 1, l.pad_top, l.pad_bottom);
  l.dim(Dim::OX) = conv_out_extent(l.in_x, p.kernel_x, p.stride_x, 1, l.pad_left, l.pad_right);
  if (l.dim(Dim::OY) < 1 || l.dim(Dim::OX) < 1)
    fail(name, fmt::format("a {}x{} window does not fit the {}x{} input", p.kernel_y, p.kernel_x,
                           l.in_y, l.in_x));
  l.bits = with_input(extras.bits, graph_.tensor(resolve(in)).type);
  l.epilogue = extras.epilogue;
  l.inputs = {resolve(in)};
  l.output = add_output(name, extras, {s[0], s[1], l.dim(Dim::OY), l.dim(Dim::OX)},
                        output_type(l.bits, extras));
  graph_.add_layer(std::move(l));
  return graph_.layers().back().output;
}

std::string GraphBuilder::global_avg_pool(const std::string& name, const std::string& in,
                                          LayerExtras extras) {
  const auto s = feature_map(*this, name, in);
  PoolParams p;
  p.op = OpKind::avg_pool;
  p.kernel_y = static_cast<int>(s[2]);
  p.kernel_x = static_cast<int>(s[3]);
  p.stride_y = p.kernel_y;
  p.stride_x = p.kernel_x;
  return pool(name, in, p, std::move(extras));
}

std::string GraphBuilder::add(const std::string& name, const std::string& a, const std::string& b,
                              LayerExtras extras) {
  const auto& sa = shape(a);
  const auto& sb = shape(b);
  if (sa != sb)
    fail(name, fmt::format("adds tensors of different shapes: '{}' is {}, '{}' is {}", a,
                           shape_string(sa), b, shape_string(sb)));
  if (sa.size() != 2 && sa.size() != 4)
    fail(name, fmt::format("expects 2-D or 4-D tensors, got {}", shape_string(sa)));
  Layer l;
  l.name = name;
  l.op = OpKind::add;
  l.dim(Dim::N) = sa[0];
  l.dim(Dim::G) = sa[1];
  if (sa.size() == 4) {
    l.in_y = l.dim(Dim::OY) = sa[2];
    l.in_x = l.dim(Dim::OX) = sa[3];
  }
  l.bits = with_input(extras.bits, graph_.tensor(resolve(a)).type);
  l.epilogue = extras.epilogue;
  l.inputs = {resolve(a), resolve(b)};
  l.output = add_output(name, extras, sa, output_type(l.bits, extras));
  graph_.add_layer(std::move(l));
  return graph_.layers().back().output;
}

std::string GraphBuilder::reshape(const std::string& in, const std::string& out,
                                  std::vector<std::int64_t> shape) {
  auto count = [](const std::vector<std::int64_t>& s) {
    std::int64_t n = 1;
    for (auto d : s)
      n *= d;
    return n;
  };
  const auto& from = this->shape(in);
  if (count(from) != count(shape))
    throw ModelError(fmt::format("reshape of '{}' ({}) to '{}' ({}) changes the element count", in,
                                 shape_string(from), out, shape_string(shape)));
  if (graph_.has_tensor(out) || views_.count(out))
    throw ModelError(fmt::format("tensor '{}' defined twice", out));
  views_[out] = View{resolve(in), std::move(shape)};
  return out;
}

const std::string& GraphBuilder::resolve(const std::string& name) const {
  auto it = views_.find(name);
  return it == views_.end() ? name : it->second.source;
}

const std::vector<std::int64_t>& GraphBuilder::shape(const std::string& name) const {
  auto it = views_.find(name);
  return it == views_.end() ? graph_.tensor(name).shape : it->second.shape;
}

Graph GraphBuilder::finish(std::vector<std::string> outputs) {
  for (auto& o : outputs)
    o = resolve(o);
  graph_.set_inputs(inputs_);
  graph_.set_outputs(std::move(outputs));
  graph_.finalize();
  return std::move(graph_);
}

}  // namespace tessel
