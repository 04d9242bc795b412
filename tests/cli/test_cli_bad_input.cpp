// Bad input that once got through (issue 18, docs/reliability.md): each case
// must end in exit status 2 with one message naming what and where, or in a
// correct result.
#include <catch2/catch.hpp>

#include <string>

#include <nlohmann/json.hpp>

#include "run_tessel.hpp"

namespace {

std::string onnx_case(const std::string& name) {
  return std::string(TESSEL_ONNX_CASES_DIR) + "/" + name + ".onnx";
}

}  // namespace

TEST_CASE("bad input: a device or directory given as an input file is refused", "[cli]") {
  // Reading /dev/zero would never end.
  const auto soc = run_tessel("explore --model dscnn --soc /dev/zero --db ''");
  CHECK(soc.status == 2);
  CHECK(soc.err.find("cannot open SoC file '/dev/zero': it is not a regular file") !=
        std::string::npos);
  const auto model = run_tessel("models show /dev/zero");
  CHECK(model.status == 2);
  CHECK(model.err.find("not a regular file") != std::string::npos);
}

TEST_CASE("bad input: a pool window larger than its input exits 2 naming node and attribute",
          "[cli]") {
  const auto r = run_tessel("explore --model " + onnx_case("pool_window_too_large") + " --db ''");
  CHECK(r.status == 2);
  CHECK(r.err.find("node 'pool' (op MaxPool): attribute kernel_shape: the 5x5 window is larger "
                   "than the 4x4 input") != std::string::npos);
}

TEST_CASE("bad input: a layer that fits no memory names the operands, their bytes and the level",
          "[cli][slow]") {
  const auto r = run_tessel("explore --model dscnn --max-memory L2=45KiB --db ''");
  CHECK(r.status == 2);
  CHECK(r.err.find("ne16: the layer's tensors at their home L2 (input 8000 B, weights "
                   "'block1.dw.weight' 576 B, output 8000 B) take 16576 B, more than the 1 B it "
                   "has for tensors") != std::string::npos);
  CHECK(r.err.find("fc: even the smallest tiles need 19 B at L2") != std::string::npos);
  CHECK(r.err.find("no mapping fits the unit's memories") == std::string::npos);
}

TEST_CASE("bad input: a float input cast to uint8 before its first layer runs on an 8-bit SoC",
          "[cli]") {
  const auto r = run_tessel("explore --model " + onnx_case("flatten_cast_matmul") + " --db ''");
  CHECK(r.status == 0);
  CHECK(r.err.find("tessel: note: flatten_cast_matmul: graph input 'x' (32-bit float) is "
                   "declared uint8") != std::string::npos);
  CHECK(r.err.find("are read as int8") != std::string::npos);
}

TEST_CASE("bad input: a huge batch is refused at once with the limit", "[cli]") {
  const auto batch = run_tessel("explore --model " + onnx_case("huge_batch") + " --db ''");
  CHECK(batch.status == 2);
  CHECK(
      batch.err.find("layer 'conv' (conv): the batch N = 100000 is above tessel's limit of 256") !=
      std::string::npos);
  const auto input = run_tessel("explore --model " + onnx_case("huge_input") + " --db ''");
  CHECK(input.status == 2);
  CHECK(input.err.find("graph input 'x' of shape 1099511627776x8x16x16 has 2.25e+15 elements, "
                       "above tessel's limit of 4294967296") != std::string::npos);
}
