#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "run_tessel.hpp"

namespace fs = std::filesystem;

TEST_CASE("tessel emit writes a project that builds, and refuses what it cannot write",
          "[cli][emit][slow]") {
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

  // An unknown backend, one that does not drive the SoC's units, a model
  // without weights, several networks: exit 2 and no directory.
  for (const std::string& bad :
       {"--backend gpu --model '" + model + "'", "--backend cortex-m --model '" + model + "'",
        std::string("--model resnet8"), std::string("--model mlperf-tiny")}) {
    INFO(bad);
    const auto b = run_tessel("emit " + bad + " --out '" + dir.string() + "'");
    CHECK(b.status == 2);
    CHECK_FALSE(fs::exists(dir));
  }
  // Parts at weight bits the model was not quantised for: refused, naming one.
  const auto lower = run_tessel(
      "emit --soc diana --backend diana --precision-policy allow-lower "
      "--model '" +
      model + "' --out '" + dir.string() + "'");
  CHECK(lower.status == 2);
  CHECK(lower.err.find("runs at 2-bit weights on unit 'analog'") != std::string::npos);
  CHECK_FALSE(fs::exists(dir));
}

TEST_CASE("tessel emit --db --schedule writes a stored schedule's project, the same code",
          "[cli][emit][store]") {
  const std::string model = source_path("tests/data/models/keyword_spotting.onnx");
  const fs::path tmp = fs::temp_directory_path() / "tessel_cli_emit_db";
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  const auto db = (tmp / "runs.sqlite").string();
  REQUIRE(run_tessel("explore --model '" + model + "' --db '" + db + "' --store best").status == 0);
  const auto stored = run_tessel("emit --model '" + model + "' --db '" + db +
                                 "' --schedule 1 --out '" + (tmp / "stored").string() + "'");
  INFO(stored.err);
  REQUIRE(stored.status == 0);
  REQUIRE(
      run_tessel("emit --model '" + model + "' --out '" + (tmp / "fresh").string() + "'").status ==
      0);
  auto text = [](const fs::path& p) {
    std::ifstream f(p);
    return std::string(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  };
  // The stored schedule is the one a fresh exploration finds: the same code.
  CHECK(text(tmp / "stored" / "tessel_network.c") == text(tmp / "fresh" / "tessel_network.c"));
  // --db without --schedule, an unknown id: exit 2, nothing written.
  CHECK(run_tessel("emit --model '" + model + "' --db '" + db + "' --out '" +
                   (tmp / "bad").string() + "'")
            .status == 2);
  CHECK(run_tessel("emit --model '" + model + "' --db '" + db + "' --schedule 99 --out '" +
                   (tmp / "bad").string() + "'")
            .status == 2);
  CHECK_FALSE(fs::exists(tmp / "bad"));
  fs::remove_all(tmp);
}

TEST_CASE("tessel emit --build builds the project and prints its code and data sizes",
          "[cli][emit][build][slow]") {
  const std::string model = source_path("tests/data/models/keyword_spotting.onnx");
  const fs::path dir = fs::temp_directory_path() / "tessel_cli_emit_build";
  fs::remove_all(dir);
  const auto r = run_tessel("emit --backend gap9 --build --model '" + model + "' --out '" +
                            dir.string() + "'");
  INFO(r.out << r.err);
  REQUIRE(r.status == 0);
  CHECK(fs::exists(dir / "network.elf"));
  // "constants N B" and "code and read-only data T B": the code holds the constants.
  auto number_after = [&](const std::string& key) {
    const auto at = r.out.find(key);
    REQUIRE(at != std::string::npos);
    std::string digits;
    for (auto i = at + key.size(); i < r.out.size() && r.out[i] != ' '; ++i)
      if (r.out[i] != ',') digits += r.out[i];
    return std::stoll(digits);
  };
  const auto constants = number_after("constants ");
  const auto text = number_after("code and read-only data ");
  CHECK(constants > 0);
  CHECK(text > constants);
  CHECK(r.out.find("zeroed ") != std::string::npos);

  // A project that does not build: exit 2 naming the make log.
  std::ofstream(dir / "broken.c") << "this is not C\n";
  const auto bad = run_tessel("emit --force --backend gap9 --build --model '" + model +
                              "' --out '" + dir.string() + "'");
  CHECK(bad.status == 2);
  CHECK(bad.err.find("make.log") != std::string::npos);
  fs::remove_all(dir);
}
