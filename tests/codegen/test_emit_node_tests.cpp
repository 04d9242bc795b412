// The ONNX node tests of Debian's libonnx-testdata (their weight inputs made
// initialisers, tests/data/onnx/node_tests_const.py) through the emitter: the
// host program's output equals the test's expected output, byte for byte.
// The cases: the Conv tests (float tensors holding integers, which the
// integer emitter computes exactly) and the uint8 MaxPool. Not among them
// (docs/codegen.md): the Gemm and pooling tests on float values that are not
// integers, and QLinearConv / QLinearMatMul, whose zero points the importer
// does not model.
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "codegen/emit_support.hpp"
#include "core/onnx_import.hpp"
#include "reference/interpreter/reference.hpp"

namespace fs = std::filesystem;
using namespace tessel;
using namespace tessel::testing;

TEST_CASE("ONNX node tests run through the emitter to their expected outputs",
          "[codegen][host][node-tests][slow]") {
  const auto soc = gap9_any_width();
  const sim::Analytical model(soc);
  std::vector<std::string> names;  // TESSEL_EMIT_NODE_TESTS: "case,case,..."
  for (std::string rest = TESSEL_EMIT_NODE_TESTS; !rest.empty();) {
    const auto comma = rest.find(',');
    names.push_back(rest.substr(0, comma));
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
  }
  REQUIRE(names.size() >= 7);
  for (const auto& name : names) {
    INFO(name);
    const fs::path dir = fs::path(TESSEL_EMIT_NODE_DIR) / name;
    const Graph g = import_onnx(dir / "model.onnx");
    const auto s = best_schedule(g, soc);
    const auto project = emit_and_build(g, s, model, std::string("node_") + name);
    const auto input = reference::to_bytes(reference::read_tensor_file(dir / "input_0.pb"));
    const auto want = reference::to_bytes(reference::read_tensor_file(dir / "output_0.pb"));
    CHECK(run_network(project, input) == want);
    fs::remove_all(project);
  }
}
