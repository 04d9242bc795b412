// The host backend's project writer (emit.hpp, docs/codegen.md).
#include "codegen/emit.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "codegen/backends.hpp"
#include "codegen/layouts.hpp"
#include "codegen/nest_plan.hpp"
#include "core/errors.hpp"

namespace tessel::codegen {
namespace detail {
const std::vector<std::pair<std::string_view, std::string_view>>& runtime_files();
}

namespace {

// The runtime's element type code of a tensor type.
std::string type_code(const DataType& t, const std::string& what) {
  if (t.is_float) {
    if (t.bits == 32) return "TESSEL_F32";
  } else if (t.bits == 8 || t.bits == 16 || t.bits == 32) {
    return fmt::format("TESSEL_{}{}", t.is_signed ? "I" : "U", t.bits);
  }
  throw UnsupportedError(fmt::format("{}: element type {} is not supported by the host backend",
                                     what, data_type_name(t)));
}

std::string c_type(const DataType& t) {
  if (t.is_float) return "float";
  return fmt::format("{}int{}_t", t.is_signed ? "" : "u", t.bits);
}

// A C identifier for a graph name ("/conv1/Conv" -> "t_conv1_Conv_3").
std::string identifier(const std::string& name, std::size_t id) {
  std::string s = "t_";
  for (char ch : name)
    s += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return fmt::format("{}_{}", s, id);
}

// A C string literal of `text`.
std::string c_string(const std::string& text) {
  std::string out = "\"";
  for (char ch : text) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += std::isprint(static_cast<unsigned char>(ch)) ? ch : '?';
  }
  return out + "\"";
}

// A value as a C integer literal, infinite clip bounds kept within int64.
long long integer_literal(double v) {
  constexpr double kLimit = 4.0e18;
  return static_cast<long long>(std::max(-kLimit, std::min(kLimit, v)));
}

// A constant tensor as a C array definition.
std::string array_text(const std::string& ident, const Tensor& t, const std::string& type) {
  std::string out = fmt::format("static const {} {}[{}] = {{", type, ident, t.data.size());
  for (std::size_t i = 0; i < t.data.size(); ++i) {
    if (i % 16 == 0) out += "\n ";
    out += fmt::format(" {},", static_cast<long long>(t.data[i]));
  }
  return out + "\n};\n";
}

// "N, C, H*W" of a feature map (NCHW) or vector ([N, features]) for the layout conversions.
std::string map_dims(const Tensor& t) {
  if (t.shape.size() == 4)
    return fmt::format("{}, {}, {}", t.shape[0], t.shape[1], t.shape[2] * t.shape[3]);
  const std::int64_t n = t.shape.empty() ? 1 : t.shape[0];
  return fmt::format("{}, {}, 1", n, t.elems() / std::max<std::int64_t>(n, 1));
}

std::string type_bytes(const Tensor& t) {
  return std::to_string(std::max(1, t.type.bits / 8));
}

// The writer of tessel_network.c.
class NetworkWriter {
 public:
  NetworkWriter(const Graph& g, const NetworkSchedule& s, const sim::Analytical& model,
                const Backend& backend)
      : g_(g), s_(s), model_(model), backend_(backend) {
    for (const auto& t : s.tensors)
      placement_.emplace(t.name, &t);
  }

  std::string source(EmitResult& r);
  // The constants the HAL loads at start-up (after source()).
  std::size_t loads() const { return loads_.size(); }

