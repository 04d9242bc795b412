#include "core/units.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cmath>
#include <span>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel {
namespace {

// One unit a quantity accepts: its spelling and its value in base units.
struct UnitDef {
  std::string_view symbol;
  double scale;
};

constexpr std::array<UnitDef, 9> kByteUnits = {{{"B", 1.0},
                                                {"byte", 1.0},
                                                {"bytes", 1.0},
                                                {"KiB", 1024.0},
                                                {"MiB", 1024.0 * 1024.0},
                                                {"GiB", 1024.0 * 1024.0 * 1024.0},
                                                {"kB", 1e3},
                                                {"MB", 1e6},
                                                {"GB", 1e9}}};
constexpr std::array<UnitDef, 4> kFrequencyUnits = {
    {{"Hz", 1.0}, {"kHz", 1e3}, {"MHz", 1e6}, {"GHz", 1e9}}};
constexpr std::array<UnitDef, 2> kBandwidthUnits = {{{"B/cycle", 1.0}, {"B/cycles", 1.0}}};
constexpr std::array<UnitDef, 3> kEnergyPerByteUnits = {
    {{"fJ/B", 1e-3}, {"pJ/B", 1.0}, {"nJ/B", 1e3}}};
constexpr std::array<UnitDef, 4> kEnergyUnits = {
    {{"fJ", 1e-3}, {"pJ", 1.0}, {"nJ", 1e3}, {"uJ", 1e6}}};
constexpr std::array<UnitDef, 3> kPowerUnits = {{{"uW", 1e-3}, {"mW", 1.0}, {"W", 1e3}}};
constexpr std::array<UnitDef, 2> kCycleUnits = {{{"cycles", 1.0}, {"cycle", 1.0}}};
constexpr std::array<UnitDef, 4> kAreaUnits = {
    {{"mm2", 1.0}, {"mm^2", 1.0}, {"um2", 1e-6}, {"um^2", 1e-6}}};

std::span<const UnitDef> units_of(Quantity q) {
  switch (q) {
    case Quantity::bytes:
      return kByteUnits;
    case Quantity::frequency:
      return kFrequencyUnits;
    case Quantity::bandwidth:
      return kBandwidthUnits;
    case Quantity::energy_per_byte:
      return kEnergyPerByteUnits;
    case Quantity::energy:
      return kEnergyUnits;
    case Quantity::power:
      return kPowerUnits;
    case Quantity::cycles:
      return kCycleUnits;
    case Quantity::area:
      return kAreaUnits;
    case Quantity::count:
    case Quantity::real:
    case Quantity::text:
      break;
  }
  return {};
}

// "a byte size such as '128 KiB'": what the error messages say was expected.
std::string_view expectation(Quantity q) {
  switch (q) {
    case Quantity::count:
      return "a whole number such as '8'";
    case Quantity::real:
      return "a number such as '0.85'";
    case Quantity::bytes:
      return "a byte size such as '128 KiB'";
    case Quantity::frequency:
      return "a frequency such as '370 MHz'";
    case Quantity::bandwidth:
      return "a bandwidth such as '8 B/cycle'";
    case Quantity::energy_per_byte:
      return "an energy per byte such as '0.5 pJ/B'";
    case Quantity::energy:
      return "an energy such as '1.2 pJ'";
    case Quantity::power:
      return "a power such as '12 mW'";
    case Quantity::cycles:
      return "a cycle count such as '20 cycles'";
    case Quantity::area:
      return "an area such as '0.5 mm2'";
    case Quantity::text:
      return "a text value";
  }
  return "a value";
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && is_space(s.back()))
    s.remove_suffix(1);
  return s;
}

// Accepted spellings of the units of q, for error messages: "B, KiB, MiB".
std::string unit_list(Quantity q) {
  std::string out;
  for (const auto& u : units_of(q)) {
    if (u.symbol == "byte" || u.symbol == "bytes" || u.symbol == "B/cycles" ||
        u.symbol == "cycle" || u.symbol.find('^') != std::string_view::npos)
      continue;  // accepted aliases, not advertised
    out += (out.empty() ? "" : ", ") + std::string(u.symbol);
  }
  return out;
}

[[noreturn]] void fail(std::string_view text, Quantity q, std::string_view why = {}) {
  std::string msg = fmt::format("expected {}, got '{}'", expectation(q), text);
  if (!why.empty()) msg += fmt::format(" ({})", why);
  throw ConfigError(msg);
}

// Trims trailing zeros of a number printed with enough precision to be read
// back as the same value in practice.
std::string number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15)
    return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.10g}", v);
}

}  // namespace

std::string_view quantity_name(Quantity q) {
  switch (q) {
    case Quantity::count:
      return "count";
    case Quantity::real:
      return "real";
    case Quantity::bytes:
      return "bytes";
    case Quantity::frequency:
      return "frequency";
    case Quantity::bandwidth:
      return "bandwidth";
    case Quantity::energy_per_byte:
      return "energy_per_byte";
    case Quantity::energy:
      return "energy";
    case Quantity::power:
      return "power";
    case Quantity::cycles:
      return "cycles";
    case Quantity::area:
      return "area";
    case Quantity::text:
      return "text";
  }
  return "unknown";
}

