#pragma once

#include <string>

#include "core/mapping.hpp"
#include "core/schedule.hpp"

namespace tessel {

// The loop nests of a mapping as JSON text, outermost first: per nest the
// tile extents (all eight dims), the full loop order, the double-buffered
// operands and the memory level index of each operand's buffer (-1: not
// moved by the nest / the unit's level at the innermost). Read back exactly
// by nests_from_json.
std::string nests_to_json(const Mapping& m);
// Sets m.depth and m.nests from nests_to_json text; throws ConfigError on
// text that is not such a list.
void nests_from_json(const std::string& text, Mapping& m);

// A part's slice as JSON text: null for a whole layer, else {"dim", "begin",
// "end"}. Read back by slice_from_json (ConfigError on other text).
std::string slice_to_json(const LayerSlice& slice);
LayerSlice slice_from_json(const std::string& text);

}  // namespace tessel