 private:
  const TensorPlacement& placed(const std::string& tensor) const {
    const auto it = placement_.find(tensor);
    if (it == placement_.end() || it->second->offset < 0)
      throw UnsupportedError(fmt::format("tensor '{}' has no place in the memory plan", tensor));
    return *it->second;
  }
  // The end of the last planned tensor at `level` that is not a constant.
  std::int64_t variable_extent(int level) const {
    std::int64_t end = 0;
    for (const auto& t : s_.tensors) {
      const bool constant =
          t.role == TensorPlacement::Role::weights || t.role == TensorPlacement::Role::params;
      if (t.level == level && !constant && t.offset >= 0) end = std::max(end, t.offset + t.bytes);
    }
    return end;
  }
  bool unmapped(int level) const {
    return backend_.unmapped_levels.count(s_.level_names.at(static_cast<std::size_t>(level))) != 0;
  }
  // The C expression of an activation tensor's address in its arena.
  std::string address(const std::string& tensor) const {
    const auto& p = placed(tensor);
    return fmt::format("(arena_{} + {})", s_.level_names.at(static_cast<std::size_t>(p.level)),
                       p.offset);
  }
  // The address of weights `tensor` (C array `ident`): the array itself at a
  // level the CPU addresses, else their planned place in the level's arena,
  // which the HAL fills from the array at start-up (a tessel_load).
  std::string weights_base(const std::string& tensor, const std::string& ident,
                           const DataType& stored) {
    const auto& p = placed(tensor);
    if (!unmapped(p.level)) return fmt::format("(uint8_t *){}", ident);
    const auto bytes = bytes_of(g_.tensor(tensor).elems(), stored.bits);
    if (bytes > p.bytes)
      throw UnsupportedError(fmt::format(
          "weights '{}' take {} B but the memory plan gives them {} B", tensor, bytes, p.bytes));
    const auto load = fmt::format("{{{}, {}, {}, {}}}", p.level, p.offset, ident, bytes);
    if (std::find(loads_.begin(), loads_.end(), load) == loads_.end()) loads_.push_back(load);
    return address(tensor);
  }
  // The C array of a constant tensor with the given values, stored as `stored` (defined once).
  std::string constant(const std::string& tensor, const DataType& stored,
                       const std::vector<double>* values = nullptr);
  std::string steps(const Layer& l, const std::string& ident, std::int64_t channel0);
  std::string views(const Layer& full, const SchedulePart& part, const PartPlan& plan,
                    std::size_t step, const std::array<std::int64_t, kMaxLevels>& base,
                    std::int64_t kept);
  std::int64_t scratch_start(const PartPlan& plan, std::size_t step, int level,
                             const std::array<std::int64_t, kMaxLevels>& base) const;
  std::string nests(const PartPlan& plan, std::size_t step,
                    const std::array<std::int64_t, kMaxLevels>& base);
  // Defines the function of part k of a step and returns its name.
  std::string layer_function(const SchedulePart& part, std::size_t step, std::size_t k,
                             std::array<std::int64_t, kMaxLevels>& used);
  std::string concurrent_step(std::size_t step, const std::vector<std::string>& parts,
                              std::size_t first_part);

