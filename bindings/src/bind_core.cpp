// _tessel.core: the workload IR (layers, tensors, graphs), the model zoo, the
// ONNX importer, mappings, costs and schedules.

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <pybind11/operators.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "bindings.hpp"
#include "core/cost.hpp"
#include "core/errors.hpp"
#include "core/graph.hpp"
#include "core/layer.hpp"
#include "core/mapping.hpp"
#include "core/mapping_json.hpp"
#include "core/onnx_import.hpp"
#include "core/schedule.hpp"
#include "core/tensor.hpp"
#include "core/units.hpp"
#include "core/zoo.hpp"

namespace py = pybind11;

namespace tessel::bindings {
namespace {

using GraphPtr = std::shared_ptr<Graph>;

// {"N": 1, "G": 1, ...} in canonical dim order (dicts keep insertion order).
py::dict dims_dict(const DimArray& a) {
  py::dict d;
  for (Dim dim : kAllDims)
    d[py::str(std::string(dim_name(dim)))] = a[idx(dim)];
  return d;
}

// {"I": x, "W": y, "O": z}
template <typename T>
py::dict operand_dict(const std::array<T, kNumOperands>& a) {
  py::dict d;
  for (std::size_t o = 0; o < kNumOperands; ++o)
    d[py::str(std::string(operand_name(static_cast<Operand>(o))))] = a[o];
  return d;
}

Dim dim_from(const std::string& name) {
  const auto d = parse_dim(name);
  if (!d) throw ConfigError(fmt::format("unknown loop dimension '{}' (N G K C OY OX FY FX)", name));
  return *d;
}

Quantity quantity_from(const std::string& name) {
  for (auto q : {Quantity::count, Quantity::real, Quantity::bytes, Quantity::frequency,
                 Quantity::bandwidth, Quantity::energy_per_byte, Quantity::energy, Quantity::power,
                 Quantity::cycles, Quantity::text}) {
    if (name == quantity_name(q)) return q;
  }
  throw ConfigError(fmt::format(
      "unknown quantity '{}' (count, real, bytes, frequency, bandwidth, energy_per_byte, "
      "energy, power, cycles, text)",
      name));
}

const Layer& layer_at(const Graph& g, py::object key) {
  if (py::isinstance<py::int_>(key)) {
    auto i = key.cast<long long>();
    const auto n = static_cast<long long>(g.layers().size());
    if (i < 0) i += n;
    if (i < 0 || i >= n)
      throw py::index_error(
          fmt::format("model '{}' has {} layers; no layer {}", g.name(), n, key.cast<long long>()));
    return g.layer(static_cast<std::size_t>(i));
  }
  const auto name = key.cast<std::string>();
  const auto i = g.find_layer(name);
  if (!i) {
    std::string names;
    for (const auto& l : g.layers())
      names += (names.empty() ? "" : ", ") + l.name;
    throw MappingError(
        fmt::format("model '{}' has no layer '{}' (layers: {})", g.name(), name, names));
  }
  return g.layer(*i);
}

std::vector<GraphPtr> to_ptrs(std::vector<Graph> graphs) {
  std::vector<GraphPtr> out;
  out.reserve(graphs.size());
  for (auto& g : graphs)
    out.push_back(std::make_shared<Graph>(std::move(g)));
  return out;
}

void bind_layer(py::module_& m) {
  py::class_<Layer>(m, "Layer",
                    "One compute layer as the canonical loop nest over N, G, K, C, OY, OX, FY, "
                    "FX (read-only).")
      .def_readonly("name", &Layer::name)
      .def_property_readonly(
          "op", [](const Layer& l) { return std::string(op_name(l.op)); },
          "conv, depthwise, pointwise, dense, max_pool, avg_pool or add")
      .def_property_readonly(
          "dims", [](const Layer& l) { return dims_dict(l.dims); },
          "Loop bounds {'N': .., 'G': .., 'K': .., 'C': .., 'OY': .., 'OX': .., 'FY': .., "
          "'FX': ..}")
      .def(
          "dim", [](const Layer& l, const std::string& d) { return l.dim(dim_from(d)); },
          py::arg("name"), "The loop bound of one dimension ('K', 'OY', ...)")
      .def_property_readonly(
          "input_size", [](const Layer& l) { return py::make_tuple(l.in_y, l.in_x); },
          "(height, width) of the input feature map")
      .def_property_readonly(
          "stride", [](const Layer& l) { return py::make_tuple(l.stride_y, l.stride_x); }, "(y, x)")
      .def_property_readonly(
          "dilation", [](const Layer& l) { return py::make_tuple(l.dilation_y, l.dilation_x); },
          "(y, x)")
      .def_property_readonly(
          "padding",
          [](const Layer& l) {
            return py::make_tuple(l.pad_top, l.pad_left, l.pad_bottom, l.pad_right);
          },
          "(top, left, bottom, right)")
      .def_property_readonly(
          "bits",
          [](const Layer& l) {
            py::dict d;
            d["input"] = l.bits.input;
            d["weight"] = l.bits.weight;
            d["output"] = l.bits.output;
            d["accumulator"] = l.bits.accumulator;
            d["input_signed"] = l.bits.input_signed;
            d["weight_signed"] = l.bits.weight_signed;
            d["output_signed"] = l.bits.output_signed;
            return d;
          },
          "Bit widths and signedness of the operands")
      .def_property_readonly(
          "epilogue",
          [](const Layer& l) {
            py::dict d;
            d["bias"] = l.epilogue.bias;
            d["requant"] = l.epilogue.requant;
            d["activation"] = std::string(activation_name(l.epilogue.activation));
            if (l.epilogue.activation == Epilogue::Activation::clip)
              d["clip"] = py::make_tuple(l.epilogue.clip_lo, l.epilogue.clip_hi);
            py::list steps;
            for (const auto& s : l.epilogue.steps)
              steps.append(std::string(epilogue_kind_name(s.kind)));
            d["steps"] = steps;
            return d;
          },
          "Summary of the fused epilogue: bias, requant, activation, the kinds of its steps")
      .def_readonly("inputs", &Layer::inputs, "Activation tensors read (two for add)")
      .def_readonly("weights", &Layer::weights, "Weight tensor ('' when the op has none)")
      .def_readonly("output", &Layer::output, "Tensor written")
      .def_property_readonly("macs", &Layer::macs,
                             "Multiply-accumulates (0 for pools and element-wise adds)")
      .def_property_readonly("nest_ops", &Layer::nest_ops,
                             "Element operations of the nest (N*G*K*C*OY*OX*FY*FX)")
      .def_property_readonly("weight_bytes", &Layer::weight_bytes)
      .def_property_readonly("input_bytes", &Layer::input_bytes,
                             "Bytes of all activation inputs together")
      .def_property_readonly("output_bytes", &Layer::output_bytes)
      .def_property_readonly(
          "dims_string", [](const Layer& l) { return dims_string(l); },
          "Loop bounds other than 1, e.g. 'K=16 C=3 OY=32 OX=32 FY=3 FX=3'")
      .def("__repr__", [](const Layer& l) {
        return fmt::format("<Layer {} {} {}>", l.name, op_name(l.op), dims_string(l));
      });
}

void bind_graph(py::module_& m) {
  py::class_<Tensor>(m, "Tensor", "A named tensor of a graph: activation or constant (read-only).")
      .def_readonly("name", &Tensor::name)
      .def_readonly("shape", &Tensor::shape, "NCHW for feature maps, [N, features] for vectors")
      .def_property_readonly(
          "dtype", [](const Tensor& t) { return data_type_name(t.type); }, "'uint8', 'int32', ...")
      .def_readonly("constant", &Tensor::constant)
      .def_property_readonly("elems", &Tensor::elems)
      .def_property_readonly("bytes", &Tensor::bytes)
      .def_readonly("data", &Tensor::data, "Values of a constant, row-major; empty for activations")
      .def("__repr__", [](const Tensor& t) {
        return fmt::format("<Tensor {} {} {}{}>", t.name, shape_string(t.shape),
                           data_type_name(t.type), t.constant ? " constant" : "");
      });

  py::class_<Graph, GraphPtr>(m, "Graph",
                              "A network: layers connected by tensors, in execution order "
                              "(read-only).")
      .def_property_readonly("name", &Graph::name)
      .def_property_readonly("layers", &Graph::layers, py::return_value_policy::reference_internal,
                             "The layers in execution (topological) order")
      .def("layer", &layer_at, py::arg("key"), py::return_value_policy::reference_internal,
           "A layer by index (negative counts from the end) or by name; IndexError / "
           "MappingError otherwise")
      .def("find_layer", &Graph::find_layer, py::arg("name"),
           "Index of the layer called `name`, or None")
      .def_property_readonly("tensors", &Graph::tensors,
                             py::return_value_policy::reference_internal, "name -> Tensor")
      .def("tensor", &Graph::tensor, py::arg("name"), py::return_value_policy::reference_internal,
           "A tensor by name; ModelError when there is none")
      .def_property_readonly("inputs", &Graph::inputs, "Names of the graph's input tensors")
      .def_property_readonly("outputs", &Graph::outputs, "Names of the graph's output tensors")
      .def(
          "producers",
          [](const Graph& g, std::size_t i) {
            if (i >= g.layers().size()) throw py::index_error("no such layer index");
            return g.producers(i);
          },
          py::arg("index"), "Indices of the layers whose outputs layer `index` reads")
      .def(
          "consumers",
          [](const Graph& g, std::size_t i) {
            if (i >= g.layers().size()) throw py::index_error("no such layer index");
            return g.consumers(i);
          },
          py::arg("index"), "Indices of the layers that read layer `index`'s output")
      .def_property_readonly("total_macs", &Graph::total_macs)
      .def_property_readonly("total_weight_bytes", &Graph::total_weight_bytes)
      .def_property_readonly("peak_activation_bytes", &Graph::peak_activation_bytes,
                             "Largest sum of live activation bytes of a sequential execution")
      .def("__len__", [](const Graph& g) { return g.layers().size(); })
      .def("__repr__", [](const Graph& g) {
        return fmt::format("<Graph {}: {} layers, {} MACs>", g.name(), g.layers().size(),
                           g.total_macs());
      });

  m.def(
      "zoo_entries",
      [] {
        std::vector<std::pair<std::string, std::string>> out;
        for (const auto& e : zoo_entries())
          out.emplace_back(e.name, e.description);
        return out;
      },
      "The built-in networks as (name, description), in a stable order");
  m.def("zoo_aliases", &zoo_aliases,
        "Aliases standing for several built-in networks, as (alias, [names])");
  m.def(
      "zoo_model", [](const std::string& name) { return std::make_shared<Graph>(zoo_model(name)); },
      py::arg("name"), "Builds a built-in network; MappingError listing the names when unknown");
  m.def(
      "load_models",
      [](const std::string& what) {
        std::vector<Graph> graphs;
        {
          py::gil_scoped_release release;
          graphs = load_models(what);
        }
        return to_ptrs(std::move(graphs));
      },
      py::arg("name_or_path"),
      "A zoo name, a zoo alias or an ONNX file (ending in .onnx or naming an existing file) "
      "-> one Graph per network. IoError / ModelError / UnsupportedError from the importer, "
      "MappingError for an unknown name.");
  m.def(
      "import_onnx",
      [](const std::filesystem::path& path, const std::string& name, std::int64_t batch) {
        OnnxImportOptions o;
        o.name = name;
        o.batch = batch;
        py::gil_scoped_release release;
        return std::make_shared<Graph>(import_onnx(path, o));
      },
      py::arg("path"), py::arg("name") = "", py::arg("batch") = 1,
      "Imports an ONNX file. `name` defaults to the file's stem; `batch` is given to a "
      "symbolic batch dimension.");
}

void bind_mapping(py::module_& m) {
  py::class_<Mapping>(m, "Mapping",
                      "How one layer runs on one compute unit: one or more loop nests (tile "
                      "extents, tile loop order outermost first, double buffering per operand), "
                      "spatial unrolling (index into the unit's list). tile, order and "
                      "double_buffer are the innermost nest's.")
      .def(py::init<>())
      .def_readwrite("unit", &Mapping::unit, "Index of the compute unit in the SoC")
      .def_property(
          "tile", [](const Mapping& mp) { return dims_dict(mp.inner().tile); },
          [](Mapping& mp, const std::map<std::string, std::int64_t>& t) {
            for (const auto& [k, v] : t) {
              if (v < 1) throw ConfigError(fmt::format("tile {}={}: must be at least 1", k, v));
              mp.inner().tile[idx(dim_from(k))] = v;
            }
          },
          "Tile extents per dimension; assigning a dict sets the listed dims")
      .def_property(
          "order",
          [](const Mapping& mp) {
            std::vector<std::string> out;
            for (Dim d : mp.inner().order)
              out.emplace_back(dim_name(d));
            return out;
          },
          [](Mapping& mp, const std::string& text) { mp.inner().order = parse_order(text); },
          "All eight dims, outermost first; assign 'OY,K' (listed dims first, the rest in "
          "canonical order)")
      .def_property(
          "double_buffer", [](const Mapping& mp) { return operand_dict(mp.inner().double_buffer); },
          [](Mapping& mp, const std::string& text) {
            mp.inner().double_buffer = parse_buffering(text);
          },
          "{'I': bool, 'W': bool, 'O': bool}; assign 'none', 'all' or 'I,W'")
      .def_readwrite("unrolling", &Mapping::unrolling,
                     "Index of the spatial unrolling in the unit's list")
      .def_readonly("depth", &Mapping::depth,
                    "Loop nests (1: one level of tiling; 2 or 3: staged through levels)")
      .def_property(
          "home", [](const Mapping& m) { return std::vector<int>(m.home.begin(), m.home.end()); },
          [](Mapping& m, const std::vector<int>& h) {
            if (h.size() != kNumOperands)
              throw ConfigError("Mapping.home: expected 3 level indices (I, W, O)");
            for (std::size_t o = 0; o < kNumOperands; ++o) {
              if (h[o] < -1 || h[o] >= static_cast<int>(kMaxLevels))
                throw ConfigError(fmt::format("Mapping.home: level index {} out of range", h[o]));
              m.home[o] = static_cast<std::int8_t>(h[o]);
            }
          },
          "Per operand (I, W, O) the level index of its whole tensor; -1: the SoC's home")
      .def_property(
          "nests",
          [](const Mapping& mp) {
            return py::module_::import("json").attr("loads")(nests_to_json(mp));
          },
          [](Mapping& mp, const py::object& nests) {
            const auto text = py::module_::import("json").attr("dumps")(nests).cast<std::string>();
            Mapping m = mp;
            nests_from_json(text, m);
            mp = m;
          },
          "Every loop nest, outermost first: {'tile': {dim: extent}, 'order': [dims], "
          "'double_buffer': {operand: bool}, 'level': {operand: level index or -1}}; tile, "
          "order and double_buffer above are the innermost nest's. Assigning a list of such "
          "dicts (1 to 3) sets depth and every nest; ConfigError on a malformed one")
      .def(py::self == py::self)
      .def("__repr__", [](const Mapping& mp) {
        std::string tile;
        for (Dim d : kAllDims)
          tile +=
              fmt::format("{}{}={}", tile.empty() ? "" : " ", dim_name(d), mp.inner().tile[idx(d)]);
        return fmt::format("<Mapping unit={} tile=[{}] unrolling={}>", mp.unit, tile, mp.unrolling);
      });
  m.def(
      "make_mapping",
      [](const Layer& layer, int unit, const std::string& tile, const std::string& order,
         const std::string& double_buffer, int unrolling) {
        Mapping mp;
        mp.unit = unit;
        mp.inner().tile = parse_tile(layer, tile);
        mp.inner().order = parse_order(order);
        mp.inner().double_buffer = parse_buffering(double_buffer);
        mp.unrolling = unrolling;
        return mp;
      },
      py::arg("layer"), py::arg("unit"), py::arg("tile") = "", py::arg("order") = "",
      py::arg("double_buffer") = "none", py::arg("unrolling") = 0,
      "A mapping of `layer` as `tessel cost` reads it: tile 'K=16,OY=8' (unlisted dims whole, "
      "larger sizes clamped), order 'OY,K' (outermost first), double_buffer 'none' | 'all' | "
      "'I,W,O'. ConfigError on a malformed item.");
  m.def("tile_string", &tile_string, py::arg("layer"), py::arg("mapping"),
        "'K=16 C=3 OY=8 OX=32' (tiled dims)");
  m.def("order_string", &order_string, py::arg("layer"), py::arg("mapping"),
        "'OY>K' (dims with more than one tile, outermost first), '-' for one tile");
  m.def("buffering_string", &buffering_string, py::arg("mapping"),
        "'I,W' (double-buffered operands), '-' when none");
  m.def(
      "tile_counts",
      [](const Layer& layer, const Mapping& mp) { return dims_dict(tile_counts(layer, mp)); },
      py::arg("layer"), py::arg("mapping"), "Number of tiles along each dimension");
}

void bind_cost(py::module_& m) {
  py::class_<Cost>(m, "Cost",
                   "Predicted cost of one mapping: SoC clock cycles (cycles = compute + dma + "
                   "overhead + stall), energy in pJ, bytes per memory level (read-only). "
                   "Per-level lists have one entry per possible level; the SoC's level i is "
                   "entry i.")
      .def_readonly("legal", &Cost::legal)
      .def_property_readonly(
          "reason", [](const Cost& c) { return std::string(c.reason); },
          "Why the mapping is illegal ('' when legal)")
      .def_readonly("cycles", &Cost::cycles)
      .def_readonly("compute_cycles", &Cost::compute_cycles)
      .def_readonly("dma_cycles", &Cost::dma_cycles, "Transfer cycles not hidden by compute")
      .def_readonly("overhead_cycles", &Cost::overhead_cycles, "Launch and per-tile bookkeeping")
      .def_readonly("stall_cycles", &Cost::stall_cycles, "Waiting on shared resources")
      .def_readonly("dma_busy_cycles", &Cost::dma_busy_cycles, "DMA engine time, hidden or not")
      .def_readonly("energy", &Cost::energy, "Total pJ")
      .def_readonly("compute_energy", &Cost::compute_energy, "pJ of the unit's MACs / ops")
      .def_readonly("static_energy", &Cost::static_energy, "pJ of idle and leakage power")
      .def_readonly("dma_energy", &Cost::dma_energy, "pJ of the DMA engines")
      .def_property_readonly(
          "level_energy",
          [](const Cost& c) {
            return std::vector<double>(c.level_energy.begin(), c.level_energy.end());
          },
          "Access energy (pJ) per memory level index")
      .def_property_readonly(
          "bytes_held",
          [](const Cost& c) {
            return std::vector<std::int64_t>(c.bytes_held.begin(), c.bytes_held.end());
          },
          "Peak bytes held per memory level index")
      .def_property_readonly(
          "transfers", [](const Cost& c) { return operand_dict(c.transfers); },
          "Tile transfers per operand")
      .def_property_readonly(
          "bytes_moved", [](const Cost& c) { return operand_dict(c.bytes_moved); },
          "Bytes moved per operand (O: written back)")
      .def_readonly("tiles", &Cost::tiles, "Tile steps")
      .def_readonly("macs", &Cost::macs)
      .def("__repr__", [](const Cost& c) {
        if (!c.legal) return fmt::format("<Cost illegal: {}>", c.reason);
        return fmt::format("<Cost {} cycles, {} pJ>", c.cycles, c.energy);
      });
}

}  // namespace

void bind_core(py::module_& m) {
  bind_layer(m);
  bind_graph(m);
  bind_mapping(m);
  bind_cost(m);
  bind_schedule(m);
  m.attr("dim_names") = py::make_tuple("N", "G", "K", "C", "OY", "OX", "FY", "FX");
  m.def(
      "parse_quantity",
      [](const std::string& text, const std::string& quantity) {
        return parse_quantity(text, quantity_from(quantity));
      },
      py::arg("text"), py::arg("quantity"),
      "'128 KiB' -> 131072.0 for quantity 'bytes' (also frequency, bandwidth, energy, "
      "energy_per_byte, power, cycles, count, real). ConfigError on a bad value or unit.");
  m.def(
      "format_quantity",
      [](double value, const std::string& quantity) {
        return format_quantity(value, quantity_from(quantity));
      },
      py::arg("value"), py::arg("quantity"), "131072, 'bytes' -> '128 KiB'");
}

}  // namespace tessel::bindings
