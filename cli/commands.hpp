#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/graph.hpp"

namespace tessel::cli {

// A subcommand registers its options on `app` and returns the action to run
// once parsing succeeded. Actions write their whole output only after the work
// is done, so a failure leaves nothing half-written; they throw tessel::Error
// on bad input, which main() reports with exit status 2.
using Action = std::function<void()>;

void add_models_command(CLI::App& app, Action& action);
void add_socs_command(CLI::App& app, Action& action);
void add_cost_command(CLI::App& app, Action& action);
void add_explore_command(CLI::App& app, Action& action);
void add_simulate_command(CLI::App& app, Action& action);
void add_plan_command(CLI::App& app, Action& action);
void add_emit_command(CLI::App& app, Action& action);
// `sweep` and `pareto`.
void add_sweep_command(CLI::App& app, Action& action);
void add_calibrate_command(CLI::App& app, Action& action);

// The command line tessel was started with (recorded with stored runs).
std::string& command_line();

// Prints `text` to stdout in one piece.
void emit(const std::string& text);

// The networks of a model argument (core/zoo.hpp, load_models), each
// importer note (Graph::notes) printed to stderr as "tessel: note: ...".
std::vector<Graph> load_networks(const std::string& model);

}  // namespace tessel::cli
