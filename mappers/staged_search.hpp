#pragma once

#include <array>
#include <cstdint>

#include "mappers/layer_search.hpp"

namespace tessel::mappers {

// Searches the mappings of one (layer, unit) pair whose operands live at
// `home` (Mapping::home; kSocHome: the SoC's home): one loop nest when every
// operand reaches the unit by one DMA link (search_layer over the route),
// two when one needs a chain (L3 -> L2 -> L1 on GAP9; docs/memory.md,
// "Multi-level tiling"). Two nests: every outer tile (tile sizes of the
// dimensions the outer-moved operands index, never C), loop order and
// buffering of the outer nest; for each distinct outer tile shape the inner
// nest is searched by search_layer on that part of the layer (its transfer
// layout cut as the outer nest cuts it), and every shape's best inner
// mapping is costed under every outer choice by the nested model. Branch and
// bound: the outer cost with each shape's least inner cost
// (Analytical::outer_bound) bounds every inner choice, so the result is
// proven when no outer choice's bound beats it (latency objective; for
// energy and EDP the result is not claimed optimal).
LayerResult search_staged(const sim::Analytical& model, const Layer& layer, int unit,
                          const std::array<std::int8_t, kNumOperands>& home,
                          const SearchOptions& options);

}  // namespace tessel::mappers
