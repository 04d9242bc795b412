#include <catch2/catch.hpp>

#include <limits>

#include "core/builder.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/mapspace.hpp"
#include "mappers/staged_search.hpp"
#include "sim/nests.hpp"

using namespace tessel;

namespace {

const char* const kSoc = TESSEL_SOURCE_DIR "/tests/data/soc/staged.yaml";

// The least cycles over every staged mapping of the space the search covers,
// by plain enumeration: every outer tile of K (one size per tile count),
// outer buffering of W, and every candidate of the inner mapspace of the
// full outer tile, each costed by the nested model.
double brute_force(const sim::Analytical& model, const Layer& l, int unit) {
  const auto& soc = model.soc();
  const auto route = sim::home_route(soc, unit, Mapping{}.home);
  const auto top = sim::make_context(soc, l, unit, route);
  const auto st = sim::staging(soc, route, true);
  REQUIRE(st.depth == 2);
  double best = std::numeric_limits<double>::infinity();
  for (auto k : mappers::tile_sizes(l.dim(Dim::K))) {
    DimArray outer = l.dims;
    outer[idx(Dim::K)] = k;
    const Layer part = sim::sub_layer(l, outer);
    const auto ictx = sim::make_context(soc, part, unit, sim::inner_route(route, st));
    const mappers::LayerMapSpace space(ictx);
    std::vector<std::array<Dim, kNumDims>> orders;
    for (std::uint64_t t = 0; t < space.tile_combos(); ++t) {
      const auto tile = space.tile_at(t);
      orders.clear();
      space.orders(tile, orders);
      for (const auto& order : orders) {
        for (const auto& db : space.bufferings()) {
          for (int u = 0; u < space.unrollings(); ++u) {
            for (bool outer_db : {false, true}) {
              Mapping m;
              m.unit = unit;
              m.unrolling = u;
              m.depth = 2;
              m.nest(0).tile = outer;
              m.nest(0).order = {Dim::K,  Dim::N,  Dim::G,  Dim::C,
                                 Dim::OY, Dim::OX, Dim::FY, Dim::FX};
              m.nest(0).level = st.level[0];
              m.nest(0).double_buffer = {false, outer_db, false};
              m.nest(1).tile = tile;
              m.nest(1).order = order;
              m.nest(1).double_buffer = db;
              m.nest(1).level = st.level[1];
              const auto c = model.evaluate(top, m);
              if (c.legal) best = std::min(best, c.cycles);
            }
          }
        }
      }
    }
  }
  return best;
}

}  // namespace

TEST_CASE("the staged search equals a brute-force enumeration on small layers", "[staged][slow]") {
  const sim::Analytical model(hw::load_soc_file(kSoc));
  GraphBuilder b("t");
  auto x = b.input("x", {1, 8, 6, 6});
  ConvParams p;
  p.out_channels = 24;
  p.kernel_y = p.kernel_x = 3;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  auto y = b.conv("c3", x, p);
  ConvParams q;
  q.out_channels = 20;
  const auto g = b.finish({b.conv("c1", y, q)});
  for (const auto& l : g.layers()) {
    INFO(l.name);
    const auto r = mappers::search_staged(model, l, 0, Mapping{}.home, {});
    REQUIRE(r.found);
    CHECK(r.best.depth == 2);
    CHECK(r.best.nest(0).level[idx(Operand::W)] == 1);  // W staged in L2
    CHECK(r.proven);
    CHECK(r.cost.cycles == Approx(brute_force(model, l, 0)).epsilon(1e-12));
    // The nested model costs the result as the search reported it.
    CHECK(model.evaluate(l, r.best).cycles == r.cost.cycles);
  }
}

TEST_CASE("a staged mapping's weights pass through every level on the way", "[staged]") {
  const auto soc = hw::load_soc_file(kSoc);
  const auto route = sim::home_route(*soc, 0, Mapping{}.home);
  const auto st = sim::staging(*soc, route, true);
  REQUIRE_FALSE(st.why);
  CHECK(st.depth == 2);
  // Nest 0 moves W from L3 to L2 and leaves I and O in L2; nest 1 moves all to L1.
  CHECK(st.level[0][idx(Operand::W)] == 1);
  CHECK(st.level[0][idx(Operand::I)] == LoopNest::kNoMove);
  CHECK(st.level[0][idx(Operand::O)] == LoopNest::kNoMove);
  CHECK(st.level[1][idx(Operand::W)] == LoopNest::kNoMove);
  CHECK(soc->weights_spill == -1);  // L3 is the weights' home itself
}
