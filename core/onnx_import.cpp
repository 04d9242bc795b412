// The ONNX importer's entry points: reading the file or the serialized
// ModelProto, then one onnx_import::Importer run. The importer itself is in
// core/onnx/: the graph walk (graph_walk.cpp), the operator table (op_table.cpp)
// with one handler file per operator family (ops_*.cpp), shape inference
// (shapes.cpp) and the folding of requantisation chains into layer epilogues
// (folding.cpp, epilogue.cpp).
#include "core/onnx_import.hpp"

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "core/errors.hpp"
#include "core/files.hpp"
#include "core/onnx/importer.hpp"
#include "core/text.hpp"

namespace tessel {

// ============================================================== names

namespace {

void escape_in_place(std::string* s) {
  if (!is_valid_utf8(*s)) *s = escape_invalid_utf8(*s);
}

void escape_value_names(google::protobuf::RepeatedPtrField<onnx::ValueInfoProto>* values) {
  for (auto& v : *values)
    escape_in_place(v.mutable_name());
}

// Rewrites every name of the graph (its own, its nodes', values', initializers')
// and every op type and domain as valid UTF-8, invalid bytes written as \xHH:
// names reach JSON output and the database, which need UTF-8. Applied before
// the import, so that references between nodes stay consistent.
void escape_names(onnx::GraphProto& g) {
  escape_in_place(g.mutable_name());
  for (auto& n : *g.mutable_node()) {
    escape_in_place(n.mutable_name());
    escape_in_place(n.mutable_op_type());
    escape_in_place(n.mutable_domain());
    for (auto& in : *n.mutable_input())
      escape_in_place(&in);
    for (auto& out : *n.mutable_output())
      escape_in_place(&out);
  }
  for (auto& t : *g.mutable_initializer())
    escape_in_place(t.mutable_name());
  escape_value_names(g.mutable_input());
  escape_value_names(g.mutable_output());
  escape_value_names(g.mutable_value_info());
}

}  // namespace

// ============================================================== entry points

Graph import_onnx_bytes(const std::string& bytes, const std::string& origin,
                        const OnnxImportOptions& options) {
  onnx::ModelProto model;
  if (bytes.empty())
    throw ModelError(fmt::format("{} is not a valid ONNX model: the file is empty", origin));
  if (!model.ParseFromString(bytes))
    throw ModelError(fmt::format(
        "{} is not a valid ONNX model: the protobuf data cannot be parsed (truncated or not an "
        "ONNX file)",
        origin));
  if (!model.has_graph() || model.ir_version() <= 0)
    throw ModelError(fmt::format("{} is not a valid ONNX model: {}", origin,
                                 model.has_graph() ? "no IR version" : "it has no graph"));
  escape_names(*model.mutable_graph());
  OnnxImportOptions opts = options;
  if (opts.name.empty()) opts.name = model.graph().name().empty() ? origin : model.graph().name();
  escape_in_place(&opts.name);
  onnx_import::Importer importer(model, escape_invalid_utf8(origin), opts);
  try {
    return importer.run();
  } catch (
      const onnx_import::NodeFailure& f) {  // defensive: every node failure is normally located
    onnx_import::throw_error(f.unsupported, fmt::format("{}: {}", origin, f.what()));
  }
}

Graph import_onnx(const std::filesystem::path& path, const OnnxImportOptions& options) {
  const auto bytes = read_input_file(path.string(), "ONNX model");
  OnnxImportOptions opts = options;
  if (opts.name.empty()) opts.name = path.stem().string();
  auto g = import_onnx_bytes(bytes, path.string(), opts);
  std::error_code ec;
  g.set_source(std::filesystem::absolute(path, ec).string());
  return g;
}

}  // namespace tessel
