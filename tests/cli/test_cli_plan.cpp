#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "run_tessel.hpp"

TEST_CASE("tessel plan prints, writes as JSON and draws the memory plan", "[cli][plan][slow]") {
  const auto text = run_tessel("plan --soc gap9 --model resnet8");
  REQUIRE(text.status == 0);
  CHECK(text.out.find("resnet8 on gap9: memory plan (step order exact") != std::string::npos);
  CHECK(text.out.find("block3.add.out") != std::string::npos);
  const auto js = run_tessel("plan --soc gap9 --model resnet8 --json");
  REQUIRE(js.status == 0);
  const auto j = nlohmann::json::parse(js.out);
  const auto ex = nlohmann::json::parse(run_tessel("explore --db '' --json --model resnet8").out);
  CHECK(j == ex["memory_plan"]);
  const auto png = (std::filesystem::temp_directory_path() / "tessel_plan_test.png").string();
  std::filesystem::remove(png);
  const auto drawn = run_tessel("plan --soc gap9 --model resnet8 --png " + png);
  INFO(drawn.err);
  REQUIRE(drawn.status == 0);
  std::ifstream in(png, std::ios::binary);
  char magic[4] = {};
  in.read(magic, 4);
  CHECK(std::string(magic + 1, 3) == "PNG");
  const auto bad = run_tessel("plan --model resnet8 --max-memory L2=64B");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("fits no memory plan") != std::string::npos);
}
