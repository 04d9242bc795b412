// The tessel command line: parses arguments with CLI11 and calls the libraries.

#include <exception>
#include <iostream>
#include <new>
#include <string>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "core/version.hpp"
#include "core/zoo.hpp"

namespace tessel::cli {

std::string& command_line() {
  static std::string line;
  return line;
}

void emit(const std::string& text) {
  std::cout << text;
  std::cout.flush();
}

std::vector<Graph> load_networks(const std::string& model) {
  auto graphs = load_models(model);
  for (const auto& g : graphs)
    for (const auto& note : g.notes())
      std::cerr << "tessel: note: " << g.name() << ": " << note << '\n';
  return graphs;
}

}  // namespace tessel::cli

namespace {

// A failure tessel did not anticipate: a bug, not bad input.
void report_internal_error(const std::string& what) {
  std::cerr << "tessel: internal error: " << what << '\n'
            << "tessel: this is a bug in tessel " << tessel::kVersion
            << "; please report it with the command line: " << tessel::cli::command_line() << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "tessel: design-space exploration and cost-model simulation of DNN deployments on "
      "heterogeneous microcontroller SoCs"};
  app.set_version_flag("--version", std::string("tessel ") + tessel::kVersion);
  app.require_subcommand(1);
  tessel::cli::Action action;
  for (int i = 0; i < argc; ++i)
    tessel::cli::command_line() += (i ? " " : "") + std::string(argv[i]);
  tessel::cli::add_models_command(app, action);
  tessel::cli::add_socs_command(app, action);
  tessel::cli::add_cost_command(app, action);
  tessel::cli::add_explore_command(app, action);
  tessel::cli::add_simulate_command(app, action);
  tessel::cli::add_plan_command(app, action);
  tessel::cli::add_emit_command(app, action);
  tessel::cli::add_sweep_command(app, action);
  tessel::cli::add_calibrate_command(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  try {
    if (action) action();
    return 0;
  } catch (const tessel::Error& e) {
    std::cerr << "tessel: error: " << e.what() << '\n';
    return 2;
  } catch (const std::bad_alloc&) {
    std::cerr << "tessel: error: out of memory\n";
    return 2;
  } catch (const std::exception& e) {
    report_internal_error(e.what());
  } catch (...) {
    report_internal_error("an exception of an unknown type");
  }
  return 1;
}
