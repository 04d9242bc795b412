#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "run_tessel.hpp"

TEST_CASE("tessel models list names the zoo and the alias", "[cli]") {
  const auto r = run_tessel("models list");
  REQUIRE(r.status == 0);
  for (const char* name : {"resnet8", "dscnn", "mobilenetv1", "autoencoder", "mlperf-tiny"})
    CHECK(r.out.find(name) != std::string::npos);
}

TEST_CASE("tessel models show --json gives layers and totals", "[cli]") {
  const auto r = run_tessel("models show resnet8 --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["model"] == "resnet8");
  CHECK(j["layers"].size() == 14);
  CHECK(j["total"]["layers"] == 14);
  CHECK(j["total"]["macs"] == 12501632);
  CHECK(j["total"]["weight_bytes"] == 77360);
  CHECK(j["total"]["peak_activation_bytes"] == 49152);
  const auto& first = j["layers"][0];
  CHECK(first["name"] == "conv1");
  CHECK(first["op"] == "conv");
  CHECK(first["dims"]["K"] == 16);
  CHECK(first["dims"]["C"] == 3);
  CHECK(first["macs"] == 442368);
  CHECK(first["weight_bytes"] == 432);
  CHECK(first["input_bytes"] == 3072);
  CHECK(first["output_bytes"] == 16384);
}

TEST_CASE("tessel models show on an alias prints every network", "[cli]") {
  const auto table = run_tessel("models show mlperf-tiny");
  REQUIRE(table.status == 0);
  CHECK(table.out.find("12,501,632 MACs") != std::string::npos);
  CHECK(table.out.find("264,192 MACs") != std::string::npos);
  const auto r = run_tessel("models show mlperf-tiny --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  REQUIRE(j.is_array());
  CHECK(j.size() == 4);
}

TEST_CASE("tessel models show imports an ONNX file", "[cli]") {
  const auto r = run_tessel("models show " +
                            source_path("tests/data/models/keyword_spotting.onnx") + " --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["total"]["macs"] == 2656768);
  CHECK(j["total"]["layers"] == 11);
}

TEST_CASE("tessel models show --json escapes names that are not UTF-8", "[cli]") {
  const auto r = run_tessel("models show " + std::string(TESSEL_ONNX_CASES_DIR) +
                            "/invalid_utf8_names.onnx --json");
  REQUIRE(r.status == 0);
  const auto j = nlohmann::json::parse(r.out);
  CHECK(j["layers"][0]["name"] == "conv\\xFF\\xFE\\xC3");
}

TEST_CASE("tessel reports bad input with exit status 2 and one message", "[cli]") {
  SECTION("unknown model name") {
    const auto r = run_tessel("models show resnet9");
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("unknown model 'resnet9'") != std::string::npos);
  }
  SECTION("missing file") {
    const auto r = run_tessel("models show /nonexistent/net.onnx");
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("/nonexistent/net.onnx") != std::string::npos);
  }
  SECTION("truncated file") {
    const auto path = std::filesystem::temp_directory_path() / "tessel_truncated.onnx";
    {
      std::ifstream in(source_path("tests/data/models/image_classification.onnx"),
                       std::ios::binary);
      std::string head(200, '\0');
      in.read(head.data(), static_cast<std::streamsize>(head.size()));
      std::ofstream(path, std::ios::binary) << head;
    }
    const auto r = run_tessel("models show " + path.string());
    std::filesystem::remove(path);
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.find("tessel_truncated.onnx") != std::string::npos);
  }
  SECTION("no subcommand") {
    CHECK(run_tessel("").status == 2);
  }
  SECTION("unknown option") {
    CHECK(run_tessel("models show resnet8 --frobnicate").status == 2);
  }
}
