#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph.hpp"
#include "core/schedule.hpp"
#include "sim/analytical.hpp"

namespace tessel::codegen {

// What an emission wrote.
struct EmitResult {
  std::vector<std::filesystem::path> files;  // relative to the project directory
  std::int64_t constant_bytes = 0;           // weights and epilogue constants
  // Per level of the schedule, the arena the project allocates: the memory
  // plan's, but at a level the CPU addresses only up to its last tensor that
  // is not a constant (constants are read from their own arrays).
  std::vector<std::int64_t> arena_bytes;
};

// Writes the host backend's C99 project for `schedule` of `graph` into `dir`
// (docs/codegen.md): tessel_network.c/.h with the static arenas of the memory
// plan and the constants, the runtime kernels, main.c and a Makefile. `dir`
// is created; a non-empty one is refused (ConfigError) unless `force`.
// Throws UnsupportedError, naming it, for what the emitter does not handle
// (nest_plan.hpp).
// Writes the project of `backend` (host, gap9, diana, cortex-m; see
// backends.hpp) likewise. Throws ConfigError for an unknown backend and
// UnsupportedError for a layer on a unit the backend does not drive.
EmitResult emit(const Graph& graph, const NetworkSchedule& schedule, const sim::Analytical& model,
                std::string_view backend, const std::filesystem::path& dir, bool force = false);

EmitResult emit_host(const Graph& graph, const NetworkSchedule& schedule,
                     const sim::Analytical& model, const std::filesystem::path& dir,
                     bool force = false);

}  // namespace tessel::codegen
