#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/table.hpp"
#include "codegen/backends.hpp"
#include "codegen/build.hpp"
#include "codegen/emit.hpp"
#include "core/errors.hpp"
#include "core/zoo.hpp"
#include "driver/explore.hpp"
#include "driver/simulate.hpp"
#include "hwmodels/soc_loader.hpp"
#include "sim/analytical.hpp"

// `tessel emit`: the C project of the best schedule (docs/codegen.md).
namespace tessel::cli {
namespace {

struct EmitOptions {
  std::string soc = "gap9";
  std::string model;
  std::string backend = "host";
  std::string out;
  driver::ExploreSettings settings;
  std::string db;  // with `schedule`: emit that stored schedule
  std::int64_t schedule = 0;
  bool force = false;
  bool build = false;  // also build the project and print the binary's sizes
};

void run_emit(const EmitOptions& o) {
  codegen::backend(o.backend);  // an unknown name fails before the search
  if (o.db.empty() != (o.schedule == 0))
    throw ConfigError("--db and --schedule go together: the file and the schedule id to emit");
  if (o.model.empty() && o.db.empty())
    throw ConfigError("emit needs --model, or --db and --schedule of a stored schedule");
  std::vector<Graph> graphs;
  if (o.model.empty())
    graphs.push_back(driver::stored_network(o.db, o.schedule));
  else
    graphs = load_networks(o.model);
  if (graphs.size() != 1)
    throw ConfigError(
        fmt::format("--model '{}' names {} networks; emit takes one", o.model, graphs.size()));
  const auto soc = hw::load_soc(o.soc);
  const auto s = o.db.empty()
                     ? driver::explore_unstored(graphs, soc, o.settings).results.at(0).schedule
                     : driver::load_schedule(o.db, o.schedule, graphs[0], *soc);
  const auto r = codegen::emit(graphs[0], s, sim::Analytical(soc), o.backend, o.out, o.force);
  std::string arenas;
  for (std::size_t l = 0; l < r.arena_bytes.size(); ++l)
    if (r.arena_bytes[l] > 0)
      arenas += fmt::format("{}{} {} B", arenas.empty() ? "" : ", ", s.level_names[l],
                            thousands(r.arena_bytes[l]));
  emit(
      fmt::format("emitted {} on {} ({} backend) into {}: {} files; constants {} B; arenas "
                  "{}\nbuild with: "
                  "make -C {}\n",
                  s.network, s.soc, o.backend, o.out, r.files.size(), thousands(r.constant_bytes),
                  arenas.empty() ? "none" : arenas, o.out));
  if (!o.build) return;
  const auto b = codegen::build_project(o.out, o.backend);
  emit(fmt::format("built {}/{}: code and read-only data {} B, data {} B, zeroed {} B\n", o.out,
                   codegen::backend(o.backend).binary, thousands(b.text), thousands(b.data),
                   thousands(b.bss)));
}

}  // namespace

void add_emit_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<EmitOptions>();
  auto* cmd = app.add_subcommand(
      "emit",
      "Write the C project of the best schedule (host backend: tiled loop nests, bit-exact)");
  cmd->add_option("--soc", o->soc, "Built-in SoC name or YAML file")->capture_default_str();
  cmd->add_option("--model", o->model,
                  "An ONNX file (or a built-in model with weights); with --db, default the "
                  "network the stored schedule maps");
  cmd->add_option("--backend", o->backend, "host, gap9, diana or cortex-m (docs/codegen.md)")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Directory to write (created; refused when not empty)")
      ->required()
      ->check(non_empty_path());
  add_schedule_options(cmd, o->settings);
  cmd->add_option("--db", o->db,
                  "Emit a stored schedule from this SQLite file (with --schedule) instead of "
                  "exploring")
      ->check(non_empty_path());
  cmd->add_option("--schedule", o->schedule, "Id of the stored schedule (schedules.id)");
  cmd->add_flag("--force", o->force, "Write into a directory that is not empty");
  cmd->add_flag("--build", o->build,
                "Also build the project (make -C DIR) and print the binary's code and data "
                "sizes (size)");
  cmd->callback([&action, o] { action = [o] { run_emit(*o); }; });
}

}  // namespace tessel::cli
