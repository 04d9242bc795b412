// The host backend (codegen/emit.hpp): the emitted project builds with
// -std=c99 -Wall -Wextra -Werror and its output equals the reference
// interpreter's, bit for bit, on random inputs, for schedules of every
// mapper and with L3 staging.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

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

const char* const kNetworks[] = {"image_classification", "keyword_spotting", "visual_wake_words",
                                 "anomaly_detection"};

fs::path int8w(const std::string& network) {
  return fs::path(TESSEL_INT8W_DIR) / (network + ".onnx");
}

// Emits schedule `s` of the network in `onnx`, builds it, and compares it
// with the reference on `inputs` random inputs.
void check_schedule(const fs::path& onnx, const Graph& g, const NetworkSchedule& s,
                    std::shared_ptr<const hw::Soc> soc, int inputs, std::mt19937& rng) {
  const auto dir = emit_and_build(g, s, sim::Analytical(soc), onnx.stem().string());
  const reference::Model ref(onnx);
  const auto name = ref.input_names().at(0);
  for (int i = 0; i < inputs; ++i) {
    const auto x = ref.random_input(name, rng);
    const auto got = run_network(dir, reference::to_bytes(x));
    const auto want = reference::to_bytes(ref.run({{name, x}}).at(0));
    INFO("input " << i);
    REQUIRE(got.size() == want.size());
    CHECK(got == want);
  }
  fs::remove_all(dir);
}

// The same for the best schedule of the network under `settings`; returns
// how many layers it splits across units (concurrent steps).
std::size_t check_bit_exact(const fs::path& onnx, int inputs, std::mt19937& rng,
                            const driver::ExploreSettings& settings = {},
                            std::shared_ptr<const hw::Soc> soc = gap9_any_width()) {
  INFO(onnx.string() << " mapper " << settings.mapper << " max-memory "
                     << (settings.max_memory.empty() ? "-" : settings.max_memory[0]));
  const Graph g = import_onnx(onnx);
  const auto s = best_schedule(g, soc, settings);
  check_schedule(onnx, g, s, soc, inputs, rng);
  return static_cast<std::size_t>(std::count_if(s.steps.begin(), s.steps.end(), [](const auto& st) {
    return st.kind == ScheduleStep::Kind::concurrent;
  }));
}

}  // namespace

TEST_CASE("the host backend is bit-exact against the reference on the MLPerf Tiny models",
          "[codegen][host][slow]") {
  std::mt19937 rng(14);
  std::size_t split = 0;
  for (const char* file : kNetworks) {
    // The int8-typed copies (their outputs depend on the input) and, on fewer
    // inputs, the files as stored.
    split += check_bit_exact(int8w(file), 20, rng);
    check_bit_exact(
        fs::path(TESSEL_SOURCE_DIR) / "tests/data/models" / (std::string(file) + ".onnx"), 2, rng);
  }
  CHECK(split > 0);  // the schedules split layers across NE16 and the cluster (K and G slices)
}

TEST_CASE("the host backend is bit-exact for the schedules of the dory and divisor mappers",
          "[codegen][host][mappers][slow]") {
  std::mt19937 rng(15);
  for (const char* mapper : {"dory", "divisor"}) {
    driver::ExploreSettings settings;
    settings.mapper = mapper;
    for (const char* file : kNetworks)
      check_bit_exact(int8w(file), 20, rng, settings);
    check_bit_exact(int8w("mobilenetv2_035"), 5, rng, settings);
  }
}

TEST_CASE("the host backend is bit-exact on MobileNetV2 0.35",
          "[codegen][host][mobilenetv2][slow]") {
  // Its L2 plan on gap9 streams weights from L3 through two loop nests.
  std::mt19937 rng(18);
  check_bit_exact(int8w("mobilenetv2_035"), 20, rng);
}

TEST_CASE("the host backend is bit-exact for chains run in channel slices",
          "[codegen][host][slices][slow]") {
  std::mt19937 rng(20);
  for (const auto& c : sliced_cases()) {
    INFO(c.network << " " << c.settings.max_memory.at(0));
    const auto onnx = int8w(c.network);
    const Graph g = import_onnx(onnx);
    const auto s = best_schedule(g, c.soc, c.settings);
    std::set<Dim> cut;
    for (const auto* p : s.parts())
      if (!p->slice.whole()) cut.insert(p->slice.dim);
    REQUIRE(cut.count(Dim::K) == 1);
    REQUIRE(cut.count(Dim::C) == 1);
    check_schedule(onnx, g, s, c.soc, 20, rng);
  }
}

