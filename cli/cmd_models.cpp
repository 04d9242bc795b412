// `tessel models list` and `tessel models show`.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/table.hpp"
#include "core/zoo.hpp"

namespace tessel::cli {
namespace {

nlohmann::ordered_json layer_json(const Layer& l) {
  nlohmann::ordered_json dims;
  for (Dim d : kAllDims)
    dims[std::string(dim_name(d))] = l.dim(d);
  return {
      {"name", l.name},
      {"op", op_name(l.op)},
      {"dims", dims},
      {"input_size", {l.in_y, l.in_x}},
      {"stride", {l.stride_y, l.stride_x}},
      {"dilation", {l.dilation_y, l.dilation_x}},
      {"padding", {l.pad_top, l.pad_left, l.pad_bottom, l.pad_right}},
      {"bits",
       {{"input", l.bits.input},
        {"weight", l.bits.weight},
        {"output", l.bits.output},
        {"accumulator", l.bits.accumulator}}},
      {"epilogue",
       {{"bias", l.epilogue.bias},
        {"requant", l.epilogue.requant},
        {"activation", activation_name(l.epilogue.activation)}}},
      {"macs", l.macs()},
      {"weight_bytes", l.weight_bytes()},
      {"input_bytes", l.input_bytes()},
      {"output_bytes", l.output_bytes()},
      {"inputs", l.inputs},
      {"output", l.output},
  };
}

nlohmann::ordered_json graph_json(const Graph& g) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const auto& l : g.layers())
    layers.push_back(layer_json(l));
  return {{"model", g.name()},
          {"layers", layers},
          {"total",
           {{"layers", g.layers().size()},
            {"macs", g.total_macs()},
            {"weight_bytes", g.total_weight_bytes()},
            {"peak_activation_bytes", g.peak_activation_bytes()}}},
          {"notes", g.notes()}};
}

std::string graph_table(const Graph& g) {
  Table t({"layer", "op", "dims", "stride", "MACs", "weight B", "input B", "output B"},
          {false, false, false, false, true, true, true, true});
  for (const auto& l : g.layers()) {
    t.row({l.name, std::string(op_name(l.op)), dims_string(l),
           fmt::format("{}x{}", l.stride_y, l.stride_x), thousands(l.macs()),
           thousands(l.weight_bytes()), thousands(l.input_bytes()), thousands(l.output_bytes())});
  }
  std::string out = fmt::format("model {}\n", g.name()) + t.str();
  out += fmt::format(
      "total: {} layers, {} MACs, {} weight bytes, {} peak activation bytes (sequential)\n",
      g.layers().size(), thousands(g.total_macs()), thousands(g.total_weight_bytes()),
      thousands(g.peak_activation_bytes()));
  for (const auto& note : g.notes())
    out += fmt::format("note: {}\n", note);
  return out;
}

}  // namespace

void add_models_command(CLI::App& app, Action& action) {
  auto* models = app.add_subcommand("models", "List and inspect networks");
  models->require_subcommand(1);

  auto* list = models->add_subcommand("list", "List the built-in networks and aliases");
  list->callback([&action] {
    action = [] {
      Table t({"name", "description"});
      for (const auto& e : zoo_entries())
        t.row({e.name, e.description});
      for (const auto& [alias, members] : zoo_aliases()) {
        std::string m;
        for (const auto& x : members)
          m += (m.empty() ? "" : ", ") + x;
        t.row({alias, "alias for: " + m});
      }
      emit(t.str());
    };
  });

  struct ShowOptions {
    std::string model;
    bool json = false;
  };
  auto opts = std::make_shared<ShowOptions>();
  auto* show = models->add_subcommand(
      "show", "Print the layers of a network (built-in name, alias, or ONNX file) and totals");
  show->add_option("model", opts->model, "Built-in model name, alias, or path to an .onnx file")
      ->required();
  show->add_flag("--json", opts->json,
                 "Print JSON: one object {model, layers, total} per network (an array for an "
                 "alias)");
  show->callback([&action, opts] {
    action = [opts] {
      const auto graphs = load_models(opts->model);
      if (opts->json) {
        nlohmann::ordered_json out;
        if (graphs.size() == 1) {
          out = graph_json(graphs.front());
        } else {
          out = nlohmann::ordered_json::array();
          for (const auto& g : graphs)
            out.push_back(graph_json(g));
        }
        emit(out.dump(2) + "\n");
        return;
      }
      std::string text;
      for (const auto& g : graphs)
        text += (text.empty() ? "" : "\n") + graph_table(g);
      emit(text);
    };
  });
}

}  // namespace tessel::cli
