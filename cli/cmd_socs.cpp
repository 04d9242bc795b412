// `tessel socs list`, `tessel socs show` and `tessel socs kinds`.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "calib/fidelity.hpp"
#include "calib/measurements.hpp"
#include "cli/commands.hpp"
#include "cli/socs_fidelity.hpp"
#include "cli/table.hpp"
#include "core/errors.hpp"
#include "core/units.hpp"
#include "hwmodels/soc_loader.hpp"
#include "hwmodels/unit_model.hpp"

namespace tessel::cli {
namespace {

using nlohmann::ordered_json;

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : items)
    out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

std::string level_name(const hw::Soc& soc, int level) {
  return soc.levels.at(static_cast<std::size_t>(level)).name;
}

std::vector<std::string> op_names(const hw::UnitSpec& u) {
  std::vector<std::string> out;
  for (OpKind op : u.ops)
    out.emplace_back(op_name(op));
  return out;
}

std::vector<std::string> kernel_names(const hw::UnitSpec& u) {
  std::vector<std::string> out;
  for (const auto& [fy, fx] : u.kernels)
    out.push_back(fmt::format("{}x{}", fy, fx));
  return out;
}

std::vector<std::string> numbers(const std::vector<int>& v) {
  std::vector<std::string> out;
  for (int x : v)
    out.push_back(std::to_string(x));
  return out;
}

// "any" for an empty list (no restriction).
std::string list_or_any(const std::vector<std::string>& v) {
  return v.empty() ? "any" : join(v);
}

std::string link_names(const hw::Soc& soc, const hw::DmaEngine& d) {
  std::vector<std::string> out;
  for (const auto& [s, t] : d.links) {
    out.push_back(fmt::format("{} -> {}", level_name(soc, s), level_name(soc, t)));
  }
  return join(out);
}

// "L1" when every operand is read from one level, else "I: L2, W: L1, O: L2".
std::string reads_text(const hw::Soc& soc, const hw::UnitSpec& u) {
  const auto& l = u.operand_level;
  if (l[0] == l[1] && l[1] == l[2]) return level_name(soc, l[0]);
  std::vector<std::string> out;
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    out.push_back(
        fmt::format("{}: {}", operand_name(static_cast<Operand>(o)), level_name(soc, l[o])));
  }
  return join(out);
}

// The declared parameters of a unit's kind (empty if the kind is unknown).
const std::vector<hw::ParamSpec>& kind_params(const std::string& kind) {
  static const std::vector<hw::ParamSpec> none;
  const auto* k = hw::find_unit_kind(kind);
  return k == nullptr ? none : k->params;
}

std::string param_unit(const hw::ParamSpec& p) {
  const std::string_view u = quantity_base_unit(p.quantity);
  return u.empty() ? std::string(quantity_name(p.quantity)) : std::string(u);
}

ordered_json soc_json(const hw::Soc& soc) {
  ordered_json memories = ordered_json::array();
  for (const auto& l : soc.levels) {
    memories.push_back({{"name", l.name},
                        {"size_bytes", l.size()},
                        {"reserved_bytes", l.reserved},
                        {"read_bandwidth_bytes_per_cycle", l.read_bandwidth},
                        {"write_bandwidth_bytes_per_cycle", l.write_bandwidth},
                        {"read_energy_pj_per_byte", l.read_energy},
                        {"write_energy_pj_per_byte", l.write_energy},
                        {"ports", l.ports},
                        {"latency_cycles", l.latency},
                        {"leakage_mw", l.leakage},
                        {"accessible_by", l.accessible_by}});
  }
  ordered_json dmas = ordered_json::array();
  for (const auto& d : soc.dmas) {
    ordered_json links = ordered_json::array();
    for (const auto& [s, t] : d.links)
      links.push_back({level_name(soc, s), level_name(soc, t)});
    dmas.push_back({{"name", d.name},
                    {"links", links},
                    {"bandwidth_bytes_per_cycle", d.bandwidth},
                    {"setup_cycles", d.setup_cycles},
                    {"row_cycles", d.row_cycles},
                    {"dims", d.dims},
                    {"channels", d.channels},
                    {"energy_pj_per_byte", d.energy}});
  }
  ordered_json units = ordered_json::array();
  for (std::size_t i = 0; i < soc.units.size(); ++i) {
    const auto& u = soc.units[i];
    ordered_json reads;
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      reads[std::string(operand_name(static_cast<Operand>(o)))] =
          level_name(soc, u.operand_level[o]);
    }
    ordered_json params = ordered_json::object();
    for (const auto& p : kind_params(u.kind)) {
      const auto it = u.params.find(p.name);
      if (it == u.params.end()) continue;
      params[p.name] = {{"value", it->second},
                        {"quantity", quantity_name(p.quantity)},
                        {"unit", quantity_base_unit(p.quantity)}};
    }
    ordered_json unrollings = ordered_json::array();
    if (i < soc.models.size() && soc.models[i]) {
      for (const auto& r : soc.models[i]->unrollings())
        unrollings.push_back(r.name);
    }
    units.push_back({{"name", u.name},
                     {"kind", u.kind},
                     {"frequency_hz", u.frequency},
                     {"ops", op_names(u)},
                     {"kernels", kernel_names(u)},
                     {"strides", u.strides},
                     {"weight_bits", u.weight_bits},
                     {"activation_bits", u.activation_bits},
                     {"reads", reads},
                     {"energy_per_mac_pj", u.energy_per_mac},
                     {"active_power_mw", u.active_power},
                     {"idle_power_mw", u.idle_power},
                     {"launch_cycles", u.launch_cycles},
                     {"tile_overhead_cycles", u.tile_overhead_cycles},
                     {"params", params},
                     {"unrollings", unrollings}});
  }
  return {{"name", soc.name},
          {"description", soc.description},
          {"source", soc.source},
          {"hash", fmt::format("{:016x}", soc.hash)},
          {"clock_hz", soc.frequency},
          {"home",
           {{"weights", level_name(soc, soc.weights_home)},
            {"activations", level_name(soc, soc.activations_home)}}},
          {"memories", memories},
          {"dmas", dmas},
          {"units", units}};
}

