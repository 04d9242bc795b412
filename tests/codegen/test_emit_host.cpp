// The host backend (codegen/emit.hpp): the emitted project builds with
// -std=c99 -Wall -Wextra -Werror and its output equals the reference
// interpreter's, bit for bit, on random inputs.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

#include <catch2/catch.hpp>

#include "codegen/emit.hpp"
#include "core/errors.hpp"
#include "core/onnx_import.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/network_mapper.hpp"
#include "reference/interpreter/reference.hpp"
#include "sim/analytical.hpp"

namespace fs = std::filesystem;
using namespace tessel;

namespace {

std::vector<std::uint8_t> read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_all(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Emits the network's best gap9 schedule, builds it, and compares it with the
// reference on `inputs` random inputs.
void check_bit_exact(const fs::path& onnx, int inputs, std::mt19937& rng) {
  INFO(onnx.string());
  const Graph g = import_onnx(onnx);
  // gap9, whose fabric controller also takes the autoencoder's float first
  // layer (32-bit operands; the host backend runs any unit's layers alike).
  const auto gap9 = hw::load_soc("gap9");
  const sim::Analytical model(hw::apply_overrides(
      *gap9, {{"fc.weight_bits", "[8, 32]"}, {"fc.activation_bits", "[8, 32]"}}));
  const auto result = mappers::map_network(g, model, {});
  const fs::path dir = fs::temp_directory_path() / ("tessel_emit_" + onnx.stem().string());
  fs::remove_all(dir);
  const auto r = codegen::emit_host(g, result.schedule, dir);
  CHECK(r.constant_bytes >= g.total_weight_bytes());
  const auto make =
      "make -s -C '" + dir.string() + "' > '" + (dir / "make.log").string() + "' 2>&1";
  INFO(make);
  REQUIRE(std::system(make.c_str()) == 0);
  const reference::Model ref(onnx);
  const auto name = ref.input_names().at(0);
  for (int i = 0; i < inputs; ++i) {
    const auto x = ref.random_input(name, rng);
    write_all(dir / "input.bin", reference::to_bytes(x));
    const auto run = "'" + (dir / "network").string() + "' < '" + (dir / "input.bin").string() +
                     "' > '" + (dir / "output.bin").string() + "'";
    REQUIRE(std::system(run.c_str()) == 0);
    const auto want = reference::to_bytes(ref.run({{name, x}}).at(0));
    const auto got = read_all(dir / "output.bin");
    INFO("input " << i);
    REQUIRE(got.size() == want.size());
    CHECK(got == want);
  }
  fs::remove_all(dir);
}

}  // namespace

TEST_CASE("the host backend is bit-exact against the reference on the MLPerf Tiny models",
          "[codegen][host]") {
  std::mt19937 rng(14);
  for (const char* file :
       {"image_classification", "keyword_spotting", "visual_wake_words", "anomaly_detection"}) {
    // The int8-typed copies (their outputs depend on the input) and, on fewer
    // inputs, the files as stored.
    check_bit_exact(fs::path(TESSEL_INT8W_DIR) / (std::string(file) + ".onnx"), 20, rng);
    check_bit_exact(
        fs::path(TESSEL_SOURCE_DIR) / "tests/data/models" / (std::string(file) + ".onnx"), 2, rng);
  }
}

TEST_CASE("the host backend refuses a non-empty directory and weightless models",
          "[codegen][host][errors]") {
  const fs::path onnx = fs::path(TESSEL_INT8W_DIR) / "keyword_spotting.onnx";
  const Graph g = import_onnx(onnx);
  const sim::Analytical model(hw::load_soc("gap9"));
  const auto result = mappers::map_network(g, model, {});
  const fs::path dir = fs::temp_directory_path() / "tessel_emit_nonempty";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "keep.txt") << "mine";
  CHECK_THROWS_AS(codegen::emit_host(g, result.schedule, dir), ConfigError);
  CHECK(fs::exists(dir / "keep.txt"));
  CHECK_FALSE(fs::exists(dir / "tessel_network.c"));
  CHECK_NOTHROW(codegen::emit_host(g, result.schedule, dir, true));
  CHECK(fs::exists(dir / "tessel_network.c"));
  fs::remove_all(dir);
}
