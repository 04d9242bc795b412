// The reference interpreter (tests/reference/interpreter): the ONNX node
// tests of libonnx-testdata for the operators tessel imports, the meaning of
// the requantisation chain, the MLPerf Tiny models, and its errors.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>

#include <onnx/onnx_pb.h>
#include <catch2/catch.hpp>

#include "reference/interpreter/ops.hpp"
#include "reference/interpreter/reference.hpp"

using namespace tessel::reference;
namespace fs = std::filesystem;

namespace {

// The node tests whose operators and attributes the interpreter covers: the
// operators tessel's importer reads (2-D pooling only; MaxPool without its
// Indices output).
const std::regex kNodeTests(
    "test_(add|add_bcast|add_uint8|sub_uint8|mul|mul_bcast|mul_example|mul_uint8|div|div_bcast|"
    "div_example|div_uint8|floor|floor_example|relu|clip.*|conv_with_.*|gemm_.*|matmul_[234]d|"
    "averagepool_2d_.*|maxpool_2d_.*|globalaveragepool.*|globalmaxpool.*|flatten_.*|reshape_.*)");

// Whether `got` equals `want`: exactly for integers, to float32 precision
// for floats (the interpreter computes in doubles).
void check_equal(const Value& got, const Value& want, const std::string& what) {
  INFO(what);
  REQUIRE(got.shape == want.shape);
  REQUIRE(got.type.onnx == want.type.onnx);
  for (std::size_t i = 0; i < want.data.size(); ++i) {
    if (want.type.is_float) {
      if (std::abs(got.data[i] - want.data[i]) > 1e-5 * (1 + std::abs(want.data[i]))) {
        FAIL_CHECK("element " << i << ": " << got.data[i] << " != " << want.data[i]);
        return;
      }
    } else if (got.data[i] != want.data[i]) {
      FAIL_CHECK("element " << i << ": " << got.data[i] << " != " << want.data[i]);
      return;
    }
  }
}

// Runs one node test directory: every test_data_set_* against its outputs.
int run_node_test(const fs::path& dir) {
  const Model model(dir / "model.onnx");
  int sets = 0;
  for (const auto& set : fs::directory_iterator(dir)) {
    if (!set.is_directory()) continue;
    std::map<std::string, Value> inputs;
    const auto& names = model.input_names();
    for (std::size_t i = 0; i < names.size(); ++i)
      inputs[names[i]] = read_tensor_file(set.path() / ("input_" + std::to_string(i) + ".pb"));
    const auto outputs = model.run(inputs);
    for (std::size_t i = 0; i < outputs.size(); ++i)
      check_equal(outputs[i],
                  read_tensor_file(set.path() / ("output_" + std::to_string(i) + ".pb")),
                  dir.filename().string() + " output " + std::to_string(i));
    ++sets;
  }
  return sets;
}

// A one-input graph built in memory, written to a temporary file.
struct GraphBuilder {
  onnx::ModelProto m;
  onnx::GraphProto* g = m.mutable_graph();

  GraphBuilder(int opset, const std::string& input, int type, std::vector<std::int64_t> shape) {
    m.set_ir_version(7);
    m.add_opset_import()->set_version(opset);
    auto* i = g->add_input();
    i->set_name(input);
    i->mutable_type()->mutable_tensor_type()->set_elem_type(type);
    for (auto d : shape)
      i->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(d);
  }
  onnx::NodeProto* node(const std::string& op, std::vector<std::string> in,
                        const std::string& out) {
    auto* n = g->add_node();
    n->set_op_type(op);
    n->set_name(out);
    for (const auto& x : in)
      n->add_input(x);
    n->add_output(out);
    return n;
  }
  void int32_constant(const std::string& name, std::vector<std::int32_t> values) {
    auto* t = g->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::INT32);
    t->add_dims(static_cast<std::int64_t>(values.size()));
    for (auto v : values)
      t->add_int32_data(v);
  }
  fs::path write(const std::string& output, const std::string& file) {
    g->add_output()->set_name(output);
    const auto path = fs::temp_directory_path() / file;
    std::ofstream f(path, std::ios::binary);
    m.SerializeToOstream(&f);
    return path;
  }
};

