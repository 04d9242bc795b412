#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "run_tessel.hpp"

namespace fs = std::filesystem;

TEST_CASE("tessel emit writes a project that builds, and refuses what it cannot write",
          "[cli][emit]") {
  const std::string model = source_path("tests/data/models/keyword_spotting.onnx");
  const fs::path dir = fs::temp_directory_path() / "tessel_cli_emit";
  fs::remove_all(dir);
  const auto r = run_tessel("emit --model '" + model + "' --out '" + dir.string() + "'");
  INFO(r.err);
  REQUIRE(r.status == 0);
  CHECK(r.out.find("emitted keyword_spotting on gap9 (host backend)") != std::string::npos);
  CHECK(r.out.find("constants ") != std::string::npos);
  for (const char* f : {"tessel_network.c", "tessel_network.h", "tessel_kernels.c",
                        "tessel_kernels.h", "main.c", "Makefile"})
    CHECK(fs::exists(dir / f));
  CHECK(std::system(("make -s -C '" + dir.string() + "' >/dev/null 2>&1").c_str()) == 0);
  CHECK(fs::exists(dir / "network"));

  // Not empty now: refused without --force, nothing touched; with it, written.
  const auto again = run_tessel("emit --model '" + model + "' --out '" + dir.string() + "'");
  CHECK(again.status == 2);
  CHECK(again.err.find("is not empty (use --force") != std::string::npos);
  CHECK(fs::exists(dir / "network"));
  CHECK(run_tessel("emit --force --model '" + model + "' --out '" + dir.string() + "'").status ==
        0);
  fs::remove_all(dir);

  // A backend not built yet, a model without weights, several networks: exit
  // 2 and no directory.
  for (const std::string& bad :
       {"--backend gap9 --model '" + model + "'", std::string("--model resnet8"),
        std::string("--model mlperf-tiny")}) {
    INFO(bad);
    const auto b = run_tessel("emit " + bad + " --out '" + dir.string() + "'");
    CHECK(b.status == 2);
    CHECK_FALSE(fs::exists(dir));
  }
}
