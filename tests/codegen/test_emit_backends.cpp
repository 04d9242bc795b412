// The gap9, diana and cortex-m backends build with Debian's cross compilers
// for their targets (riscv64-unknown-elf-gcc -march=rv32imc -mabi=ilp32 with
// picolibc; arm-none-eabi-gcc -mcpu=cortex-m7 -mthumb with newlib), and a
// static riscv64 build of the host backend runs under qemu-riscv64 with the
// host's output.
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>
#include <string>

#include <catch2/catch.hpp>

#include "codegen/emit.hpp"
#include "codegen/emit_support.hpp"
#include "core/errors.hpp"
#include "core/onnx_import.hpp"
#include "hwmodels/soc_loader.hpp"
#include "reference/interpreter/reference.hpp"

namespace fs = std::filesystem;
using namespace tessel;
using namespace tessel::testing;

namespace {

fs::path int8w(const std::string& network) {
  return fs::path(TESSEL_INT8W_DIR) / (network + ".onnx");
}

// Emits `network`'s best schedule on `soc` for `backend`, builds it with the
// backend's Makefile, and returns the project directory.
fs::path cross_build(const std::string& network, const std::string& soc_name,
                     const std::string& backend) {
  INFO(network << " on " << soc_name << " for " << backend);
  const Graph g = import_onnx(int8w(network));
  const auto soc = hw::load_soc(soc_name);
  const sim::Analytical model(soc);
  const auto s = best_schedule(g, soc);
  const fs::path dir = fs::temp_directory_path() / ("tessel_cross_" + backend + "_" + network +
                                                    "_" + std::to_string(std::random_device{}()));
  fs::remove_all(dir);
  const auto r = codegen::emit(g, s, model, backend, dir);
  CHECK(r.constant_bytes >= g.total_weight_bytes());
  const auto make =
      "make -s -C '" + dir.string() + "' > '" + (dir / "make.log").string() + "' 2>&1";
  INFO(make);
  const int status = std::system(make.c_str());
  const auto out = read_all(dir / "make.log");
  INFO(std::string(out.begin(), out.end()));
  REQUIRE(status == 0);
  REQUIRE(fs::exists(dir / "network.elf"));
  return dir;
}

}  // namespace

TEST_CASE("the gap9, diana and cortex-m backends build for their targets",
          "[codegen][backends][slow]") {
  for (const char* network : {"image_classification", "keyword_spotting", "visual_wake_words"}) {
    fs::remove_all(cross_build(network, "gap9", "gap9"));
    fs::remove_all(cross_build(network, "diana", "diana"));
    fs::remove_all(cross_build(network, "cortex-m7", "cortex-m"));
  }
}

TEST_CASE("weights homed in external RAM are loaded there at start-up",
          "[codegen][backends][slow]") {
  // gap9 with every weight homed in L3, which the CPU does not address: the
  // HAL copies each weight array into its planned place in the RAM arena.
  const auto dir =
      cross_build("visual_wake_words",
                  std::string(TESSEL_SOURCE_DIR) + "/tests/data/soc/gap9_weights_l3.yaml", "gap9");
  const auto h = read_all(dir / "tessel_network.h");
  std::set<std::string> weights;
  const Graph g = import_onnx(int8w("visual_wake_words"));
  for (const auto& l : g.layers())
    if (!l.weights.empty()) weights.insert(l.weights);
  CHECK(std::string(h.begin(), h.end())
            .find("#define TESSEL_LOADS " + std::to_string(weights.size()) + "\n") !=
        std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a backend refuses a unit it does not drive and unknown backends",
          "[codegen][backends][errors]") {
  const Graph g = import_onnx(int8w("keyword_spotting"));
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  const auto s = best_schedule(g, soc);
  const fs::path dir = fs::temp_directory_path() / "tessel_backend_refused";
  fs::remove_all(dir);
  CHECK_THROWS_AS(codegen::emit(g, s, model, "cortex-m", dir), UnsupportedError);
  CHECK_THROWS_AS(codegen::emit(g, s, model, "gpu", dir), ConfigError);
  CHECK_FALSE(fs::exists(dir / "tessel_network.c"));
  fs::remove_all(dir);
}

TEST_CASE("a static riscv64 build of the host backend runs under qemu with the host's output",
          "[codegen][host][qemu][slow]") {
  std::mt19937 rng(17);
  for (const char* network : {"image_classification", "keyword_spotting"}) {
    INFO(network);
    const Graph g = import_onnx(int8w(network));
    const auto soc = gap9_any_width();
    const sim::Analytical model(soc);
    const auto s = best_schedule(g, soc);
    const auto native = emit_and_build(g, s, model, std::string(network) + "_native");
    const auto riscv = emit_and_build(g, s, model, std::string(network) + "_riscv64",
                                      "CC=riscv64-linux-gnu-gcc LDFLAGS=-static network");
    const reference::Model ref(int8w(network));
    const auto name = ref.input_names().at(0);
    const auto value = ref.random_input(name, rng);
    const auto x = reference::to_bytes(value);
    write_all(riscv / "input.bin", x);
    const auto run = "qemu-riscv64 '" + (riscv / "network").string() + "' < '" +
                     (riscv / "input.bin").string() + "' > '" + (riscv / "output.bin").string() +
                     "'";
    REQUIRE(std::system(run.c_str()) == 0);
    const auto want = run_network(native, x);
    CHECK(read_all(riscv / "output.bin") == want);
    CHECK(want == reference::to_bytes(ref.run({{name, value}}).at(0)));
    fs::remove_all(native);
    fs::remove_all(riscv);
  }
}