void set_int(onnx::NodeProto* n, const std::string& name, std::int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void set_ints(onnx::NodeProto* n, const std::string& name, std::vector<std::int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (auto x : v)
    a->add_ints(x);
}

void set_float(onnx::NodeProto* n, const std::string& name, float v) {
  auto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

}  // namespace

TEST_CASE("the reference interpreter passes the ONNX node tests of the operators tessel imports",
          "[reference]") {
  const fs::path root = TESSEL_ONNX_NODE_TESTS;
  INFO("the ONNX node tests come with the Debian package libonnx-testdata (scripts/setup.sh)");
  REQUIRE(fs::is_directory(root));
  std::vector<fs::path> dirs;
  for (const auto& d : fs::directory_iterator(root))
    if (std::regex_match(d.path().filename().string(), kNodeTests)) dirs.push_back(d.path());
  std::sort(dirs.begin(), dirs.end());
  int sets = 0;
  for (const auto& d : dirs) {
    INFO(d.filename().string());
    sets += run_node_test(d);
  }
  // Not vacuous: the integer cases and each operator family are there.
  CHECK(dirs.size() >= 80);
  CHECK(sets >= static_cast<int>(dirs.size()));
  for (const char* must :
       {"test_add_uint8", "test_maxpool_2d_uint8", "test_conv_with_strides_padding",
        "test_gemm_all_attributes", "test_averagepool_2d_pads_count_include_pad"})
    CHECK(std::find(dirs.begin(), dirs.end(), root / must) != dirs.end());
}

TEST_CASE("the requantisation chain is floor division, an integer average the floor of the mean",
          "[reference]") {
  // int32 acc -> Mul 3 -> Add -7 -> Div 4 -> Floor -> Clip [-128, 127] -> Cast int8
  GraphBuilder b(10, "acc", onnx::TensorProto::INT32, {1, 4});
  b.int32_constant("m", {3});
  b.int32_constant("b", {-7});
  b.int32_constant("d", {4});
  b.node("Mul", {"acc", "m"}, "x1");
  b.node("Add", {"x1", "b"}, "x2");
  b.node("Div", {"x2", "d"}, "x3");
  b.node("Floor", {"x3"}, "x4");
  auto* clip = b.node("Clip", {"x4"}, "x5");
  set_float(clip, "min", -128);
  set_float(clip, "max", 127);
  set_int(b.node("Cast", {"x5"}, "y"), "to", onnx::TensorProto::INT8);
  const Model m(b.write("y", "tessel_reference_requant.onnx"));
  const Value acc{elem_type(onnx::TensorProto::INT32), {1, 4}, {-1, 0, 5, 1000}};
  const auto y = m.run({{"acc", acc}}).at(0);
  // floor((-3 - 7) / 4) = -3 (truncation would give -2); floor(-7 / 4) = -2;
  // floor(8 / 4) = 2; floor(2993 / 4) = 748, clipped to 127.
  CHECK(y.data == std::vector<double>{-3, -2, 2, 127});
  CHECK(y.type.bits == 8);
  CHECK(y.type.is_signed);

  GraphBuilder p(10, "x", onnx::TensorProto::UINT8, {1, 1, 2, 3});
  auto* avg = p.node("AveragePool", {"x"}, "y");
  set_ints(avg, "kernel_shape", {2, 2});
  set_ints(avg, "pads", {0, 0, 0, 1});
  const Model pm(p.write("y", "tessel_reference_avg.onnx"));
  const Value x{elem_type(onnx::TensorProto::UINT8), {1, 1, 2, 3}, {1, 2, 2, 2, 250, 9}};
  // (1 + 2 + 2 + 250) / 4 = 63.75 -> 63; (2 + 2 + 250 + 9) / 4 = 65.75 -> 65;
  // the padded window: (2 + 9) / 2 = 5.5 -> 5.
  CHECK(pm.run({{"x", x}}).at(0).data == std::vector<double>{63, 65, 5});
}

// Runs `model` on two random inputs; its outputs.
std::vector<Value> run_twice(const Model& m, std::mt19937& rng) {
  REQUIRE(m.input_names().size() == 1);
  REQUIRE(m.output_names().size() == 1);
  const auto name = m.input_names()[0];
  std::vector<Value> outs;
  for (int trial = 0; trial < 2; ++trial) {
    const auto x = m.random_input(name, rng);
    CHECK(from_bytes(x.type, x.shape, to_bytes(x)).data == x.data);  // the host program's format
    outs.push_back(m.run({{name, x}}).at(0));
  }
  for (const auto& y : outs) {
    CHECK(y.elems() >= 2);
    for (double v : y.data)
      CHECK(v == std::floor(v));
  }
  return outs;
}

TEST_CASE("the reference interpreter runs the MLPerf Tiny models to integer outputs",
          "[reference]") {
  std::mt19937 rng(7);
  for (const char* file :
       {"image_classification", "keyword_spotting", "visual_wake_words", "anomaly_detection"}) {
    const std::string onnx = std::string(file) + ".onnx";
    INFO(file);
    // As stored (uint8 weights) every network saturates: the output does not
    // depend on the input.
    const auto stored =
        run_twice(Model(fs::path(TESSEL_SOURCE_DIR) / "tests/data/models" / onnx), rng);
    CHECK(stored[0].data == stored[1].data);
    // With the weights' bytes read as the int8 values they are, it does.
    const auto int8w = run_twice(Model(fs::path(TESSEL_INT8W_DIR) / onnx), rng);
    CHECK(int8w[0].data != int8w[1].data);
    CHECK(!int8w[0].type.is_float);
  }
}

TEST_CASE("the reference interpreter names what it cannot run", "[reference][errors]") {
  GraphBuilder b(13, "x", onnx::TensorProto::FLOAT, {1, 4});
  b.node("Softmax", {"x"}, "y");
  const Model m(b.write("y", "tessel_reference_softmax.onnx"));
  const Value x{elem_type(onnx::TensorProto::FLOAT), {1, 4}, {0, 1, 2, 3}};
  CHECK_THROWS_WITH(m.run({{"x", x}}),
                    Catch::Contains("node 'y' (Softmax): operator not supported"));
  const Value wrong{elem_type(onnx::TensorProto::FLOAT), {1, 5}, {0, 1, 2, 3, 4}};
  CHECK_THROWS_WITH(m.run({{"x", wrong}}), Catch::Contains("input 'x': wrong type or shape"));
  CHECK_THROWS_WITH(m.run({}), Catch::Contains("input 'x' not given"));
  CHECK_THROWS_WITH(Model("/nonexistent.onnx"), Catch::Contains("not a readable ONNX model"));
  CHECK_THROWS_AS(from_bytes(x.type, x.shape, {1, 2, 3}), ReferenceError);
}
