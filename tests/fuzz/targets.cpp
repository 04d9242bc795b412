#include "tests/fuzz/targets.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "calib/measurements.hpp"
#include "core/errors.hpp"
#include "core/onnx_import.hpp"
#include "core/text.hpp"
#include "driver/sweep_spec.hpp"
#include "hwmodels/soc_loader.hpp"

namespace tessel::fuzz {
namespace {

// Aborts with a message: a loader returned something it promises never to.
[[noreturn]] void broken(const std::string& what) {
  std::fprintf(stderr, "fuzz target: broken invariant: %s\n", what.c_str());
  std::abort();
}

// Names reach JSON output and the database: the importer must make them UTF-8.
void require_utf8(const std::string& name, const char* what) {
  if (!is_valid_utf8(name)) broken(std::string(what) + " name is not valid UTF-8");
}

// Runs `load`; bad input must end in a tessel::Error, nothing else.
template <typename F>
void expect_only_tessel_errors(F&& load) {
  try {
    load();
  } catch (const Error&) {
  }
}

}  // namespace

void onnx_model(std::string_view input) {
  expect_only_tessel_errors([&] {
    const Graph g = import_onnx_bytes(std::string(input), "<fuzz>");
    require_utf8(g.name(), "graph");
    for (const auto& [name, t] : g.tensors()) {
      require_utf8(name, "tensor");
      if (t.elems() < 0 || t.bytes() < 0) broken("negative tensor size");
    }
    for (const Layer& l : g.layers()) {
      require_utf8(l.name, "layer");
      if (l.nest_ops() <= 0 || l.input_bytes() <= 0 || l.output_bytes() <= 0)
        broken("layer " + l.name + " has a non-positive count");
    }
    (void)g.total_macs();
    (void)g.peak_activation_bytes();
  });
}

void soc_yaml(std::string_view input) {
  expect_only_tessel_errors([&] { (void)hw::load_soc_text(input, "<fuzz>"); });
}

void sweep_spec(std::string_view input) {
  expect_only_tessel_errors([&] { (void)driver::parse_sweep_spec(input, "<fuzz>"); });
}

void measurements_csv(std::string_view input) {
  expect_only_tessel_errors([&] { (void)calib::read_measurements_text(input, "<fuzz>"); });
}

const std::vector<NamedTarget>& all_targets() {
  static const std::vector<NamedTarget> targets = {{"onnx", onnx_model},
                                                   {"soc", soc_yaml},
                                                   {"sweep", sweep_spec},
                                                   {"measurements", measurements_csv}};
  return targets;
}

}  // namespace tessel::fuzz
