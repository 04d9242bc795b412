#pragma once

#include <string>
#include <string_view>
#include <vector>

// The fuzz targets: each runs one input through one of tessel's loaders the
// way the CLI does. A tessel::Error is the expected answer to bad input and is
// swallowed; any other exception escapes, and a broken invariant of what was
// loaded aborts: both are bugs the fuzzer reports. The libFuzzer programs
// (tests/fuzz/libfuzzer, scripts/fuzz.sh) and the replay of the saved inputs
// in tests/data/fuzz (test_fuzz_regressions.cpp) call the same functions.
namespace tessel::fuzz {

using Target = void (*)(std::string_view input);

// ONNX bytes -> import_onnx_bytes; then every name is valid UTF-8 and every
// layer's counts are computed.
void onnx_model(std::string_view input);
// SoC YAML text -> load_soc_text.
void soc_yaml(std::string_view input);
// Sweep spec YAML text -> parse_sweep_spec.
void sweep_spec(std::string_view input);
// Measurement CSV text -> read_measurements_text.
void measurements_csv(std::string_view input);

// The targets by name ("onnx", "soc", "sweep", "measurements"), in that order.
struct NamedTarget {
  std::string name;
  Target run;
};
const std::vector<NamedTarget>& all_targets();

}  // namespace tessel::fuzz