std::string soc_text(const hw::Soc& soc, const std::vector<std::string>& overrides) {
  const auto q = [](double v, Quantity qty) { return format_quantity(v, qty); };
  std::string out = fmt::format("SoC {}", soc.name);
  if (!soc.description.empty()) out += fmt::format(": {}", soc.description);
  out += fmt::format("\nsource {}, hash {:016x}\n", soc.source, soc.hash);
  if (!overrides.empty()) out += fmt::format("overrides: {}\n", join(overrides));
  out += fmt::format("clock {}\n", q(soc.frequency, Quantity::frequency));
  out += fmt::format("home: weights in {}, activations in {}\n", level_name(soc, soc.weights_home),
                     level_name(soc, soc.activations_home));

  Table mem({"memory", "size", "reserved", "read BW", "write BW", "read energy", "write energy",
             "ports", "latency", "leakage", "accessible by"},
            {false, true, true, true, true, true, true, true, true, true, false});
  for (const auto& l : soc.levels) {
    mem.row({l.name, q(static_cast<double>(l.size()), Quantity::bytes),
             l.reserved == 0 ? "-" : q(static_cast<double>(l.reserved), Quantity::bytes),
             q(l.read_bandwidth, Quantity::bandwidth), q(l.write_bandwidth, Quantity::bandwidth),
             q(l.read_energy, Quantity::energy_per_byte),
             q(l.write_energy, Quantity::energy_per_byte), std::to_string(l.ports),
             q(l.latency, Quantity::cycles), q(l.leakage, Quantity::power),
             l.accessible_by.empty() ? "-" : join(l.accessible_by)});
  }
  out += "\n" + mem.str();

  if (!soc.dmas.empty()) {
    Table dma({"DMA", "links", "bandwidth", "setup", "row cost", "dims", "channels", "energy"},
              {false, false, true, true, true, true, true, true});
    for (const auto& d : soc.dmas) {
      dma.row({d.name, link_names(soc, d), q(d.bandwidth, Quantity::bandwidth),
               q(d.setup_cycles, Quantity::cycles), q(d.row_cycles, Quantity::cycles),
               std::to_string(d.dims), std::to_string(d.channels),
               q(d.energy, Quantity::energy_per_byte)});
    }
    out += "\n" + dma.str();
  } else {
    out += "\nno DMA engines\n";
  }

  for (std::size_t i = 0; i < soc.units.size(); ++i) {
    const auto& u = soc.units[i];
    out += fmt::format("\nunit {} (kind {})\n", u.name, u.kind);
    Table t({"field", "value"});
    t.row({"frequency", q(u.frequency, Quantity::frequency)});
    t.row({"ops", join(op_names(u))});
    t.row({"kernels", list_or_any(kernel_names(u))});
    t.row({"strides", list_or_any(numbers(u.strides))});
    t.row({"weight bits", list_or_any(numbers(u.weight_bits))});
    t.row({"activation bits", list_or_any(numbers(u.activation_bits))});
    t.row({"reads", reads_text(soc, u)});
    t.row({"energy per MAC", q(u.energy_per_mac, Quantity::energy)});
    t.row({"active power", q(u.active_power, Quantity::power)});
    t.row({"idle power", q(u.idle_power, Quantity::power)});
    t.row({"launch", q(u.launch_cycles, Quantity::cycles)});
    t.row({"tile overhead", q(u.tile_overhead_cycles, Quantity::cycles)});
    if (i < soc.models.size() && soc.models[i]) {
      std::vector<std::string> names;
      for (const auto& r : soc.models[i]->unrollings())
        names.push_back(r.name);
      t.row({"unrollings", join(names)});
    }
    for (const auto& p : kind_params(u.kind)) {
      const auto it = u.params.find(p.name);
      if (it == u.params.end()) continue;
      t.row({"params." + p.name, q(it->second, p.quantity)});
    }
    out += t.str();
  }
  return out;
}

