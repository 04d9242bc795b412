#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tessel {

// Physical quantity of a configuration value; decides which units the text
// may carry. Values are returned in base units:
//   count      plain integer                      e.g. "8"
//   real       plain real number                  e.g. "0.85"
//   bytes      B, KiB, MiB, GiB, kB, MB, GB       e.g. "128 KiB" -> 131072
//   frequency  Hz, kHz, MHz, GHz                  e.g. "370 MHz"  -> 3.7e8
//   bandwidth  B/cycle                            e.g. "8 B/cycle" -> 8
//   energy_per_byte  fJ/B, pJ/B, nJ/B           e.g. "0.5 pJ/B" -> 0.5 (pJ per byte)
//   energy     fJ, pJ, nJ, uJ                     e.g. "1.2 pJ"   -> 1.2 (pJ)
//   power      uW, mW, W                          e.g. "12 mW"    -> 12 (mW)
//   cycles     "N cycles" or a plain number        e.g. "20 cycles" -> 20
//   area       mm2, um2 (also mm^2, um^2)         e.g. "0.5 mm2"  -> 0.5 (mm2)
//   text       any string
enum class Quantity : std::uint8_t {
  count,
  real,
  bytes,
  frequency,
  bandwidth,
  energy_per_byte,
  energy,
  power,
  cycles,
  area,
  text,
};
std::string_view quantity_name(Quantity q);
// The base unit values are returned in ("B", "Hz", "B/cycle", "pJ/B", ...).
std::string_view quantity_base_unit(Quantity q);

// Parses a value with an optional unit. A plain number is accepted for every
// numeric quantity and taken in the base unit. Throws ConfigError (without a
// location; callers add file, line and key) on a malformed number, a unit that
// does not belong to the quantity, or a non-integer count / byte size.
double parse_quantity(std::string_view text, Quantity q);

// Formats a value of a quantity in a readable unit: 131072 bytes -> "128 KiB",
// 3.7e8 Hz -> "370 MHz". Integral values print without decimals.
std::string format_quantity(double value, Quantity q);

}  // namespace tessel
