#include <catch2/catch.hpp>

#include <algorithm>
#include <limits>

#include <tbb/global_control.h>

#include "../sim/test_soc.hpp"
#include "core/builder.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/layer_search.hpp"
#include "mappers/network_mapper.hpp"

using namespace tessel;
using namespace tessel::mappers;

namespace {

Layer conv_layer(std::int64_t k, std::int64_t c, std::int64_t h, std::int64_t w, int kernel,
                 int stride = 1, std::int64_t groups = 1) {
  GraphBuilder b("t");
  auto x = b.input("x", {1, c, h, w});
  ConvParams p;
  p.out_channels = k;
  p.kernel_y = p.kernel_x = kernel;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = kernel / 2;
  p.stride_y = p.stride_x = stride;
  p.groups = groups;
  b.conv("l", x, p);
  return b.graph().layer(0);
}

// The plain brute force: every tile size the space allows for each dim,
// every permutation of the tiled dims, every buffering, every unrolling,
// each evaluated from scratch; the minimum score, ties to canonical_less.
struct Brute {
  double score = std::numeric_limits<double>::infinity();
  Mapping best;
  std::uint64_t legal = 0;
};
Brute brute_force(const sim::Analytical& model, const sim::LayerContext& ctx,
                  const MapSpaceOptions& opts, Objective obj) {
  const LayerMapSpace space(ctx, opts);
  const Layer& l = *ctx.layer;
  Brute out;
  std::array<std::size_t, kNumDims> at{};
  for (;;) {
    Mapping m;
    m.unit = ctx.unit;
    for (std::size_t d = 0; d < kNumDims; ++d)
      m.inner().tile[d] = space.sizes(static_cast<Dim>(d))[at[d]];
    std::vector<Dim> tiled;
    for (Dim d : kAllDims) {
      if (m.inner().tile[idx(d)] < l.dim(d)) tiled.push_back(d);
    }
    do {
      std::size_t k = 0;
      for (Dim d : tiled)
        m.inner().order[k++] = d;
      for (Dim d : kAllDims) {
        if (m.inner().tile[idx(d)] >= l.dim(d)) m.inner().order[k++] = d;
      }
      for (const auto& b : space.bufferings()) {
        m.inner().double_buffer = b;
        for (int u = 0; u < space.unrollings(); ++u) {
          m.unrolling = u;
          const Cost c = model.evaluate(ctx, m);
          if (!c.legal) continue;
          ++out.legal;
          const double s = score(obj, c);
          if (s < out.score || (s == out.score && canonical_less(l, m, out.best))) {
            out.score = s;
            out.best = m;
          }
        }
      }
    } while (std::next_permutation(tiled.begin(), tiled.end()));
    std::size_t d = 0;
    while (d < kNumDims && ++at[d] == space.sizes(static_cast<Dim>(d)).size())
      at[d++] = 0;
    if (d == kNumDims) break;
  }
  return out;
}

void check_against_brute_force(const sim::Analytical& model, const Layer& layer, int unit,
                               MapSpaceOptions opts, Objective obj) {
  const auto ctx = model.prepare(layer, unit);
  REQUIRE(ctx.supported);
  SearchOptions so;
  so.objective = obj;
  so.strategy = "exhaustive";
  so.space = opts;
  const auto res = search_layer(model, ctx, so);
  const auto brute = brute_force(model, ctx, opts, obj);
  REQUIRE(brute.legal > 0);
  REQUIRE(res.found);
  CHECK(res.proven);
  CHECK(res.score == Approx(brute.score).epsilon(1e-12));
  CHECK(res.best == brute.best);
}

}  // namespace

TEST_CASE("tile sizes: one per tile count includes every divisor", "[mapspace]") {
  CHECK(tile_sizes(10) == std::vector<std::int64_t>{10, 5, 4, 3, 2, 1});
  CHECK(tile_sizes(10, SizeRule::divisors) == std::vector<std::int64_t>{10, 5, 2, 1});
  CHECK(tile_sizes(5, SizeRule::all) == std::vector<std::int64_t>{5, 4, 3, 2, 1});
  for (std::int64_t d = 1; d <= 64; ++d) {
    const auto per = tile_sizes(d);
    for (auto t : tile_sizes(d, SizeRule::divisors))
      CHECK(std::find(per.begin(), per.end(), t) != per.end());
  }
}

TEST_CASE("exhaustive search equals a plain brute force on small layers", "[search]") {
  const sim::Analytical counting(make_test_soc({4, 600, 0}));
  SECTION("conv on the counting unit, every objective, all sizes") {
    const auto l = conv_layer(6, 4, 5, 4, 3);
    MapSpaceOptions all;
    all.all_sizes = true;
    for (auto obj : {Objective::latency, Objective::energy, Objective::edp})
      check_against_brute_force(counting, l, 0, all, obj);
  }
  SECTION("pointwise, depthwise and strided conv on the GAP9 cluster") {
    const sim::Analytical gap9(hw::load_soc("gap9"));
    const int cluster = *gap9.soc().find_unit("cluster");
    check_against_brute_force(gap9, conv_layer(12, 8, 6, 5, 1), cluster, {}, Objective::latency);
    check_against_brute_force(gap9, conv_layer(8, 8, 7, 6, 3, 1, 8), cluster, {},
                              Objective::energy);
    check_against_brute_force(gap9, conv_layer(10, 6, 9, 7, 3, 2), cluster, {}, Objective::edp);
  }
}

