// Mappings of more than one loop nest (L3 -> L2 -> L1): the analytical model
// against a plain step-by-step reference written from docs/cost-model.md
// ("Several loop nests", "Overlap: the step timeline"), against the event
// simulator, and against the one-level model where both describe the same
// execution.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <vector>

#include "core/builder.hpp"
#include "core/zoo.hpp"
#include "hwmodels/soc_loader.hpp"
#include "sim/analytical.hpp"
#include "sim/event_sim.hpp"

using namespace tessel;

namespace {

constexpr std::size_t kI = 0, kW = 1, kO = 2;

// Weights and activations live in L3 (external memory, behind a slow 1-D
// uDMA); the unit reads L1; L2 sits between them.
//   udma: L3 <-> L2, 2 B/cycle, setup 40, 1-D, 0.5 pJ/B
//   dma:  L2 <-> L1, 8 B/cycle, setup 10, 2 per extra row, 2-D, 0.125 pJ/B
constexpr const char* kStagedSoc = R"(
name: staged
clock: 100 MHz
memories:
  - name: L3
    size: 8 MiB
    read_bandwidth: 4 B/cycle
    write_bandwidth: 4 B/cycle
    read_energy: 20 pJ/B
    write_energy: 25 pJ/B
    leakage: 0.5 mW
    ports: 2
  - name: L2
    size: 2 KiB
    read_bandwidth: 16 B/cycle
    write_bandwidth: 16 B/cycle
    read_energy: 2 pJ/B
    write_energy: 3 pJ/B
    ports: 2
  - name: L1
    size: 1 KiB
    read_bandwidth: 16 B/cycle
    write_bandwidth: 16 B/cycle
    read_energy: 0.5 pJ/B
    write_energy: 0.25 pJ/B
    ports: 2
home:
  weights: L3
  activations: L3
dmas:
  - name: udma
    links: [[L3, L2], [L2, L3]]
    bandwidth: 2 B/cycle
    setup: 40 cycles
    row_cost: 0 cycles
    dims: 1
    energy: 0.5 pJ/B
  - name: dma
    links: [[L2, L1], [L1, L2]]
    bandwidth: 8 B/cycle
    setup: 10 cycles
    row_cost: 2 cycles
    dims: 2
    energy: 0.125 pJ/B
units:
  - name: cpu
    kind: cpu
    ops: [conv, depthwise, pointwise, dense, max_pool, avg_pool, add]
    reads: L1
    energy_per_mac: 1 pJ
    idle_power: 0.1 mW
    launch: 100 cycles
    tile_overhead: 10 cycles
    params:
      mac_cycles: 1
      output_cycles: 2
)";

std::shared_ptr<const hw::Soc> staged_soc() {
  static const auto soc = hw::load_soc_text(kStagedSoc, "staged.yaml");
  return soc;
}

// 3x3 conv, padding 1, 8-bit: C=4, K=8, OY=OX=8 (I 256 B, W 288 B, O 512 B).
Layer conv3x3() {
  GraphBuilder b("t");
  auto x = b.input("x", {1, 4, 8, 8});
  ConvParams p;
  p.out_channels = 8;
  p.kernel_y = p.kernel_x = 3;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  b.conv("conv", x, p);
  return b.graph().layer(0);
}

// --- The reference --------------------------------------------------------------
// Every step of every nest enumerated, every transfer sized from its tile.
// Tiles divide their nest's extents (no remainders), so the model's averages
// over events are exact and the two must agree to rounding.

struct Ref {
  const hw::Soc& soc;
  const Layer& l;
  const Mapping& m;
  std::array<std::vector<int>, kNumOperands> level;  // per operand, home then one level per nest
  double compute = 0, energy = 0;
};

const hw::DmaEngine* engine(const Ref& r, int from, int to) {
  return r.soc.dma_for(from, to);
}

