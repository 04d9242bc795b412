// Loading, validation and overrides of SoC descriptions (hwmodels/soc_loader.hpp).

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "core/errors.hpp"
#include "hwmodels/soc_loader.hpp"
#include "hwmodels/unit_model.hpp"

using namespace tessel;
using namespace tessel::hw;
using Catch::Contains;
using Catch::StartsWith;

namespace {

const std::string kData = std::string(TESSEL_SOURCE_DIR) + "/tests/data/soc/";

std::string small_path() {
  return kData + "small.yaml";
}

// The message of the ConfigError `f` throws ("" if it throws nothing).
template <typename F>
std::string config_error(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("a small SoC loads with its values resolved to base units", "[soc]") {
  const auto soc = load_soc_file(small_path());
  CHECK(soc->name == "tiny");
  CHECK(soc->description == "test SoC: host + 4-core cluster");
  CHECK(soc->source == small_path());
  CHECK(soc->frequency == 1e8);
  REQUIRE(soc->levels.size() == 2);

  const auto& l2 = soc->levels[0];
  CHECK(l2.name == "L2");
  CHECK(l2.capacity == 1572864);
  CHECK(l2.read_bandwidth == 4);
  CHECK(l2.write_bandwidth == 4);
  CHECK(l2.read_energy == 2);
  CHECK(l2.write_energy == 2.5);
  CHECK(l2.ports == 1);  // default
  CHECK(l2.latency == 10);
  CHECK(l2.leakage == 0.5);
  // Not given: the units that read the level.
  CHECK(l2.accessible_by == std::vector<std::string>{"host"});

  const auto& l1 = soc->levels[1];
  CHECK(l1.capacity == 65536);
  CHECK(l1.read_energy == Approx(0.5));
  CHECK(l1.ports == 4);
  CHECK(l1.latency == 0);
  CHECK(l1.leakage == 0);
  CHECK(l1.accessible_by == std::vector<std::string>{"cluster"});

  CHECK(soc->weights_home == 0);
  CHECK(soc->activations_home == 0);

  REQUIRE(soc->dmas.size() == 1);
  const auto& d = soc->dmas[0];
  CHECK(d.name == "cluster_dma");
  CHECK(d.links == std::vector<std::pair<int, int>>{{0, 1}, {1, 0}});
  CHECK(d.bandwidth == 8);
  CHECK(d.setup_cycles == 30);
  CHECK(d.row_cycles == 2);
  CHECK(d.dims == 2);
  CHECK(d.channels == 2);
  CHECK(d.energy == Approx(0.1));
  CHECK(soc->dma_for(0, 1) == &soc->dmas[0]);
  CHECK(soc->dma_for(1, 0) == &soc->dmas[0]);
  CHECK(soc->dma_for(0, 0) == nullptr);

  REQUIRE(soc->units.size() == 2);
  REQUIRE(soc->models.size() == 2);
  const auto& host = soc->units[0];
  CHECK(host.name == "host");
  CHECK(host.kind == "cpu");
  CHECK(host.frequency == 5e7);
  CHECK(host.ops == std::vector<OpKind>{OpKind::conv, OpKind::dense, OpKind::add});
  CHECK(host.kernels.empty());
  CHECK(host.operand_level == std::array<int, 3>{0, 0, 0});
  CHECK(host.energy_per_mac == 10);
  CHECK(host.params.at("simd_lanes") == 4);
  // Every declared parameter is resolved, defaults included.
  for (const auto& p : find_unit_kind("cpu")->params)
    CHECK(host.params.count(p.name) == 1);

  const auto& cl = soc->units[1];
  CHECK(cl.kind == "cluster");
  CHECK(cl.frequency == 1e8);  // default: the SoC clock
  CHECK(cl.ops.size() == 7);
  CHECK(cl.kernels == std::vector<std::pair<int, int>>{{1, 1}, {3, 3}});
  CHECK(cl.strides == std::vector<int>{1, 2});
  CHECK(cl.weight_bits == std::vector<int>{8});
  CHECK(cl.activation_bits == std::vector<int>{8});
  CHECK(cl.operand_level == std::array<int, 3>{1, 1, 1});
  CHECK(cl.energy_per_mac == Approx(1.2));
  CHECK(cl.active_power == 10);
  CHECK(cl.idle_power == 1);
  CHECK(cl.launch_cycles == 200);
  CHECK(cl.tile_overhead_cycles == 50);
  CHECK(cl.params.at("cores") == 4);
  CHECK(soc->model(1).spec().name == "cluster");
  CHECK_FALSE(soc->model(1).unrollings().empty());

  CHECK(soc->find_level("L1") == 1);
  CHECK_FALSE(soc->find_level("L3").has_value());
  CHECK(soc->find_unit("cluster") == 1);
  CHECK_FALSE(soc->find_unit("ne16").has_value());
}

TEST_CASE("the hash is FNV-1a 64 of the text, which is kept", "[soc]") {
  const auto a = load_soc_file(small_path());
  CHECK(a->yaml_text.find("name: tiny") != std::string::npos);
  auto fnv1a = [](const std::string& s) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ull;
    }
    return h;
  };
  CHECK(fnv1a("a") == 0xaf63dc4c8601ec8cull);  // published test vector
  CHECK(a->hash == fnv1a(a->yaml_text));
  const auto b = load_soc_text(a->yaml_text + "\n# a comment\n", "copy.yaml");
  CHECK(b->source == "copy.yaml");
  CHECK(b->hash != a->hash);
  CHECK(load_soc_text(a->yaml_text, "again.yaml")->hash == a->hash);
}

