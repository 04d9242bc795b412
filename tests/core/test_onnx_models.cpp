// The ONNX importer on the four MLPerf Tiny networks (tests/data/models): the
// imported graphs must have exactly the layers of the matching zoo networks.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/onnx_import.hpp"
#include "core/zoo.hpp"

using namespace tessel;

namespace {

std::string model_path(const std::string& file) {
  return std::string(TESSEL_SOURCE_DIR) + "/tests/data/models/" + file;
}

// "mul(2,pc) div(7=32768) floor clip(0,255) cast(u8)" (see test_onnx_import.cpp).
std::string steps(const Layer& l) {
  std::string out;
  for (const auto& s : l.epilogue.steps) {
    if (!out.empty()) out += ' ';
    out += epilogue_kind_name(s.kind);
    using K = EpilogueStep::Kind;
    if (s.kind == K::mul || s.kind == K::add || s.kind == K::div)
      out +=
          fmt::format("({}{})", s.constant, s.per_channel ? ",pc" : fmt::format("={:g}", s.scalar));
    else if (s.kind == K::clip)
      out += fmt::format("({:g},{:g})", s.lo, s.hi);
    else if (s.kind == K::cast)
      out += fmt::format("({}{})", s.is_signed ? "i" : "u", s.bits);
  }
  return out;
}

struct RealModel {
  const char* file;
  const char* zoo;
  std::int64_t macs;
  std::int64_t weight_bytes;
};

}  // namespace