// DMA cycles of moving a tile of operand o with extents e from `from` to
// `to`; `cut[d]`: the tile is smaller than its source along d.
double move(Ref& r, std::size_t o, const DimArray& e, const std::array<bool, kNumDims>& cut,
            int from, int to) {
  const Layer& l = r.l;
  auto x = [&](Dim d) { return static_cast<double>(e[idx(d)]); };
  auto is_cut = [&](Dim d) { return cut[idx(d)]; };
  const auto* eng = engine(r, from, to);
  REQUIRE(eng != nullptr);
  double elems = 0, runs = 0, cmds = 0;
  if (o == kW) {
    elems = x(Dim::K) * x(Dim::C) * x(Dim::FY) * x(Dim::FX);
    runs = is_cut(Dim::C) ? x(Dim::K) * x(Dim::FY) * x(Dim::FX) : 1;  // [K][FY][FX][C]
    cmds = eng->dims >= 2 ? 1 : runs;
  } else {
    const Dim chan = o == kI ? Dim::C : Dim::K;
    const double rows =
        o == kI ? std::min<double>(static_cast<double>(l.in_y), (x(Dim::OY) - 1) * l.stride_y + 3)
                : x(Dim::OY);
    const double cols =
        o == kI ? std::min<double>(static_cast<double>(l.in_x), (x(Dim::OX) - 1) * l.stride_x + 3)
                : x(Dim::OX);
    elems = rows * cols * x(chan);
    if (!is_cut(chan) && !is_cut(Dim::OX)) {
      runs = 1, cmds = 1;
    } else if (!is_cut(chan)) {
      runs = rows, cmds = eng->dims >= 2 ? 1 : rows;
    } else {
      runs = rows * cols, cmds = eng->dims >= 3 ? 1 : eng->dims == 2 ? rows : runs;
    }
  }
  const double bytes = elems *
                       (o == kW   ? l.bits.weight
                        : o == kI ? l.bits.input
                                  : l.bits.output) /
                       8.0;
  const auto& src = r.soc.levels[static_cast<std::size_t>(from)];
  const auto& dst = r.soc.levels[static_cast<std::size_t>(to)];
  const double bw = std::min({eng->bandwidth, src.read_bandwidth, dst.write_bandwidth});
  r.energy += bytes * (src.read_energy + dst.write_energy + eng->energy);
  return cmds * eng->setup_cycles + bytes / bw + std::max(runs - cmds, 0.0) * eng->row_cycles;
}

// Energy of the unit's own accesses for one tile at L1 (level 2): it reads
// its input and weight tiles and writes its output tile.
double unit_access_energy(const Ref& r, const DimArray& t) {
  auto x = [&](Dim d) { return static_cast<double>(t[idx(d)]); };
  const auto& l1 = r.soc.levels[2];
  const double in =
      std::min<double>(8, x(Dim::OY) + 2) * std::min<double>(8, x(Dim::OX) + 2) * x(Dim::C);
  const double w = x(Dim::K) * x(Dim::C) * 9;
  const double out = x(Dim::K) * x(Dim::OY) * x(Dim::OX);
  return (in + w) * l1.read_energy + out * l1.write_energy;
}

