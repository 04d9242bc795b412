#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

// The emitter's backends (docs/codegen.md, "Backends"): which runtime
// directories each copies (the common one, its HAL's), which unit kinds its HAL runs,
// which memory levels it cannot address as memory, and its main.c and
// Makefile.
namespace tessel::codegen {

struct Backend {
  std::string name;                       // host, gap9, diana, cortex-m
  std::vector<std::string> runtime;       // the directories of codegen/runtime/ it copies
  std::set<std::string> unit_kinds;       // the HAL's unit kinds; empty: any
  std::set<std::string> unmapped_levels;  // levels reached only by DMA (external RAM)
  std::string main;                       // main.c
  std::string makefile;                   // Makefile
  std::string binary;                     // what `make` builds
  std::string size_tool;                  // binutils' size for the target
};

// The backend of that name; throws ConfigError naming the known ones.
const Backend& backend(std::string_view name);
// The names of every backend.
std::vector<std::string> backend_names();

}  // namespace tessel::codegen