TEST_CASE("every broken SoC file fails with its own message and line", "[soc][errors]") {
  struct Case {
    const char* file;
    int line;
    std::vector<const char*> says;
  };
  const std::vector<Case> cases = {
      {"unknown_top_key", 32, {"colour: unknown key 'colour'", "expected one of name,"}},
      {"unknown_memory_key",
       17,
       {"memories[1].bandwith: unknown key 'bandwith'", "read_bandwidth"}},
      {"missing_size", 11, {"memories[1]: missing required key 'size'", "'128 KiB'"}},
      {"zero_size", 12, {"memories[1].size: must be greater than 0, got '0 KiB'"}},
      {"negative_bandwidth", 23, {"dmas[0].bandwidth: must be greater than 0, got '-8 B/cycle'"}},
      {"wrong_unit",
       12,
       {"memories[1].size: expected a byte size such as '128 KiB', got '12 MHz'"}},
      {"duplicate_memory",
       11,
       {"memories[1].name: duplicate memory name 'L2'", "first defined at line 5"}},
      {"dma_unknown_level",
       22,
       {"dmas[0].links[1][1]: unknown memory level 'L3'", "levels: L2, L1"}},
      {"unit_reads_unknown_level", 28, {"units[0].reads: unknown memory level 'L0'"}},
      {"unit_reads_unreachable",
       24,
       {"units[0].reads: level 'L1' is not reachable from the activations home 'L2'",
        "no chain of DMA links L2 -> L1"}},
      {"no_writeback",
       28,
       {"units[0].reads: outputs written to level 'L1' cannot reach the activations home 'L2'"}},
      {"unknown_unit_kind",
       26,
       {"units[0].kind: unknown unit kind 'gpu'", "known kinds:", "cluster", "cpu"}},
      {"unknown_op",
       27,
       {"units[0].ops[1]: unknown op kind 'convolution'", "known: conv, depthwise"}},
      {"unknown_param",
       31,
       {"units[0].params.corez: unknown parameter 'corez' of kind 'cluster'",
        "valid parameters: cores,"}},
      {"missing_required_param",
       31,
       {"units[0].params: missing required parameter 'rows' of kind 'aimc'"}},
      {"dims_4", 24, {"dmas[0].dims: expected a whole number from 1 to 3, got '4'"}},
      {"home_unknown_level", 19, {"home.activations: unknown memory level 'L3'"}},
      {"syntax", 28, {"invalid YAML", "flow"}},
      {"bad_kernel",
       28,
       {"units[0].kernels[1]: expected a kernel size FYxFX such as '3x3', got '3by3'"}},
      {"empty_units", 24, {"units: expected a non-empty list of compute units"}},
      {"too_many_levels", 4, {"memories: 9 memory levels given, at most 8 are supported"}},
      {"duplicate_key", 13, {"memories[1].size: duplicate key 'size'", "first given at line 12"}},
      {"missing_clock", 2, {"missing required key 'clock'", "'370 MHz'"}},
      {"accessible_by_unknown_unit",
       17,
       {"memories[1].accessible_by[1]: unknown unit 'ne16'; units: cluster"}},
      {"negative_energy", 15, {"memories[1].read_energy: must not be negative, got '-0.5 pJ/B'"}},
      {"fractional_ports",
       17,
       {"memories[1].ports: expected a whole number such as '8', got '2.5'"}},
      {"param_with_unit",
       31,
       {"units[0].params.cores: expected a whole number such as '8', got '8 MHz'"}},
      {"param_out_of_range",
       31,
       {"units[0].params.cores: unit 'cluster' (cluster): params.cores must be at least 1"}},
      {"reads_missing_operand", 28, {"units[0].reads: missing required key 'O'"}},
      {"bad_name", 11, {"memories[1].name: expected a name of letters", "got 'L1 fast'"}},
      {"link_served_twice",
       25,
       {"dmas[1].links[0]: link L2 -> L1 is already served by DMA engine 'dma'"}},
      {"two_documents", 33, {"more than one YAML document"}},
      {"memories_not_list", 5, {"memories: expected a list of memory levels, found a mapping"}},
      {"empty_file", 1, {"empty SoC description"}},
      {"unit_missing_reads", 25, {"units[0]: missing required key 'reads'"}},
      {"frequency_no_unit_word",
       3,
       {"clock: expected a frequency such as '370 MHz', got '100 Mhz'", "MHz, GHz"}},
  };
  REQUIRE(cases.size() >= 15);

  // Every file of the folder is covered by a case, and every case by a file.
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(kData + "broken")) {
    files.push_back(e.path().stem().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<std::string> named;
  for (const auto& c : cases)
    named.emplace_back(c.file);
  std::sort(named.begin(), named.end());
  CHECK(files == named);

  for (const auto& c : cases) {
    const std::string path = kData + "broken/" + c.file + ".yaml";
    INFO(path);
    const std::string msg = config_error([&] { load_soc_file(path); });
    CHECK_THAT(msg, StartsWith(path + ":" + std::to_string(c.line) + ": "));
    for (const char* s : c.says)
      CHECK_THAT(msg, Contains(s));
    // Exactly one location: the message names the file once.
    CHECK(msg.find(path, 1) == std::string::npos);
  }
}

TEST_CASE("load_soc_text names its origin; load_soc_file reports unreadable files", "[soc]") {
  CHECK_THAT(config_error([] { load_soc_text("name: [", "inline.yaml"); }),
             StartsWith("inline.yaml:"));
  CHECK_THAT(config_error([] { load_soc_text("just text", "t.yaml"); }),
             Contains("t.yaml:1: expected an SoC description (a mapping"));
  CHECK_THROWS_AS(load_soc_file(kData + "does_not_exist.yaml"), IoError);
  CHECK_THROWS_WITH(load_soc_file(kData + "does_not_exist.yaml"), Contains("does_not_exist.yaml"));
  CHECK_THROWS_AS(load_soc_file(kData + "broken"), IoError);
}

TEST_CASE("load_soc takes a built-in name or a path", "[soc]") {
  CHECK(load_soc(small_path())->name == "tiny");
  CHECK_THROWS_AS(load_soc("no-such-soc"), MappingError);
  CHECK_THROWS_WITH(load_soc("no-such-soc"),
                    Contains("unknown SoC 'no-such-soc'") && Contains("built-in targets:"));
  CHECK_THROWS_AS(load_soc("missing.yaml"), IoError);
  const auto names = builtin_soc_names();
  CHECK(std::is_sorted(names.begin(), names.end()));
  for (const auto& n : names) {
    INFO(n);
    const auto soc = load_soc(n);
    CHECK(soc->source == "<built-in>/" + n + ".yaml");
    CHECK(builtin_soc_text(n).has_value());
  }
  CHECK_FALSE(builtin_soc_text("no-such-soc").has_value());
}

TEST_CASE("every shipped target loads, is embedded, and is named after its file",
          "[soc][targets]") {
  const std::filesystem::path dir = std::filesystem::path(TESSEL_SOURCE_DIR) / "hwmodels/targets";
  std::vector<std::string> shipped;
  if (std::filesystem::is_directory(dir)) {
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
      if (e.path().extension() == ".yaml") shipped.push_back(e.path().string());
    }
  }
  REQUIRE_FALSE(shipped.empty());
  const auto builtin = builtin_soc_names();
  for (const auto& path : shipped) {
    INFO(path);
    const auto soc = load_soc_file(path);
    const std::string stem = std::filesystem::path(path).stem().string();
    CHECK(soc->name == stem);
    CHECK_FALSE(soc->description.empty());
    CHECK(soc->units.size() == soc->models.size());
    // The embedded copy is the file as it is now (the build embeds it).
    REQUIRE(builtin_soc_text(stem).has_value());
    CHECK(load_soc(stem)->hash == soc->hash);
  }
  CHECK(builtin.size() == shipped.size());
}

