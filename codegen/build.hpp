#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

// Building an emitted project and measuring its binary (docs/codegen.md,
// "Code size").
namespace tessel::codegen {

// The section sizes of a built binary, as `size` reports them (Berkeley
// format): code and read-only data (text), initialised data, zeroed data
// (the arenas and counters).
struct BinarySizes {
  std::int64_t text = 0, data = 0, bss = 0;
};

// Runs `make -C dir` (its output in dir/make.log), then the backend's `size`
// tool on the binary. Throws IoError naming the log when make fails, and
// naming the tool when it is missing or prints something else.
BinarySizes build_project(const std::filesystem::path& dir, std::string_view backend);

}  // namespace tessel::codegen
