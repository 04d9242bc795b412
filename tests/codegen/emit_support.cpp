#include "codegen/emit_support.hpp"

#include <cstdlib>
#include <fstream>
#include <iterator>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "codegen/emit.hpp"
#include "hwmodels/soc_loader.hpp"

namespace fs = std::filesystem;

namespace tessel::testing {

std::shared_ptr<const hw::Soc> gap9_any_width() {
  return hw::apply_overrides(*hw::load_soc("gap9"),
                             {{"fc.weight_bits", "[8, 32]"}, {"fc.activation_bits", "[8, 32]"}});
}

std::vector<SlicedCase> sliced_cases() {
  auto limited = [](const char* limit) {
    driver::ExploreSettings s;
    s.max_memory = {limit};
    return s;
  };
  // gap9 with every weight homed in L3: L2 holds the activations.
  const auto weights_l3 =
      hw::load_soc(std::string(TESSEL_SOURCE_DIR) + "/tests/data/soc/gap9_weights_l3.yaml");
  return {{"mobilenetv2_035", hw::load_soc("gap9"), limited("L2=100KiB")},
          {"image_classification", weights_l3, limited("L2=96KiB")}};
}

NetworkSchedule best_schedule(const Graph& g, std::shared_ptr<const hw::Soc> soc,
                              const driver::ExploreSettings& settings) {
  auto ex = driver::explore_unstored({g}, std::move(soc), settings);
  return ex.results.at(0).schedule;
}

std::vector<std::uint8_t> read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

void write_all(const fs::path& p, const std::vector<std::uint8_t>& bytes) {
  std::ofstream f(p, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

fs::path emit_and_build(const Graph& g, const NetworkSchedule& s, const sim::Analytical& model,
                        const std::string& tag, const std::string& make_args) {
  // The process id keeps test processes run in parallel apart.
  const fs::path dir =
      fs::temp_directory_path() / ("tessel_emit_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  codegen::emit_host(g, s, model, dir);
  const auto make = "make -s -C '" + dir.string() + "' " + make_args + " > '" +
                    (dir / "make.log").string() + "' 2>&1";
  const int status = std::system(make.c_str());
  const auto log = read_all(dir / "make.log");
  INFO(make << "\n" << std::string(log.begin(), log.end()));
  REQUIRE(status == 0);
  return dir;
}

std::vector<std::uint8_t> run_network(const fs::path& dir, const std::vector<std::uint8_t>& input,
                                      std::string* log) {
  write_all(dir / "input.bin", input);
  const auto run = "'" + (dir / "network").string() + "' < '" + (dir / "input.bin").string() +
                   "' > '" + (dir / "output.bin").string() + "' 2> '" +
                   (dir / "stderr.log").string() + "'";
  INFO(run);
  REQUIRE(std::system(run.c_str()) == 0);
  if (log) {
    const auto err = read_all(dir / "stderr.log");
    log->assign(err.begin(), err.end());
  }
  return read_all(dir / "output.bin");
}

}  // namespace tessel::testing
