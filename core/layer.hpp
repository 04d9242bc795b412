#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tessel {

// The eight loop dimensions of the canonical layer nest (DESIGN.md, "The layer
// as a loop nest"). The numeric values index DimArray.
enum class Dim : std::uint8_t { N, G, K, C, OY, OX, FY, FX };
inline constexpr std::size_t kNumDims = 8;
inline constexpr std::array<Dim, kNumDims> kAllDims = {Dim::N,  Dim::G,  Dim::K,  Dim::C,
                                                       Dim::OY, Dim::OX, Dim::FY, Dim::FX};
using DimArray = std::array<std::int64_t, kNumDims>;

constexpr std::size_t idx(Dim d) {
  return static_cast<std::size_t>(d);
}
// Sets of dimensions as bit masks: bit idx(d) for dimension d.
constexpr unsigned dim_bit(Dim d) {
  return 1u << idx(d);
}
inline constexpr unsigned kAllDimBits = (1u << kNumDims) - 1;
std::string_view dim_name(Dim d);
// Parses "N", "G", "K", "C", "OY", "OX", "FY", "FX" (case-insensitive).
std::optional<Dim> parse_dim(std::string_view text);

// The operands of a layer. Relevance (which dims index an operand) drives reuse.
enum class Operand : std::uint8_t { I, W, O };
inline constexpr std::size_t kNumOperands = 3;
std::string_view operand_name(Operand o);
constexpr std::size_t idx(Operand o) {
  return static_cast<std::size_t>(o);
}

// Whether dimension d indexes operand o. For I, OY/OX/FY/FX index it through
// the input window (halo); they are reported relevant.
constexpr bool relevant(Operand o, Dim d) {
  switch (o) {
    case Operand::W:
      return d == Dim::G || d == Dim::K || d == Dim::C || d == Dim::FY || d == Dim::FX;
    case Operand::O:
      return d == Dim::N || d == Dim::G || d == Dim::K || d == Dim::OY || d == Dim::OX;
    case Operand::I:
      return d != Dim::K;
  }
  return false;
}

// What a layer computes. Every kind is a point of the same loop nest:
//   conv       G groups (1 for a plain conv), K out / C in channels per group
//   depthwise  G = channels, K = C = 1
//   pointwise  a conv with FY = FX = 1 and G = 1
//   dense      OY = OX = FY = FX = 1 (Gemm, MatMul)
//   max_pool / avg_pool  G = channels, K = C = 1, FY x FX window, no weights
//   add        element-wise sum of two tensors: G = channels, K = C = 1, FY = FX = 1
enum class OpKind : std::uint8_t { conv, depthwise, pointwise, dense, max_pool, avg_pool, add };
inline constexpr std::array<OpKind, 7> kAllOpKinds = {
    OpKind::conv,     OpKind::depthwise, OpKind::pointwise, OpKind::dense,
    OpKind::max_pool, OpKind::avg_pool,  OpKind::add};
std::string_view op_name(OpKind op);
std::optional<OpKind> parse_op(std::string_view text);
// True for the kinds that multiply by weights (conv, depthwise, pointwise, dense).
constexpr bool has_weights(OpKind op) {
  return op == OpKind::conv || op == OpKind::depthwise || op == OpKind::pointwise ||
         op == OpKind::dense;
}
// True for the weighted kinds that mix channels: K outputs per group from C
// inputs (conv, pointwise, dense; not depthwise, whose channels are groups).
constexpr bool mixes_channels(OpKind op) {
  return has_weights(op) && op != OpKind::depthwise;
}

// Bit widths of the operands; the accumulator holds partial sums.
struct Precision {
  int input = 8;
  int weight = 8;
  int output = 8;
  int accumulator = 32;
  bool input_signed = false;
  bool weight_signed = true;
  bool output_signed = false;
  bool operator==(const Precision&) const = default;
};

// One arithmetic step applied element-wise to the accumulator after the loop
// nest, in order. Constants are named tensors of the graph (kept for code
// emission); scalar constants also carry their value.
struct EpilogueStep {
  enum class Kind : std::uint8_t { mul, add, div, floor, clip, relu, cast };
  Kind kind = Kind::mul;
  std::string constant;       // graph tensor holding the operand (mul, add, div), if any
  double scalar = 0.0;        // the operand when it is a single value
  bool per_channel = false;   // the operand has one value per output channel
  double lo = 0.0, hi = 0.0;  // clip bounds
  int bits = 0;               // cast: target width
  bool is_signed = false;     // cast: target signedness
  bool is_float = false;      // cast: target is floating point
  bool operator==(const EpilogueStep&) const = default;
};
std::string_view epilogue_kind_name(EpilogueStep::Kind k);

