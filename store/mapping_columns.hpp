#pragma once

#include <string>

#include <SQLiteCpp/SQLiteCpp.h>

#include "core/cost.hpp"
#include "core/mapping.hpp"
#include "hwmodels/soc.hpp"

// The columns of a mapping and its cost, shared by the candidates and
// schedule_layers tables (docs/database.md), and the helpers that write and
// read them. Internal to store/.
namespace tessel::store {

// Columns shared by candidates and schedule_layers: a mapping and its cost.
// tile_*, loop_order and double_buffer describe the innermost loop nest;
// `nests` holds every nest (core/mapping_json.hpp), `homes` the level index
// of each operand's whole tensor (JSON list I, W, O; -1: the SoC's home).
inline constexpr const char* kMappingColumns =
    "unit TEXT NOT NULL, tile_n INTEGER, tile_g INTEGER, tile_k INTEGER, tile_c INTEGER, "
    "tile_oy INTEGER, tile_ox INTEGER, tile_fy INTEGER, tile_fx INTEGER, "
    "loop_order TEXT, double_buffer TEXT, unrolling INTEGER, unrolling_name TEXT, "
    "cycles REAL, compute_cycles REAL, dma_cycles REAL, overhead_cycles REAL, "
    "stall_cycles REAL, dma_busy_cycles REAL, energy_pj REAL, compute_energy_pj REAL, "
    "static_energy_pj REAL, dma_energy_pj REAL, tiles INTEGER, unit_bytes INTEGER, "
    "level_bytes TEXT, level_energy_pj TEXT, transfers TEXT, bytes_moved TEXT, nests TEXT, "
    "homes TEXT";
inline constexpr int kMappingColumnCount = 31;

// The current time, UTC, ISO 8601.
std::string now_iso();
// "?,?,...,?" (n of them).
std::string placeholders(int n);
// Binds a mapping and its cost to the kMappingColumns starting at column `first`.
void bind_mapping(SQLite::Statement& st, int first, const hw::Soc& soc, const Mapping& m,
                  const Cost& c);
// Reads a mapping (its loop nests and unrolling) and its cost from the
// kMappingColumns starting at column `first` (the unit column; the unit is
// left to the caller, by name).
void read_mapping(SQLite::Statement& q, int first, Mapping& m, Cost& cost);

}  // namespace tessel::store