  const Graph& g_;
  const NetworkSchedule& s_;
  const sim::Analytical& model_;
  const Backend& backend_;
  std::map<std::string, const TensorPlacement*> placement_;
  std::vector<std::string> loads_;                // tessel_load initialisers
  std::map<std::string, std::string> constants_;  // tensor -> identifier
  std::string defs_;
  std::int64_t constant_bytes_ = 0;
  std::size_t functions_ = 0;
  std::vector<std::string> part_names_;  // C string literals, in run order
};

std::string NetworkWriter::constant(const std::string& tensor, const DataType& stored,
                                    const std::vector<double>* values) {
  if (const auto it = constants_.find(tensor); it != constants_.end()) return it->second;
  const Tensor& t = g_.tensor(tensor);
  require_values(t);
  const auto ident = identifier(tensor, constants_.size());
  Tensor v = t;
  if (values) v.data = *values;
  defs_ += array_text(ident, v, c_type(stored));
  constant_bytes_ += bytes_of(static_cast<std::int64_t>(t.data.size()), stored.bits);
  constants_.emplace(tensor, ident);
  return ident;
}

// The epilogue steps of layer `l` as a C array `ident`_steps; per-channel
// constants from channel `channel0` on (a part over a slice of the channels).
std::string NetworkWriter::steps(const Layer& l, const std::string& ident, std::int64_t channel0) {
  std::string out = fmt::format("static const tessel_step {}_steps[] = {{\n", ident);
  int n = 0;
  for (const auto& st : l.epilogue.steps) {
    static const char* kinds[] = {"TESSEL_MUL",  "TESSEL_ADD",  "TESSEL_DIV", "TESSEL_FLOOR",
                                  "TESSEL_CLIP", "TESSEL_RELU", "TESSEL_CAST"};
    std::string values = "NULL";
    if (!st.constant.empty() && st.per_channel)
      values =
          channel0 > 0
              ? fmt::format("({} + {})", constant(st.constant, DataType{32, true, false}), channel0)
              : constant(st.constant, DataType{32, true, false});
    if (st.kind == EpilogueStep::Kind::cast && st.is_float)
      throw UnsupportedError(fmt::format("layer '{}': a cast to float in the epilogue", l.name));
    out += fmt::format("  {{{}, {}, {}, {}, {}, {}, {}}},\n", kinds[static_cast<int>(st.kind)],
                       values, integer_literal(st.scalar), integer_literal(st.lo),
                       integer_literal(st.hi), st.bits, st.is_signed ? 1 : 0);
    ++n;
  }
  if (n == 0) out += "  {TESSEL_FLOOR, NULL, 0, 0, 0, 0, 0},\n";  // C99 has no empty arrays
  defs_ += out + "};\n";
  return fmt::format("{}_steps, {}", ident, n);
}

// The views of a part's inputs, weights, output and partial sums: feature
// maps HWC (n, y, x, g, c) in their arenas, weights (g, k, fy, fx, c) in
// their array, each cut to the part's slice. A slice over C writes raw
// partial sums (32-bit) to the layer's <output>.partial_sums, the last one
// continues them (its acc view) into the output; other parts keep partial
// sums at the output's home only where the plan gives them room.
std::string NetworkWriter::views(const Layer& full, const SchedulePart& part, const PartPlan& plan,
                                 std::size_t step, const std::array<std::int64_t, kMaxLevels>& base,
                                 std::int64_t kept) {
  const auto& d = full.dims;
  const std::int64_t N = d[idx(Dim::N)], G = d[idx(Dim::G)], K = d[idx(Dim::K)], C = d[idx(Dim::C)];
  const auto& slice = part.slice;
  auto check_home = [&](const std::string& t, Operand o) {
    const int at = placed(t).level;
    if (at != plan.home[idx(o)])
      throw UnsupportedError(
          fmt::format("tensor '{}' is planned at '{}' but layer '{}' reads it at '{}'", t,
                      s_.level_names.at(static_cast<std::size_t>(at)), full.name,
                      s_.level_names.at(static_cast<std::size_t>(plan.home[idx(o)]))));
  };
  // A band's input: the rows its window reads.
  const auto [row0, row1] = input_rows(full, slice);
  const LayerSlice in_slice = slice.dim == Dim::OY ? LayerSlice{Dim::OY, row0, row1} : slice;
  // A feature map in its arena, packed, cut to the part's slice; a band
  // written below `rows` kept rows (KeptRows) starts that many rows in.
  auto map_view = [&](const std::string& t, Operand o, const std::array<std::int64_t, 5>& ext,
                      const DataType& type, const std::string& code, std::int64_t rows = 0) {
    check_home(t, o);
    Box box{address(t), ext, packed_strides(ext), std::max(1, type.bits / 8), code};
    if (rows > 0)
      box.base = fmt::format("({} + {})", box.base, rows * box.stride[1] * box.elem_bytes);
    return cut_view(box, cut_dim(o, slice.dim), o == Operand::I ? in_slice : slice,
                    placed(t).bytes);
  };
  constexpr const char* kNone = "{NULL, {0}, {0}, {0}, TESSEL_U8}";
  std::array<std::string, 2> in = {kNone, kNone};
  for (std::size_t i = 0; i < full.inputs.size() && i < 2; ++i) {
    const auto& t = g_.tensor(full.inputs[i]);
    in[i] = map_view(t.name, Operand::I, {N, full.in_y, full.in_x, G, C}, t.type,
                     type_code(t.type, t.name));
  }
  std::string w = kNone;
  if (!full.weights.empty()) {
    const auto& wt = g_.tensor(full.weights);
    const auto values = unit_weights(g_, full);
    const auto ident = constant(full.weights, wt.type, &values);
    const std::array<std::int64_t, 5> w_ext = {G, K, d[idx(Dim::FY)], d[idx(Dim::FX)], C};
    const Box box{
        weights_base(full.weights, ident, wt.type), w_ext,
        full.weights_ck ? std::array<std::int64_t, 5>{0, 1, 0, 0, K} : packed_strides(w_ext),
        std::max(1, wt.type.bits / 8), type_code(wt.type, wt.name)};
    w = cut_view(box, cut_dim(Operand::W, slice.dim), slice, box.bytes());
  }
  const std::array<std::int64_t, 5> out_ext = {N, d[idx(Dim::OY)], d[idx(Dim::OX)], G, K};
  const auto& ot = g_.tensor(full.output);
  const DataType acc_type{32, true, false};
  std::string acc = "{NULL, {0}, {0}, {0}, TESSEL_I32}", out;
  if (!slice.whole() && slice.dim == Dim::C) {
    const auto sums = full.output + ".partial_sums";
    (slice.end < C ? out : acc) = map_view(sums, Operand::O, out_ext, acc_type, "TESSEL_I32");
  } else if (plan.partial_sums >= 0) {
    const int lvl = plan.home[idx(Operand::O)];
    const Box box{fmt::format("(arena_{} + {})", s_.level_names.at(static_cast<std::size_t>(lvl)),
                              scratch_start(plan, step, lvl, base) + plan.partial_sums),
                  out_ext, packed_strides(out_ext), 4, "TESSEL_I32"};
    acc = cut_view(box, cut_dim(Operand::O, slice.dim), slice, 0);
  }
  if (out.empty())
    out = map_view(full.output, Operand::O, out_ext, ot.type, type_code(ot.type, ot.name), kept);
  return fmt::format("{{{}, {}}},\n    {},\n    {},\n    {}", in[0], in[1], w, out, acc);
}

// The arena offset where a part's scratch at `level` starts: `base` bytes
// into the step's scratch tensor there, which must hold the part's bytes.
std::int64_t NetworkWriter::scratch_start(const PartPlan& plan, std::size_t step, int level,
                                          const std::array<std::int64_t, kMaxLevels>& base) const {
  const auto lvl = static_cast<std::size_t>(level);
  const auto& sc = placed(fmt::format("step{}.scratch@{}", step, s_.level_names.at(lvl)));
  if (base[lvl] + plan.scratch_bytes[lvl] > sc.bytes)
    throw UnsupportedError(fmt::format("the buffers of step {} do not fit its scratch at '{}'",
                                       step, s_.level_names[lvl]));
  return sc.offset + base[lvl];
}

// The nests of a part, their buffers at `base` bytes into each level's
// scratch of the step.
std::string NetworkWriter::nests(const PartPlan& plan, std::size_t step,
                                 const std::array<std::int64_t, kMaxLevels>& base) {
  std::string out;
  for (const auto& n : plan.nests) {
    std::array<std::string, kNumOperands> buf;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      buf[o] = "{0, 0}";
      if (!n.move[o]) continue;
      const auto at = scratch_start(plan, step, n.level[o], base);
      buf[o] = fmt::format("{{{}, {}}}", at + n.buffer[o][0], at + n.buffer[o][1]);
    }
    std::vector<int> order;
    for (Dim d : n.order)
      order.push_back(static_cast<int>(d));
    auto flags = [](const std::array<bool, kNumOperands>& f) {
      return fmt::format("{}, {}, {}", f[0] ? 1 : 0, f[1] ? 1 : 0, f[2] ? 1 : 0);
    };
    out += fmt::format(
        "    {{{{{}}}, {{{}}}, {{{}}}, {{{}}}, {{{}}}, {{{}}},\n     {{{}, {}, {}}}, {{{}, {}, "
        "{}}}, "
        "{}}},\n",
        fmt::join(n.tile, ", "), fmt::join(order, ", "), flags(n.move), flags(n.double_buffer),
        fmt::join(n.from, ", "), fmt::join(n.level, ", "), buf[0], buf[1], buf[2], n.engine_in[0],
        n.engine_in[1], n.engine_in[2], n.engine_out);
  }
  return out;
}

