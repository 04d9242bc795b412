// Typed access to the attributes of an ONNX node, with defaults: Attrs reads
// integers, floats, strings and integer lists, and reports an attribute of the
// wrong type as a ModelError naming it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/onnx/failure.hpp"

namespace tessel::onnx_import {

// Typed access to a node's attributes with defaults; a wrong attribute type
// is a ModelError naming the attribute.
class Attrs {
 public:
  explicit Attrs(const NodeProto& n) : n_(n) {}

  const onnx::AttributeProto* find(std::string_view name) const {
    for (const auto& a : n_.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  bool has(std::string_view name) const { return find(name) != nullptr; }

  std::int64_t i(std::string_view name, std::int64_t dflt) const {
    const auto* a = typed(name, onnx::AttributeProto::INT, "an integer");
    return a ? a->i() : dflt;
  }
  double f(std::string_view name, double dflt) const {
    const auto* a = find(name);
    if (!a) return dflt;
    if (a->type() == onnx::AttributeProto::INT) return static_cast<double>(a->i());
    return typed(name, onnx::AttributeProto::FLOAT, "a float")->f();
  }
  std::string s(std::string_view name, std::string dflt) const {
    const auto* a = typed(name, onnx::AttributeProto::STRING, "a string");
    return a ? a->s() : dflt;
  }
  std::vector<std::int64_t> ints(std::string_view name, std::vector<std::int64_t> dflt) const {
    const auto* a = typed(name, onnx::AttributeProto::INTS, "a list of integers");
    return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : dflt;
  }

 private:
  const onnx::AttributeProto* typed(std::string_view name, int type, const char* what) const {
    const auto* a = find(name);
    if (a && a->type() != type) model_fail(fmt::format("attribute '{}' must be {}", name, what));
    return a;
  }
  const NodeProto& n_;
};

}  // namespace tessel::onnx_import
