// Replays the saved fuzz inputs: every file under tests/data/fuzz/<target>/
// (crashes the fuzzers found, kept after the fix, and hand-made edge cases)
// goes through its target, which must end in a result or a tessel::Error, never
// in another exception or an abort.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/fuzz/targets.hpp"

namespace {

std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE("fuzz: every saved input of every target loads or fails with a tessel error", "[fuzz]") {
  const std::filesystem::path root = std::filesystem::path(TESSEL_SOURCE_DIR) / "tests/data/fuzz";
  for (const auto& target : tessel::fuzz::all_targets()) {
    const auto dir = root / target.name;
    REQUIRE(std::filesystem::is_directory(dir));
    int inputs = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.is_regular_file() || entry.path().filename() == "README.md") continue;
      INFO(target.name << ": " << entry.path().filename().string());
      CHECK_NOTHROW(target.run(read_bytes(entry.path())));
      ++inputs;
    }
    INFO(target.name);
    CHECK(inputs > 0);  // each target keeps at least one input
  }
}