// Cycles of nest j over a tile of extents `ext`, the launch excluded.
// `cut[o]`: the dims along which operand o's source is already cut.
double ref_nest(Ref& r, int j, const DimArray& ext, std::array<std::array<bool, kNumDims>, 3> cut) {
  const auto& nest = r.m.nest(j);
  const bool innermost = j + 1 == r.m.depth;
  DimArray n{};
  std::vector<std::size_t> loops;  // tiled dims, outermost first
  for (std::size_t d = 0; d < kNumDims; ++d) {
    const auto t = std::min(nest.tile[d], ext[d]);
    REQUIRE(ext[d] % t == 0);
    n[d] = ext[d] / t;
  }
  for (Dim d : nest.order) {
    if (n[idx(d)] > 1) loops.push_back(idx(d));
  }
  DimArray tile{};
  for (std::size_t d = 0; d < kNumDims; ++d)
    tile[d] = ext[d] / n[d];
  std::array<bool, 3> moved{};
  std::array<int, 3> from{}, to{};
  auto next_cut = cut;
  for (std::size_t o = 0; o < kNumOperands; ++o) {
    from[o] = r.level[o][static_cast<std::size_t>(j)];
    to[o] = r.level[o][static_cast<std::size_t>(j) + 1];
    moved[o] = (o != kW || has_weights(r.l.op)) && from[o] != to[o];
    for (std::size_t d = 0; d < kNumDims; ++d)
      cut[o][d] = cut[o][d] || n[d] > 1;
    next_cut[o] = moved[o] ? std::array<bool, kNumDims>{} : cut[o];
  }
  // Steps in loop order, and which operands change at each.
  std::uint64_t steps = 1;
  for (auto d : loops)
    steps *= static_cast<std::uint64_t>(n[d]);
  std::vector<std::array<bool, 3>> changes(steps);
  std::vector<std::int64_t> at(loops.size(), 0), prev;
  for (std::uint64_t s = 0; s < steps; ++s) {
    if (s > 0) {
      prev = at;
      for (std::size_t i = loops.size(); i-- > 0;) {
        if (++at[i] < n[loops[i]]) break;
        at[i] = 0;
      }
    }
    for (std::size_t o = 0; o < kNumOperands; ++o) {
      bool c = s == 0;
      for (std::size_t i = 0; i < loops.size() && s > 0; ++i)
        c = c ||
            (at[i] != prev[i] && relevant(static_cast<Operand>(o), static_cast<Dim>(loops[i])));
      changes[s][o] = c;
    }
  }
  // The event costs (every tile of a nest has the same extents).
  std::array<double, 3> fetch{};
  double writeback = 0;
  double total = 0;
  std::array<double, 3> first{};
  for (std::size_t o : {kI, kW}) {
    if (moved[o]) first[o] = move(r, o, tile, cut[o], from[o], to[o]);
    fetch[o] = first[o];
  }
  total += engine(r, from[kI], to[kI]) == engine(r, from[kW], to[kW])
               ? first[kI] + first[kW]
               : std::max(first[kI], first[kW]);
  for (std::uint64_t s = 0; s < steps; ++s) {
    double work = 0;
    if (innermost) {
      const double c = r.soc.model(r.m.unit).tile_cycles(r.l, tile, r.m.unrolling);
      r.compute += c;
      work = c + 10.0;  // the cpu's tile overhead
      r.energy += unit_access_energy(r, tile);
    } else {
      work = ref_nest(r, j + 1, tile, next_cut);
    }
    std::map<const hw::DmaEngine*, std::pair<double, double>> load;  // overlapped, serial
    auto add = [&](const hw::DmaEngine* e, double c, bool overlapped) {
      (overlapped ? load[e].first : load[e].second) += c;
    };
    if (s > 0 && changes[s][kO] && nest.double_buffer[kO] && moved[kO])
      add(engine(r, to[kO], from[kO]), writeback, true);
    if (s + 1 < steps) {
      for (std::size_t o : {kI, kW}) {
        if (!changes[s + 1][o] || !moved[o]) continue;
        fetch[o] = move(r, o, tile, cut[o], from[o], to[o]);
        add(engine(r, from[o], to[o]), fetch[o], nest.double_buffer[o]);
      }
    }
    if (moved[kO] && (s + 1 == steps || changes[s + 1][kO])) {
      writeback = move(r, kO, tile, cut[kO], to[kO], from[kO]);
      if (s + 1 < steps && !nest.double_buffer[kO])
        add(engine(r, to[kO], from[kO]), writeback, false);
    }
    double t = work;
    for (const auto& [e, ld] : load)
      t = std::max(t, std::max(work, ld.first) + ld.second);
    total += t;
  }
  return total + writeback;  // the last write-back
}

double reference_cycles(Ref& r) {
  std::array<std::array<bool, kNumDims>, 3> none{};
  return 100.0 + ref_nest(r, 0, r.l.dims, none);  // launch 100
}

}  // namespace

namespace {

// A two-level mapping of conv3x3: the outer nest stages tiles of K and OY
// rows from L3 into L2 (every operand), the inner one moves L2 -> L1.
Mapping staged(const std::string& outer_order, const std::string& inner_order, bool db_outer,
               bool db_inner, std::int64_t inner_k) {
  Mapping m;
  m.depth = 2;
  auto& outer = m.nest(0);
  outer.tile = {1, 1, 4, 4, 4, 8, 3, 3};
  outer.order = parse_order(outer_order);
  outer.double_buffer = {db_outer, db_outer, db_outer};
  outer.level = {1, 1, 1};  // L2
  auto& inner = m.nest(1);
  inner.tile = {1, 1, inner_k, 4, 2, 8, 3, 3};
  inner.order = parse_order(inner_order);
  inner.double_buffer = {db_inner, db_inner, db_inner};
  return m;
}

}  // namespace

