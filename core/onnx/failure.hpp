// How the ONNX importer fails: NodeFailure, thrown by the helpers and the
// operator handlers while one node is imported, and turned by the node loop into
// a ModelError or UnsupportedError that names the file, the node and its op
// type; plus the small checks every handler shares (attribute values, integer
// ranges, input counts).
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <onnx/onnx_pb.h>

#include "core/errors.hpp"

namespace tessel::onnx_import {

using onnx::NodeProto;
using onnx::TensorProto;

// A failure while importing one node. The node loop turns it into ModelError
// or UnsupportedError with the file, the node's name and its op type. `node`
// is set when the failing node is not the one being imported (a folded node).
struct NodeFailure : std::runtime_error {
  NodeFailure(bool unsupported_, std::string what)
      : std::runtime_error(std::move(what)), unsupported(unsupported_) {}
  bool unsupported = false;
  const NodeProto* node = nullptr;
};

[[noreturn]] inline void model_fail(std::string what) {
  throw NodeFailure(false, std::move(what));
}
[[noreturn]] inline void unsupported(std::string what) {
  throw NodeFailure(true, std::move(what));
}

// The typed error of a complete message: UnsupportedError or ModelError.
[[noreturn]] inline void throw_error(bool is_unsupported, const std::string& msg) {
  if (is_unsupported) throw UnsupportedError(msg);
  throw ModelError(msg);
}

// Runs `body`, letting every failure out as a NodeFailure that names a node:
// the one it already names, else `n`.
template <class Body>
void locate_failures(const NodeProto& n, const Body& body) {
  try {
    body();
  } catch (NodeFailure& f) {
    if (!f.node) f.node = &n;
    throw;
  } catch (const UnsupportedError& err) {
    NodeFailure f(true, err.what());
    f.node = &n;
    throw f;
  } catch (const Error& err) {
    NodeFailure f(false, err.what());
    f.node = &n;
    throw f;
  }
}

[[noreturn]] inline void bad_attribute(std::string_view attr, const std::string& value,
                                       std::string_view expected) {
  unsupported(
      fmt::format("attribute {} = {} is not supported (expected {})", attr, value, expected));
}

inline int to_int(std::int64_t v, std::string_view what) {
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max())
    model_fail(fmt::format("{} = {} is out of range", what, v));
  return static_cast<int>(v);
}

// Checks a node's input count for handlers that read their inputs by position.
inline void require_inputs(const NodeProto& n, int count) {
  if (n.input_size() != count)
    model_fail(fmt::format("expects {} inputs, has {}", count, n.input_size()));
}

}  // namespace tessel::onnx_import
