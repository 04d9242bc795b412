#include "store/mapping_columns.hpp"

#include <ctime>

#include <nlohmann/json.hpp>

#include "core/mapping_json.hpp"
#include "hwmodels/unit_model.hpp"

namespace tessel::store {
namespace {

// The full loop order ("K,OY,C,N,G,OX,FY,FX"): all dims, so it reads back exactly.
std::string full_order(const Mapping& m) {
  std::string s;
  for (Dim d : m.inner().order)
    s += (s.empty() ? "" : ",") + std::string(dim_name(d));
  return s;
}

std::string buffers(const Mapping& m) {
  std::string s;
  for (std::size_t o = 0; o < kNumOperands; ++o)
    s += m.inner().double_buffer[o] ? '2' : '1';
  return s;  // "211": I double, W single, O single
}

}  // namespace

std::string now_iso() {
  const auto t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string placeholders(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += i ? ",?" : "?";
  return s;
}

// Binds a mapping and its cost starting at column `first`.
void bind_mapping(SQLite::Statement& st, int first, const hw::Soc& soc, const Mapping& m,
                  const Cost& c) {
  int i = first;
  const auto& unit = soc.units.at(static_cast<std::size_t>(m.unit));
  st.bind(i++, unit.name);
  for (auto t : m.inner().tile)
    st.bind(i++, static_cast<std::int64_t>(t));
  st.bind(i++, full_order(m));
  st.bind(i++, buffers(m));
  st.bind(i++, m.unrolling);
  const auto& unrollings = soc.model(m.unit).unrollings();
  st.bind(i++, static_cast<std::size_t>(m.unrolling) < unrollings.size()
                   ? unrollings[static_cast<std::size_t>(m.unrolling)].name
                   : std::string());
  for (double v : {c.cycles, c.compute_cycles, c.dma_cycles, c.overhead_cycles, c.stall_cycles,
                   c.dma_busy_cycles, c.energy, c.compute_energy, c.static_energy, c.dma_energy})
    st.bind(i++, v);
  st.bind(i++, static_cast<std::int64_t>(c.tiles));
  const auto level = static_cast<std::size_t>(unit.operand_level[0]);
  st.bind(i++, static_cast<std::int64_t>(c.bytes_held[level]));
  nlohmann::ordered_json bytes = nlohmann::ordered_json::object(),
                         energy = nlohmann::ordered_json::object();
  for (std::size_t l = 0; l < soc.levels.size(); ++l) {
    bytes[soc.levels[l].name] = c.bytes_held[l];
    energy[soc.levels[l].name] = c.level_energy[l];
  }
  st.bind(i++, bytes.dump());
  st.bind(i++, energy.dump());
  st.bind(i++, nlohmann::json(c.transfers).dump());
  st.bind(i++, nlohmann::json(c.bytes_moved).dump());
  st.bind(i++, nests_to_json(m));
  st.bind(i++, nlohmann::json(m.home).dump());
}

void read_mapping(SQLite::Statement& q, int c, Mapping& m, Cost& cost) {
  m.unrolling = q.getColumn(c + 11).getInt();
  cost.legal = true;
  int i = c + 13;
  for (double* v : {&cost.cycles, &cost.compute_cycles, &cost.dma_cycles, &cost.overhead_cycles,
                    &cost.stall_cycles, &cost.dma_busy_cycles, &cost.energy, &cost.compute_energy,
                    &cost.static_energy, &cost.dma_energy})
    *v = q.getColumn(i++).getDouble();
  cost.tiles = q.getColumn(i++).getInt64();
  ++i;  // unit_bytes: one of level_bytes
  const auto bytes = nlohmann::ordered_json::parse(q.getColumn(i++).getString());
  const auto energy = nlohmann::ordered_json::parse(q.getColumn(i++).getString());
  std::size_t lvl = 0;
  for (const auto& [name, v] : bytes.items())
    cost.bytes_held[lvl++] = v.get<std::int64_t>();
  lvl = 0;
  for (const auto& [name, v] : energy.items())
    cost.level_energy[lvl++] = v.get<double>();
  cost.transfers = nlohmann::json::parse(q.getColumn(i++).getString())
                       .get<std::array<std::int64_t, kNumOperands>>();
  cost.bytes_moved = nlohmann::json::parse(q.getColumn(i++).getString())
                         .get<std::array<std::int64_t, kNumOperands>>();
  nests_from_json(q.getColumn(i++).getString(), m);
  m.home = nlohmann::json::parse(q.getColumn(i++).getString())
               .get<std::array<std::int8_t, kNumOperands>>();
}

}  // namespace tessel::store