TEST_CASE("two loop nests (L3 -> L2 -> L1) cost what a step-by-step reference counts",
          "[analytical][nested]") {
  const auto soc = staged_soc();
  const sim::Analytical model(soc);
  const auto l = conv3x3();
  const auto ctx = model.prepare(l, 0);
  // One level cannot run it: no engine moves L3 -> L1.
  REQUIRE(ctx.runs_layer);
  CHECK_FALSE(ctx.supported);
  int checked = 0;
  for (const char* outer_order : {"K,OY", "OY,K"}) {
    for (const char* inner_order : {"K,OY", "OY,K"}) {
      for (bool db_outer : {false, true}) {
        for (bool db_inner : {false, true}) {
          for (std::int64_t inner_k : {2, 4}) {
            const auto m = staged(outer_order, inner_order, db_outer, db_inner, inner_k);
            INFO(tile_string(l, m) << " / " << order_string(l, m) << " / " << buffering_string(m));
            const auto c = model.evaluate(ctx, m);
            REQUIRE(c.legal);
            Ref r{*soc, l, m, {}};
            for (auto& lv : r.level)
              lv = {0, 1, 2};
            const double cycles = reference_cycles(r);
            CHECK(c.cycles == Approx(cycles).epsilon(1e-12));
            CHECK(c.compute_cycles == Approx(r.compute).epsilon(1e-12));
            // Energy: the moves and the unit's accesses, MACs at 1 pJ, static
            // power 0.6 mW = 6 pJ per cycle at 100 MHz.
            const double energy = r.energy + static_cast<double>(l.macs()) * 1.0 + 6.0 * cycles;
            CHECK(c.energy == Approx(energy).epsilon(1e-12));
            CHECK(c.energy == Approx(c.compute_energy + c.static_energy + c.dma_energy +
                                     c.level_energy[0] + c.level_energy[1] + c.level_energy[2]));
            ++checked;
          }
        }
      }
    }
  }
  CHECK(checked == 32);
}

TEST_CASE("two loop nests hold every nest's buffers at their levels", "[analytical][nested]") {
  const sim::Analytical model(staged_soc());
  const auto l = conv3x3();
  const auto ctx = model.prepare(l, 0);
  const auto c = model.evaluate(ctx, staged("K,OY", "K,OY", true, false, 2));
  REQUIRE(c.legal);
  // L3: the whole tensors, I 256 + W 288 + O 512 = 1056 B.
  CHECK(c.bytes_held[0] == 1056);
  // L2, double-buffered outer tiles: I 6 rows x 8 x 4 = 192, W 4 x 4 x 9 = 144,
  // O 4 x 4 x 8 = 128, twice each.
  CHECK(c.bytes_held[1] == 2 * (192 + 144 + 128));
  // L1, single-buffered inner tiles: I 4 rows x 8 x 4 = 128, W 2 x 4 x 9 = 72, O 2 x 2 x 8 = 32.
  CHECK(c.bytes_held[2] == 128 + 72 + 32);
}

TEST_CASE("an outer nest of the whole layer that moves nothing is the one-level mapping",
          "[analytical][nested]") {
  for (const char* soc_name : {"gap9", "diana", "cortex-m7"}) {
    const auto soc = hw::load_soc(soc_name);
    const sim::Analytical model(soc);
    std::mt19937_64 rng(7);
    int compared = 0;
    for (const auto& g : load_models("mlperf-tiny")) {
      for (const auto& l : g.layers()) {
        for (int u = 0; u < static_cast<int>(soc->units.size()); ++u) {
          const auto ctx = model.prepare(l, u);
          if (!ctx.supported) continue;
          Mapping one;
          one.unit = u;
          for (std::size_t d = 0; d < kNumDims; ++d) {
            const bool window = d == idx(Dim::FY) || d == idx(Dim::FX);
            one.inner().tile[d] =
                window ? l.dims[d] : std::uniform_int_distribution<std::int64_t>(1, l.dims[d])(rng);
          }
          one.inner().double_buffer = {true, rng() % 2 == 0, true};
          const auto a = model.evaluate(ctx, one);
          if (!a.legal) continue;
          Mapping two = one;
          two.depth = 2;
          two.nest(1) = one.nest(0);
          two.nest(0) = LoopNest{};
          two.nest(0).tile = l.dims;
          const auto b = model.evaluate(ctx, two);
          INFO(soc_name << " " << l.name << " unit " << u << " " << tile_string(l, one));
          REQUIRE(b.legal);
          CHECK(b.cycles == Approx(a.cycles).epsilon(1e-12));
          CHECK(b.energy == Approx(a.energy).epsilon(1e-12));
          CHECK(b.bytes_held == a.bytes_held);
          CHECK(b.bytes_moved == a.bytes_moved);
          CHECK(b.transfers == a.transfers);
          ++compared;
        }
      }
    }
    CHECK(compared > 20);
  }
}