TEST_CASE("random and annealing searches are deterministic and never beat the optimum",
          "[search]") {
  const sim::Analytical gap9(hw::load_soc("gap9"));
  const int cluster = *gap9.soc().find_unit("cluster");
  const auto l = conv_layer(16, 16, 16, 16, 3);
  const auto ctx = gap9.prepare(l, cluster);
  SearchOptions so;
  so.strategy = "exhaustive";
  const auto exact = search_layer(gap9, ctx, so);
  REQUIRE(exact.proven);
  for (const char* s : {"random", "annealing"}) {
    so.strategy = s;
    so.budget = 3000;
    const auto a = search_layer(gap9, ctx, so);
    const auto b = search_layer(gap9, ctx, so);
    REQUIRE(a.found);
    CHECK_FALSE(a.proven);
    CHECK(a.best == b.best);
    CHECK(a.evaluated == 3000);
    CHECK(a.score >= exact.score);
  }
}

TEST_CASE("an exact Pareto front contains the optimum and only non-dominated points", "[search]") {
  const sim::Analytical gap9(hw::load_soc("gap9"));
  const int cluster = *gap9.soc().find_unit("cluster");
  const auto l = conv_layer(16, 8, 8, 8, 3);
  const auto ctx = gap9.prepare(l, cluster);
  SearchOptions so;
  so.exact_pareto = true;
  const auto res = search_layer(gap9, ctx, so);
  REQUIRE(res.pareto.size() > 1);
  CHECK(res.pareto.front().cost.cycles == res.cost.cycles);
  for (const auto& a : res.pareto) {
    for (const auto& b : res.pareto) {
      if (&a == &b) continue;
      const bool dominated = b.cost.cycles <= a.cost.cycles && b.cost.energy <= a.cost.energy &&
                             b.unit_bytes <= a.unit_bytes;
      CHECK_FALSE(dominated);
    }
  }
}

TEST_CASE("the best mapping does not depend on the thread count", "[search][threads]") {
  const auto soc = hw::load_soc("gap9");
  const sim::Analytical model(soc);
  for (const auto& name : {"resnet8", "dscnn", "mobilenetv1", "autoencoder"}) {
    const auto g = zoo_model(name);
    std::vector<NetworkResult> runs;
    for (int threads : {1, 2}) {
      tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                static_cast<std::size_t>(threads));
      runs.push_back(map_network(g, model, {}));
    }
    REQUIRE(runs[0].searches.size() == runs[1].searches.size());
    for (std::size_t i = 0; i < runs[0].searches.size(); ++i) {
      for (std::size_t k = 0; k < runs[0].searches[i].size(); ++k) {
        const auto& a = *runs[0].searches[i][k].result;
        const auto& b = *runs[1].searches[i][k].result;
        INFO(name << " layer " << g.layer(i).name << " unit " << runs[0].searches[i][k].unit);
        CHECK(a.best == b.best);
        CHECK(a.cost.cycles == b.cost.cycles);
        CHECK(a.cost.energy == b.cost.energy);
        CHECK(a.proven);
      }
    }
    CHECK(runs[0].schedule.cycles == runs[1].schedule.cycles);
  }
}

TEST_CASE("tessel's mapper is never worse than dory or divisor on any MLPerf Tiny layer",
          "[search][baselines][slow]") {
  for (const char* soc_name : {"gap9", "diana"}) {
    const auto soc = hw::load_soc(soc_name);
    const sim::Analytical model(soc);
    for (const auto& g : load_models("mlperf-tiny")) {
      NetworkOptions t, dory, divisor;
      dory.mapper = MapperKind::dory;
      divisor.mapper = MapperKind::divisor;
      const auto rt = map_network(g, model, t);
      const auto rd = map_network(g, model, dory);
      const auto rv = map_network(g, model, divisor);
      for (std::size_t i = 0; i < rt.searches.size(); ++i) {
        for (const auto& us : rt.searches[i]) {
          INFO(soc_name << " " << g.name() << " " << g.layer(i).name << " unit " << us.unit);
          for (const auto* other : {&rd, &rv}) {
            for (const auto& o : other->searches[i]) {
              if (o.unit == us.unit) CHECK(us.result->score <= o.result->score * (1 + 1e-12));
            }
          }
        }
      }
      CHECK(rt.schedule.cycles <= rd.schedule.cycles * (1 + 1e-12));
      CHECK(rt.schedule.cycles <= rv.schedule.cycles * (1 + 1e-12));
    }
  }
}
