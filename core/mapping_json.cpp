#include "core/mapping_json.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"

namespace tessel {

std::string nests_to_json(const Mapping& m) {
  nlohmann::ordered_json nests = nlohmann::ordered_json::array();
  for (int i = 0; i < m.depth; ++i) {
    const auto& n = m.nest(i);
    nlohmann::ordered_json tile = nlohmann::ordered_json::object();
    for (Dim d : kAllDims)
      tile[std::string(dim_name(d))] = n.tile_of(d);
    std::vector<std::string> order;
    for (Dim d : n.order)
      order.emplace_back(dim_name(d));
    nlohmann::ordered_json db = nlohmann::ordered_json::object(),
                           level = nlohmann::ordered_json::object();
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      const auto name = std::string(operand_name(static_cast<Operand>(o)));
      db[name] = n.double_buffer[o];
      level[name] = n.level[o];
    }
    nests.push_back({{"tile", tile}, {"order", order}, {"double_buffer", db}, {"level", level}});
  }
  return nests.dump();
}

void nests_from_json(const std::string& text, Mapping& m) {
  try {
    const auto nests = nlohmann::json::parse(text);
    if (!nests.is_array() || nests.empty() || nests.size() > static_cast<std::size_t>(kMaxNests))
      throw ConfigError(fmt::format("loop nests: expected a list of 1 to {} nests", kMaxNests));
    m.depth = static_cast<int>(nests.size());
    for (int i = 0; i < m.depth; ++i) {
      const auto& j = nests[static_cast<std::size_t>(i)];
      auto& n = m.nest(i);
      for (Dim d : kAllDims)
        n.tile[idx(d)] = j.at("tile").at(std::string(dim_name(d))).get<std::int64_t>();
      std::string order;
      for (const auto& d : j.at("order"))
        order += (order.empty() ? "" : ",") + d.get<std::string>();
      n.order = parse_order(order);
      for (std::size_t o = 0; o < kNumOperands; ++o) {
        const auto name = std::string(operand_name(static_cast<Operand>(o)));
        n.double_buffer[o] = j.at("double_buffer").at(name).get<bool>();
        n.level[o] = static_cast<std::int8_t>(j.at("level").at(name).get<int>());
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(fmt::format("loop nests: {}", e.what()));
  }
}

std::string slice_to_json(const LayerSlice& slice) {
  if (slice.whole()) return "null";
  return nlohmann::json{{"dim", dim_name(slice.dim)}, {"begin", slice.begin}, {"end", slice.end}}
      .dump();
}

LayerSlice slice_from_json(const std::string& text) {
  LayerSlice slice;
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.is_null()) return slice;
    const auto dim = parse_dim(j.at("dim").get<std::string>());
    if (!dim) throw ConfigError(fmt::format("slice: unknown dimension in {}", text));
    slice.dim = *dim;
    slice.begin = j.at("begin").get<std::int64_t>();
    slice.end = j.at("end").get<std::int64_t>();
  } catch (const nlohmann::json::exception& e) {
    throw ConfigError(fmt::format("slice: {}", e.what()));
  }
  return slice;
}

}  // namespace tessel
