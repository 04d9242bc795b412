#pragma once

#include "hwmodels/unit_model.hpp"

// One function per compute-unit kind, each defined in its own file of
// hwmodels/units/ and listed once in hwmodels/units/registry.cpp. (An explicit
// list: static self-registration is dropped by the linker from static
// libraries.)
namespace tessel::hw::units {

UnitKind cpu_kind();          // cpu.cpp: scalar or SIMD core
UnitKind cluster_kind();      // cluster.cpp: N cores with SIMD dot products
UnitKind conv_engine_kind();  // conv_engine.cpp: NE16-like convolution engine
UnitKind pe_array_kind();     // pe_array.cpp: digital R x C PE array
UnitKind aimc_kind();         // aimc.cpp: analog in-memory-compute array

}  // namespace tessel::hw::units
