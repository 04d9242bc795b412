#include "mappers/mapspace.hpp"

#include <algorithm>
#include <tuple>

namespace tessel::mappers {

std::vector<std::int64_t> tile_sizes(std::int64_t extent, SizeRule rule) {
  std::vector<std::int64_t> out;
  if (rule != SizeRule::per_count) {
    for (std::int64_t t = extent; t >= 1; --t) {
      if (rule == SizeRule::all || extent % t == 0) out.push_back(t);
    }
    return out;
  }
  for (std::int64_t k = 1; k <= extent; ++k) {
    const auto t = (extent + k - 1) / k;
    if (out.empty() || out.back() != t) out.push_back(t);
  }
  return out;
}

LayerMapSpace::LayerMapSpace(const sim::LayerContext& ctx, MapSpaceOptions options)
    : ctx_(&ctx), options_(std::move(options)) {
  const Layer& l = *ctx.layer;
  for (Dim d : kAllDims) {
    auto& s = sizes_[idx(d)];
    if (d == Dim::FY || d == Dim::FX || options_.whole[idx(d)]) {
      s = {l.dim(d)};
    } else {
      s = tile_sizes(l.dim(d), options_.divisors_only ? SizeRule::divisors
                               : options_.all_sizes   ? SizeRule::all
                                                      : SizeRule::per_count);
    }
    combos_ *= s.size();
  }
  unrollings_ = (options_.first_unrolling_only || !ctx.model)
                    ? 1
                    : static_cast<int>(ctx.model->unrollings().size());
  if (options_.fixed_buffering) {
    auto b = *options_.fixed_buffering;
    for (std::size_t o = 0; o < kNumOperands; ++o)
      b[o] = b[o] && ctx.moved[o];
    bufferings_ = {b};
  } else {
    for (unsigned mask = 0; mask < (1u << kNumOperands); ++mask) {
      std::array<bool, kNumOperands> b{};
      bool valid = true;
      for (std::size_t o = 0; o < kNumOperands; ++o) {
        b[o] = (mask >> o) & 1u;
        if (b[o] && !ctx.moved[o]) valid = false;  // nothing to double-buffer
      }
      if (valid) bufferings_.push_back(b);
    }
  }
}

DimArray LayerMapSpace::tile_at(std::uint64_t index) const {
  DimArray t{};
  for (std::size_t d = kNumDims; d-- > 0;) {
    const auto& s = sizes_[d];
    t[d] = s[index % s.size()];
    index /= s.size();
  }
  return t;
}

std::size_t LayerMapSpace::order_count(const DimArray& tile) const {
  if (options_.fixed_order) return 1;
  const Layer& l = *ctx_->layer;
  std::size_t count = 1, tiled = 0;
  for (Dim d : kAllDims) {
    if (tile[idx(d)] < l.dim(d)) count *= ++tiled;  // tiled! permutations
  }
  return count;
}

void LayerMapSpace::orders(const DimArray& tile,
                           std::vector<std::array<Dim, kNumDims>>& out) const {
  out.clear();
  const Layer& l = *ctx_->layer;
  // The first order: the tiled dims, then the rest, each in the given (or
  // canonical) order; the other orders permute the tiled prefix.
  const auto& dims = options_.fixed_order ? *options_.fixed_order : kAllDims;
  std::size_t n_tiled = 0;
  for (Dim d : dims)
    n_tiled += tile[idx(d)] < l.dim(d) ? 1 : 0;
  std::array<Dim, kNumDims> o{};
  std::size_t t = 0, r = n_tiled;
  for (Dim d : dims)
    (tile[idx(d)] < l.dim(d) ? o[t++] : o[r++]) = d;
  out.push_back(o);
  if (options_.fixed_order) return;
  while (std::next_permutation(o.begin(), o.begin() + static_cast<std::ptrdiff_t>(n_tiled))) {
    out.push_back(o);
  }
}

double LayerMapSpace::size() const {
  // Count tile combinations by their number of tiled dims (polynomial product),
  // then weigh each by its number of orders.
  std::vector<double> by_tiled(kNumDims + 1, 0.0);
  by_tiled[0] = 1;
  const Layer& l = *ctx_->layer;
  for (Dim d : kAllDims) {
    const auto& s = sizes_[idx(d)];
    const double whole = static_cast<double>(std::count(s.begin(), s.end(), l.dim(d)));
    const double part = static_cast<double>(s.size()) - whole;
    std::vector<double> next(kNumDims + 1, 0.0);
    for (std::size_t k = 0; k <= kNumDims; ++k) {
      next[k] += by_tiled[k] * whole;
      if (k + 1 <= kNumDims) next[k + 1] += by_tiled[k] * part;
    }
    by_tiled = next;
  }
  double total = 0, fact = 1;
  for (std::size_t k = 0; k <= kNumDims; ++k) {
    if (k > 0 && !options_.fixed_order) fact *= static_cast<double>(k);
    total += by_tiled[k] * fact;
  }
  return total * static_cast<double>(bufferings_.size()) * unrollings_;
}

bool canonical_less(const Layer& layer, const Mapping& a, const Mapping& b) {
  if (a.inner().tile != b.inner().tile)
    return a.inner().tile > b.inner().tile;  // larger tiles first
  // Orders compare on their tiled dims only.
  auto tiled = [&](const Mapping& m) {
    std::array<int, kNumDims> o{};
    std::size_t n = 0;
    for (Dim d : m.inner().order) {
      if (m.inner().tile[idx(d)] < layer.dim(d)) o[n++] = static_cast<int>(idx(d));
    }
    return o;
  };
  const auto oa = tiled(a), ob = tiled(b);
  if (oa != ob) return oa < ob;
  if (a.inner().double_buffer != b.inner().double_buffer)
    return a.inner().double_buffer < b.inner().double_buffer;
  if (a.unrolling != b.unrolling) return a.unrolling < b.unrolling;
  return a.unit < b.unit;
}

}  // namespace tessel::mappers
