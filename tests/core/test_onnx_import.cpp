// The ONNX importer on small graphs, one per operator and attribute variant,
// written at build time by tests/data/onnx/make_test_models.py into
// TESSEL_ONNX_CASES_DIR; and its errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/errors.hpp"
#include "core/onnx_import.hpp"
#include "core/text.hpp"

using namespace tessel;

namespace {

std::string case_path(const std::string& name) {
  return std::string(TESSEL_ONNX_CASES_DIR) + "/" + name + ".onnx";
}

Graph load(const std::string& name) {
  return import_onnx(case_path(name));
}

// The single layer of a one-layer case.
Layer only_layer(const std::string& name) {
  const auto g = load(name);
  REQUIRE(g.layers().size() == 1);
  return g.layer(0);
}

std::string num(double v) {
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  return fmt::format("{:g}", v);
}

// The epilogue steps as text, e.g. "mul(m,pc) div(d=32768) floor clip(0,255) cast(u8)":
// operand steps name their constant, then ",pc" when per channel or "=value"
// when scalar.
std::string steps(const Layer& l) {
  std::string out;
  for (const auto& s : l.epilogue.steps) {
    if (!out.empty()) out += ' ';
    out += epilogue_kind_name(s.kind);
    using K = EpilogueStep::Kind;
    switch (s.kind) {
      case K::mul:
      case K::add:
      case K::div:
        out += fmt::format("({}{})", s.constant,
                           s.per_channel ? std::string(",pc") : fmt::format("={}", num(s.scalar)));
        break;
      case K::clip:
        out += fmt::format("({},{})", num(s.lo), num(s.hi));
        break;
      case K::cast:
        out += fmt::format("({}{})", s.is_float ? "f" : (s.is_signed ? "i" : "u"), s.bits);
        break;
      default:
        break;
    }
  }
  return out;
}

std::vector<double> values(const Graph& g, const std::string& tensor) {
  return g.tensor(tensor).data;
}

// A temporary file removed at scope exit.
struct TempFile {
  std::filesystem::path path;
  TempFile(const std::string& name, const std::string& bytes)
      : path(std::filesystem::temp_directory_path() / name) {
    std::ofstream(path, std::ios::binary) << bytes;
  }
  ~TempFile() { std::filesystem::remove(path); }
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("onnx: Conv with bias input", "[onnx]") {
  const auto g = load("conv_bias");
  CHECK(g.name() == "conv_bias");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  CHECK(l.name == "conv");
  CHECK(l.op == OpKind::conv);
  CHECK(l.dims == DimArray{1, 1, 4, 3, 8, 8, 3, 3});
  CHECK(l.in_y == 8);
  CHECK(l.in_x == 8);
  CHECK((l.pad_top == 1 && l.pad_left == 1 && l.pad_bottom == 1 && l.pad_right == 1));
  CHECK(l.inputs == std::vector<std::string>{"x"});
  CHECK(l.output == "y");
  CHECK(l.weights == "W");
  CHECK(steps(l) == "add(B,pc)");
  CHECK(l.epilogue.bias);
  CHECK_FALSE(l.epilogue.requant);
  CHECK(l.epilogue.activation == Epilogue::Activation::none);
  // Float model: 32-bit float operands; weights and bias keep their values.
  CHECK(l.bits.input == 32);
  CHECK(l.bits.weight == 32);
  CHECK(l.bits.output == 32);
  CHECK(g.tensor("y").type == DataType{32, true, true});
  const auto w = values(g, "W");
  REQUIRE(w.size() == 108);
  CHECK(w[5] == Approx(0.05));
  CHECK(w[107] == Approx(1.07));
  CHECK(values(g, "B") == std::vector<double>{0.5, 1.0, 1.5, 2.0});
  CHECK(g.tensor("B").constant);
}

TEST_CASE("onnx: grouped, depthwise and pointwise Conv", "[onnx]") {
  const auto grouped = only_layer("conv_grouped");
  CHECK(grouped.op == OpKind::conv);
  CHECK(grouped.dims == DimArray{1, 2, 4, 2, 8, 8, 3, 3});
  const auto dw = only_layer("conv_depthwise");
  CHECK(dw.op == OpKind::depthwise);
  CHECK(dw.dims == DimArray{1, 8, 1, 1, 8, 8, 3, 3});
  const auto pw = only_layer("conv_pointwise");
  CHECK(pw.op == OpKind::pointwise);
  CHECK(pw.dims == DimArray{1, 1, 16, 8, 6, 6, 1, 1});
  CHECK(pw.macs() == 16 * 8 * 36);
}

TEST_CASE("onnx: Conv stride, dilation and explicit pads", "[onnx]") {
  const auto s2 = only_layer("conv_stride2");
  CHECK(s2.dims == DimArray{1, 1, 4, 3, 4, 4, 3, 3});
  CHECK((s2.stride_y == 2 && s2.stride_x == 2));
  CHECK((s2.in_y == 9 && s2.in_x == 9));
  const auto d2 = only_layer("conv_dilation2");
  CHECK((d2.dilation_y == 2 && d2.dilation_x == 2));
  CHECK((d2.dim(Dim::OY) == 6 && d2.dim(Dim::OX) == 6));
  const auto p = only_layer("conv_pads");  // pads [top 1, left 2, bottom 0, right 1]
  CHECK(p.pad_top == 1);
  CHECK(p.pad_left == 2);
  CHECK(p.pad_bottom == 0);
  CHECK(p.pad_right == 1);
  CHECK(p.dim(Dim::OY) == 7);
  CHECK(p.dim(Dim::OX) == 9);
}

TEST_CASE("onnx: Conv auto_pad", "[onnx]") {
  // 8x8 input, 3x3 kernel, stride 2: SAME gives 4x4 with one padding row and column.
  const auto up = only_layer("conv_same_upper");
  CHECK((up.dim(Dim::OY) == 4 && up.dim(Dim::OX) == 4));
  CHECK((up.pad_top == 0 && up.pad_bottom == 1 && up.pad_left == 0 && up.pad_right == 1));
  const auto lo = only_layer("conv_same_lower");
  CHECK((lo.dim(Dim::OY) == 4 && lo.dim(Dim::OX) == 4));
  CHECK((lo.pad_top == 1 && lo.pad_bottom == 0 && lo.pad_left == 1 && lo.pad_right == 0));
  const auto valid = only_layer("conv_valid");
  CHECK((valid.dim(Dim::OY) == 3 && valid.dim(Dim::OX) == 3));
  CHECK(
      (valid.pad_top == 0 && valid.pad_bottom == 0 && valid.pad_left == 0 && valid.pad_right == 0));
  CHECK_THROWS_AS(load("conv_bad_auto_pad"), UnsupportedError);
  CHECK_THROWS_WITH(load("conv_bad_auto_pad"), Catch::Contains("node 'conv' (op Conv)") &&
                                                   Catch::Contains("auto_pad") &&
                                                   Catch::Contains("SAME_MIDDLE"));
}

TEST_CASE("onnx: Gemm with transB, alpha, beta and C", "[onnx]") {
  const auto g = load("gemm_transb");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  CHECK(l.op == OpKind::dense);
  CHECK(l.dims == DimArray{1, 1, 4, 16, 1, 1, 1, 1});
  CHECK_FALSE(l.weights_ck);
  CHECK(l.weights == "B");
  CHECK(g.tensor("B").shape == std::vector<std::int64_t>{4, 16});
  CHECK(steps(l) == "mul(=0.5) add(fc.bias,pc)");
  CHECK(values(g, "fc.bias") == std::vector<double>{2, 4, 6, 8});  // beta * C
  CHECK(l.epilogue.requant);
  CHECK(l.epilogue.bias);

  const auto plain = only_layer("gemm_plain");
  CHECK(plain.weights_ck);
  CHECK(plain.dims == DimArray{1, 1, 4, 16, 1, 1, 1, 1});
  CHECK(steps(plain) == "add(C,pc)");
  CHECK_FALSE(plain.epilogue.requant);

  CHECK_THROWS_AS(load("gemm_transa"), UnsupportedError);
  CHECK_THROWS_WITH(load("gemm_transa"),
                    Catch::Contains("node 'fc' (op Gemm)") && Catch::Contains("transA"));
}

TEST_CASE("onnx: MatMul with constant weights", "[onnx]") {
  const auto g = load("matmul");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  CHECK(l.op == OpKind::dense);
  CHECK(l.dims == DimArray{1, 1, 8, 16, 1, 1, 1, 1});
  CHECK(l.weights_ck);
  CHECK(g.tensor("W").shape == std::vector<std::int64_t>{16, 8});
  CHECK(l.epilogue.steps.empty());
  CHECK_THROWS_AS(load("matmul_mismatch"), ModelError);
  CHECK_THROWS_WITH(load("matmul_mismatch"), Catch::Contains("node 'mm' (op MatMul)") &&
                                                 Catch::Contains("inner dimensions") &&
                                                 Catch::Contains("matmul_mismatch.onnx"));
}

TEST_CASE("onnx: MaxPool and AveragePool with pads, ceil_mode, GlobalAveragePool", "[onnx]") {
  const auto mp = only_layer("maxpool_pads");
  CHECK(mp.op == OpKind::max_pool);
  CHECK(mp.dims == DimArray{1, 4, 1, 1, 4, 4, 3, 3});
  CHECK((mp.stride_y == 2 && mp.pad_top == 1 && mp.pad_left == 1 && mp.pad_bottom == 1 &&
         mp.pad_right == 1));
  CHECK(mp.bits.input == 8);
  CHECK(mp.bits.output == 8);
  CHECK(mp.epilogue == Epilogue{});

  const auto ap = only_layer("avgpool_pads");  // pads [1, 1, 0, 0]
  CHECK(ap.op == OpKind::avg_pool);
  CHECK(ap.dims == DimArray{1, 4, 1, 1, 4, 4, 3, 3});
  CHECK((ap.pad_top == 1 && ap.pad_left == 1 && ap.pad_bottom == 0 && ap.pad_right == 0));

  // ceil_mode: 8 -> ceil((8 - 3) / 2) + 1 = 4, the last window reads one row
  // and column past the input (recorded as end padding).
  const auto ceil = only_layer("avgpool_ceil");
  CHECK((ceil.dim(Dim::OY) == 4 && ceil.dim(Dim::OX) == 4));
  CHECK((ceil.pad_top == 0 && ceil.pad_left == 0 && ceil.pad_bottom == 1 && ceil.pad_right == 1));

  const auto gap = only_layer("global_avgpool");
  CHECK(gap.op == OpKind::avg_pool);
  CHECK(gap.dims == DimArray{1, 8, 1, 1, 1, 1, 5, 5});
  CHECK((gap.stride_y == 5 && gap.stride_x == 5));
}

TEST_CASE("onnx: Relu and Clip fold into the layer", "[onnx]") {
  const auto relu = only_layer("conv_relu");
  CHECK(steps(relu) == "relu");
  CHECK(relu.epilogue.activation == Epilogue::Activation::relu);
  CHECK(relu.output == "y");

  const auto clip11 = only_layer("conv_clip11");  // bounds as inputs (opset 13)
  CHECK(steps(clip11) == "clip(0,6)");
  CHECK(clip11.epilogue.activation == Epilogue::Activation::clip);
  CHECK(clip11.epilogue.clip_lo == 0);
  CHECK(clip11.epilogue.clip_hi == 6);

  const auto clip10 = only_layer("conv_clip10");  // bounds as attributes (opset 10)
  CHECK(steps(clip10) == "clip(-1,1)");
  CHECK(clip10.epilogue.clip_lo == -1);
  CHECK(clip10.epilogue.clip_hi == 1);
  CHECK_FALSE(clip10.epilogue.bias);
  CHECK_FALSE(clip10.epilogue.requant);
}

TEST_CASE("onnx: BatchNormalization folds into float weights and bias", "[onnx]") {
  // scale = gamma / sqrt(var) = {1, 2}; bias = (0 - mean) * scale + beta = {-0.5, 0}.
  const auto g = load("conv_bn");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  CHECK(l.weights == "conv.weight");
  CHECK(values(g, "conv.weight") == std::vector<double>{1, 1, 2, 2});
  CHECK(steps(l) == "add(conv.bias,pc)");
  CHECK(values(g, "conv.bias") == std::vector<double>{-0.5, 0});
  CHECK(l.epilogue.bias);
  CHECK_FALSE(l.epilogue.requant);
  CHECK(l.output == "y");
}

TEST_CASE("onnx: BatchNormalization after integer weights becomes mul and add steps", "[onnx]") {
  const auto g = load("conv_bn_int");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  CHECK(l.weights == "W");
  CHECK(values(g, "W") == std::vector<double>{1, 1, 1, 1});
  CHECK((l.bits.weight == 8 && l.bits.weight_signed));
  CHECK((l.bits.input == 8 && !l.bits.input_signed));
  CHECK(steps(l) == "mul(y.scale,pc) add(y.shift,pc)");
  CHECK(values(g, "y.scale") == std::vector<double>{1, 2});
  CHECK(values(g, "y.shift") == std::vector<double>{-0.5, 0});
  CHECK(l.epilogue.bias);
  CHECK(l.epilogue.requant);
}

TEST_CASE("onnx: Add of two activations is a layer, of a constant a bias step", "[onnx]") {
  const auto k = only_layer("conv_add_const");  // Add(constant, conv output)
  CHECK(steps(k) == "add(k,pc)");
  CHECK(k.epilogue.bias);

  const auto g = load("add_layer");
  REQUIRE(g.layers().size() == 3);
  const auto& add = g.layer(2);
  CHECK(add.name == "add");
  CHECK(add.op == OpKind::add);
  CHECK(add.dims == DimArray{1, 4, 1, 1, 6, 6, 1, 1});
  CHECK(add.inputs == std::vector<std::string>{"a", "b"});
  CHECK(steps(add) == "relu");
  CHECK(add.output == "y");
  CHECK(g.producers(2) == std::vector<std::size_t>{0, 1});

  CHECK_THROWS_AS(load("add_mismatch"), ModelError);
  CHECK_THROWS_WITH(load("add_mismatch"), Catch::Contains("node 'bad_add' (op Add)") &&
                                              Catch::Contains("different shapes") &&
                                              Catch::Contains("1x4x3x3"));
}

TEST_CASE("onnx: Flatten and Reshape are views", "[onnx]") {
  for (const char* name : {"flatten_matmul", "reshape_matmul"}) {
    INFO(name);
    const auto g = load(name);
    REQUIRE(g.layers().size() == 2);
    const auto& fc = g.layer(1);
    CHECK(fc.op == OpKind::dense);
    CHECK(fc.dims == DimArray{1, 1, 3, 16, 1, 1, 1, 1});
    CHECK(fc.inputs == std::vector<std::string>{"c"});  // reads the conv output itself
    CHECK(g.producers(1) == std::vector<std::size_t>{0});
    CHECK_FALSE(g.has_tensor("f"));
    CHECK_FALSE(g.has_tensor("r2"));
  }
}

TEST_CASE("onnx: a Cast of the graph input is an alias", "[onnx]") {
  const auto g = load("cast_input_alias");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  CHECK(l.inputs == std::vector<std::string>{"x"});
  CHECK((l.bits.input == 8 && !l.bits.input_signed));
  // The conv computes on the int32 view: its output is int32.
  CHECK((l.bits.output == 32 && l.bits.output_signed));
  CHECK(g.inputs() == std::vector<std::string>{"x"});
}

TEST_CASE("onnx: QuantizeLinear / DequantizeLinear around a conv", "[onnx]") {
  const auto g = load("qdq_conv");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  // The graph input read only by QuantizeLinear is declared quantised.
  CHECK(g.tensor("x").type == DataType{8, false, false});
  CHECK(l.inputs == std::vector<std::string>{"x"});
  CHECK((l.bits.input == 8 && !l.bits.input_signed));
  CHECK((l.bits.weight == 8 && l.bits.weight_signed));
  CHECK((l.bits.output == 8 && !l.bits.output_signed));
  // Integer weights with their values.
  CHECK(l.weights == "wq");
  const auto w = values(g, "wq");
  REQUIRE(w.size() == 108);
  CHECK(w[0] == -5);
  CHECK(w[10] == 5);
  // Integer bias on the accumulator, then x_scale * w_scale, then the output quantisation.
  CHECK(steps(l) ==
        "add(bq,pc) mul(conv.scale,pc) div(ys=0.25) add(=0.5) floor clip(0,255) "
        "cast(u8)");
  CHECK(values(g, "bq") == std::vector<double>{100, -100, 7, 0});
  CHECK(values(g, "conv.scale") == std::vector<double>{0.25, 0.125, 0.0625, 0.5});
  CHECK(l.epilogue.bias);
  CHECK(l.epilogue.requant);
  CHECK(l.epilogue.activation == Epilogue::Activation::clip);
  CHECK(l.epilogue.clip_hi == 255);
  CHECK(l.output == "yq");
  CHECK(g.outputs() == std::vector<std::string>{"yq"});
}

TEST_CASE("onnx: QLinearConv", "[onnx]") {
  const auto g = load("qlinear_conv");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  CHECK(l.op == OpKind::conv);
  CHECK(l.dims == DimArray{1, 1, 8, 3, 4, 4, 3, 3});
  CHECK(l.stride_y == 2);
  CHECK((l.bits.input == 8 && !l.bits.input_signed));
  CHECK((l.bits.weight == 8 && l.bits.weight_signed));
  CHECK((l.bits.output == 8 && !l.bits.output_signed));
  // 0.5 * 0.25 / 2 = 0.0625; output zero point 10.
  CHECK(steps(l) ==
        "add(b,pc) mul(qconv.scale=0.0625) add(=0.5) floor add(yzp=10) clip(0,255) cast(u8)");
  CHECK(values(g, "b") == std::vector<double>{0, 3, 6, 9, 12, 15, 18, 21});
  CHECK(l.epilogue.bias);
  CHECK(l.epilogue.requant);
  CHECK(l.epilogue.clip_lo == 0);
  CHECK(l.epilogue.clip_hi == 255);
}

TEST_CASE("onnx: a QLinearConv with a zero point other than 0 is refused", "[onnx]") {
  CHECK_THROWS_AS(load("qlinear_conv_zero_point"), UnsupportedError);
  CHECK_THROWS_WITH(
      load("qlinear_conv_zero_point"),
      Catch::Contains("node 'qconv' (op QLinearConv)") && Catch::Contains("x_zero_point is not 0"));
}

TEST_CASE("onnx: QLinearMatMul", "[onnx]") {
  const auto g = load("qlinear_matmul");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  CHECK(l.op == OpKind::dense);
  CHECK(l.dims == DimArray{1, 1, 4, 16, 1, 1, 1, 1});
  CHECK(l.weights_ck);
  CHECK((l.bits.output == 8 && l.bits.output_signed));  // int8 y_zero_point
  CHECK(steps(l) == "mul(qmm.scale,pc) add(=0.5) floor clip(-128,127) cast(i8)");
  CHECK(values(g, "qmm.scale") == std::vector<double>{0.125, 0.25, 0.5, 1});
  CHECK(g.tensor("y").type == DataType{8, true, false});
}

TEST_CASE("onnx: an integer requantisation chain folds into the conv", "[onnx]") {
  const auto g = load("requant_chain");
  REQUIRE(g.layers().size() == 3);
  const auto& c1 = g.layer(0);
  CHECK(c1.name == "conv1");
  CHECK(steps(c1) == "mul(r1_m,pc) add(r1_a,pc) div(r1_d=32768) floor clip(0,255) cast(u8)");
  CHECK(c1.bits.accumulator == 32);
  CHECK((c1.bits.output == 8 && !c1.bits.output_signed));
  CHECK(c1.output == "y1");
  CHECK(c1.epilogue.bias);
  CHECK(c1.epilogue.requant);
  CHECK(c1.epilogue.activation == Epilogue::Activation::clip);
  CHECK(c1.epilogue.clip_lo == 0);
  CHECK(c1.epilogue.clip_hi == 255);
  // Constant nodes are constant tensors with their values.
  CHECK(values(g, "r1_m") == std::vector<double>{3, 5, 7, 9});
  CHECK(values(g, "r1_a") == std::vector<double>{-10, 20, -30, 40});
  CHECK(g.tensor("r1_a").type == DataType{32, true, false});
  CHECK(g.tensor("r1_a").constant);
  // y1 has two readers: each conv after it reads it, with no chain of its own.
  for (std::size_t i : {1u, 2u}) {
    CHECK(g.layer(i).inputs == std::vector<std::string>{"y1"});
    CHECK(g.layer(i).epilogue == Epilogue{});
  }
  CHECK(g.consumers(0) == std::vector<std::size_t>{1, 2});
  CHECK(g.outputs() == std::vector<std::string>{"y2", "y3"});
}

TEST_CASE("onnx: a value read by two nodes ends the chain", "[onnx]") {
  const auto g = load("two_readers");
  REQUIRE(g.layers().size() == 3);
  CHECK(steps(g.layer(0)) == "relu");  // relu had conv1's output to itself
  CHECK(g.layer(0).output == "r");
  CHECK(g.layer(1).name == "conv2");
  CHECK(g.layer(1).inputs == std::vector<std::string>{"r"});  // through the Cast alias
  CHECK(g.layer(2).inputs == std::vector<std::string>{"r"});
  CHECK(g.consumers(0) == std::vector<std::size_t>{1, 2});

  CHECK_THROWS_AS(load("relu_two_readers"), UnsupportedError);
  CHECK_THROWS_WITH(load("relu_two_readers"), Catch::Contains("node 'late_relu' (op Relu)") &&
                                                  Catch::Contains("'c' is read by several nodes"));
}

TEST_CASE("onnx: the residual pattern Cast, Cast, Add, Clip, ... becomes one add layer", "[onnx]") {
  const auto g = load("residual_chain");
  REQUIRE(g.layers().size() == 3);
  CHECK(g.layer(0).output == "y1");
  // conv2's trailing Cast to int32 belongs to the Add: conv2 still writes uint8 y2.
  CHECK(g.layer(1).output == "y2");
  CHECK(steps(g.layer(1)) == "mul(r2_m,pc) add(r2_a,pc) div(r2_d=2) floor clip(0,255) cast(u8)");
  const auto& add = g.layer(2);
  CHECK(add.op == OpKind::add);
  CHECK(add.inputs == std::vector<std::string>{"y1", "y2"});
  CHECK((add.bits.input == 8 && !add.bits.input_signed));
  CHECK(steps(add) == "clip(0,6) cast(u8) cast(i32) mul(k42=42) floor div(k42b=42) cast(u8)");
  CHECK(add.epilogue.requant);
  CHECK_FALSE(add.epilogue.bias);
  CHECK(add.epilogue.clip_hi == 6);
  CHECK(add.output == "y");
  CHECK((add.bits.output == 8 && !add.bits.output_signed));
}

TEST_CASE("onnx: constants of every storage form keep their values", "[onnx]") {
  const auto g = load("constant_types");
  REQUIRE(g.layers().size() == 1);
  CHECK(steps(g.layer(0)) ==
        "mul(k_f64,pc) add(k_i64,pc) div(k_i32=8) mul(k_u8,pc) mul(k_i8,pc) add(k_vf=0.75)");
  CHECK(values(g, "W") == std::vector<double>{1, -2, 3.5, 0.25});  // raw float
  CHECK(values(g, "k_f64") == std::vector<double>{1.5, 2.5});      // typed double
  CHECK(g.tensor("k_f64").type == DataType{64, true, true});
  CHECK(values(g, "k_i64") == std::vector<double>{-3, 4e9});  // typed int64
  CHECK(g.tensor("k_i64").type == DataType{64, true, false});
  CHECK(values(g, "k_i32") == std::vector<double>{8});      // typed int32
  CHECK(values(g, "k_u8") == std::vector<double>{200, 7});  // raw uint8
  CHECK(g.tensor("k_u8").type == DataType{8, false, false});
  CHECK(values(g, "k_i8") == std::vector<double>{-5, 6});  // typed int8
  CHECK(values(g, "k_vf") == std::vector<double>{0.75});   // Constant value_float
}

TEST_CASE("onnx: layer names are node names, else <op>_<output>, made unique", "[onnx]") {
  const auto g = load("names");
  REQUIRE(g.layers().size() == 3);
  CHECK(g.layer(0).name == "Conv_a");
  CHECK(g.layer(1).name == "dup");
  CHECK(g.layer(2).name == "dup_2");
}

TEST_CASE("onnx: names that are not UTF-8 are escaped as \\xHH at import", "[onnx][names]") {
  const auto g = import_onnx_bytes(read_file(case_path("invalid_utf8_names")), "bytes");
  CHECK(g.name() == "graph\\xFF\\xFE\\xC3");
  REQUIRE(g.layers().size() == 1);
  CHECK(g.layer(0).name == "conv\\xFF\\xFE\\xC3");
  CHECK(g.has_tensor("x\\xFF\\xFE\\xC3"));
  for (const auto& [name, t] : g.tensors())
    CHECK(is_valid_utf8(name));
  CHECK(g.layer(0).epilogue.activation == Epilogue::Activation::relu);  // Relu found its input
}

TEST_CASE("onnx: a missing file is an IoError naming the path", "[onnx][errors]") {
  const std::string path = case_path("does_not_exist");
  CHECK_THROWS_AS(import_onnx(path), IoError);
  CHECK_THROWS_WITH(import_onnx(path), Catch::Contains(path) && Catch::Contains("no such file"));
}

TEST_CASE("onnx: truncated or non-ONNX bytes are a ModelError", "[onnx][errors]") {
  const auto full =
      read_file(std::string(TESSEL_SOURCE_DIR) + "/tests/data/models/keyword_spotting.onnx");
  REQUIRE(full.size() > 100);
  const TempFile truncated("tessel_test_truncated.onnx", full.substr(0, 100));
  CHECK_THROWS_AS(import_onnx(truncated.path), ModelError);
  CHECK_THROWS_WITH(import_onnx(truncated.path), Catch::Contains(truncated.path.string()) &&
                                                     Catch::Contains("is not a valid ONNX model"));
  CHECK_THROWS_WITH(import_onnx_bytes(full.substr(0, 100), "kws-bytes"),
                    Catch::StartsWith("kws-bytes is not a valid ONNX model"));

  const TempFile text("tessel_test_text.onnx", "graph {\n  node: conv\n}\nthis is not onnx\n");
  CHECK_THROWS_AS(import_onnx(text.path), ModelError);
  CHECK_THROWS_WITH(import_onnx(text.path), Catch::Contains(text.path.string()) &&
                                                Catch::Contains("is not a valid ONNX model"));

  const TempFile empty("tessel_test_empty.onnx", "");
  CHECK_THROWS_AS(import_onnx(empty.path), ModelError);
}

TEST_CASE("onnx: graphs without nodes or inputs are a ModelError", "[onnx][errors]") {
  CHECK_THROWS_AS(load("empty_graph"), ModelError);
  CHECK_THROWS_WITH(load("empty_graph"),
                    Catch::Contains("empty_graph.onnx") && Catch::Contains("no nodes"));
  CHECK_THROWS_AS(load("no_inputs"), ModelError);
  CHECK_THROWS_WITH(load("no_inputs"),
                    Catch::Contains("no_inputs.onnx") && Catch::Contains("no inputs"));
}

TEST_CASE("onnx: an unsupported operator names the node, the op and the file", "[onnx][errors]") {
  const auto path = case_path("unsupported_softmax");
  CHECK_THROWS_AS(import_onnx(path), UnsupportedError);
  CHECK_THROWS_WITH(import_onnx(path),
                    Catch::StartsWith(path + ": node 'sm' (op Softmax): unsupported operator"));
}

TEST_CASE("onnx: an element-wise op with no layer to fold into is unsupported", "[onnx][errors]") {
  CHECK_THROWS_AS(load("relu_on_input"), UnsupportedError);
  CHECK_THROWS_WITH(load("relu_on_input"), Catch::Contains("node 'early_relu' (op Relu)") &&
                                               Catch::Contains("'x' is a graph input"));
}

TEST_CASE("onnx: conv weights that do not match the input channels", "[onnx][errors]") {
  const auto path = case_path("conv_channel_mismatch");
  CHECK_THROWS_AS(import_onnx(path), ModelError);
  CHECK_THROWS_WITH(import_onnx(path), Catch::StartsWith(path + ": node 'conv' (op Conv)") &&
                                           Catch::Contains("input 'x' has 3") &&
                                           Catch::Contains("expect 2 input channels"));
}

TEST_CASE("onnx: a pool window that does not fit its input names node and attribute",
          "[onnx][errors]") {
  const auto large = case_path("pool_window_too_large");
  CHECK_THROWS_AS(import_onnx(large), ModelError);
  CHECK_THROWS_WITH(import_onnx(large),
                    Catch::StartsWith(large + ": node 'pool' (op MaxPool): attribute kernel_shape: "
                                              "the 5x5 window is larger than the 4x4 input with "
                                              "pads [0, 0, 0, 0]"));
  const auto pads = case_path("pool_pad_too_large");
  CHECK_THROWS_AS(import_onnx(pads), ModelError);
  CHECK_THROWS_WITH(import_onnx(pads),
                    Catch::StartsWith(pads + ": node 'pool' (op AveragePool): attribute pads "
                                             "[2, 0, 0, 0] must be smaller than the 2x2"));
}

TEST_CASE("onnx: a float input cast to uint8 before its first layer is fed as uint8",
          "[onnx][types]") {
  const auto g = load("flatten_cast_matmul");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  CHECK(g.tensor("x").type == DataType{8, false, false});
  CHECK((l.bits.input == 8 && !l.bits.input_signed));
  // Whole-number float weights on an integer input are read as int8, and said so.
  CHECK((l.bits.weight == 8 && l.bits.weight_signed));
  CHECK(g.tensor(l.weights).data.at(0) == -3.0);
  REQUIRE(g.notes().size() == 2);
  CHECK_THAT(g.notes()[0], Catch::Contains("graph input 'x' (32-bit float) is declared uint8"));
  CHECK_THAT(g.notes()[1], Catch::Contains("node 'fc' (op MatMul)") &&
                               Catch::Contains("weights 'M' hold only whole numbers in [-3, 3]") &&
                               Catch::Contains("read as int8"));
  // A float input used as such keeps its type and its float weights.
  const auto f = load("flatten_matmul");
  CHECK(f.notes().empty());
  CHECK(f.layer(1).bits.weight == 32);
}

TEST_CASE("onnx: FLOAT16 tensors are read; unreadable types name the supported ones",
          "[onnx][types]") {
  const auto g = load("fp16_weights");
  REQUIRE(g.layers().size() == 1);
  const auto& l = g.layer(0);
  CHECK(l.bits.weight == 16);
  CHECK(g.tensor(l.weights).data == std::vector<double>{0.5, -2.0, 65504.0, std::ldexp(1.0, -24)});
  const auto path = case_path("string_initializer");
  CHECK_THROWS_AS(import_onnx(path), UnsupportedError);
  CHECK_THROWS_WITH(import_onnx(path), Catch::Contains("initializer 'W'") &&
                                           Catch::Contains("element type STRING") &&
                                           Catch::Contains("supported: FLOAT, DOUBLE, FLOAT16"));
}