ordered_json kinds_json() {
  ordered_json out = ordered_json::array();
  for (const auto& k : hw::unit_kinds()) {
    ordered_json params = ordered_json::array();
    for (const auto& p : k.params) {
      params.push_back(
          {{"name", p.name},
           {"quantity", quantity_name(p.quantity)},
           {"unit", quantity_base_unit(p.quantity)},
           {"default", p.default_value ? ordered_json(*p.default_value) : ordered_json(nullptr)},
           {"required", !p.default_value.has_value()},
           {"description", p.description}});
    }
    out.push_back({{"kind", k.name}, {"description", k.description}, {"params", params}});
  }
  return out;
}

std::string kinds_text() {
  std::string out;
  for (const auto& k : hw::unit_kinds()) {
    out += fmt::format("{}{}: {}\n", out.empty() ? "" : "\n", k.name, k.description);
    if (k.params.empty()) {
      out += "  (no parameters)\n";
      continue;
    }
    Table t({"param", "unit", "default", "description"}, {false, false, true, false});
    for (const auto& p : k.params) {
      t.row({p.name, param_unit(p),
             p.default_value ? format_quantity(*p.default_value, p.quantity) : "required",
             p.description});
    }
    out += t.str();
  }
  return out;
}

// Parses repeated "KEY=VALUE" options into an override map.
std::map<std::string, std::string> parse_sets(const std::vector<std::string>& sets) {
  std::map<std::string, std::string> out;
  for (const auto& s : sets) {
    const auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ConfigError(fmt::format("--set '{}': expected KEY=VALUE such as L1.size=64KiB", s));
    }
    const std::string key = s.substr(0, eq);
    if (out.count(key) != 0) throw ConfigError(fmt::format("--set: '{}' given twice", key));
    out.emplace(key, s.substr(eq + 1));
  }
  return out;
}

// `socs show --fidelity`: the rows of the files (or the shipped ones), and
// the held-out record of the built-in target of the SoC's name (shown only
// where it matches the model).
std::string show_fidelity(std::shared_ptr<const hw::Soc> soc, const std::vector<std::string>& files,
                          bool json) {
  const auto set =
      files.empty() ? calib::builtin_measurements(soc->name) : calib::read_measurements(files);
  const auto f = calib::fidelity(soc, set, calib::builtin_held_out(soc->name));
  return json ? fidelity_json(*soc, f).dump(2) + "\n" : fidelity_text(*soc, f);
}

}  // namespace

void add_socs_command(CLI::App& app, Action& action) {
  auto* socs = app.add_subcommand("socs", "List and inspect SoC descriptions and unit kinds");
  socs->require_subcommand(1);

  auto* list = socs->add_subcommand("list", "List the built-in SoC targets");
  list->callback([&action] {
    action = [] {
      Table t({"name", "description"});
      for (const auto& name : hw::builtin_soc_names()) {
        t.row({name, hw::load_soc(name)->description});
      }
      emit(t.str());
    };
  });

  // The arguments of `socs show`, shared by the parser and the action.
  struct ShowOptions {
    std::string soc;
    std::vector<std::string> sets;
    bool json = false;
    bool fidelity = false;
    std::vector<std::string> measurements;
  };
  auto opts = std::make_shared<ShowOptions>();
  auto* show = socs->add_subcommand(
      "show", "Print the resolved parameters of an SoC (built-in name or YAML file), with units");
  show->add_option("soc", opts->soc, "Built-in target name, or path to a .yaml file")->required();
  show->add_option("--set", opts->sets,
                   "Override one value, KEY=VALUE (repeatable), e.g. --set L1.size=64KiB "
                   "--set cluster.params.cores=4");
  show->add_flag("--json", opts->json, "Print one JSON object with stable field names");
  show->add_flag("--fidelity", opts->fidelity,
                 "Instead of the parameters: per unit, the measurement rows behind it, the "
                 "model's error on them and the recorded held-out error (docs/calibration.md)");
  show->add_option("--measurements", opts->measurements,
                   "With --fidelity: measurement CSV files (default: the shipped ones of the "
                   "SoC's name)")
      ->expected(1, -1);
  show->callback([&action, opts] {
    action = [opts] {
      auto soc = hw::load_soc(opts->soc);
      if (!opts->sets.empty()) soc = hw::apply_overrides(*soc, parse_sets(opts->sets));
      if (opts->fidelity) {
        emit(show_fidelity(soc, opts->measurements, opts->json));
        return;
      }
      if (!opts->measurements.empty())
        throw ConfigError("socs show: --measurements goes with --fidelity");
      emit(opts->json ? soc_json(*soc).dump(2) + "\n" : soc_text(*soc, opts->sets));
    };
  });

  auto kinds_json_flag = std::make_shared<bool>(false);
  auto* kinds = socs->add_subcommand(
      "kinds", "List the compute-unit kinds and their parameters (the `params:` of a unit)");
  kinds->add_flag("--json", *kinds_json_flag, "Print a JSON array of kinds");
  kinds->callback([&action, kinds_json_flag] {
    action = [kinds_json_flag] {
      emit(*kinds_json_flag ? kinds_json().dump(2) + "\n" : kinds_text());
    };
  });
}

}  // namespace tessel::cli
