// Parsing and formatting of configuration values with units (core/units.hpp).

#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "core/units.hpp"

using namespace tessel;
using Catch::Contains;

TEST_CASE("byte sizes parse in binary and decimal units", "[quantities]") {
  CHECK(parse_quantity("128 KiB", Quantity::bytes) == 131072);
  CHECK(parse_quantity("128KiB", Quantity::bytes) == 131072);
  CHECK(parse_quantity("1.5 MiB", Quantity::bytes) == 1572864);
  CHECK(parse_quantity("1 GiB", Quantity::bytes) == 1073741824.0);
  CHECK(parse_quantity("64 kB", Quantity::bytes) == 64000);
  CHECK(parse_quantity("2 MB", Quantity::bytes) == 2e6);
  CHECK(parse_quantity("1 GB", Quantity::bytes) == 1e9);
  CHECK(parse_quantity("512 B", Quantity::bytes) == 512);
  CHECK(parse_quantity("512", Quantity::bytes) == 512);
  CHECK(parse_quantity("  16 bytes ", Quantity::bytes) == 16);
  CHECK(parse_quantity("0 KiB", Quantity::bytes) == 0);  // range is the caller's business
}

TEST_CASE("byte sizes reject other units and fractions of a byte", "[quantities]") {
  CHECK_THROWS_AS(parse_quantity("12 MHz", Quantity::bytes), ConfigError);
  CHECK_THROWS_WITH(parse_quantity("12 MHz", Quantity::bytes),
                    Contains("expected a byte size such as '128 KiB', got '12 MHz'"));
  CHECK_THROWS_WITH(parse_quantity("1.5 B", Quantity::bytes),
                    Contains("not a whole number of bytes"));
  CHECK_THROWS_WITH(parse_quantity("64 KB", Quantity::bytes), Contains("units: B, KiB"));
  CHECK_THROWS_WITH(parse_quantity("64 kib", Quantity::bytes), Contains("got '64 kib'"));
  CHECK_THROWS_AS(parse_quantity("", Quantity::bytes), ConfigError);
  CHECK_THROWS_AS(parse_quantity("KiB", Quantity::bytes), ConfigError);
  CHECK_THROWS_AS(parse_quantity("1e30 B", Quantity::bytes), ConfigError);
}

TEST_CASE("frequencies", "[quantities]") {
  CHECK(parse_quantity("370 MHz", Quantity::frequency) == 3.7e8);
  CHECK(parse_quantity("370MHz", Quantity::frequency) == 3.7e8);
  CHECK(parse_quantity("1.2 GHz", Quantity::frequency) == Approx(1.2e9));
  CHECK(parse_quantity("32.768 kHz", Quantity::frequency) == Approx(32768));
  CHECK(parse_quantity("50 Hz", Quantity::frequency) == 50);
  CHECK(parse_quantity("1e6", Quantity::frequency) == 1e6);
  CHECK_THROWS_WITH(parse_quantity("370 mhz", Quantity::frequency),
                    Contains("expected a frequency such as '370 MHz', got '370 mhz'"));
  CHECK_THROWS_WITH(parse_quantity("8 B/cycle", Quantity::frequency),
                    Contains("expected a frequency"));
}

TEST_CASE("bandwidths", "[quantities]") {
  CHECK(parse_quantity("8 B/cycle", Quantity::bandwidth) == 8);
  CHECK(parse_quantity("8B/cycle", Quantity::bandwidth) == 8);
  CHECK(parse_quantity("0.5 B/cycle", Quantity::bandwidth) == 0.5);
  CHECK(parse_quantity("-8 B/cycle", Quantity::bandwidth) == -8);  // sign checks are the caller's
  CHECK(parse_quantity("4", Quantity::bandwidth) == 4);
  CHECK_THROWS_WITH(parse_quantity("8 B/s", Quantity::bandwidth),
                    Contains("expected a bandwidth such as '8 B/cycle', got '8 B/s'"));
  CHECK_THROWS_WITH(parse_quantity("8 KiB", Quantity::bandwidth), Contains("expected a bandwidth"));
}

TEST_CASE("energies per byte and per operation", "[quantities]") {
  CHECK(parse_quantity("0.5 pJ/B", Quantity::energy_per_byte) == 0.5);
  CHECK(parse_quantity("500 fJ/B", Quantity::energy_per_byte) == Approx(0.5));
  CHECK(parse_quantity("1 nJ/B", Quantity::energy_per_byte) == 1000);
  CHECK(parse_quantity("1.2 pJ", Quantity::energy) == 1.2);
  CHECK(parse_quantity("3 nJ", Quantity::energy) == 3000);
  CHECK(parse_quantity("2 uJ", Quantity::energy) == 2e6);
  CHECK(parse_quantity("2 \xC2\xB5J", Quantity::energy) == 2e6);  // micro sign
  CHECK(parse_quantity("800 fJ", Quantity::energy) == Approx(0.8));
  CHECK_THROWS_WITH(parse_quantity("0.5 pJ", Quantity::energy_per_byte),
                    Contains("expected an energy per byte such as '0.5 pJ/B', got '0.5 pJ'"));
  CHECK_THROWS_WITH(parse_quantity("0.5 pJ/B", Quantity::energy),
                    Contains("expected an energy such as '1.2 pJ', got '0.5 pJ/B'"));
}