TEST_CASE("overrides replace values and are re-validated", "[soc][overrides]") {
  const auto base = load_soc_file(small_path());
  const auto soc = apply_overrides(*base, {{"L1.size", "32 KiB"},
                                           {"cluster_dma.bandwidth", "16 B/cycle"},
                                           {"cluster.params.cores", "2"},
                                           {"clock", "200 MHz"},
                                           {"host.launch", "100 cycles"},
                                           {"memories.L2.ports", "2"},
                                           {"units.cluster.kernels", "[3x3]"}});
  CHECK(soc->levels[1].capacity == 32768);
  CHECK(soc->dmas[0].bandwidth == 16);
  CHECK(soc->units[1].params.at("cores") == 2);
  CHECK(soc->model(1).spec().params.at("cores") == 2);
  CHECK(soc->frequency == 2e8);
  CHECK(soc->units[1].frequency == 2e8);  // follows the new clock
  CHECK(soc->units[0].frequency == 5e7);  // given explicitly
  CHECK(soc->levels[0].ports == 2);
  CHECK(soc->units[0].launch_cycles == 100);
  CHECK(soc->units[1].kernels == std::vector<std::pair<int, int>>{{3, 3}});
  // Unchanged values stay; the base is untouched.
  CHECK(soc->levels[0].capacity == 1572864);
  CHECK(base->levels[1].capacity == 65536);
  CHECK(base->units[1].params.at("cores") == 4);
  // The variant is self-contained text with its own hash.
  CHECK(soc->hash != base->hash);
  CHECK(soc->source == base->source);
  CHECK_THAT(soc->yaml_text, StartsWith("# " + small_path() + " with overrides: "));
  const auto again = load_soc_text(soc->yaml_text, "variant.yaml");
  CHECK(again->hash == soc->hash);
  CHECK(again->levels[1].capacity == 32768);
  CHECK(again->units[1].params.at("cores") == 2);
  // A parameter left at its default can be set; no overrides is a plain copy.
  CHECK(apply_overrides(*base, {{"cluster.params.barrier_cycles", "5"}})
            ->units[1]
            .params.at("barrier_cycles") == 5);
  CHECK(apply_overrides(*base, {})->hash == base->hash);
  // A key the file omits is added.
  CHECK(apply_overrides(*base, {{"L1.latency", "3 cycles"}})->levels[1].latency == 3);
}