std::string NetworkWriter::layer_function(const SchedulePart& part, std::size_t step, std::size_t k,
                                          std::array<std::int64_t, kMaxLevels>& used) {
  static const std::map<OpKind, std::string> ops = {
      {OpKind::conv, "TESSEL_CONV"},         {OpKind::depthwise, "TESSEL_CONV"},
      {OpKind::pointwise, "TESSEL_CONV"},    {OpKind::dense, "TESSEL_DENSE"},
      {OpKind::max_pool, "TESSEL_MAX_POOL"}, {OpKind::avg_pool, "TESSEL_AVG_POOL"},
      {OpKind::add, "TESSEL_ADD_OP"}};
  const Layer& full = g_.layer(part.index);
  const Layer l = part_layer(g_, part);
  if (part.weight_bits > 0)
    throw UnsupportedError(fmt::format(
        "part '{}' runs at {}-bit weights on unit '{}' (--precision-policy allow-lower), but "
        "the model's weights are {}-bit: emit a schedule made with --precision-policy strict, "
        "or a model quantised for the split",
        part_label(part), part.weight_bits, part.unit_name, full.bits.weight));
  const auto& kind = model_.soc().units.at(static_cast<std::size_t>(part.unit)).kind;
  if (!backend_.unit_kinds.empty() && !backend_.unit_kinds.count(kind))
    throw UnsupportedError(
        fmt::format("layer '{}' runs on unit '{}' ({}), which the {} backend "
                    "does not drive",
                    l.name, part.unit_name, kind, backend_.name));
  static const std::map<std::string, std::string> kinds = {{"cpu", "TESSEL_CPU"},
                                                           {"cluster", "TESSEL_CLUSTER"},
                                                           {"conv_engine", "TESSEL_CONV_ENGINE"},
                                                           {"pe_array", "TESSEL_PE_ARRAY"},
                                                           {"aimc", "TESSEL_AIMC"}};
  const auto plan = plan_part(model_, l, part.mapping);
  const auto name = fmt::format("layer_{}", functions_++);
  // The first output channel of the part, for its per-channel constants.
  const std::int64_t channel0 = part.slice.whole()         ? 0
                                : part.slice.dim == Dim::K ? part.slice.begin
                                : part.slice.dim == Dim::G ? part.slice.begin * l.dim(Dim::K)
                                                           : 0;
  const auto st = steps(l, name, channel0);
  // Rows of the band before that the part keeps: moved to its buffer's top first.
  const auto kept = kept_rows(g_, s_.steps[step], k);
  const auto keep = kept.rows == 0
                        ? std::string()
                        : fmt::format("  memmove({0}, {0} + {1}, {2});\n", address(full.output),
                                      kept.from * (kept.bytes / kept.rows), kept.bytes);
  const auto v = views(full, part, plan, step, used, kept.rows);
  const auto nest_text = nests(plan, step, used);
  for (std::size_t lvl = 0; lvl < kMaxLevels; ++lvl)
    used[lvl] += plan.scratch_bytes[lvl];
  const auto& d = l.dims;
  const auto& out = g_.tensor(l.output);
  // A slice over C but the last writes raw 32-bit partial sums.
  const bool raw =
      !part.slice.whole() && part.slice.dim == Dim::C && part.slice.end < full.dim(Dim::C);
  const auto out_type = raw ? std::string("TESSEL_I32") : type_code(out.type, out.name);
  // A concurrent step's part only describes itself (its step function runs
  // the parts together); any other part runs.
  const bool together = s_.steps[step].kind == ScheduleStep::Kind::concurrent;
  const auto run = together ? std::string("  *out = l;\n  return out;\n")
                            : fmt::format("  tessel_dma_part = {};\n{}  tessel_layer_run(&l);\n",
                                          part_names_.size(), keep);
  defs_ += fmt::format(
      "/* {} on {}: {} */\nstatic {} {}({}) {{\n  static const tessel_nest nests[{}] = "
      "{{\n{}  }};\n  const tessel_layer l = {{{}, {}, {{{}}}, {}, {}, {}, {}, {}, {}, {}, {}, "
      "{},\n"
      "    {}, {},\n    {},\n    {}, nests}};\n{}}}\n\n",
      l.name, part.unit_name, tile_string(l, part.mapping), together ? "tessel_layer*" : "void",
      name, together ? "tessel_layer* out" : "void", plan.nests.size(), nest_text, ops.at(l.op),
      kinds.at(kind), fmt::join(d, ", "), l.in_y, l.in_x, l.stride_y, l.stride_x, l.dilation_y,
      l.dilation_x, l.pad_top, l.pad_left, st, out_type, l.accumulates ? 1 : 0, v,
      plan.nests.size(), run);
  part_names_.push_back(c_string(part_label(part)));
  return name;
}

