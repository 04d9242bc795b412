// `make COUNT_DMA=1`: the bytes the emitted code's DMA transfers move, per
// part, engine and pair of levels, equal the analytical model's prediction
// (Analytical::route_bytes) exactly.
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <tuple>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "codegen/emit_support.hpp"
#include "core/onnx_import.hpp"
#include "hwmodels/soc_loader.hpp"
#include "reference/interpreter/reference.hpp"

namespace fs = std::filesystem;
using namespace tessel;
using namespace tessel::testing;

namespace {

using Flows = std::map<std::tuple<std::string, std::string, std::string>, std::uint64_t>;

Flows flows_of(const nlohmann::json& list) {
  Flows f;
  for (const auto& e : list)
    f[{e.at("engine").get<std::string>(), e.at("from").get<std::string>(),
       e.at("to").get<std::string>()}] += e.at("bytes").get<std::uint64_t>();
  return f;
}

// The model's bytes of one part.
Flows predicted(const Graph& g, const sim::Analytical& model, const NetworkSchedule& s,
                const SchedulePart& p) {
  const Layer l = part_layer(g, p);
  Flows f;
  for (const auto& r : model.route_bytes(model.prepare(l, p.mapping), p.mapping))
    f[{r.engine->name, s.level_names.at(static_cast<std::size_t>(r.from)),
       s.level_names.at(static_cast<std::size_t>(r.to))}] +=
        static_cast<std::uint64_t>(std::llround(r.bytes));
  return f;
}

void check_counts(const std::string& network, const driver::ExploreSettings& settings,
                  std::shared_ptr<const hw::Soc> soc = gap9_any_width()) {
  INFO(network << " max-memory " << (settings.max_memory.empty() ? "-" : settings.max_memory[0]));
  const fs::path onnx = fs::path(TESSEL_INT8W_DIR) / (network + ".onnx");
  const Graph g = import_onnx(onnx);
  const sim::Analytical model(soc);
  const auto s = best_schedule(g, soc, settings);
  const auto dir = emit_and_build(g, s, model, network + "_dma", "COUNT_DMA=1");
  std::mt19937 rng(3);
  const reference::Model ref(onnx);
  std::string log;
  run_network(dir, reference::to_bytes(ref.random_input(ref.input_names().at(0), rng)), &log);
  INFO(log);
  const auto report = nlohmann::json::parse(log);
  const auto parts = s.parts();
  REQUIRE(report.at("parts").size() == parts.size());
  Flows total;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    INFO("part " << part_label(*parts[i]) << " on " << parts[i]->unit_name);
    CHECK(report["parts"][i].at("part") == part_label(*parts[i]));
    const auto want = predicted(g, model, s, *parts[i]);
    CHECK(flows_of(report["parts"][i].at("dma")) == want);
    for (const auto& [k, v] : want)
      total[k] += v;
  }
  CHECK(flows_of(report.at("dma")) == total);
  CHECK_FALSE(total.empty());
  fs::remove_all(dir);
}

}  // namespace

TEST_CASE("the emitted DMA bytes equal the model's for every part on gap9",
          "[codegen][dma][slow]") {
  for (const char* network :
       {"image_classification", "keyword_spotting", "visual_wake_words", "anomaly_detection"})
    check_counts(network, {});
}

TEST_CASE("the emitted DMA bytes equal the model's on MobileNetV2 0.35", "[codegen][dma][slow]") {
  check_counts("mobilenetv2_035", {});
}

TEST_CASE("the emitted DMA bytes equal the model's for chains run in channel slices",
          "[codegen][dma][slices][slow]") {
  for (const auto& c : sliced_cases())
    check_counts(c.network, c.settings, c.soc);
}

TEST_CASE("the emitted DMA bytes equal the model's with partial sums at the output's home",
          "[codegen][dma][partial-sums][slow]") {
  check_counts("anomaly_detection", {}, hw::load_soc("diana"));
}

TEST_CASE("the emitted DMA bytes equal the model's when tiles stage through L3",
          "[codegen][dma][memory][slow]") {
  driver::ExploreSettings settings;
  settings.max_memory = {"L2=96KiB"};
  for (const char* network : {"image_classification", "keyword_spotting", "visual_wake_words"})
    check_counts(network, settings);
}

TEST_CASE("the emitted DMA bytes equal the model's for fused groups in bands",
          "[codegen][dma][fusion][slow]") {
  // Intermediates stay in L1: no DMA moves them, in the model or the code.
  driver::ExploreSettings no_split;
  no_split.split = false;
  check_counts("keyword_spotting", no_split);
  check_counts("visual_wake_words", no_split,
               hw::load_soc(std::string(TESSEL_SOURCE_DIR) + "/tests/data/soc/slow_dma.yaml"));
}