std::string_view quantity_base_unit(Quantity q) {
  switch (q) {
    case Quantity::bytes:
      return "B";
    case Quantity::frequency:
      return "Hz";
    case Quantity::bandwidth:
      return "B/cycle";
    case Quantity::energy_per_byte:
      return "pJ/B";
    case Quantity::energy:
      return "pJ";
    case Quantity::power:
      return "mW";
    case Quantity::cycles:
      return "cycles";
    case Quantity::area:
      return "mm2";
    case Quantity::count:
    case Quantity::real:
    case Quantity::text:
      break;
  }
  return "";
}

double parse_quantity(std::string_view text, Quantity q) {
  if (q == Quantity::text) {
    throw ConfigError(fmt::format("'{}' is text; it has no numeric value", text));
  }
  const std::string_view s = trim(text);
  if (s.empty()) fail(text, q);

  // The number: an optional sign, digits, decimals, exponent.
  std::string_view rest = s;
  const bool negative = rest.front() == '-';
  if (rest.front() == '+' || rest.front() == '-') rest.remove_prefix(1);
  if (rest.empty() ||
      !(std::isdigit(static_cast<unsigned char>(rest.front())) || rest.front() == '.'))
    fail(text, q);
  double value = 0.0;
  const auto [end, ec] =
      std::from_chars(rest.data(), rest.data() + rest.size(), value, std::chars_format::general);
  if (ec != std::errc()) fail(text, q);
  if (!std::isfinite(value)) fail(text, q);
  if (negative) value = -value;
  rest = trim(std::string_view(end, static_cast<std::size_t>(rest.data() + rest.size() - end)));

  // The unit, if any.
  if (!rest.empty()) {
    const auto units = units_of(q);
    // "µ" (U+00B5, micro sign) is accepted for the "u" prefix.
    std::string unit;
    if (rest.starts_with("\xC2\xB5")) {
      unit.push_back('u');
      rest.remove_prefix(2);
    }
    unit.append(rest);
    const UnitDef* found = nullptr;
    for (const auto& u : units) {
      if (u.symbol == unit) found = &u;
    }
    if (found == nullptr) {
      if (units.empty()) fail(text, q, "a plain number takes no unit");
      fail(text, q, fmt::format("units: {}", unit_list(q)));
    }
    value *= found->scale;
  }

  if (q == Quantity::count || q == Quantity::bytes) {
    if (value != std::floor(value)) {
      fail(text, q, q == Quantity::bytes ? "not a whole number of bytes" : "not a whole number");
    }
    if (std::fabs(value) > 9.0e15) fail(text, q, "too large");
  }
  return value;
}

std::string format_quantity(double value, Quantity q) {
  const double mag = std::fabs(value);
  auto with = [&](double scale, std::string_view unit) {
    return fmt::format("{} {}", number(value / scale), unit);
  };
  switch (q) {
    case Quantity::count:
    case Quantity::real:
    case Quantity::text:
      return number(value);
    case Quantity::bytes: {
      // The largest binary unit in which the size is a multiple of 1/8.
      constexpr std::array<std::pair<double, std::string_view>, 3> binary = {
          {{1024.0 * 1024.0 * 1024.0, "GiB"}, {1024.0 * 1024.0, "MiB"}, {1024.0, "KiB"}}};
      for (const auto& [scale, unit] : binary) {
        const double eighths = mag * 8.0 / scale;
        if (mag >= scale && eighths == std::floor(eighths)) return with(scale, unit);
      }
      return with(1.0, "B");
    }
    case Quantity::frequency:
      if (mag >= 1e9) return with(1e9, "GHz");
      if (mag >= 1e6) return with(1e6, "MHz");
      if (mag >= 1e3) return with(1e3, "kHz");
      return with(1.0, "Hz");
    case Quantity::bandwidth:
      return with(1.0, "B/cycle");
    case Quantity::energy_per_byte:
      if (mag >= 1e3) return with(1e3, "nJ/B");
      if (mag != 0.0 && mag < 0.1) return with(1e-3, "fJ/B");
      return with(1.0, "pJ/B");
    case Quantity::energy:
      if (mag >= 1e6) return with(1e6, "uJ");
      if (mag >= 1e3) return with(1e3, "nJ");
      if (mag != 0.0 && mag < 0.1) return with(1e-3, "fJ");
      return with(1.0, "pJ");
    case Quantity::power:
      if (mag >= 1e3) return with(1e3, "W");
      if (mag != 0.0 && mag < 0.1) return with(1e-3, "uW");
      return with(1.0, "mW");
    case Quantity::cycles:
      return with(1.0, "cycles");
    case Quantity::area:
      if (mag != 0.0 && mag < 0.01) return with(1e-6, "um2");
      return with(1.0, "mm2");
  }
  return number(value);
}

}  // namespace tessel
