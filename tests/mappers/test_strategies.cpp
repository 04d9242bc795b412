// Search strategies register themselves: a strategy is one file in
// mappers/search/ (hillclimb.cpp is the smallest), found by the registry and
// run by search_layer like every other.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "core/errors.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/layer_search.hpp"
#include "mappers/search/exhaustive.hpp"
#include "mappers/search/registry.hpp"

using namespace tessel;
using namespace tessel::mappers;

TEST_CASE("the registry lists every strategy file, sorted", "[search][registry]") {
  std::vector<std::string> names;
  for (const auto& s : strategies().all()) {
    names.push_back(s.name);
    CHECK_FALSE(s.help.empty());
    CHECK(static_cast<bool>(s.make));
  }
  CHECK(names == std::vector<std::string>{"annealing", "exhaustive", "hillclimb", "random"});
  CHECK(strategies().find("exhaustive")->exhaustive);
  CHECK_FALSE(strategies().find("hillclimb")->exhaustive);
  CHECK(strategy_names() == "auto, annealing, exhaustive, hillclimb, random");
  CHECK_NOTHROW(check_strategy("auto"));
  CHECK_THROWS_WITH(check_strategy("heuristic"),
                    "unknown search strategy 'heuristic' (auto, annealing, exhaustive, "
                    "hillclimb, random)");
}

TEST_CASE("a strategy registered from its own file runs like the others", "[search][registry]") {
  const sim::Analytical gap9(hw::load_soc("gap9"));
  const auto g = zoo_model("resnet8");
  const auto ctx =
      gap9.prepare(g.layer(*g.find_layer("block1.conv1")), *gap9.soc().find_unit("cluster"));
  SearchOptions so;
  so.strategy = "exhaustive";
  const auto exact = search_layer(gap9, ctx, so);
  REQUIRE(exact.proven);
  so.strategy = "hillclimb";
  so.budget = 2000;
  const auto a = search_layer(gap9, ctx, so);
  const auto b = search_layer(gap9, ctx, so);
  REQUIRE(a.found);
  CHECK(a.strategy == "hillclimb");
  CHECK_FALSE(a.proven);
  CHECK(a.evaluated == 2000);
  CHECK(a.best == b.best);  // seeded
  CHECK(a.score >= exact.score);
  // A sanity bound: within half again of random sampling's best for the same budget.
  so.strategy = "random";
  const auto r = search_layer(gap9, ctx, so);
  CHECK(a.score <= r.score * 1.5);
  so.strategy = "nope";
  CHECK_THROWS_AS(search_layer(gap9, ctx, so), ConfigError);
}

TEST_CASE("a strategy's name appears only in its own source file", "[search][registry]") {
  namespace fs = std::filesystem;
  const fs::path root = TESSEL_SOURCE_DIR;
  std::vector<std::string> naming;
  for (const char* dir : {"core", "hwmodels", "sim", "mappers", "store", "driver", "cli",
                          "bindings/src", "bindings/tessel"}) {
    for (const auto& e : fs::recursive_directory_iterator(root / dir)) {
      const auto ext = e.path().extension();
      if (ext != ".cpp" && ext != ".hpp" && ext != ".py" && ext != ".txt" && ext != ".in") continue;
      std::ifstream in(e.path());
      std::stringstream text;
      text << in.rdbuf();
      if (text.str().find("hillclimb") != std::string::npos)
        naming.push_back(fs::relative(e.path(), root).string());
    }
  }
  CHECK(naming == std::vector<std::string>{"mappers/search/hillclimb.cpp"});
}

namespace {
// Skips every tile whose K extent is odd: a stand-in for capacity and bounds.
struct OddKOracle : TileOracle {
  bool skip(const DimArray& tile, int) override { return tile[idx(Dim::K)] % 2 == 1; }
};
}  // namespace

TEST_CASE("the exhaustive walk proposes or counts as skipped every candidate once",
          "[search][mapspace]") {
  const sim::Analytical gap9(hw::load_soc("gap9"));
  const auto g = zoo_model("resnet8");
  const auto ctx =
      gap9.prepare(g.layer(*g.find_layer("block1.conv1")), *gap9.soc().find_unit("cluster"));
  const LayerMapSpace space(ctx);
  OddKOracle oracle;
  ExhaustiveSearch walk(space, oracle, 0, space.tile_combos());
  std::uint64_t proposed = 0;
  std::set<std::pair<DimArray, std::array<Dim, kNumDims>>> seen;
  Mapping m;
  while (walk.ask(m)) {
    ++proposed;
    CHECK(m.inner().tile[idx(Dim::K)] % 2 == 0);
    if (m.unrolling == 0 && m.inner().double_buffer == space.bufferings()[0])
      CHECK(seen.insert({m.inner().tile, m.inner().order}).second);
  }
  CHECK(proposed > 0);
  CHECK(walk.pruned() > 0);
  CHECK(static_cast<double>(proposed + walk.pruned()) == space.size());
  // order_count agrees with the orders listed, tile by tile.
  std::vector<std::array<Dim, kNumDims>> orders;
  for (std::uint64_t t = 0; t < space.tile_combos(); t += 7) {
    space.orders(space.tile_at(t), orders);
    CHECK(orders.size() == space.order_count(space.tile_at(t)));
  }
}