// A concurrent step's function: its parts' layers, run together by the
// backend (tessel_hal_concurrent), each counted as its own part.
std::string NetworkWriter::concurrent_step(std::size_t step, const std::vector<std::string>& parts,
                                           std::size_t first_part) {
  std::string fill;
  std::vector<std::size_t> ids;
  for (std::size_t k = 0; k < parts.size(); ++k) {
    fill += fmt::format("  p[{}] = {}(&l[{}]);\n", k, parts[k], k);
    ids.push_back(first_part + k);
  }
  defs_ += fmt::format(
      "/* step {}: its parts at once */\nstatic void step_{}(void) {{\n  static const int "
      "ids[{}] = {{{}}};\n  tessel_layer l[{}];\n  const tessel_layer* p[{}];\n{}  "
      "tessel_hal_concurrent(p, ids, {});\n}}\n\n",
      step, step, parts.size(), fmt::join(ids, ", "), parts.size(), parts.size(), fill,
      parts.size());
  return fmt::format("  step_{}();\n", step);
}

std::string NetworkWriter::source(EmitResult& r) {
  std::string body;
  for (std::size_t i = 0; i < s_.steps.size(); ++i) {
    const auto& step = s_.steps[i];
    std::array<std::int64_t, kMaxLevels> used{};  // scratch of the step's earlier parts
    const auto first_part = part_names_.size();
    std::vector<std::string> parts;
    for (const auto& part : step.parts) {
      if (step.kind == ScheduleStep::Kind::fused) used.fill(0);  // one part after another
      parts.push_back(
          layer_function(part, i, static_cast<std::size_t>(&part - step.parts.data()), used));
    }
    if (step.kind == ScheduleStep::Kind::concurrent) {
      body += concurrent_step(i, parts, first_part);
      continue;
    }
    for (const auto& name : parts)
      body += fmt::format("  {}();\n", name);
  }
  const auto& input = g_.tensor(g_.inputs().at(0));
  const auto& output = g_.tensor(g_.outputs().at(0));
  for (const auto* t : {&input, &output})
    if (unmapped(placed(t->name).level))
      throw UnsupportedError(fmt::format(
          "tensor '{}' is planned at '{}', which the {} backend's CPU cannot address (the "
          "network's input and output must be in memory)",
          t->name, s_.level_names.at(static_cast<std::size_t>(placed(t->name).level)),
          backend_.name));
  // Words keep every tensor 4-byte aligned, as the plan's offsets are. A
  // level the CPU cannot address gets its arena from the HAL at start-up.
  std::string arenas, table;
  std::vector<std::int64_t> arena_bytes;
  for (std::size_t l = 0; l < s_.level_names.size(); ++l) {
    std::int64_t bytes = 0;
    for (const auto& a : s_.memory)
      if (a.level == static_cast<int>(l)) bytes = a.arena_bytes;
    // The CPU reads constants at an addressable level from their arrays: the
    // arena there ends with its last tensor that is not a constant.
    if (!unmapped(static_cast<int>(l))) bytes = variable_extent(static_cast<int>(l));
    r.arena_bytes.push_back(bytes);
    arena_bytes.push_back(bytes);
    const auto& name = s_.level_names[l];
    if (bytes == 0 || unmapped(static_cast<int>(l))) {
      table += "NULL, ";
      arenas += fmt::format("#define arena_{} (tessel_arenas[{}])\n", name, l);
      continue;
    }
    table += fmt::format("arena_{}, ", name);
    arenas += fmt::format(
        "static int32_t arena_{}_words[{}];\n#define arena_{} ((uint8_t *)arena_{}_words)\n", name,
        (bytes + 3) / 4, name, name);
  }
  auto loads = loads_;
  if (loads.empty()) loads.emplace_back("{0, 0, NULL, 0}");  // C99 has no empty arrays
  std::vector<std::string> engines, levels;
  for (const auto& e : model_.soc().dmas)
    engines.push_back(c_string(e.name));
  for (const auto& n : s_.level_names)
    levels.push_back(c_string(n));
  if (engines.empty()) engines.emplace_back("\"\"");
  r.constant_bytes = constant_bytes_;
  return fmt::format(
      "/* Generated by tessel for network '{}' on SoC '{}' ({} mapper, {} objective); do not "
      "edit. */\n#include <string.h>\n\n#include \"tessel_hal.h\"\n#include "
      "\"tessel_nest.h\"\n#include "
      "\"tessel_network.h\"\n\n{}uint8_t *tessel_arenas[] = {{{}}};\n"
      "const int64_t tessel_arena_bytes[] = {{{}}};\n"
      "const char *const tessel_level_names[] = {{{}}};\n"
      "const char *const tessel_engine_names[] = {{{}}};\n"
      "const char *const tessel_part_names[] = {{{}}};\n"
      "uint64_t tessel_dma_bytes[{}];\nint tessel_dma_part;\n\n{}"
      "const tessel_load tessel_loads[] = {{{}}};\n\n"
      "int tessel_run(const void *input, void *output) {{\n  tessel_hal_init();\n"
      "  tessel_to_hwc({}, input, {}, {});\n{}"
      "  tessel_from_hwc(output, {}, {}, {});\n  return 0;\n}}\n",
      g_.name(), s_.soc, s_.mapper, s_.objective, arenas, table, fmt::join(arena_bytes, ", "),
      fmt::join(levels, ", "), fmt::join(engines, ", "), fmt::join(part_names_, ", "),
      part_names_.size() * engines.size() * levels.size() * levels.size(), defs_,
      fmt::join(loads, ", "), address(input.name), map_dims(input), type_bytes(input), body,
      address(output.name), map_dims(output), type_bytes(output));
}