TEST_CASE("power", "[quantities]") {
  CHECK(parse_quantity("12 mW", Quantity::power) == 12);
  CHECK(parse_quantity("12mW", Quantity::power) == 12);
  CHECK(parse_quantity("300 uW", Quantity::power) == Approx(0.3));
  CHECK(parse_quantity("1.5 W", Quantity::power) == 1500);
  CHECK_THROWS_WITH(parse_quantity("12 MW", Quantity::power),
                    Contains("expected a power such as '12 mW', got '12 MW'"));
}

TEST_CASE("cycles, counts and reals", "[quantities]") {
  CHECK(parse_quantity("20 cycles", Quantity::cycles) == 20);
  CHECK(parse_quantity("1 cycle", Quantity::cycles) == 1);
  CHECK(parse_quantity("20", Quantity::cycles) == 20);
  CHECK(parse_quantity("2.5 cycles", Quantity::cycles) == 2.5);
  CHECK_THROWS_WITH(parse_quantity("20 ns", Quantity::cycles),
                    Contains("expected a cycle count such as '20 cycles', got '20 ns'"));

  CHECK(parse_quantity("8", Quantity::count) == 8);
  CHECK(parse_quantity("+8", Quantity::count) == 8);
  CHECK_THROWS_WITH(parse_quantity("2.5", Quantity::count),
                    Contains("expected a whole number such as '8', got '2.5'"));
  CHECK_THROWS_WITH(parse_quantity("8 cores", Quantity::count), Contains("takes no unit"));

  CHECK(parse_quantity("0.85", Quantity::real) == 0.85);
  CHECK(parse_quantity("-1e-3", Quantity::real) == -1e-3);
  CHECK(parse_quantity(".5", Quantity::real) == 0.5);
  CHECK_THROWS_WITH(parse_quantity("abc", Quantity::real),
                    Contains("expected a number such as '0.85', got 'abc'"));
  CHECK_THROWS_AS(parse_quantity("nan", Quantity::real), ConfigError);
  CHECK_THROWS_AS(parse_quantity("inf", Quantity::real), ConfigError);
  CHECK_THROWS_AS(parse_quantity("1..2", Quantity::real), ConfigError);
  CHECK_THROWS_AS(parse_quantity("- 1", Quantity::real), ConfigError);
  CHECK_THROWS_AS(parse_quantity("1", Quantity::text), ConfigError);
}

TEST_CASE("formatting picks a readable unit and round-trips", "[quantities]") {
  CHECK(format_quantity(131072, Quantity::bytes) == "128 KiB");
  CHECK(format_quantity(1572864, Quantity::bytes) == "1.5 MiB");
  CHECK(format_quantity(1073741824.0, Quantity::bytes) == "1 GiB");
  CHECK(format_quantity(100, Quantity::bytes) == "100 B");
  CHECK(format_quantity(100000, Quantity::bytes) == "100000 B");  // not a short KiB value
  CHECK(format_quantity(3.7e8, Quantity::frequency) == "370 MHz");
  CHECK(format_quantity(1.5e9, Quantity::frequency) == "1.5 GHz");
  CHECK(format_quantity(32768, Quantity::frequency) == "32.768 kHz");
  CHECK(format_quantity(8, Quantity::bandwidth) == "8 B/cycle");
  CHECK(format_quantity(0.5, Quantity::energy_per_byte) == "0.5 pJ/B");
  CHECK(format_quantity(0.05, Quantity::energy_per_byte) == "50 fJ/B");
  CHECK(format_quantity(1.2, Quantity::energy) == "1.2 pJ");
  CHECK(format_quantity(2500, Quantity::energy) == "2.5 nJ");
  CHECK(format_quantity(12, Quantity::power) == "12 mW");
  CHECK(format_quantity(0.03, Quantity::power) == "30 uW");
  CHECK(format_quantity(0, Quantity::power) == "0 mW");
  CHECK(format_quantity(20, Quantity::cycles) == "20 cycles");
  CHECK(format_quantity(8, Quantity::count) == "8");
  CHECK(format_quantity(0.85, Quantity::real) == "0.85");

  for (auto [v, q] : {std::pair{131072.0, Quantity::bytes},
                      {1572864.0, Quantity::bytes},
                      {3.7e8, Quantity::frequency},
                      {0.05, Quantity::energy_per_byte},
                      {2500.0, Quantity::energy},
                      {0.03, Quantity::power},
                      {2.5, Quantity::cycles},
                      {0.1, Quantity::real}}) {
    CHECK(parse_quantity(format_quantity(v, q), q) == Approx(v));
  }
}

TEST_CASE("quantity names and base units", "[quantities]") {
  CHECK(quantity_name(Quantity::bytes) == "bytes");
  CHECK(quantity_name(Quantity::energy_per_byte) == "energy_per_byte");
  CHECK(quantity_base_unit(Quantity::bytes) == "B");
  CHECK(quantity_base_unit(Quantity::frequency) == "Hz");
  CHECK(quantity_base_unit(Quantity::bandwidth) == "B/cycle");
  CHECK(quantity_base_unit(Quantity::energy_per_byte) == "pJ/B");
  CHECK(quantity_base_unit(Quantity::energy) == "pJ");
  CHECK(quantity_base_unit(Quantity::power) == "mW");
  CHECK(quantity_base_unit(Quantity::cycles) == "cycles");
  CHECK(quantity_base_unit(Quantity::count).empty());
}