TEST_CASE("reserved bytes are the level's size less the tensors' room", "[soc]") {
  const auto base = load_soc_file(small_path());
  CHECK(base->levels[1].reserved == 0);  // default
  const auto soc = apply_overrides(*base, {{"L1.reserved", "8 KiB"}});
  CHECK(soc->levels[1].reserved == 8192);
  CHECK(soc->levels[1].capacity == 65536 - 8192);
  CHECK(soc->levels[1].size() == 65536);
  CHECK_THAT(config_error([&] {
               apply_overrides(*base, {{"L1.reserved", "64 KiB"}});
             }),
             Contains("memories[1].reserved: must be smaller than the level's size (65536 B), "
                      "got 65536 B"));
  CHECK_THAT(config_error([&] {
               apply_overrides(*base, {{"L1.reserved", "-1 KiB"}});
             }),
             Contains("memories[1].reserved: must not be negative"));
  // The shipped gap9 keeps L2 for code and L1 for the cluster stacks.
  const auto gap9 = load_soc("gap9");
  CHECK(gap9->levels[static_cast<std::size_t>(*gap9->find_level("L2"))].reserved == 65536);
  CHECK(gap9->levels[static_cast<std::size_t>(*gap9->find_level("L1"))].reserved == 9216);
}

TEST_CASE("an override can give params to a unit that has none", "[soc][overrides]") {
  auto text = load_soc_file(small_path())->yaml_text;
  const std::string params = "    params:\n      simd_lanes: 4\n";
  const auto pos = text.find(params);
  REQUIRE(pos != std::string::npos);
  text.erase(pos, params.size());
  const auto soc = load_soc_text(text, "no_params.yaml");
  CHECK(soc->units[0].params.at("simd_lanes") == 1);  // the default
  CHECK(
      apply_overrides(*soc, {{"host.params.simd_lanes", "2"}})->units[0].params.at("simd_lanes") ==
      2);
}