std::string header(const Tensor& in, const Tensor& out, const NetworkSchedule& s,
                   std::size_t engines, std::size_t loads) {
  std::string levels;
  for (std::size_t l = 0; l < s.level_names.size(); ++l)
    levels +=
        fmt::format("#define TESSEL_LEVEL_{} {}\n", identifier(s.level_names[l], l).substr(2), l);
  return fmt::format(
      "/* Generated by tessel; do not edit. */\n#ifndef TESSEL_NETWORK_H\n"
      "#define TESSEL_NETWORK_H\n\n#include <stdint.h>\n\n#define TESSEL_INPUT_BYTES {}\n"
      "#define TESSEL_OUTPUT_BYTES {}\n#define TESSEL_LEVELS {}\n#define TESSEL_ENGINES {}\n"
      "#define TESSEL_PARTS {}\n#define TESSEL_LOADS {}\n{}\n"
      "/* Runs the network: `input` and `output` as raw bytes in the ONNX element types and\n"
      "   layouts (NCHW). Returns 0. */\nint tessel_run(const void *input, void *output);\n\n"
      "/* Memory levels and DMA engines by index, and the bytes each engine moved from\n"
      "   each level to each ([part][engine][from][to]; counted when built with\n"
      "   TESSEL_COUNT_DMA). */\n"
      "extern const char *const tessel_level_names[];\n"
      "extern const char *const tessel_engine_names[];\n"
      "extern const char *const tessel_part_names[];\nextern uint64_t tessel_dma_bytes[];\n"
      "extern int tessel_dma_part; /* the part running */\n\n"
      "#ifdef TESSEL_COUNT_DMA\n#include <stdio.h>\n/* The counters as one JSON line "
      "(docs/codegen.md). */\nvoid tessel_dma_report(FILE *f);\n#endif\n\n#endif\n",
      in.bytes(), out.bytes(), s.level_names.size(), engines, s.parts().size(), loads, levels);
}

