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