// The fused epilogue of a layer: bias, integer requantisation, activation.
// `steps` is the exact folded sequence; the flags summarise it.
struct Epilogue {
  enum class Activation : std::uint8_t { none, relu, clip };
  bool bias = false;     // a per-channel constant is added to the accumulator
  bool requant = false;  // the accumulator is scaled (mul / div / shift) back to the output width
  Activation activation = Activation::none;
  double clip_lo = 0.0, clip_hi = 0.0;  // bounds when activation == clip
  std::vector<EpilogueStep> steps;
  bool operator==(const Epilogue&) const = default;
};
std::string_view activation_name(Epilogue::Activation a);

// The sizes tessel refuses (Layer::validate): beyond them the search and the
// simulation grow with the size (an explore of a batch of 1,024 took 50 s, of
// 4,096 two minutes, docs/reliability.md) or counts overflow. A batch of N
// images run one after the other takes N times the cycles of one.
inline constexpr std::int64_t kMaxBatch = 256;             // N
inline constexpr std::int64_t kMaxExtent = 65536;          // every other loop bound, in_y and in_x
inline constexpr double kMaxNestOps = 1125899906842624.0;  // 2^50 element operations

// One compute layer as a canonical loop nest. Plain data; counts are derived.
struct Layer {
  std::string name;
  OpKind op = OpKind::conv;
  DimArray dims = {1, 1, 1, 1, 1, 1, 1, 1};
  std::int64_t in_y = 1, in_x = 1;  // input feature map height and width
  int stride_y = 1, stride_x = 1;
  int dilation_y = 1, dilation_x = 1;
  int pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  Precision bits;
  Epilogue epilogue;
  std::vector<std::string> inputs;  // activation tensors read (two for add)
  std::string weights;              // weight tensor, empty when the op has none
  // Dense weights stored as [C][K] (ONNX MatMul) rather than [K][C] (Gemm, conv order).
  bool weights_ck = false;
  std::string output;  // tensor written
  // The output starts from partial sums that earlier slices of the same
  // layer left at the output's home at accumulator width (a later slice of a
  // layer split over C, docs/memory.md "Partial execution"): every visit of
  // an output tile reads them back first.
  bool accumulates = false;

  std::int64_t dim(Dim d) const { return dims[idx(d)]; }
  std::int64_t& dim(Dim d) { return dims[idx(d)]; }

  // Multiply-accumulates of conv, depthwise, pointwise and dense; 0 for pools and adds.
  std::int64_t macs() const;
  // Element operations of the nest (MACs, comparisons, additions): N*G*K*C*OY*OX*FY*FX.
  std::int64_t nest_ops() const;
  std::int64_t weight_elems() const;
  std::int64_t input_elems() const;  // of all activation inputs together
  std::int64_t output_elems() const;
  std::int64_t weight_bytes() const;
  std::int64_t input_bytes() const;
  std::int64_t output_bytes() const;
  // Number of activation input tensors (2 for add, 1 otherwise).
  int num_inputs() const { return op == OpKind::add ? 2 : 1; }

  // Checks internal consistency (positive dims within the limits above, op
  // invariants, output size following from input size, kernel, stride,
  // dilation and padding). Throws ModelError naming the layer.
  void validate() const;
  bool operator==(const Layer&) const = default;
};

// Bytes taken by `elems` elements of `bits` bits each, rounded up to whole bytes.
constexpr std::int64_t bytes_of(std::int64_t elems, int bits) {
  return (elems * bits + 7) / 8;
}

// Output extent of a convolution window along one axis.
constexpr std::int64_t conv_out_extent(std::int64_t in, int kernel, int stride, int dilation,
                                       int pad_begin, int pad_end) {
  return (in + pad_begin + pad_end - static_cast<std::int64_t>(dilation) * (kernel - 1) - 1) /
             stride +
         1;
}

// Short description of a layer's loop bounds, e.g. "K=16 C=3 OY=32 OX=32 FY=3 FX=3".
std::string dims_string(const Layer& layer);

}  // namespace tessel
