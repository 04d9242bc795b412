#pragma once

#include "mappers/layer_search.hpp"

namespace tessel::mappers {

// The DORY-style tiling of one layer on one unit (MapperKind::dory): the
// largest L1 tiles with all input channels resident, tile heights a
// multiple of the unit's core count, output channels (or the groups of a
// channel-wise op) outermost, everything double-buffered.
LayerResult dory_tiling(const sim::Analytical& model, const sim::LayerContext& ctx,
                        Objective objective);

}  // namespace tessel::mappers
