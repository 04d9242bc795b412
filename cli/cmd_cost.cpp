// `tessel cost`: the cost breakdown of one explicit mapping of one layer.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "core/errors.hpp"
#include "core/units.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "sim/analytical.hpp"

namespace tessel::cli {
namespace {

struct CostOptions {
  std::string soc = "gap9";
  std::string model;
  std::string layer;
  std::string unit;
  std::string tile;
  std::string order;
  std::string double_buffer = "none";
  int unrolling = 0;
  bool json = false;
};

std::string cycles_str(double c) {
  return thousands(std::llround(c));
}

void run_cost(const CostOptions& o) {
  const auto soc = hw::load_soc(o.soc);
  const auto graphs = load_networks(o.model);
  if (graphs.size() != 1)
    throw MappingError(
        fmt::format("--model '{}' names {} networks; name one", o.model, graphs.size()));
  const Graph& g = graphs.front();
  const auto li = g.find_layer(o.layer);
  if (!li) {
    std::string names;
    for (const auto& l : g.layers())
      names += (names.empty() ? "" : ", ") + l.name;
    throw MappingError(
        fmt::format("model '{}' has no layer '{}' (layers: {})", g.name(), o.layer, names));
  }
  const Layer& layer = g.layer(*li);
  const auto ui = soc->find_unit(o.unit);
  if (!ui) {
    std::string names;
    for (const auto& u : soc->units)
      names += (names.empty() ? "" : ", ") + u.name;
    throw MappingError(
        fmt::format("SoC '{}' has no unit '{}' (units: {})", soc->name, o.unit, names));
  }
  Mapping m;
  m.unit = *ui;
  m.inner().tile = parse_tile(layer, o.tile);
  m.inner().order = parse_order(o.order);
  m.inner().double_buffer = parse_buffering(o.double_buffer);
  m.unrolling = o.unrolling;

  const sim::Analytical model(soc);
  const auto ctx = model.prepare(layer, m.unit);
  if (!ctx.supported)
    throw MappingError(fmt::format("unit '{}' cannot run layer '{}': {}", o.unit, layer.name,
                                   ctx.unsupported_reason));
  const auto& unrollings = soc->model(m.unit).unrollings();
  if (m.unrolling < 0 || static_cast<std::size_t>(m.unrolling) >= unrollings.size())
    throw MappingError(fmt::format("--unrolling {}: unit '{}' has {} unrolling(s)", m.unrolling,
                                   o.unit, unrollings.size()));
  const Cost c = model.evaluate(ctx, m);
  if (!c.legal)
    throw MappingError(fmt::format("illegal mapping of layer '{}' on unit '{}' (tile {}): {}",
                                   layer.name, o.unit, tile_string(layer, m), c.reason));

  const double us = c.cycles / soc->frequency * 1e6;
  if (o.json) {
    nlohmann::ordered_json levels = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < soc->levels.size(); ++i) {
      levels.push_back({{"name", soc->levels[i].name},
                        {"bytes_held", c.bytes_held[i]},
                        {"capacity", soc->levels[i].capacity},
                        {"energy_pj", c.level_energy[i]}});
    }
    nlohmann::ordered_json operands = nlohmann::ordered_json::object();
    for (std::size_t op = 0; op < kNumOperands; ++op) {
      operands[std::string(operand_name(static_cast<Operand>(op)))] = {
          {"transfers", c.transfers[op]}, {"bytes", c.bytes_moved[op]}};
    }
    nlohmann::ordered_json j = {
        {"soc", soc->name},
        {"model", g.name()},
        {"layer", layer.name},
        {"unit", o.unit},
        {"mapping",
         {{"tile", tile_string(layer, m)},
          {"order", order_string(layer, m)},
          {"double_buffer", buffering_string(m)},
          {"unrolling", unrollings[static_cast<std::size_t>(m.unrolling)].name}}},
        {"legal", true},
        {"cycles",
         {{"total", c.cycles},
          {"compute", c.compute_cycles},
          {"dma", c.dma_cycles},
          {"overhead", c.overhead_cycles},
          {"stall", c.stall_cycles},
          {"dma_busy", c.dma_busy_cycles}}},
        {"us", us},
        {"energy_pj",
         {{"total", c.energy},
          {"compute", c.compute_energy},
          {"static", c.static_energy},
          {"dma", c.dma_energy}}},
        {"levels", levels},
        {"operands", operands},
        {"tiles", c.tiles},
        {"macs", c.macs},
    };
    emit(j.dump(2) + "\n");
    return;
  }
  std::string out = fmt::format(
      "layer {} ({}) on {} of {}\nmapping: tile {} | order {} | double buffer {} | unrolling "
      "{}\n\n",
      layer.name, op_name(layer.op), o.unit, soc->name, tile_string(layer, m),
      order_string(layer, m), buffering_string(m),
      unrollings[static_cast<std::size_t>(m.unrolling)].name);
  Table t({"cycles", "value"}, {false, true});
  t.row({"total", cycles_str(c.cycles)});
  t.row({"compute", cycles_str(c.compute_cycles)});
  t.row({"dma (exposed)", cycles_str(c.dma_cycles)});
  t.row({"overhead", cycles_str(c.overhead_cycles)});
  t.row({"stall", cycles_str(c.stall_cycles)});
  t.row({"dma busy", cycles_str(c.dma_busy_cycles)});
  t.rule();
  t.row({"time", fmt::format("{:.2f} us", us)});
  t.row({"tiles", thousands(c.tiles)});
  t.row({"MACs", thousands(c.macs)});
  out += t.str() + "\n";
  Table e({"energy", "pJ"}, {false, true});
  for (std::size_t i = 0; i < soc->levels.size(); ++i)
    e.row({"memory " + soc->levels[i].name, fmt::format("{:.1f}", c.level_energy[i])});
  e.row({"compute", fmt::format("{:.1f}", c.compute_energy)});
  e.row({"dma engines", fmt::format("{:.1f}", c.dma_energy)});
  e.row({"static", fmt::format("{:.1f}", c.static_energy)});
  e.rule();
  e.row({"total", fmt::format("{:.1f}", c.energy)});
  out += e.str() + "\n";
  Table mem({"memory", "bytes held", "capacity"}, {false, true, true});
  for (std::size_t i = 0; i < soc->levels.size(); ++i)
    mem.row({soc->levels[i].name, thousands(c.bytes_held[i]),
             format_quantity(static_cast<double>(soc->levels[i].capacity), Quantity::bytes)});
  out += mem.str() + "\n";
  Table ops({"operand", "transfers", "bytes moved"}, {false, true, true});
  for (std::size_t op = 0; op < kNumOperands; ++op)
    ops.row({std::string(operand_name(static_cast<Operand>(op))), thousands(c.transfers[op]),
             thousands(c.bytes_moved[op])});
  out += ops.str();
  emit(out);
}

}  // namespace

