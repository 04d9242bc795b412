// The epilogue steps of a layer draft, as the folding of requantisation chains
// builds them: how a constant operand broadcasts over the layer output (scalar
// or per channel), the operand, clamp and cast steps, the activation summary,
// the bias step, and the rounding and saturation of a quantisation.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/onnx/importer.hpp"

namespace tessel::onnx_import {

// How a constant operand broadcasts over a layer output of rank `rank` whose
// channel axis is 1.
enum class Broadcast { scalar, per_channel, other };

Broadcast classify(const Tensor& c, std::size_t rank, std::int64_t channels);

// Broadcast of a quantisation parameter (scalar, or 1-D along `axis`).
Broadcast classify_quant(const Tensor& c, std::int64_t axis, const LayerDraft& d);

// A step of `kind` with no operand (floor, relu); callers set any other field.
EpilogueStep plain_step(EpilogueStep::Kind kind);

// A step whose operand is the constant `c` (scalar or per channel).
EpilogueStep operand_step(EpilogueStep::Kind kind, const Tensor& c, const LayerDraft& d,
                          Broadcast b);
EpilogueStep operand_step(EpilogueStep::Kind kind, const Tensor& c, const LayerDraft& d);

EpilogueStep cast_step(const DataType& t);

// Records a clamp in the activation summary (see onnx_import.hpp).
void note_clamp(LayerDraft& d, bool relu, double lo, double hi);

// Adds the bias step: a bias input holds one value, or one per output channel
// whatever its shape (Conv B is [M], Gemm C [N] or [1, N]).
void push_bias(LayerDraft& d, const Tensor& b);

// The element type of a quantisation with zero point `zp` (may be null: u8).
DataType quant_type(const Tensor* zp);

// The rounding and saturation of a quantisation to `qtype` with zero point
// `zp` (may be null): add(0.5), floor, add(zp) when non-zero, clip, cast.
void quantize_tail(LayerDraft& d, const Tensor* zp, std::int64_t axis, const DataType& qtype);

// A 1-D float constant made by the importer (scales, folded biases).
Tensor float_vector(std::string name, std::vector<double> values);

}  // namespace tessel::onnx_import