TEST_CASE("bad overrides name the key", "[soc][overrides]") {
  const auto base = load_soc_file(small_path());
  auto err = [&](const std::string& k, const std::string& v) {
    return config_error([&] { apply_overrides(*base, {{k, v}}); });
  };
  CHECK_THAT(err("L1.sise", "64 KiB"),
             Contains("override 'L1.sise': unknown key 'sise' of memory 'L1'"));
  CHECK_THAT(err("L3.size", "64 KiB"),
             Contains("override 'L3.size': no memory, DMA engine or unit named 'L3'"));
  CHECK_THAT(err("frequency", "1 GHz"), Contains("override 'frequency': unknown key 'frequency'"));
  CHECK_THAT(err("L1", "1"), Contains("override 'L1'"));
  CHECK_THAT(err("L1..size", "1"), Contains("override 'L1..size'"));
  CHECK_THAT(err("home.scratch", "L1"), Contains("override 'home.scratch'"));
  CHECK_THAT(err("cluster.params.cores.x", "1"), Contains("override 'cluster.params.cores.x'"));
  CHECK_THAT(err("memories.cluster.size", "1"),
             Contains("no memory named 'cluster'; names: L2, L1"));
  // Values are validated like the file, and the message points at the override.
  CHECK_THAT(err("L1.size", "0 KiB"),
             Contains(small_path() + " (override 'L1.size'): memories[1].size: must be greater "
                                     "than 0, got '0 KiB'"));
  CHECK_THAT(err("L1.size", "12 MHz"), Contains("expected a byte size such as '128 KiB'"));
  CHECK_THAT(err("cluster.params.corez", "2"),
             Contains("(override 'cluster.params.corez'): units[1].params.corez: unknown "
                      "parameter 'corez' of kind 'cluster'"));
  CHECK_THAT(err("cluster.params.cores", "0"),
             Contains("(override 'cluster.params.cores')") && Contains("params.cores"));
  CHECK_THAT(err("cluster.reads", "L3"), Contains("unknown memory level 'L3'"));
  CHECK_THAT(err("cluster_dma.links", "[[L2, L1]]"),
             Contains("outputs written to level 'L1' cannot reach"));
  CHECK_THAT(err("cluster.kernels", "[3by3]"),
             Contains("(override 'cluster.kernels'): units[1].kernels[0]: expected a kernel"));
  CHECK_THAT(err("clock", "[1, 2"), Contains("override 'clock': invalid value"));
}

TEST_CASE("an ambiguous override name must be qualified", "[soc][overrides]") {
  // A unit and a DMA engine may share a name; the override must say which.
  auto text = load_soc_file(small_path())->yaml_text;
  const auto pos = text.find("name: cluster_dma");
  REQUIRE(pos != std::string::npos);
  text.replace(pos, std::string("name: cluster_dma").size(), "name: cluster");
  const auto soc = load_soc_text(text, "shared.yaml");
  CHECK_THAT(config_error([&] {
               apply_overrides(*soc, {{"cluster.bandwidth", "2"}});
             }),
             Contains("'cluster' names both a DMA engine and a unit"));
  CHECK(apply_overrides(*soc, {{"dmas.cluster.bandwidth", "2"}})->dmas[0].bandwidth == 2);
  CHECK(apply_overrides(*soc, {{"units.cluster.params.cores", "8"}})->units[1].params.at("cores") ==
        8);
}

TEST_CASE("a line that starts with ',' is invalid YAML, not a hang of the parser", "[soc][yaml]") {
  // yaml-cpp 0.7 never returns on these (found by fuzz_soc).
  for (const char* text : {",\n]\n", "# c\n\n  , x\n]\n", "name: a\n---\n,\n]\n",
                           "memories:\n  - name: L1\n , x:\n", "\"%*z\",\"G\"\n"}) {
    INFO(text);
    CHECK_THROWS_AS(hw::load_soc_text(text, "bad.yaml"), ConfigError);
    CHECK_THROWS_WITH(hw::load_soc_text(text, "bad.yaml"),
                      Catch::Contains("invalid YAML: a ',' outside a flow collection"));
  }
}

TEST_CASE("anchors, aliases and tags are refused before yaml-cpp sees them", "[soc][yaml]") {
  // yaml-cpp 0.7 loops forever on some of them (found by fuzz_sweep).
  for (const char* text : {"a: &x 1\nb: *x\n", " !nKiB, 160 KiB\n", "a: [&x 1]\n"}) {
    INFO(text);
    CHECK_THROWS_WITH(
        hw::load_soc_text(text, "bad.yaml"),
        Catch::Contains("anchors (&), aliases (*) and tags (!) are not supported by tessel"));
  }
  // Inside quotes and comments they are plain text.
  CHECK_THROWS_WITH(hw::load_soc_text("name: \"&a *b !c\"  # &d\n", "ok.yaml"),
                    !Catch::Contains("anchors"));
}

TEST_CASE("control characters other than tab, CR and LF are invalid YAML", "[soc][yaml]") {
  const std::string text("\0,\x80", 3);  // found by fuzz_sweep: yaml-cpp 0.7 loops on it
  CHECK_THROWS_WITH(hw::load_soc_text(text, "bad.yaml"),
                    Catch::Contains("bad.yaml:1: invalid YAML: control character 0x00"));
}
