// The libFuzzer entry point of one fuzz target, chosen at build time by
// TESSEL_FUZZ_TARGET (a name of tessel::fuzz::all_targets()).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "tests/fuzz/targets.hpp"

namespace {

tessel::fuzz::Target chosen_target() {
  for (const auto& t : tessel::fuzz::all_targets())
    if (t.name == TESSEL_FUZZ_TARGET) return t.run;
  std::fprintf(stderr, "no fuzz target named %s\n", TESSEL_FUZZ_TARGET);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const tessel::fuzz::Target target = chosen_target();
  target(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
