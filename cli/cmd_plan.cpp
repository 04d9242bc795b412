#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/options.hpp"
#include "cli/table.hpp"
#include "core/errors.hpp"
#include "core/memory_plan.hpp"
#include "core/zoo.hpp"
#include "driver/explore.hpp"
#include "hwmodels/soc_loader.hpp"

// `tessel plan`: the static memory plan of the best schedule (docs/memory.md),
// printed, as JSON, or drawn by the Python package (tessel.plot.memory_plan).
namespace tessel::cli {
namespace {

struct PlanOptions {
  std::string soc = "gap9";
  std::string model = "resnet8";
  driver::ExploreSettings settings;
  std::string png;
  bool json = false;
};

// The interpreter and package path `--png` runs (TESSEL_PYTHON and
// TESSEL_PYTHONPATH override the build's).
std::string python_command(const std::string& json_path, const std::string& png,
                           const std::string& network) {
  const char* exe = std::getenv("TESSEL_PYTHON");
  const char* path = std::getenv("TESSEL_PYTHONPATH");
  std::string python = exe ? exe : TESSEL_PYTHON_EXE;
  std::string pypath = path ? path : TESSEL_PYTHON_PATH;
  auto quote = [](const std::string& s) {
    std::string q = "'";
    for (char c : s)
      q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  return fmt::format("PYTHONPATH={} MPLBACKEND=Agg {} -m tessel.plot memory-plan {} {} {} 2>&1",
                     quote(pypath), quote(python), quote(json_path), quote(png), quote(network));
}

// Draws the plan of the first network into `png` through the Python package.
void draw(const nlohmann::ordered_json& plan, const std::string& png, const std::string& network) {
  const auto json_path =
      (std::filesystem::temp_directory_path() / fmt::format("tessel-plan-{}.json", ::getpid()))
          .string();
  {
    std::ofstream out(json_path);
    out << plan.dump();
    if (!out) throw IoError(fmt::format("cannot write '{}'", json_path));
  }
  FILE* p = ::popen(python_command(json_path, png, network).c_str(), "r");
  std::string said;
  if (p) {
    char buf[512];
    while (std::fgets(buf, sizeof buf, p))
      said += buf;
  }
  const int status = p ? ::pclose(p) : -1;
  std::filesystem::remove(json_path);
  if (status != 0)
    throw IoError(
        fmt::format("--png '{}': drawing needs the tessel Python package and matplotlib "
                    "(set TESSEL_PYTHON / TESSEL_PYTHONPATH): {}",
                    png, said.empty() ? "the interpreter did not run" : said));
}

std::string plan_text(const NetworkSchedule& s) {
  std::string out = fmt::format("{} on {}: memory plan (step order {}, {} steps)\n", s.network,
                                s.soc, s.order.method, s.steps.size());
  Table levels({"level", "arena B", "lower bound B", "gap"}, {false, true, true, true});
  for (const auto& a : s.memory) {
    levels.row({s.level_names[static_cast<std::size_t>(a.level)], thousands(a.arena_bytes),
                thousands(a.lower_bound_bytes), fmt::format("{:.1f} %", gap_percent(a))});
  }
  Table tensors({"tensor", "role", "level", "offset", "bytes", "steps", "reuses"},
                {false, false, false, true, true, false, false});
  auto sorted = s.tensors;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.level != b.level ? a.level < b.level : a.offset < b.offset;
  });
  for (const auto& t : sorted)
    tensors.row({t.name, std::string(role_name(t.role)),
                 s.level_names[static_cast<std::size_t>(t.level)], thousands(t.offset),
                 thousands(t.bytes), fmt::format("{}-{}", t.first_step, t.last_step),
                 t.alias.empty() ? "-" : t.alias});
  return out + levels.str() + "\n" + tensors.str() + "\n";
}

void run_plan(const PlanOptions& o) {
  const auto graphs = load_networks(o.model);
  const auto ex = driver::explore_unstored(graphs, hw::load_soc(o.soc), o.settings);
  std::vector<const NetworkSchedule*> schedules;
  for (const auto& r : ex.results)
    schedules.push_back(&r.schedule);
  const auto plan = memory_plan_json(schedules);
  if (!o.png.empty()) draw(plan, o.png, schedules[0]->network);
  if (o.json) {
    emit(plan.dump(2) + "\n");
    return;
  }
  std::string out;
  for (const auto* s : schedules)
    out += plan_text(*s);
  if (!o.png.empty()) out += fmt::format("drew {} into {}\n", schedules[0]->network, o.png);
  emit(out);
}

}  // namespace

void add_plan_command(CLI::App& app, Action& action) {
  auto o = std::make_shared<PlanOptions>();
  auto* cmd = app.add_subcommand(
      "plan", "The static memory plan of the best schedule: every tensor's level and offset");
  cmd->add_option("--soc", o->soc, "Built-in SoC name or YAML file")->capture_default_str();
  cmd->add_option("--model", o->model, "Built-in model, alias, or ONNX file")
      ->capture_default_str();
  add_schedule_options(cmd, o->settings);
  cmd->add_option("--png", o->png,
                  "Draw the plan of the first network into this PNG (needs the tessel Python "
                  "package and matplotlib)");
  cmd->add_flag("--json", o->json,
                "Print the memory plan as JSON (as explore --json's memory_plan)");
  cmd->callback([&action, o] { action = [o] { run_plan(*o); }; });
}

}  // namespace tessel::cli