void add_cost_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<CostOptions>();
  auto* cmd = app.add_subcommand("cost", "Cost breakdown of one explicit mapping of one layer");
  cmd->add_option("--soc", o->soc, "Built-in SoC name or YAML file")->capture_default_str();
  cmd->add_option("--model", o->model, "Built-in model name or ONNX file")->required();
  cmd->add_option("--layer", o->layer, "Layer name (see `tessel models show`)")->required();
  cmd->add_option("--unit", o->unit, "Compute unit name (see `tessel socs show`)")->required();
  cmd->add_option("--tile", o->tile,
                  "Tile sizes at the unit's memory, DIM=SIZE,... (DIM in N,G,K,C,OY,OX); "
                  "unlisted dims are whole");
  cmd->add_option("--order", o->order,
                  "Tile loop order, outermost first, e.g. OY,K,C (unlisted dims follow in "
                  "canonical order)");
  cmd->add_option("--double-buffer", o->double_buffer,
                  "Double-buffered operands: none, all, or a list of I, W, O")
      ->capture_default_str();
  cmd->add_option("--unrolling", o->unrolling, "Index of the unit's spatial unrolling")
      ->capture_default_str();
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([&action, o] { action = [o] { run_cost(*o); }; });
}

}  // namespace tessel::cli