TEST_CASE("onnx models: each MLPerf Tiny file imports as its zoo network", "[onnx][models]") {
  const auto m = GENERATE(values<RealModel>({
      {"image_classification.onnx", "resnet8", 12'501'632, 77'360},
      {"keyword_spotting.onnx", "dscnn", 2'656'768, 22'016},
      {"visual_wake_words.onnx", "mobilenetv1", 7'490'176, 208'624},
      // The first layer of the file has float32 weights (640 x 128 x 4 bytes).
      {"anomaly_detection.onnx", "autoencoder", 264'192, 640 * 128 * 4 + 182'272},
  }));
  INFO(m.file);
  const auto g = import_onnx(model_path(m.file));
  const auto z = zoo_model(m.zoo);
  CHECK(g.total_macs() == m.macs);
  CHECK(z.total_macs() == m.macs);
  CHECK(g.total_weight_bytes() == m.weight_bytes);
  REQUIRE(g.layers().size() == z.layers().size());
  for (std::size_t i = 0; i < g.layers().size(); ++i) {
    const auto& a = g.layer(i);
    const auto& b = z.layer(i);
    INFO("layer " << i << ": " << a.name << " vs zoo " << b.name);
    CHECK(a.op == b.op);
    CHECK(a.dims == b.dims);
    CHECK(a.in_y == b.in_y);
    CHECK(a.in_x == b.in_x);
    CHECK(a.stride_y == b.stride_y);
    CHECK(a.stride_x == b.stride_x);
    CHECK(a.dilation_y == b.dilation_y);
    CHECK(a.dilation_x == b.dilation_x);
    CHECK(a.pad_top == b.pad_top);
    CHECK(a.pad_left == b.pad_left);
    CHECK(a.pad_bottom == b.pad_bottom);
    CHECK(a.pad_right == b.pad_right);
    CHECK(a.macs() == b.macs());
    CHECK(a.epilogue.bias == b.epilogue.bias);
    CHECK(a.epilogue.requant == b.epilogue.requant);
    CHECK(a.epilogue.activation == b.epilogue.activation);
    CHECK(a.epilogue.clip_lo == b.epilogue.clip_lo);
    CHECK(a.epilogue.clip_hi == b.epilogue.clip_hi);
    CHECK(a.bits.output == b.bits.output);
    CHECK(a.bits.output_signed == b.bits.output_signed);
    CHECK(a.weights_ck == b.weights_ck);
    if (has_weights(a.op)) {
      // Weights keep their values.
      const auto& w = g.tensor(a.weights);
      CHECK(static_cast<std::int64_t>(w.data.size()) == w.elems());
      CHECK(w.elems() == a.weight_elems());
      CHECK(w.constant);
    }
    // Every constant an epilogue step names is a graph tensor with values.
    for (const auto& s : a.epilogue.steps) {
      if (s.constant.empty()) continue;
      const auto& t = g.tensor(s.constant);
      CHECK(static_cast<std::int64_t>(t.data.size()) == t.elems());
      CHECK(t.elems() == (s.per_channel ? a.dim(Dim::G) * a.dim(Dim::K) : 1));
    }
  }
}

TEST_CASE("onnx models: ResNet-8 requantisation chains are folded", "[onnx][models]") {
  const auto g = import_onnx(model_path("image_classification.onnx"));
  CHECK(g.name() == "image_classification");
  REQUIRE(g.layers().size() == 14);
  CHECK(g.inputs() == std::vector<std::string>{"match_input_0"});
  CHECK(g.tensor("match_input_0").type == DataType{8, false, false});
  CHECK(g.tensor("match_input_0").shape == std::vector<std::int64_t>{1, 3, 32, 32});

  const auto& conv1 = g.layer(0);
  CHECK(conv1.name == "/conv1/Conv");
  CHECK(steps(conv1) == "mul(2,pc) add(5,pc) div(7=32768) floor clip(0,255) cast(u8)");
  CHECK(conv1.bits.accumulator == 32);
  CHECK(conv1.output == "11");
  CHECK(conv1.weights == "inputblock.conv1.weight");
  // The file stores the weights as uint8.
  CHECK((conv1.bits.weight == 8 && !conv1.bits.weight_signed));
  CHECK((conv1.bits.input == 8 && !conv1.bits.input_signed));
  const auto& w = g.tensor("inputblock.conv1.weight").data;
  REQUIRE(w.size() == 432);
  CHECK(std::vector<double>(w.begin(), w.begin() + 4) == std::vector<double>{28, 4, 171, 84});
  const auto& scale = g.tensor("2").data;
  REQUIRE(scale.size() == 16);
  CHECK(std::vector<double>(scale.begin(), scale.begin() + 3) == std::vector<double>{30, 33, 19});
  CHECK(g.tensor("5").data[0] == -96480);
  CHECK(g.tensor("7").data == std::vector<double>{32768});

  // The residual adds: both inputs are the uint8 outputs of the convs (the
  // Casts to int32 are aliases); Clip(0, 6), the 42 / 42 scaling and the final
  // Cast are the add's epilogue.
  const auto& add = g.layer(3);
  CHECK(add.name == "/Add");
  CHECK(add.op == OpKind::add);
  CHECK(add.inputs == std::vector<std::string>{"11", "33"});
  CHECK(steps(add) == "clip(0,6) cast(u8) cast(i32) mul(39=42) floor div(43=42) cast(u8)");
  CHECK(add.output == "45");
  // The next block reads the add's output twice (main path and shortcut).
  CHECK(g.layer(4).inputs == std::vector<std::string>{"45"});
  CHECK(g.layer(6).inputs == std::vector<std::string>{"45"});

  // The pool has no chain; the classifier adds its bias and outputs int32.
  const auto& pool = g.layer(12);
  CHECK(pool.op == OpKind::avg_pool);
  CHECK(pool.inputs == std::vector<std::string>{"135"});
  CHECK(pool.epilogue.steps.empty());
  const auto& fc = g.layer(13);
  CHECK(fc.name == "/out/MatMul");
  CHECK(fc.inputs == std::vector<std::string>{"136"});  // through the Flatten view
  CHECK(steps(fc) == "add(139,pc)");
  CHECK((fc.bits.output == 32 && fc.bits.output_signed));
  CHECK(fc.output == "141");
  CHECK(g.outputs() == std::vector<std::string>{"141"});
}

TEST_CASE("onnx models: DS-CNN, MobileNetV1 and autoencoder details", "[onnx][models]") {
  const auto kws = import_onnx(model_path("keyword_spotting.onnx"));
  const auto& first = kws.layer(0);
  CHECK(first.dims == DimArray{1, 1, 64, 1, 25, 5, 10, 4});
  CHECK(
      (first.pad_top == 5 && first.pad_bottom == 5 && first.pad_left == 1 && first.pad_right == 1));
  CHECK(steps(kws.layer(1)) == "mul(13,pc) add(16,pc) div(18=32768) floor clip(0,255) cast(u8)");

  const auto vww = import_onnx(model_path("visual_wake_words.onnx"));
  CHECK(vww.layers().back().dims == DimArray{1, 1, 4, 256, 1, 1, 1, 1});

  const auto ad = import_onnx(model_path("anomaly_detection.onnx"));
  const auto& fc1 = ad.layer(0);
  // Float32 input and weights (with integer values) in the file's first layer.
  CHECK(ad.tensor("match_input_0").type == DataType{32, true, true});
  CHECK(fc1.bits.input == 32);
  CHECK(ad.tensor(fc1.weights).type == DataType{32, true, true});
  CHECK(ad.tensor(fc1.weights).data[0] == -64);
  CHECK(steps(fc1) == "mul(2,pc) add(5,pc) div(7=16384) floor clip(0,255) cast(u8)");
  CHECK(fc1.weights_ck);
  CHECK((ad.layer(1).bits.input == 8 && ad.layer(1).bits.weight == 8));
}
