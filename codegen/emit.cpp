// The host backend's project writer (emit.hpp, docs/codegen.md).
#include "codegen/emit.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include <fmt/format.h>

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

// The writer of tessel_network.c.
class NetworkWriter {
 public:
  NetworkWriter(const Graph& g, const NetworkSchedule& s) : g_(g), s_(s) {
    for (const auto& t : s.tensors)
      placement_.emplace(t.name, &t);
  }

  std::string source(EmitResult& r);

 private:
  // The C expression of an activation tensor's address in its arena.
  std::string address(const std::string& tensor) const {
    const auto it = placement_.find(tensor);
    if (it == placement_.end() || it->second->offset < 0)
      throw UnsupportedError(fmt::format("tensor '{}' has no place in the memory plan", tensor));
    used_levels_.insert(it->second->level);
    return fmt::format("(arena_{} + {})",
                       s_.level_names.at(static_cast<std::size_t>(it->second->level)),
                       it->second->offset);
  }
  // The C array of a constant tensor, stored as `stored` (defined once).
  std::string constant(const std::string& tensor, const DataType& stored);
  std::string steps(const Layer& l, const std::string& ident);
  std::string layer_call(const Layer& l, std::size_t index);

  const Graph& g_;
  const NetworkSchedule& s_;
  std::map<std::string, const TensorPlacement*> placement_;
  mutable std::set<int> used_levels_;             // levels whose arena the code addresses
  std::map<std::string, std::string> constants_;  // tensor -> identifier
  std::string defs_;
  std::int64_t constant_bytes_ = 0;
};

std::string NetworkWriter::constant(const std::string& tensor, const DataType& stored) {
  if (const auto it = constants_.find(tensor); it != constants_.end()) return it->second;
  const Tensor& t = g_.tensor(tensor);
  if (!t.constant || static_cast<std::int64_t>(t.data.size()) != t.elems())
    throw UnsupportedError(
        fmt::format("constant '{}' has no values (a zoo model without weights "
                    "cannot be emitted; import an ONNX file)",
                    tensor));
  const auto ident = identifier(tensor, constants_.size());
  defs_ += array_text(ident, t, c_type(stored));
  constant_bytes_ += bytes_of(static_cast<std::int64_t>(t.data.size()), stored.bits);
  constants_.emplace(tensor, ident);
  return ident;
}

