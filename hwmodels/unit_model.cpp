#include "hwmodels/unit_model.hpp"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "hwmodels/units/common.hpp"

namespace tessel::hw {

namespace {

// "unit 'ne16' (conv_engine)": how messages name a unit.
std::string unit_label(const UnitSpec& s) {
  return fmt::format("unit '{}' ({})", s.name, s.kind);
}

// Ops whose kernel window and stride are meaningful (dense and add have neither).
bool has_window(OpKind op) {
  return op != OpKind::dense && op != OpKind::add;
}

template <typename T, typename F>
std::string join(const std::vector<T>& v, F&& f) {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out += ", ";
    out += f(x);
  }
  return out;
}

bool contains(const std::vector<int>& v, int x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

void set_why(std::string* why, std::string text) {
  if (why) *why = std::move(text);
}

}  // namespace

bool UnitModel::supports(const Layer& layer, std::string* why) const {
  const UnitSpec& s = spec_;
  const std::string op(op_name(layer.op));
  if (std::find(s.ops.begin(), s.ops.end(), layer.op) == s.ops.end()) {
    set_why(why, fmt::format("{} does not run {} layers (its ops: {}).", unit_label(s), op,
                             join(s.ops, [](OpKind o) { return std::string(op_name(o)); })));
    return false;
  }
  if (has_window(layer.op) && !s.kernels.empty()) {
    const std::pair<int, int> k{static_cast<int>(layer.dim(Dim::FY)),
                                static_cast<int>(layer.dim(Dim::FX))};
    if (std::find(s.kernels.begin(), s.kernels.end(), k) == s.kernels.end()) {
      set_why(why, fmt::format("{} does not support a {}x{} kernel for {} (its kernels: {}).",
                               unit_label(s), k.first, k.second, op,
                               join(s.kernels, [](const std::pair<int, int>& p) {
                                 return fmt::format("{}x{}", p.first, p.second);
                               })));
      return false;
    }
  }
  if (has_window(layer.op) && !s.strides.empty() &&
      (!contains(s.strides, layer.stride_y) || !contains(s.strides, layer.stride_x))) {
    set_why(why, fmt::format("{} does not support stride {}x{} (its strides: {}).", unit_label(s),
                             layer.stride_y, layer.stride_x,
                             join(s.strides, [](int v) { return std::to_string(v); })));
    return false;
  }
  if (has_weights(layer.op) && !s.weight_bits.empty() &&
      !contains(s.weight_bits, layer.bits.weight)) {
    set_why(why, fmt::format("{} does not support {}-bit weights (its weight widths: {}).",
                             unit_label(s), layer.bits.weight,
                             join(s.weight_bits, [](int v) { return std::to_string(v); })));
    return false;
  }
  if (!s.activation_bits.empty()) {
    // The output may also be the raw accumulator (e.g. classifier logits)
    // when the unit can write its accumulators out.
    const bool raw_output = layer.bits.output == layer.bits.accumulator && writes_accumulators();
    for (int b : {layer.bits.input, layer.bits.output}) {
      if (contains(s.activation_bits, b) || (b == layer.bits.output && raw_output)) continue;
      set_why(why,
              fmt::format("{} does not support {}-bit activations (its activation widths: {}).",
                          unit_label(s), b,
                          join(s.activation_bits, [](int v) { return std::to_string(v); })));
      return false;
    }
  }
  set_why(why, "");
  return true;
}

bool UnitModel::tile_legal(const Layer&, const DimArray&, int, const char** why) const {
  if (why) *why = "";
  return true;
}

std::int64_t UnitModel::extra_bytes(const Layer&, const DimArray&, int) const {
  return 0;
}

double UnitModel::launch_cycles(const Layer&) const {
  return spec_.launch_cycles;
}

double UnitModel::tile_overhead_cycles(const Layer&) const {
  return spec_.tile_overhead_cycles;
}

double UnitModel::tile_energy(const Layer&, const DimArray& tile, int) const {
  return units::ops(units::OneTile{tile}) * spec_.energy_per_mac;
}

UnitModel::TileCost UnitModel::sum_cost(const Layer& layer, const TileGrid& g, int u) const {
  // Dimensions whose last tile is smaller; the others contribute their count.
  unsigned varied = 0;
  double base = 1;
  for (std::size_t d = 0; d < kNumDims; ++d) {
    if (g.count[d] > 1 && g.last[d] != g.tile[d]) {
      varied |= 1u << d;
    } else {
      base *= static_cast<double>(g.count[d]);
    }
  }
  // Every subset of the varied dimensions at their last extent (the others
  // full), weighted by how many steps have that shape.
  TileCost sum;
  for (unsigned last = varied;; last = (last - 1) & varied) {
    DimArray e = g.tile;
    double times = base;
    for (std::size_t d = 0; d < kNumDims; ++d) {
      if (!(varied >> d & 1u)) continue;
      if (last >> d & 1u) {
        e[d] = g.last[d];
      } else {
        times *= static_cast<double>(g.count[d] - 1);
      }
    }
    const TileCost c = tile_cost(layer, e, u);
    sum.cycles += times * c.cycles;
    sum.energy += times * c.energy;
    if (last == 0) break;
  }
  return sum;
}

std::shared_ptr<const UnitModel> make_unit_model(const UnitSpec& spec, double soc_frequency) {
  const UnitKind* kind = find_unit_kind(spec.kind);
  if (!kind) {
    throw ConfigError(fmt::format("unit '{}': unknown kind '{}' (known kinds: {})", spec.name,
                                  spec.kind,
                                  join(unit_kinds(), [](const UnitKind& k) { return k.name; })));
  }
  // Resolve the kind parameters: reject unknown names, fill defaults, demand
  // required ones. (The YAML loader does the same with file and line; this
  // also covers specs built in code.)
  UnitSpec resolved = spec;
  for (const auto& param : spec.params) {
    const auto& name = param.first;  // (clang 14 cannot capture a structured binding)
    const bool known = std::any_of(kind->params.begin(), kind->params.end(),
                                   [&](const ParamSpec& p) { return p.name == name; });
    if (!known) {
      throw ConfigError(fmt::format("{}: unknown parameter 'params.{}' (known: {})",
                                    unit_label(spec), name,
                                    join(kind->params, [](const ParamSpec& p) { return p.name; })));
    }
  }
  for (const auto& p : kind->params) {
    if (resolved.params.count(p.name)) continue;
    if (!p.default_value) {
      throw ConfigError(fmt::format("{}: missing required parameter 'params.{}' ({})",
                                    unit_label(spec), p.name, p.description));
    }
    resolved.params[p.name] = *p.default_value;
  }
  if (spec.frequency < 0.0) {
    throw ConfigError(fmt::format("{}: frequency must not be negative", unit_label(spec)));
  }
  double ratio = 1.0;
  if (spec.frequency > 0.0) {
    if (soc_frequency <= 0.0) {
      throw ConfigError(fmt::format(
          "{}: has a frequency of its own but the SoC clock is not positive", unit_label(spec)));
    }
    ratio = soc_frequency / spec.frequency;
  }
  std::unique_ptr<UnitModel> model = kind->make(resolved);
  if (!model || model->unrollings_.empty()) {
    // A bug in the kind's code, not in the user's input.
    throw std::logic_error("unit kind '" + kind->name + "' built a model without unrollings");
  }
  model->clock_ratio_ = ratio;
  return model;
}

}  // namespace tessel::hw