TEST_CASE("mappings of several nests that the model does not cost say why",
          "[analytical][nested]") {
  const sim::Analytical model(staged_soc());
  const auto l = conv3x3();
  const auto ctx = model.prepare(l, 0);
  auto m = staged("K,OY", "K,OY", false, false, 4);
  SECTION("an outer nest tiles C") {
    m.nest(0).tile[idx(Dim::C)] = 2;
    const auto c = model.evaluate(ctx, m);
    CHECK_FALSE(c.legal);
    CHECK(std::string(c.reason).find("must not tile C") != std::string::npos);
  }
  SECTION("the innermost nest does not end at the unit's level") {
    m.nest(1).level = {1, 1, 1};
    CHECK(std::string(model.evaluate(ctx, m).reason).find("innermost") != std::string::npos);
  }
  SECTION("the buffers overflow L2") {
    m.nest(0).tile[idx(Dim::OY)] = 8;
    m.nest(0).tile[idx(Dim::K)] = 8;
    m.nest(0).double_buffer = {true, true, true};
    CHECK(std::string(model.evaluate(ctx, m).reason).find("do not fit") != std::string::npos);
  }
  SECTION("partial sums would leave the innermost nest for an outer nest's 8-bit buffer") {
    m.nest(1).tile[idx(Dim::C)] = 2;
    m.nest(1).order = parse_order("C,OY");  // C outside an output loop: each tile visited twice
    const auto c = model.evaluate(ctx, m);
    CHECK_FALSE(c.legal);
    CHECK(std::string(c.reason).find("partial sums back into an outer nest") != std::string::npos);
    m.nest(1).order = parse_order("OY,C");  // C inside every output loop: the sums stay in L1
    CHECK(model.evaluate(ctx, m).legal);
  }
  SECTION("four nests") {
    m.depth = 4;
    CHECK(std::string(model.evaluate(ctx, m).reason).find("1 to 3") != std::string::npos);
  }
}

TEST_CASE("the event simulator replays two loop nests as the model costs them",
          "[eventsim][nested]") {
  const auto soc = staged_soc();
  const sim::Analytical model(soc);
  sim::EventSimOptions keep;
  keep.keep_jobs = true;
  const sim::EventSim es(soc, keep);
  const auto l = conv3x3();
  const auto ctx = model.prepare(l, 0);
  double worst = 0;
  for (const char* outer_order : {"K,OY", "OY,K"}) {
    for (bool db_outer : {false, true}) {
      for (bool db_inner : {false, true}) {
        for (std::int64_t inner_k : {2, 4}) {
          const auto m = staged(outer_order, "OY,K", db_outer, db_inner, inner_k);
          INFO(tile_string(l, m) << " / " << order_string(l, m) << " / " << buffering_string(m));
          const auto c = model.evaluate(ctx, m);
          const auto r = es.simulate(ctx, m);
          // Every transfer of both nests and every computation ran.
          std::int64_t computes = 0, transfers = 0;
          for (const auto& j : r.jobs) {
            computes += j.kind == sim::SimJob::Kind::compute;
            transfers +=
                j.kind == sim::SimJob::Kind::fetch || j.kind == sim::SimJob::Kind::writeback;
          }
          CHECK(computes == c.tiles);
          CHECK(transfers == c.transfers[0] + c.transfers[1] + c.transfers[2]);
          const double gap = std::abs(r.cycles - c.cycles) / c.cycles;
          worst = std::max(worst, gap);
          CHECK(gap < 0.01);
        }
      }
    }
  }
  CHECK(worst > 0);  // two independent computations, not one
}
