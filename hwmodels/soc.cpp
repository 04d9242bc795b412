#include "hwmodels/soc.hpp"

#include <algorithm>
#include <string_view>

#include <fmt/format.h>

namespace tessel::hw {

std::optional<int> Soc::find_level(const std::string& level_name) const {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    if (levels[i].name == level_name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<int> Soc::find_unit(const std::string& unit_name) const {
  for (std::size_t i = 0; i < units.size(); ++i) {
    if (units[i].name == unit_name) return static_cast<int>(i);
  }
  return std::nullopt;
}

const DmaEngine* Soc::dma_for(int src, int dst) const {
  for (const auto& d : dmas) {
    for (const auto& [s, t] : d.links) {
      if (s == src && t == dst) return &d;
    }
  }
  return nullptr;
}

}  // namespace tessel::hw

namespace tessel::hw {
namespace {

// FNV-1a 64 of a text, continuing from `h`.
std::uint64_t fnv1a(std::string_view text, std::uint64_t h = 14695981039346656037ull) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The fields of a unit's description, in a fixed order.
std::string unit_text(const UnitSpec& u) {
  std::string t = fmt::format("{}|{}|{}|", u.name, u.kind, u.frequency);
  for (auto op : u.ops)
    t += fmt::format("{},", static_cast<int>(op));
  for (auto [fy, fx] : u.kernels)
    t += fmt::format("k{}x{},", fy, fx);
  for (int x : u.strides)
    t += fmt::format("s{},", x);
  for (int x : u.weight_bits)
    t += fmt::format("w{},", x);
  for (int x : u.activation_bits)
    t += fmt::format("a{},", x);
  t += fmt::format("|{},{},{}|{}|{}|{}|{}|{}|{}|", u.operand_level[0], u.operand_level[1],
                   u.operand_level[2], u.energy_per_mac, u.active_power, u.idle_power,
                   u.launch_cycles, u.tile_overhead_cycles, u.layout);
  for (const auto& [k, v] : u.params)
    t += fmt::format("{}={},", k, v);
  return t;
}

}  // namespace

std::uint64_t Soc::unit_context_hash(int unit) const {
  const auto& self = units.at(static_cast<std::size_t>(unit));
  std::string t = fmt::format("f{}|u{}|{}|h{},{},{},{}|", frequency, unit, unit_text(self),
                              weights_home, activations_home, weights_spill, activations_spill);
  for (const auto& l : levels) {
    const bool listed = std::find(l.accessible_by.begin(), l.accessible_by.end(), self.name) !=
                        l.accessible_by.end();
    t += fmt::format("L{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}{}{}{}|", l.name, l.capacity, l.reserved,
                     l.read_bandwidth, l.write_bandwidth, l.read_energy, l.write_energy, l.ports,
                     l.latency, l.leakage, listed, l.holds_weights, l.holds_activations,
                     l.read_only);
  }
  for (const auto& d : dmas) {
    t += fmt::format("D{}|{}|{}|{}|{}|{}|{}|", d.name, d.bandwidth, d.setup_cycles, d.row_cycles,
                     d.dims, d.channels, d.energy);
    for (auto [a, b] : d.links)
      t += fmt::format("{}>{},", a, b);
  }
  double others_idle = 0.0;  // the static power the unit's layers are charged for the others
  for (const auto& u : units)
    others_idle += &u == &self ? 0.0 : u.idle_power;
  t += fmt::format("i{}", others_idle);
  return fnv1a(t);
}

SocArea soc_area(const Soc& soc) {
  SocArea a;
  auto add = [&a](const std::optional<double>& area, const std::string& name) {
    if (area) {
      a.mm2 += *area;
    } else {
      a.missing.push_back(name);
    }
  };
  for (const auto& l : soc.levels)
    add(l.area, l.name);
  for (const auto& d : soc.dmas)
    add(d.area, d.name);
  for (const auto& u : soc.units)
    add(u.area, u.name);
  return a;
}

}  // namespace tessel::hw
