#include "core/layer.hpp"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string_view dim_name(Dim d) {
  static constexpr std::array<std::string_view, kNumDims> names = {"N",  "G",  "K",  "C",
                                                                   "OY", "OX", "FY", "FX"};
  return names[idx(d)];
}

std::optional<Dim> parse_dim(std::string_view text) {
  for (Dim d : kAllDims) {
    if (iequals(text, dim_name(d))) return d;
  }
  return std::nullopt;
}

std::string_view operand_name(Operand o) {
  switch (o) {
    case Operand::I:
      return "I";
    case Operand::W:
      return "W";
    case Operand::O:
      return "O";
  }
  return "?";
}

std::string_view op_name(OpKind op) {
  switch (op) {
    case OpKind::conv:
      return "conv";
    case OpKind::depthwise:
      return "depthwise";
    case OpKind::pointwise:
      return "pointwise";
    case OpKind::dense:
      return "dense";
    case OpKind::max_pool:
      return "max_pool";
    case OpKind::avg_pool:
      return "avg_pool";
    case OpKind::add:
      return "add";
  }
  return "?";
}

std::optional<OpKind> parse_op(std::string_view text) {
  for (OpKind op : kAllOpKinds) {
    if (iequals(text, op_name(op))) return op;
  }
  return std::nullopt;
}

std::string_view epilogue_kind_name(EpilogueStep::Kind k) {
  using K = EpilogueStep::Kind;
  switch (k) {
    case K::mul:
      return "mul";
    case K::add:
      return "add";
    case K::div:
      return "div";
    case K::floor:
      return "floor";
    case K::clip:
      return "clip";
    case K::relu:
      return "relu";
    case K::cast:
      return "cast";
  }
  return "?";
}

std::string_view activation_name(Epilogue::Activation a) {
  switch (a) {
    case Epilogue::Activation::none:
      return "none";
    case Epilogue::Activation::relu:
      return "relu";
    case Epilogue::Activation::clip:
      return "clip";
  }
  return "?";
}

std::int64_t Layer::nest_ops() const {
  std::int64_t p = 1;
  for (auto d : dims)
    p *= d;
  return p;
}

std::int64_t Layer::macs() const {
  return has_weights(op) ? nest_ops() : 0;
}

std::int64_t Layer::weight_elems() const {
  if (!has_weights(op)) return 0;
  return dim(Dim::G) * dim(Dim::K) * dim(Dim::C) * dim(Dim::FY) * dim(Dim::FX);
}

std::int64_t Layer::input_elems() const {
  return num_inputs() * dim(Dim::N) * dim(Dim::G) * dim(Dim::C) * in_y * in_x;
}

std::int64_t Layer::output_elems() const {
  return dim(Dim::N) * dim(Dim::G) * dim(Dim::K) * dim(Dim::OY) * dim(Dim::OX);
}

std::int64_t Layer::weight_bytes() const {
  return bytes_of(weight_elems(), bits.weight);
}
std::int64_t Layer::input_bytes() const {
  return bytes_of(input_elems(), bits.input);
}
std::int64_t Layer::output_bytes() const {
  return bytes_of(output_elems(), bits.output);
}

void Layer::validate() const {
  auto fail = [&](const std::string& what) {
    throw ModelError(fmt::format("layer '{}' ({}): {}", name, op_name(op), what));
  };
  double ops = 1;  // the nest's element operations, in floating point (no overflow)
  for (Dim d : kAllDims) {
    if (dim(d) < 1)
      fail(fmt::format("dimension {} is {}, expected at least 1", dim_name(d), dim(d)));
    ops *= static_cast<double>(dim(d));
  }
  if (dim(Dim::N) > kMaxBatch)
    fail(
        fmt::format("the batch N = {} is above tessel's limit of {} (the search and the "
                    "simulation grow with it); explore a batch of 1: N images run one after the "
                    "other take N times its cycles",
                    dim(Dim::N), kMaxBatch));
  for (Dim d : kAllDims) {
    if (d != Dim::N && dim(d) > kMaxExtent)
      fail(fmt::format("dimension {} = {} is above tessel's limit of {}", dim_name(d), dim(d),
                       kMaxExtent));
  }
  if (ops > kMaxNestOps)
    fail(fmt::format("the loop nest has {:.3g} element operations, above tessel's limit of 2^50",
                     ops));
  if (in_y < 1 || in_x < 1) fail(fmt::format("input size {}x{} is not positive", in_y, in_x));
  if (in_y > kMaxExtent || in_x > kMaxExtent)
    fail(fmt::format("input size {}x{} is above tessel's limit of {} per side", in_y, in_x,
                     kMaxExtent));
  if (stride_y < 1 || stride_x < 1) fail("stride must be at least 1");
  if (dilation_y < 1 || dilation_x < 1) fail("dilation must be at least 1");
  if (pad_top < 0 || pad_left < 0 || pad_bottom < 0 || pad_right < 0)
    fail("padding must not be negative");
  const bool channelwise = op == OpKind::depthwise || op == OpKind::max_pool ||
                           op == OpKind::avg_pool || op == OpKind::add;
  if (channelwise && (dim(Dim::K) != 1 || dim(Dim::C) != 1))
    fail("a channel-wise op must have K = C = 1 (channels are G)");
  if ((op == OpKind::pointwise || op == OpKind::add) && (dim(Dim::FY) != 1 || dim(Dim::FX) != 1))
    fail("kernel must be 1x1");
  if (op == OpKind::dense &&
      (dim(Dim::OY) != 1 || dim(Dim::OX) != 1 || dim(Dim::FY) != 1 || dim(Dim::FX) != 1))
    fail("a dense layer must have OY = OX = FY = FX = 1");
  const auto oy = conv_out_extent(in_y, static_cast<int>(dim(Dim::FY)), stride_y, dilation_y,
                                  pad_top, pad_bottom);
  const auto ox = conv_out_extent(in_x, static_cast<int>(dim(Dim::FX)), stride_x, dilation_x,
                                  pad_left, pad_right);
  if (oy != dim(Dim::OY) || ox != dim(Dim::OX))
    fail(fmt::format("output {}x{} does not follow from input {}x{} (expected {}x{})", dim(Dim::OY),
                     dim(Dim::OX), in_y, in_x, oy, ox));
  for (int b : {bits.input, bits.weight, bits.output, bits.accumulator}) {
    if (b < 1 || b > 64) fail(fmt::format("bit width {} out of range 1..64", b));
  }
  if (static_cast<int>(inputs.size()) != num_inputs())
    fail(fmt::format("expects {} input tensor(s), has {}", num_inputs(), inputs.size()));
}

std::string dims_string(const Layer& layer) {
  std::string out;
  for (Dim d : kAllDims) {
    if (layer.dim(d) == 1 && d != Dim::K && d != Dim::C) continue;
    if (!out.empty()) out += ' ';
    out += fmt::format("{}={}", dim_name(d), layer.dim(d));
  }
  return out;
}

}  // namespace tessel
