// The epilogue steps of a layer draft (see epilogue.hpp).
#include "core/onnx/epilogue.hpp"

#include <algorithm>

#include "core/onnx/tensors.hpp"

namespace tessel::onnx_import {

Broadcast classify(const Tensor& c, std::size_t rank, std::int64_t channels) {
  if (c.elems() == 1) return Broadcast::scalar;
  if (c.shape.size() > rank || c.elems() != channels) return Broadcast::other;
  for (std::size_t i = 0; i < c.shape.size(); ++i) {
    const std::size_t axis = rank - c.shape.size() + i;
    if (c.shape[i] != 1 && axis != 1) return Broadcast::other;
  }
  return Broadcast::per_channel;
}

Broadcast classify_quant(const Tensor& c, std::int64_t axis, const LayerDraft& d) {
  if (c.elems() == 1) return Broadcast::scalar;
  if (axis < 0) axis += static_cast<std::int64_t>(d.rank);
  if (c.shape.size() == 1 && c.elems() == d.channels && axis == 1) return Broadcast::per_channel;
  return classify(c, d.rank, d.channels);
}

EpilogueStep plain_step(EpilogueStep::Kind kind) {
  EpilogueStep s;
  s.kind = kind;
  return s;
}

EpilogueStep operand_step(EpilogueStep::Kind kind, const Tensor& c, const LayerDraft& d,
                          Broadcast b) {
  if (b == Broadcast::other)
    unsupported(fmt::format(
        "constant '{}' of shape {} is neither a scalar nor one value per output channel ({} "
        "channels)",
        c.name, shape_string(c.shape), d.channels));
  EpilogueStep s = plain_step(kind);
  s.constant = c.name;
  s.per_channel = b == Broadcast::per_channel;
  if (b == Broadcast::scalar) s.scalar = c.data.at(0);
  return s;
}

EpilogueStep operand_step(EpilogueStep::Kind kind, const Tensor& c, const LayerDraft& d) {
  return operand_step(kind, c, d, classify(c, d.rank, d.channels));
}

EpilogueStep cast_step(const DataType& t) {
  EpilogueStep s = plain_step(EpilogueStep::Kind::cast);
  s.bits = t.bits;
  s.is_signed = t.is_signed;
  s.is_float = t.is_float;
  return s;
}

void note_clamp(LayerDraft& d, bool relu, double lo, double hi) {
  auto& e = d.epilogue;
  if (relu) {
    if (e.activation == Epilogue::Activation::clip)
      e.clip_lo = std::max(e.clip_lo, 0.0);
    else
      e.activation = Epilogue::Activation::relu;
    d.relu_seen = true;
    return;
  }
  e.activation = Epilogue::Activation::clip;
  e.clip_lo = d.relu_seen ? std::max(lo, 0.0) : lo;
  e.clip_hi = hi;
}

void push_bias(LayerDraft& d, const Tensor& b) {
  const auto bc = b.elems() == 1            ? Broadcast::scalar
                  : b.elems() == d.channels ? Broadcast::per_channel
                                            : Broadcast::other;
  d.epilogue.steps.push_back(operand_step(EpilogueStep::Kind::add, b, d, bc));
  d.epilogue.bias = true;
}

DataType quant_type(const Tensor* zp) {
  return zp ? zp->type : DataType{8, false, false};
}

void quantize_tail(LayerDraft& d, const Tensor* zp, std::int64_t axis, const DataType& qtype) {
  using K = EpilogueStep::Kind;
  EpilogueStep half = plain_step(K::add);
  half.scalar = 0.5;
  d.epilogue.steps.push_back(half);
  d.epilogue.steps.push_back(plain_step(K::floor));
  if (zp && std::any_of(zp->data.begin(), zp->data.end(), [](double v) { return v != 0; })) {
    d.epilogue.steps.push_back(operand_step(K::add, *zp, d, classify_quant(*zp, axis, d)));
    d.used_constants.insert(zp->name);
  }
  const auto [lo, hi] = integer_range(qtype);
  EpilogueStep clip = plain_step(K::clip);
  clip.lo = lo;
  clip.hi = hi;
  d.epilogue.steps.push_back(clip);
  note_clamp(d, false, lo, hi);
  d.epilogue.steps.push_back(cast_step(qtype));
  d.type = qtype;
  d.epilogue.requant = true;
}

Tensor float_vector(std::string name, std::vector<double> values) {
  Tensor t;
  t.name = std::move(name);
  t.shape = {static_cast<std::int64_t>(values.size())};
  t.type = DataType{32, true, true};
  t.constant = true;
  t.data = std::move(values);
  return t;
}

}  // namespace tessel::onnx_import