std::string NetworkWriter::steps(const Layer& l, const std::string& ident) {
  std::string out = fmt::format("static const tessel_step {}_steps[] = {{\n", ident);
  int n = 0;
  for (const auto& st : l.epilogue.steps) {
    static const char* kinds[] = {"TESSEL_MUL",  "TESSEL_ADD",  "TESSEL_DIV", "TESSEL_FLOOR",
                                  "TESSEL_CLIP", "TESSEL_RELU", "TESSEL_CAST"};
    std::string values = "NULL";
    if (!st.constant.empty() && st.per_channel)
      values = constant(st.constant, DataType{32, true, false});
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

std::string NetworkWriter::layer_call(const Layer& l, std::size_t index) {
  static const std::map<OpKind, std::string> ops = {
      {OpKind::conv, "TESSEL_CONV"},         {OpKind::depthwise, "TESSEL_CONV"},
      {OpKind::pointwise, "TESSEL_CONV"},    {OpKind::dense, "TESSEL_DENSE"},
      {OpKind::max_pool, "TESSEL_MAX_POOL"}, {OpKind::avg_pool, "TESSEL_AVG_POOL"},
      {OpKind::add, "TESSEL_ADD_OP"}};
  const auto ident = identifier(l.name, index);
  const auto& in = g_.tensor(l.inputs.at(0));
  const auto& out = g_.tensor(l.output);
  std::string w = "NULL", w_type = "TESSEL_U8", in2 = "NULL", in2_type = "TESSEL_U8";
  if (!l.weights.empty()) {
    const auto& wt = g_.tensor(l.weights);
    w = constant(l.weights, wt.type);
    w_type = type_code(wt.type, l.weights);
  }
  if (l.op == OpKind::add) {
    in2 = address(l.inputs.at(1));
    in2_type = type_code(g_.tensor(l.inputs.at(1)).type, l.inputs.at(1));
  }
  const auto st = steps(l, ident);
  const auto& d = l.dims;
  return fmt::format(
      "  {{ /* {} */\n    static const tessel_layer l = {{{}, {}, {}, {}, {}, {}, {}, {}, {}, {}, "
      "{}, "
      "{}, {}, {}, {}, {}, {}, {},\n      NULL, NULL, {}, {}, {}, {}, NULL, {}, {}}};\n"
      "    tessel_layer x = l;\n    x.in = {};\n    x.in2 = {};\n    x.out = {};\n"
      "    tessel_layer_run(&x);\n  }}\n",
      l.name, ops.at(l.op), d[idx(Dim::N)], d[idx(Dim::G)], d[idx(Dim::K)], d[idx(Dim::C)],
      d[idx(Dim::OY)], d[idx(Dim::OX)], d[idx(Dim::FY)], d[idx(Dim::FX)], l.in_y, l.in_x,
      l.stride_y, l.stride_x, l.dilation_y, l.dilation_x, l.pad_top, l.pad_left,
      l.weights_ck ? 1 : 0, w, type_code(in.type, in.name), in2_type, w_type,
      type_code(out.type, out.name), st, address(l.inputs[0]), in2, address(l.output));
}

std::string NetworkWriter::source(EmitResult& r) {
  std::string body;
  for (const auto& step : s_.steps) {
    for (const auto& part : step.parts) {
      if (!part.slice.whole())
        throw UnsupportedError(fmt::format(
            "layer '{}' runs in channel slices (partial execution), which the host backend "
            "does not emit yet",
            part.layer));
      body += layer_call(g_.layer(part.index), part.index);
    }
  }
  const auto in_addr = address(g_.inputs().at(0)), out_addr = address(g_.outputs().at(0));
  // The host backend runs whole layers from their home levels: arenas of the
  // levels the code addresses (tile buffers at the unit's level are not
  // emitted yet).
  std::string arenas;
  for (std::size_t l = 0; l < s_.level_names.size(); ++l) {
    std::int64_t bytes = 0;
    for (const auto& a : s_.memory)
      if (a.level == static_cast<int>(l)) bytes = a.arena_bytes;
    r.arena_bytes.push_back(bytes);
    if (!used_levels_.count(static_cast<int>(l))) continue;
    // Words keep every tensor 4-byte aligned, as the plan's offsets are.
    arenas += fmt::format(
        "static int32_t arena_{}_words[{}];\n#define arena_{} ((uint8_t *)arena_{}_words)\n",
        s_.level_names[l], std::max<std::int64_t>(1, (bytes + 3) / 4), s_.level_names[l],
        s_.level_names[l]);
  }
  const auto& input = g_.tensor(g_.inputs().at(0));
  const auto& output = g_.tensor(g_.outputs().at(0));
  r.constant_bytes = constant_bytes_;
  return fmt::format(
      "/* Generated by tessel for network '{}' on SoC '{}' ({} mapper, {} objective); do not "
      "edit. */\n#include <string.h>\n\n#include \"tessel_kernels.h\"\n#include "
      "\"tessel_network.h\"\n\n{}\n{}\nint tessel_run(const void *input, void *output) {{\n"
      "  memcpy({}, input, {});\n{}  memcpy(output, {}, {});\n  return 0;\n}}\n",
      g_.name(), s_.soc, s_.mapper, s_.objective, arenas, defs_, in_addr, input.bytes(), body,
      out_addr, output.bytes());
}

void write_file(const std::filesystem::path& dir, const std::string& name, std::string_view text,
                EmitResult& r) {
  std::ofstream f(dir / name, std::ios::binary);
  f << text;
  if (!f) throw IoError(fmt::format("cannot write {}", (dir / name).string()));
  r.files.emplace_back(name);
}

}  // namespace

EmitResult emit_host(const Graph& graph, const NetworkSchedule& schedule,
                     const std::filesystem::path& dir, bool force) {
  if (graph.inputs().size() != 1 || graph.outputs().size() != 1)
    throw UnsupportedError(
        fmt::format("network '{}': the host backend needs one input and one output", graph.name()));
  if (std::filesystem::exists(dir) && !std::filesystem::is_empty(dir) && !force)
    throw ConfigError(fmt::format("{} is not empty (use --force to write into it)", dir.string()));
  EmitResult r;
  NetworkWriter w(graph, schedule);
  const auto network = w.source(r);  // everything checked before a file is written
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("cannot create {}: {}", dir.string(), ec.message()));
  const auto& in = graph.tensor(graph.inputs()[0]);
  const auto& out = graph.tensor(graph.outputs()[0]);
  write_file(dir, "tessel_network.c", network, r);
  write_file(dir, "tessel_network.h",
             fmt::format("/* Generated by tessel; do not edit. */\n#ifndef TESSEL_NETWORK_H\n"
                         "#define TESSEL_NETWORK_H\n\n#define TESSEL_INPUT_BYTES {}\n"
                         "#define TESSEL_OUTPUT_BYTES {}\n\n/* Runs the network: `input` and "
                         "`output` as raw bytes in the ONNX element types and layouts. */\n"
                         "int tessel_run(const void *input, void *output);\n\n#endif\n",
                         in.bytes(), out.bytes()),
             r);
  for (const auto& [name, text] : detail::runtime_files())
    write_file(dir, std::string(name), text, r);
  write_file(dir, "main.c",
             "/* Generated by tessel; do not edit. network < input.bin > output.bin */\n"
             "#include <stdio.h>\n\n#include \"tessel_network.h\"\n\n"
             "static unsigned char in[TESSEL_INPUT_BYTES], out[TESSEL_OUTPUT_BYTES];\n\n"
             "int main(void) {\n"
             "  if (fread(in, 1, sizeof in, stdin) != sizeof in) {\n"
             "    fprintf(stderr, \"network: expected %d input bytes\\n\", TESSEL_INPUT_BYTES);\n"
             "    return 2;\n  }\n"
             "  if (tessel_run(in, out) != 0) return 1;\n"
             "  return fwrite(out, 1, sizeof out, stdout) == sizeof out ? 0 : 1;\n}\n",
             r);
  write_file(dir, "Makefile",
             "# Generated by tessel; do not edit.\nCC ?= cc\nCFLAGS ?= -std=c99 -O2 -Wall -Wextra "
             "-Werror\n\nnetwork: main.c tessel_network.c tessel_kernels.c tessel_network.h "
             "tessel_kernels.h\n\t$(CC) $(CFLAGS) -o $@ main.c tessel_network.c "
             "tessel_kernels.c -lm\n\nclean:\n\trm -f network\n",
             r);
  return r;
}

}  // namespace tessel::codegen