// Writes the files into a hidden directory inside `dir`, then renames each
// into place: a run killed while writing leaves `dir` as it was (but for the
// hidden directory).
void write_project(const std::filesystem::path& dir,
                   const std::vector<std::pair<std::string, std::string>>& files, EmitResult& r) {
  namespace fs = std::filesystem;
  const fs::path tmp = dir / ".tessel-emit.tmp";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp, ec);
  if (ec) throw IoError(fmt::format("cannot create {}: {}", tmp.string(), ec.message()));
  for (const auto& [name, text] : files) {
    fs::create_directories((tmp / name).parent_path(), ec);
    std::ofstream f(tmp / name, std::ios::binary);
    f << text;
    f.close();
    if (!f) throw IoError(fmt::format("cannot write {}", (tmp / name).string()));
  }
  for (const auto& [name, text] : files) {
    fs::create_directories((dir / name).parent_path(), ec);
    fs::rename(tmp / name, dir / name, ec);
    if (ec) throw IoError(fmt::format("cannot write {}: {}", (dir / name).string(), ec.message()));
    r.files.emplace_back(name);
  }
  fs::remove_all(tmp, ec);
}

}  // namespace

EmitResult emit(const Graph& graph, const NetworkSchedule& schedule, const sim::Analytical& model,
                std::string_view backend_name, const std::filesystem::path& dir, bool force) {
  const Backend& b = backend(backend_name);
  if (graph.inputs().size() != 1 || graph.outputs().size() != 1)
    throw UnsupportedError(
        fmt::format("network '{}': the emitter needs one input and one output", graph.name()));
  if (std::filesystem::exists(dir) && !std::filesystem::is_empty(dir) && !force)
    throw ConfigError(fmt::format("{} is not empty (use --force to write into it)", dir.string()));
  EmitResult r;
  NetworkWriter w(graph, schedule, model, b);
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back("tessel_network.c", w.source(r));  // everything checked before writing
  files.emplace_back(
      "tessel_network.h",
      header(graph.tensor(graph.inputs()[0]), graph.tensor(graph.outputs()[0]), schedule,
             std::max<std::size_t>(1, model.soc().dmas.size()), w.loads()));
  // The common runtime and the backend's HAL (and stubs/).
  for (const auto& [path, text] : detail::runtime_files()) {
    const auto slash = path.find('/');
    const auto group = path.substr(0, slash);
    if (std::find(b.runtime.begin(), b.runtime.end(), group) != b.runtime.end())
      files.emplace_back(std::string(path.substr(slash + 1)), std::string(text));
  }
  files.emplace_back("main.c", b.main);
  files.emplace_back("Makefile", b.makefile);
  write_project(dir, files, r);
  return r;
}

EmitResult emit_host(const Graph& graph, const NetworkSchedule& schedule,
                     const sim::Analytical& model, const std::filesystem::path& dir, bool force) {
  return emit(graph, schedule, model, "host", dir, force);
}

}  // namespace tessel::codegen
