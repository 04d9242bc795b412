#pragma once

#include <string>
#include <vector>

#include "core/graph.hpp"

namespace tessel {

// One entry of the built-in model zoo.
struct ZooEntry {
  std::string name;
  std::string description;
};

// The built-in networks, in a stable order.
const std::vector<ZooEntry>& zoo_entries();
// Aliases that stand for several networks ("mlperf-tiny" -> all four).
const std::vector<std::pair<std::string, std::vector<std::string>>>& zoo_aliases();

// Builds a zoo network by name. Throws MappingError listing the known names
// when the name is unknown.
Graph zoo_model(const std::string& name);

// Resolves what a user typed for a model: a zoo name, a zoo alias, or a path
// to an ONNX file (anything ending in ".onnx" or naming an existing file).
// Returns one graph per network. Throws ModelError / IoError / UnsupportedError
// from the importer, or MappingError for an unknown name.
std::vector<Graph> load_models(const std::string& name_or_path);

}  // namespace tessel
