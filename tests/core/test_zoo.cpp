#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "core/zoo.hpp"

using namespace tessel;

TEST_CASE("zoo networks have the MLPerf Tiny MAC counts", "[zoo]") {
  CHECK(zoo_model("resnet8").total_macs() == 12'501'632);
  CHECK(zoo_model("dscnn").total_macs() == 2'656'768);
  CHECK(zoo_model("mobilenetv1").total_macs() == 7'490'176);
  CHECK(zoo_model("autoencoder").total_macs() == 264'192);
}

TEST_CASE("the MobileNetV2 zoo networks have the published size", "[zoo]") {
  // Sandler et al. 2018, Table 4: 300 M multiply-adds and 3.4 M parameters at
  // 1.0 / 224; about 12 M multiply-adds and 1.7 M parameters at 0.35 / 96 (the
  // reference implementation's model table).
  const auto big = zoo_model("mobilenetv2");
  CHECK(big.total_macs() == 300'774'272);
  CHECK(big.total_weight_bytes() == 3'469'760);  // 8-bit weights, biases not counted
  CHECK(big.layers().size() == 64);
  const auto small = zoo_model("mobilenetv2-0.35");
  CHECK(small.total_macs() == 11'934'128);
  CHECK(small.total_weight_bytes() == 1'662'048);
  int adds = 0;
  for (const auto& l : big.layers())
    adds += l.op == OpKind::add ? 1 : 0;
  CHECK(adds == 10);  // the residual blocks of stride 1 and equal widths
}

TEST_CASE("zoo layer counts and kinds", "[zoo]") {
  const auto r = zoo_model("resnet8");
  // 9 conv, 3 residual adds, 1 average pool, 1 dense.
  CHECK(r.layers().size() == 14);
  int adds = 0, convs = 0;
  for (const auto& l : r.layers()) {
    adds += l.op == OpKind::add;
    convs += l.op == OpKind::conv || l.op == OpKind::pointwise;
  }
  CHECK(adds == 3);
  CHECK(convs == 9);
  const auto d = zoo_model("dscnn");
  CHECK(d.layers().size() == 11);
  CHECK(d.layer(1).op == OpKind::depthwise);
  CHECK(d.layer(1).dim(Dim::G) == 64);
  CHECK(d.layer(2).op == OpKind::pointwise);
  CHECK(zoo_model("mobilenetv1").layers().size() == 29);
  CHECK(zoo_model("autoencoder").layers().size() == 10);
}

TEST_CASE("zoo weight bytes are the published parameter counts at 8 bits", "[zoo]") {
  // ResNet-8: 77.4 K weights (convolutions and classifier, no biases).
  CHECK(zoo_model("resnet8").total_weight_bytes() == 77'360);
  // DS-CNN: 22.0 K weights = 10x4x64 + 4 x (3x3x64 + 64x64) + 64x12.
  CHECK(zoo_model("dscnn").total_weight_bytes() == 2'560 + 4 * (576 + 4'096) + 768);
}

TEST_CASE("load_models resolves aliases, names and rejects unknown names", "[zoo]") {
  CHECK(load_models("mlperf-tiny").size() == 4);
  CHECK(load_models("dscnn").front().name() == "dscnn");
  CHECK_THROWS_AS(load_models("resnet9"), MappingError);
  CHECK_THROWS_WITH(load_models("resnet9"),
                    Catch::Contains("resnet9") && Catch::Contains("resnet8"));
}

TEST_CASE("peak activation bytes of a sequential run", "[graph]") {
  // ResNet-8: block1.add reads conv1's output (16 KiB) and block1.conv2's
  // (16 KiB) and writes 16 KiB; nothing else is live then.
  CHECK(zoo_model("resnet8").peak_activation_bytes() == 3 * 16 * 1024);
  // Autoencoder: the largest step is fc10, reading 128 B and writing 640 x 4 B logits.
  CHECK(zoo_model("autoencoder").peak_activation_bytes() == 640 * 4 + 128);
}
