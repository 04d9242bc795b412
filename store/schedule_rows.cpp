#include <algorithm>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"
#include "core/mapping_json.hpp"
#include "store/database.hpp"
#include "store/mapping_columns.hpp"
#include "store/sqlite_support.hpp"

// The steps (one schedule_layers row per part) and the tensors of a stored
// schedule (docs/database.md).
namespace tessel::store {

namespace {

ScheduleStep::Kind parse_step_kind(const std::string& text) {
  for (auto k :
       {ScheduleStep::Kind::single, ScheduleStep::Kind::concurrent, ScheduleStep::Kind::fused}) {
    if (text == step_kind_name(k)) return k;
  }
  throw StoreError(fmt::format("unknown step kind '{}' in a stored schedule", text));
}

}  // namespace

StepOrder parse_order(const std::string& text, const std::vector<std::string>& levels) {
  StepOrder o;
  const auto j = nlohmann::json::parse(text);
  o.method = j.at("method").get<std::string>();
  if (!j.at("level").is_null()) {
    const auto it = std::find(levels.begin(), levels.end(), j.at("level").get<std::string>());
    o.level = static_cast<int>(it - levels.begin());
  }
  o.peak = j.at("peak_bytes").get<std::int64_t>();
  o.lower_bound = j.at("lower_bound_bytes").get<std::int64_t>();
  return o;
}

void Database::put_steps(std::int64_t schedule, const hw::Soc& soc, const NetworkSchedule& s,
                         const std::vector<std::int64_t>& layer_ids) {
  SQLite::Statement sl(
      *db_, "INSERT INTO schedule_layers VALUES (" + placeholders(12 + kMappingColumnCount) + ")");
  for (std::size_t k = 0; k < s.steps.size(); ++k) {
    const auto& step = s.steps[k];
    for (std::size_t p = 0; p < step.parts.size(); ++p) {
      const auto& part = step.parts[p];
      const bool first = p == 0;  // the step's own figures go with its first part
      sl.bind(1, static_cast<std::int64_t>(schedule));
      sl.bind(2, static_cast<std::int64_t>(layer_ids.at(part.index)));
      sl.bind(3, static_cast<std::int64_t>(part.index));
      sl.bind(4, static_cast<std::int64_t>(k));
      sl.bind(5, static_cast<std::int64_t>(p));
      sl.bind(6, std::string(step_kind_name(step.kind)));
      sl.bind(7, slice_to_json(part.slice));
      sl.bind(8, first ? step.transition_cycles : 0.0);
      sl.bind(9, first ? step.transition_energy : 0.0);
      sl.bind(10, first ? step.sync_cycles : 0.0);
      bind_mapping(sl, 11, soc, part.mapping, part.cost);
      sl.bind(11 + kMappingColumnCount, first ? step.contention_cycles : 0.0);
      sl.bind(12 + kMappingColumnCount, part.weight_bits);
      sl.exec();
      sl.reset();
    }
  }
  SQLite::Statement ts(*db_, "INSERT INTO schedule_tensors VALUES (" + placeholders(9) + ")");
  for (const auto& t : s.tensors) {
    ts.bind(1, static_cast<std::int64_t>(schedule));
    ts.bind(2, t.name);
    ts.bind(3, std::string(role_name(t.role)));
    ts.bind(4, static_cast<std::int64_t>(t.bytes));
    ts.bind(5, soc.levels.at(static_cast<std::size_t>(t.level)).name);
    ts.bind(6, static_cast<std::int64_t>(t.offset));
    ts.bind(7, static_cast<std::int64_t>(t.first_step));
    ts.bind(8, static_cast<std::int64_t>(t.last_step));
    if (t.alias.empty()) {
      ts.bind(9);
    } else {
      ts.bind(9, t.alias);
    }
    ts.exec();
    ts.reset();
  }
  SQLite::Statement ms(*db_, "INSERT INTO schedule_memory VALUES (" + placeholders(4) + ")");
  for (const auto& a : s.memory) {
    ms.bind(1, static_cast<std::int64_t>(schedule));
    ms.bind(2, soc.levels.at(static_cast<std::size_t>(a.level)).name);
    ms.bind(3, static_cast<std::int64_t>(a.arena_bytes));
    ms.bind(4, static_cast<std::int64_t>(a.lower_bound_bytes));
    ms.exec();
    ms.reset();
  }
}

void Database::load_steps(std::int64_t id, NetworkSchedule& s) {
  SQLite::Statement ls(*db_,
                       "SELECT sl.idx, l.name, sl.step, sl.step_kind, sl.slice, "
                       "sl.transition_cycles, sl.transition_energy_pj, sl.sync_cycles, "
                       "sl.contention_cycles, sl.weight_bits, sl.* FROM "
                       "schedule_layers sl JOIN layers l ON l.id = sl.layer_id WHERE "
                       "sl.schedule_id = ? ORDER BY sl.step, sl.part");
  ls.bind(1, static_cast<std::int64_t>(id));
  constexpr int kMapping = 10 + 10;  // the selected columns, then sl.*'s before the mapping
  while (ls.executeStep()) {
    const auto step = static_cast<std::size_t>(ls.getColumn(2).getInt64());
    if (step >= s.steps.size()) {
      s.steps.resize(step + 1);
      auto& st = s.steps[step];
      st.kind = parse_step_kind(ls.getColumn(3).getString());
      st.transition_cycles = ls.getColumn(5).getDouble();
      st.transition_energy = ls.getColumn(6).getDouble();
      st.sync_cycles = ls.getColumn(7).getDouble();
      st.contention_cycles = ls.getColumn(8).getDouble();
    }
    SchedulePart part;
    part.index = static_cast<std::size_t>(ls.getColumn(0).getInt64());
    part.layer = ls.getColumn(1).getString();
    part.slice = slice_from_json(ls.getColumn(4).getString());
    part.weight_bits = ls.getColumn(9).getInt();
    part.unit_name = ls.getColumn(kMapping).getString();
    read_mapping(ls, kMapping, part.mapping, part.cost);
    s.steps[step].parts.push_back(std::move(part));
  }
  for (auto& st : s.steps)
    total_step(st);
  SQLite::Statement ts(*db_,
                       "SELECT name, role, bytes, level, offset, first_step, last_step, alias FROM "
                       "schedule_tensors WHERE schedule_id = ? ORDER BY rowid");
  ts.bind(1, static_cast<std::int64_t>(id));
  while (ts.executeStep()) {
    TensorPlacement t;
    t.name = ts.getColumn(0).getString();
    t.role = parse_role(ts.getColumn(1).getString());
    t.bytes = ts.getColumn(2).getInt64();
    const auto level = ts.getColumn(3).getString();
    const auto it = std::find(s.level_names.begin(), s.level_names.end(), level);
    t.level = static_cast<int>(it - s.level_names.begin());
    t.offset = ts.getColumn(4).getInt64();
    t.first_step = static_cast<std::size_t>(ts.getColumn(5).getInt64());
    t.last_step = static_cast<std::size_t>(ts.getColumn(6).getInt64());
    if (!ts.getColumn(7).isNull()) t.alias = ts.getColumn(7).getString();
    s.tensors.push_back(std::move(t));
  }
  SQLite::Statement ms(*db_,
                       "SELECT level, arena_bytes, lower_bound_bytes FROM schedule_memory WHERE "
                       "schedule_id = ? ORDER BY rowid");
  ms.bind(1, static_cast<std::int64_t>(id));
  while (ms.executeStep()) {
    LevelArena a;
    const auto level = ms.getColumn(0).getString();
    a.level = static_cast<int>(std::find(s.level_names.begin(), s.level_names.end(), level) -
                               s.level_names.begin());
    a.arena_bytes = ms.getColumn(1).getInt64();
    a.lower_bound_bytes = ms.getColumn(2).getInt64();
    s.memory.push_back(a);
  }
}

std::vector<std::int64_t> Database::schedules_of_run(std::int64_t run) {
  return translated(path_, "cannot read schedules", [&] {
    std::vector<std::int64_t> ids;
    SQLite::Statement q(*db_,
                        "SELECT sc.id FROM schedules sc JOIN runs r ON r.id = sc.run_id WHERE "
                        "sc.run_id=? AND r.complete ORDER BY sc.id");
    q.bind(1, static_cast<std::int64_t>(run));
    while (q.executeStep())
      ids.push_back(q.getColumn(0).getInt64());
    return ids;
  });
}

NetworkSchedule Database::load_schedule(std::int64_t id) {
  return translated(path_, fmt::format("cannot read schedule {}", id), [&] {
    SQLite::Statement q(*db_,
                        "SELECT n.name, s.name, s.hash, s.frequency_hz, sc.run_id, r.complete, "
                        "sc.objective, sc.mapper, sc.cycles, sc.energy_uj, sc.peak_level_bytes, "
                        "sc.step_order FROM schedules sc JOIN networks n ON n.id = sc.network_id "
                        "JOIN socs s ON s.id = sc.soc_id JOIN runs r ON r.id = sc.run_id WHERE "
                        "sc.id = ?");
    q.bind(1, static_cast<std::int64_t>(id));
    if (!q.executeStep())
      throw StoreError(fmt::format("database '{}': no schedule with id {}", path_, id));
    if (q.getColumn(5).getInt() == 0)
      throw StoreError(fmt::format(
          "database '{}': schedule {} belongs to run {}, which has not completed (it is still "
          "running, or it was killed and is removed when tessel next writes the file)",
          path_, id, q.getColumn(4).getInt64()));
    NetworkSchedule s;
    s.network = q.getColumn(0).getString();
    s.soc = q.getColumn(1).getString();
    s.soc_hash = std::stoull(q.getColumn(2).getString(), nullptr, 16);
    s.frequency = q.getColumn(3).getDouble();
    s.objective = q.getColumn(6).getString();
    s.mapper = q.getColumn(7).getString();
    s.cycles = q.getColumn(8).getDouble();
    s.energy = q.getColumn(9).getDouble() * 1e6;
    const auto peak = nlohmann::ordered_json::parse(q.getColumn(10).getString());
    for (const auto& [name, bytes] : peak.items()) {
      s.level_names.push_back(name);
      s.peak_bytes.push_back(bytes.get<std::int64_t>());
    }
    s.order = parse_order(q.getColumn(11).getString(), s.level_names);
    load_steps(id, s);
    return s;
  });
}

std::pair<std::string, std::string> Database::schedule_network(std::int64_t id) {
  return translated(path_, fmt::format("cannot read schedule {}", id), [&] {
    SQLite::Statement q(*db_,
                        "SELECT n.name, n.source FROM schedules sc JOIN networks n ON n.id = "
                        "sc.network_id WHERE sc.id = ?");
    q.bind(1, static_cast<std::int64_t>(id));
    if (!q.executeStep())
      throw StoreError(fmt::format("database '{}': no schedule with id {}", path_, id));
    return std::pair{q.getColumn(0).getString(), q.getColumn(1).getString()};
  });
}

}  // namespace tessel::store
