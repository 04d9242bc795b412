// The operator table (see op_table.hpp): the entries by op_type, filled once by
// the register function of every operator family.
#include "core/onnx/op_table.hpp"

#include <stdexcept>
#include <vector>

namespace tessel::onnx_import {

void OpTable::add(const OpEntry& entry) {
  if (!entries_.emplace(entry.op_type, entry).second)
    throw std::logic_error(fmt::format("ONNX operator {} is registered twice", entry.op_type));
}

const OpEntry* OpTable::find(std::string_view op_type) const {
  auto it = entries_.find(op_type);
  return it == entries_.end() ? nullptr : &it->second;
}

std::string OpTable::names() const {
  std::vector<std::string_view> names;
  for (const auto& [name, entry] : entries_)
    names.push_back(name);
  return fmt::format("{}", fmt::join(names, ", "));
}

// One registration per operator family (docs/architecture.md, "ONNX import"):
// import on its own, fold into the layer before it, evaluate on constants.
const OpTable& op_table() {
  static const OpTable table = [] {
    OpTable t;
    register_linear_ops(t);
    register_pool_ops(t);
    register_elementwise_ops(t);
    register_batch_norm_ops(t);
    register_view_ops(t);
    register_quant_ops(t);
    return t;
  }();
  return table;
}

}  // namespace tessel::onnx_import
