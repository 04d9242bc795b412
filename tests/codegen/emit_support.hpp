#pragma once
// Helpers of the emitter's tests: the best schedule of a network under
// explore settings, its project emitted and built, and runs of it.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/graph.hpp"
#include "driver/explore.hpp"
#include "hwmodels/soc.hpp"
#include "sim/analytical.hpp"

namespace tessel::testing {

// gap9, whose fabric controller also takes the autoencoder's float first
// layer (32-bit operands).
std::shared_ptr<const hw::Soc> gap9_any_width();

// Networks (TESSEL_INT8W_DIR stems) whose best schedule under a memory
// limit runs chains in channel slices (partial execution): producer slices
// over K, depthwise ones over G (MobileNetV2), the consumer over C.
struct SlicedCase {
  std::string network;
  std::shared_ptr<const hw::Soc> soc;
  driver::ExploreSettings settings;
};
std::vector<SlicedCase> sliced_cases();

// The best schedule of `g` on `soc` with the given settings.
NetworkSchedule best_schedule(const Graph& g, std::shared_ptr<const hw::Soc> soc,
                              const driver::ExploreSettings& settings = {});

// Emits the host project of `s` into a fresh temporary directory named
// after `tag` and builds it (`make_args`, e.g. "COUNT_DMA=1"); REQUIREs
// success. Returns the directory.
std::filesystem::path emit_and_build(const Graph& g, const NetworkSchedule& s,
                                     const sim::Analytical& model, const std::string& tag,
                                     const std::string& make_args = "");

// Runs the project's program on `input`; REQUIREs exit 0. `log` receives
// what it printed on stderr.
std::vector<std::uint8_t> run_network(const std::filesystem::path& dir,
                                      const std::vector<std::uint8_t>& input,
                                      std::string* log = nullptr);

std::vector<std::uint8_t> read_all(const std::filesystem::path& p);
void write_all(const std::filesystem::path& p, const std::vector<std::uint8_t>& bytes);

}  // namespace tessel::testing
