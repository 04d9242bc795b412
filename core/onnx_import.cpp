// The ONNX importer's entry points: reading the file or the serialized
// ModelProto, then one onnx_import::Importer run. The importer itself is in
// core/onnx/: the graph walk (graph_walk.cpp), the operator table (op_table.cpp)
// with one handler file per operator family (ops_*.cpp), shape inference
// (shapes.cpp) and the folding of requantisation chains into layer epilogues
// (folding.cpp, epilogue.cpp).
#include "core/onnx_import.hpp"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "core/errors.hpp"
#include "core/onnx/importer.hpp"

namespace tessel {

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
  OnnxImportOptions opts = options;
  if (opts.name.empty()) opts.name = model.graph().name().empty() ? origin : model.graph().name();
  onnx_import::Importer importer(model, origin, opts);
  try {
    return importer.run();
  } catch (
      const onnx_import::NodeFailure& f) {  // defensive: every node failure is normally located
    onnx_import::throw_error(f.unsupported, fmt::format("{}: {}", origin, f.what()));
  }
}

Graph import_onnx(const std::filesystem::path& path, const OnnxImportOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    throw IoError(fmt::format("cannot open ONNX model '{}': no such file", path.string()));
  if (std::filesystem::is_directory(path, ec))
    throw IoError(fmt::format("cannot open ONNX model '{}': it is a directory", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot open ONNX model '{}'", path.string()));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw IoError(fmt::format("cannot read ONNX model '{}'", path.string()));
  OnnxImportOptions opts = options;
  if (opts.name.empty()) opts.name = path.stem().string();
  auto g = import_onnx_bytes(buffer.str(), path.string(), opts);
  g.set_source(std::filesystem::absolute(path, ec).string());
  return g;
}

}  // namespace tessel
