// BatchNormalization, which only folds into the layer it follows: into float
// weights and bias when it directly follows a conv / dense (an optional bias
// before it), else into per-channel mul and add steps.
#include <cmath>

#include "core/onnx/attrs.hpp"
#include "core/onnx/epilogue.hpp"
#include "core/onnx/op_table.hpp"

namespace tessel::onnx_import {
namespace {

// The normalisation as y = x * scale + shift, one value per channel.
struct Affine {
  std::vector<double> scale, shift;
};

Affine batch_norm_affine(Importer& im, const NodeProto& n, const LayerDraft& d) {
  const Attrs a(n);
  if (a.i("training_mode", 0) != 0) bad_attribute("training_mode", "1", "0 (inference)");
  const double eps = a.f("epsilon", 1e-5);
  const char* roles[] = {"scale", "B", "mean", "var"};
  std::vector<const Tensor*> p;
  for (int i = 1; i <= 4; ++i) {
    const Tensor& t = im.constant(n, i, roles[i - 1]);
    if (t.elems() != d.channels)
      model_fail(fmt::format("{} '{}' has {} values, the layer has {} channels", roles[i - 1],
                             t.name, t.elems(), d.channels));
    p.push_back(&t);
  }
  const auto c = static_cast<std::size_t>(d.channels);
  Affine f{std::vector<double>(c), std::vector<double>(c)};
  for (std::size_t k = 0; k < c; ++k) {
    f.scale[k] = p[0]->data[k] / std::sqrt(p[3]->data[k] + eps);
    f.shift[k] = p[1]->data[k] - p[2]->data[k] * f.scale[k];
  }
  return f;
}

// W'[k] = W[k] * scale[k];  b' = b * scale + shift: new constants
// "<layer>.weight" and "<layer>.bias", the bias the only step.
void fold_into_weights(Importer& im, LayerDraft& d, const Affine& f) {
  const auto c = static_cast<std::size_t>(d.channels);
  auto& w = *d.weights;
  const auto inner = static_cast<std::size_t>(w.elems()) / c;
  for (std::size_t i = 0; i < w.data.size(); ++i)
    w.data[i] *= f.scale[d.weights_ck ? i % c : i / inner];
  w.name = d.name + ".weight";
  std::vector<double> bias(c, 0.0);
  if (!d.bias.empty()) {
    auto it = d.new_constants.find(d.bias);
    const Tensor& old = it != d.new_constants.end() ? it->second : im.constant_value(d.bias);
    for (std::size_t k = 0; k < c; ++k)
      bias[k] = old.data[old.data.size() == 1 ? 0 : k];
    d.used_constants.erase(d.bias);
    d.new_constants.erase(d.bias);
  }
  for (std::size_t k = 0; k < c; ++k)
    bias[k] = bias[k] * f.scale[k] + f.shift[k];
  auto t = float_vector(d.name + ".bias", std::move(bias));
  d.epilogue.steps.clear();
  push_bias(d, t);
  d.bias = t.name;
  d.new_constants[t.name] = std::move(t);
}

// BatchNormalization: into float weights and bias when it directly follows
// the layer, else per-channel mul("<out>.scale") and add("<out>.shift").
bool fold_batch_norm(Importer& im, const NodeProto& n, LayerDraft& d) {
  auto f = batch_norm_affine(im, n, d);
  const bool only_bias =
      d.epilogue.steps.empty() || (d.epilogue.steps.size() == 1 && !d.bias.empty());
  if (d.weights && d.weights_foldable && only_bias) {
    fold_into_weights(im, d, f);
    return true;
  }
  auto s = float_vector(n.output(0) + ".scale", std::move(f.scale));
  auto h = float_vector(n.output(0) + ".shift", std::move(f.shift));
  d.epilogue.steps.push_back(operand_step(EpilogueStep::Kind::mul, s, d, Broadcast::per_channel));
  d.epilogue.steps.push_back(operand_step(EpilogueStep::Kind::add, h, d, Broadcast::per_channel));
  d.epilogue.requant = true;
  d.epilogue.bias = true;
  d.new_constants[s.name] = std::move(s);
  d.new_constants[h.name] = std::move(h);
  return true;
}

}  // namespace

// BatchNormalization has no import of its own: it can only follow a layer.
void register_batch_norm_ops(OpTable& table) {
  table.add({"BatchNormalization", nullptr, fold_batch_norm, nullptr});
}

}  // namespace tessel::onnx_import