TEST_CASE("the host backend is bit-exact for fused groups, also run in bands of rows",
          "[codegen][host][fusion][slow]") {
  // On gap9 without splits the chains run fused whole (one band); on the
  // test SoC of slow DMA and small L1 MobileNetV1's first groups run in
  // bands whose windows overlap, the overlap kept from band to band.
  std::mt19937 rng(21);
  driver::ExploreSettings no_split;
  no_split.split = false;
  const auto slow = hw::load_soc(std::string(TESSEL_SOURCE_DIR) + "/tests/data/soc/slow_dma.yaml");
  struct Case {
    const char* network;
    std::shared_ptr<const hw::Soc> soc;
    bool bands;
  };
  for (const Case& c :
       {Case{"visual_wake_words", gap9_any_width(), false},
        Case{"keyword_spotting", gap9_any_width(), false}, Case{"visual_wake_words", slow, true}}) {
    INFO(c.network << " on " << c.soc->name);
    const auto onnx = int8w(c.network);
    const Graph g = import_onnx(onnx);
    const auto s = best_schedule(g, c.soc, no_split);
    std::size_t fused = 0, banded = 0, kept = 0;
    for (const auto& st : s.steps) {
      if (st.kind != ScheduleStep::Kind::fused) continue;
      ++fused;
      banded += std::any_of(st.parts.begin(), st.parts.end(),
                            [](const SchedulePart& p) { return p.slice.begin > 0; });
      for (std::size_t k = 0; k < st.parts.size(); ++k)
        kept += kept_rows(g, st, k).rows > 0;
    }
    CHECK(fused > 0);
    CHECK((banded > 0) == c.bands);
    CHECK((kept > 0) == c.bands);  // the bands keep their overlap (memmove in L1)
    check_schedule(onnx, g, s, c.soc, 20, rng);
  }
}

TEST_CASE("the host backend is bit-exact where partial sums go back to the output's home",
          "[codegen][host][partial-sums][slow]") {
  // A mapping that loops C outside an output loop writes 32-bit partial sums
  // back; for an 8-bit output the memory plan holds them in the step's
  // scratch at the output's home: the autoencoder's first layer on diana.
  std::mt19937 rng(19);
  check_bit_exact(int8w("anomaly_detection"), 20, rng, {}, hw::load_soc("diana"));
}

TEST_CASE("the host backend is bit-exact for schedules that stage tiles through L3",
          "[codegen][host][memory][slow]") {
  // L2 limited to 32 KiB of room beside its 64 KiB reserve: the tensors live
  // in L3 and the mappings have two loop nests (L3 -> L2 -> L1).
  std::mt19937 rng(16);
  driver::ExploreSettings settings;
  settings.max_memory = {"L2=96KiB"};
  for (const char* file : {"image_classification", "keyword_spotting", "visual_wake_words"})
    check_bit_exact(int8w(file), 20, rng, settings);
}

TEST_CASE("the host backend refuses a non-empty directory and leaves its files",
          "[codegen][host][errors]") {
  const Graph g = import_onnx(int8w("keyword_spotting"));
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  const auto s = best_schedule(g, soc);
  const fs::path dir = fs::temp_directory_path() / "tessel_emit_nonempty";
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "keep.txt") << "mine";
  CHECK_THROWS_AS(codegen::emit_host(g, s, model, dir), ConfigError);
  CHECK(fs::exists(dir / "keep.txt"));
  CHECK_FALSE(fs::exists(dir / "tessel_network.c"));
  CHECK_NOTHROW(codegen::emit_host(g, s, model, dir, true));
  CHECK(fs::exists(dir / "tessel_network.c"));
  CHECK(fs::exists(dir / "keep.txt"));
  CHECK_FALSE(fs::exists(dir / ".tessel-emit.tmp"));
  fs::remove_all(dir);
}
