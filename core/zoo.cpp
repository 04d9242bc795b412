#include "core/zoo.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>

#include <fmt/format.h>

#include "core/builder.hpp"
#include "core/errors.hpp"
#include "core/onnx_import.hpp"

namespace tessel {
namespace {

// The epilogue of every quantised conv / dense layer of the MLPerf Tiny
// exports: per-channel scale and offset, division by a power of two, floor,
// clip to the uint8 range.
LayerExtras requant_u8() {
  LayerExtras e;
  e.epilogue.bias = true;
  e.epilogue.requant = true;
  e.epilogue.activation = Epilogue::Activation::clip;
  e.epilogue.clip_lo = 0;
  e.epilogue.clip_hi = 255;
  return e;
}

// The epilogue of the residual adds of the ResNet-8 export: clip to [0, 6],
// then a scale by 42 / 42 with floor (requantisation, no bias).
LayerExtras residual_requant() {
  LayerExtras e;
  e.epilogue.requant = true;
  e.epilogue.activation = Epilogue::Activation::clip;
  e.epilogue.clip_lo = 0;
  e.epilogue.clip_hi = 6;
  return e;
}

// The classifier head: bias only, 32-bit output logits. The classifiers of the
// exports are MatMuls, so their weights are stored [C][K] (weights_ck).
LayerExtras logits() {
  LayerExtras e;
  e.epilogue.bias = true;
  e.bits.output = 32;
  e.bits.output_signed = true;
  return e;
}

ConvParams conv3x3(std::int64_t out, int stride, std::int64_t groups = 1) {
  ConvParams p;
  p.out_channels = out;
  p.kernel_y = p.kernel_x = 3;
  p.stride_y = p.stride_x = stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  p.groups = groups;
  return p;
}

ConvParams conv1x1(std::int64_t out, int stride) {
  ConvParams p;
  p.out_channels = out;
  p.stride_y = p.stride_x = stride;
  return p;
}

// ResNet-8 of MLPerf Tiny image classification (CIFAR-10, 32x32x3).
Graph resnet8() {
  GraphBuilder b("resnet8");
  auto x = b.input("input", {1, 3, 32, 32});
  x = b.conv("conv1", x, conv3x3(16, 1), requant_u8());
  auto y = b.conv("block1.conv1", x, conv3x3(16, 1), requant_u8());
  y = b.conv("block1.conv2", y, conv3x3(16, 1), requant_u8());
  x = b.add("block1.add", y, x, residual_requant());
  std::int64_t ch = 16;
  for (int blk = 2; blk <= 3; ++blk) {
    ch *= 2;
    const auto n = fmt::format("block{}", blk);
    y = b.conv(n + ".conv1", x, conv3x3(ch, 2), requant_u8());
    y = b.conv(n + ".conv2", y, conv3x3(ch, 1), requant_u8());
    auto s = b.conv(n + ".shortcut", x, conv1x1(ch, 2), requant_u8());
    x = b.add(n + ".add", y, s, residual_requant());
  }
  // The pools of the exports have no epilogue: they keep the uint8 input scale.
  PoolParams pool{OpKind::avg_pool, 8, 8, 8, 8};
  x = b.pool("pool", x, pool);
  x = b.reshape(x, "flatten", {1, 64});
  return b.finish({b.dense("fc", x, 10, logits(), true)});
}

// DS-CNN of MLPerf Tiny keyword spotting (49x10 MFCC input).
Graph dscnn() {
  GraphBuilder b("dscnn");
  auto x = b.input("input", {1, 1, 49, 10});
  ConvParams first;
  first.out_channels = 64;
  first.kernel_y = 10;
  first.kernel_x = 4;
  first.stride_y = first.stride_x = 2;
  first.pad_top = first.pad_bottom = 5;
  first.pad_left = first.pad_right = 1;
  x = b.conv("conv1", x, first, requant_u8());
  for (int i = 1; i <= 4; ++i) {
    x = b.conv(fmt::format("block{}.dw", i), x, conv3x3(64, 1, 64), requant_u8());
    x = b.conv(fmt::format("block{}.pw", i), x, conv1x1(64, 1), requant_u8());
  }
  PoolParams pool{OpKind::max_pool, 25, 5, 25, 5};
  x = b.pool("pool", x, pool);
  x = b.reshape(x, "flatten", {1, 64});
  return b.finish({b.dense("fc", x, 12, logits(), true)});
}

// MobileNetV1 0.25 at 96x96 of MLPerf Tiny visual wake words. The published
// ONNX file ends in a 3x3 max pool and a 256 -> 4 classifier; the zoo follows it.
Graph mobilenetv1() {
  GraphBuilder b("mobilenetv1");
  auto x = b.input("input", {1, 3, 96, 96});
  x = b.conv("conv1", x, conv3x3(8, 2), requant_u8());
  struct Block {
    int stride;
    std::int64_t out;
  };
  const Block blocks[] = {{1, 16},  {2, 32},  {1, 32},  {2, 64},  {1, 64},  {2, 128}, {1, 128},
                          {1, 128}, {1, 128}, {1, 128}, {1, 128}, {2, 256}, {1, 256}};
  std::int64_t ch = 8;
  int i = 1;
  for (const auto& blk : blocks) {
    x = b.conv(fmt::format("block{}.dw", i), x, conv3x3(ch, blk.stride, ch), requant_u8());
    x = b.conv(fmt::format("block{}.pw", i), x, conv1x1(blk.out, 1), requant_u8());
    ch = blk.out;
    ++i;
  }
  PoolParams pool{OpKind::max_pool, 3, 3, 3, 3};
  x = b.pool("pool", x, pool);
  x = b.reshape(x, "flatten", {1, 256});
  return b.finish({b.dense("fc", x, 4, logits(), true)});
}

// Fully connected autoencoder of MLPerf Tiny anomaly detection (640 inputs).
Graph autoencoder() {
  GraphBuilder b("autoencoder");
  auto x = b.input("input", {1, 640});
  const std::int64_t widths[] = {128, 128, 128, 128, 8, 128, 128, 128, 128, 640};
  int i = 1;
  for (auto w : widths) {
    const bool last = i == 10;
    x = b.dense(fmt::format("fc{}", i), x, w, last ? logits() : requant_u8(), true);
    ++i;
  }
  return b.finish({x});
}

// Channels of a MobileNetV2 layer at width multiplier alpha: the nearest
// multiple of 8 (at least 8), one step up when rounding lost more than 10 %
// (the reference implementation's rule).
std::int64_t divisible8(double channels) {
  auto c = std::max<std::int64_t>(8, static_cast<std::int64_t>(channels + 4) / 8 * 8);
  if (static_cast<double>(c) < 0.9 * channels) c += 8;
  return c;
}

// MobileNetV2 (Sandler et al., CVPR 2018, Table 2) at width multiplier alpha
// and a square input: a 3x3 stem, 17 inverted residual blocks (1x1 expand by
// t, 3x3 depthwise, linear 1x1 project; a residual add where the stride is 1
// and the widths match), a 1x1 conv to 1280 channels, global average pool and
// a 1000-way classifier. 8-bit, with synthetic weights.
Graph mobilenetv2(const std::string& name, double alpha, std::int64_t size) {
  GraphBuilder b(name);
  auto x = b.input("input", {1, 3, size, size});
  std::int64_t ch = divisible8(32 * alpha);
  x = b.conv("conv1", x, conv3x3(ch, 2), requant_u8());
  struct Stage {
    int t, c, n, s;  // expansion, output channels, repeats, first stride
  };
  const Stage stages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                          {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  int block = 0;
  for (const auto& st : stages) {
    const std::int64_t out =
        divisible8(static_cast<double>(static_cast<std::int64_t>(st.c * alpha)));
    for (int i = 0; i < st.n; ++i) {
      const int stride = i == 0 ? st.s : 1;
      const auto n = fmt::format("block{}", block++);
      auto y = x;
      const std::int64_t hidden = ch * st.t;
      if (st.t != 1) y = b.conv(n + ".expand", y, conv1x1(hidden, 1), requant_u8());
      y = b.conv(n + ".dw", y, conv3x3(hidden, stride, hidden), requant_u8());
      y = b.conv(n + ".project", y, conv1x1(out, 1), requant_u8());
      x = stride == 1 && ch == out ? b.add(n + ".add", y, x, residual_requant()) : y;
      ch = out;
    }
  }
  x = b.conv("conv_last", x, conv1x1(1280, 1), requant_u8());
  const std::int64_t last = (size + 31) / 32;  // the feature map after five stride-2 layers
  PoolParams pool{OpKind::avg_pool, static_cast<int>(last), static_cast<int>(last),
                  static_cast<int>(last), static_cast<int>(last)};
  x = b.pool("pool", x, pool);
  x = b.reshape(x, "flatten", {1, 1280});
  return b.finish({b.dense("fc", x, 1000, logits(), true)});
}

struct Builtin {
  ZooEntry entry;
  std::function<Graph()> build;
};

const std::vector<Builtin>& builtins() {
  static const std::vector<Builtin> list = {
      {{"resnet8", "ResNet-8, CIFAR-10 image classification (MLPerf Tiny IC), 1x3x32x32"}, resnet8},
      {{"dscnn", "DS-CNN, keyword spotting (MLPerf Tiny KWS), 1x1x49x10"}, dscnn},
      {{"mobilenetv1", "MobileNetV1 0.25, visual wake words (MLPerf Tiny VWW), 1x3x96x96"},
       mobilenetv1},
      {{"autoencoder", "FC autoencoder, anomaly detection (MLPerf Tiny AD), 1x640"}, autoencoder},
      {{"mobilenetv2", "MobileNetV2 1.0, ImageNet classification, 1x3x224x224 (synthetic weights)"},
       [] { return mobilenetv2("mobilenetv2", 1.0, 224); }},
      {{"mobilenetv2-0.35",
        "MobileNetV2 0.35, ImageNet classification, 1x3x96x96 (synthetic weights)"},
       [] { return mobilenetv2("mobilenetv2-0.35", 0.35, 96); }},
  };
  return list;
}

}  // namespace

const std::vector<ZooEntry>& zoo_entries() {
  static const std::vector<ZooEntry> entries = [] {
    std::vector<ZooEntry> e;
    for (const auto& b : builtins())
      e.push_back(b.entry);
    return e;
  }();
  return entries;
}

const std::vector<std::pair<std::string, std::vector<std::string>>>& zoo_aliases() {
  static const std::vector<std::pair<std::string, std::vector<std::string>>> aliases = {
      {"mlperf-tiny", {"resnet8", "dscnn", "mobilenetv1", "autoencoder"}}};
  return aliases;
}

namespace {
std::string known_names() {
  std::string s;
  for (const auto& b : builtins())
    s += (s.empty() ? "" : ", ") + b.entry.name;
  for (const auto& [alias, members] : zoo_aliases())
    s += ", " + alias;
  return s;
}
}  // namespace

Graph zoo_model(const std::string& name) {
  for (const auto& b : builtins()) {
    if (b.entry.name == name) {
      auto g = b.build();
      g.set_source(name);
      return g;
    }
  }
  throw MappingError(fmt::format("unknown model '{}' (built-in models: {})", name, known_names()));
}

std::vector<Graph> load_models(const std::string& name_or_path) {
  for (const auto& [alias, members] : zoo_aliases()) {
    if (alias == name_or_path) {
      std::vector<Graph> out;
      for (const auto& m : members)
        out.push_back(zoo_model(m));
      return out;
    }
  }
  for (const auto& b : builtins()) {
    if (b.entry.name == name_or_path) return {zoo_model(name_or_path)};
  }
  const std::filesystem::path path(name_or_path);
  if (path.extension() == ".onnx" || std::filesystem::exists(path)) {
    std::vector<Graph> out;
    out.push_back(import_onnx(path));
    return out;
  }
  throw MappingError(fmt::format("unknown model '{}': not a built-in model ({}) and no such file",
                                 name_or_path, known_names()));
}

}  // namespace tessel
