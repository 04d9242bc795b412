// _tessel.hwmodels: SoC descriptions (memories, DMA engines, compute units and
// their models), YAML loading and overrides, the registry of unit kinds.

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "core/layer.hpp"
#include "core/units.hpp"
#include "hwmodels/soc.hpp"
#include "hwmodels/soc_loader.hpp"
#include "hwmodels/unit_model.hpp"

namespace py = pybind11;

namespace tessel::bindings {
namespace {

using SocPtr = std::shared_ptr<hw::Soc>;
using ModelPtr = std::shared_ptr<hw::UnitModel>;

// Runs a loader without the GIL (they only touch C++ state) and returns a
// Python-holdable handle.
template <typename F>
SocPtr load_released(F&& f) {
  std::shared_ptr<const hw::Soc> soc;
  {
    py::gil_scoped_release release;
    soc = f();
  }
  return soc_handle(std::move(soc));
}

void bind_parts(py::module_& m) {
  py::class_<hw::MemoryLevel>(m, "MemoryLevel",
                              "One memory level (read-only). Bandwidths in bytes per SoC "
                              "clock cycle, energies in pJ per byte, leakage in mW.")
      .def_readonly("name", &hw::MemoryLevel::name)
      .def_readonly("capacity", &hw::MemoryLevel::capacity, "Bytes for tensors: size - reserved")
      .def_readonly("reserved", &hw::MemoryLevel::reserved,
                    "Bytes kept for code, stacks and runtime")
      .def_property_readonly("size", &hw::MemoryLevel::size, "Bytes: the whole level")
      .def_readonly("read_bandwidth", &hw::MemoryLevel::read_bandwidth)
      .def_readonly("write_bandwidth", &hw::MemoryLevel::write_bandwidth)
      .def_readonly("read_energy", &hw::MemoryLevel::read_energy)
      .def_readonly("write_energy", &hw::MemoryLevel::write_energy)
      .def_readonly("ports", &hw::MemoryLevel::ports)
      .def_readonly("latency", &hw::MemoryLevel::latency, "Cycles")
      .def_readonly("leakage", &hw::MemoryLevel::leakage, "mW")
      .def_readonly("accessible_by", &hw::MemoryLevel::accessible_by,
                    "Compute units that address it directly")
      .def("__repr__", [](const hw::MemoryLevel& l) {
        return fmt::format("<MemoryLevel {} {}>", l.name,
                           format_quantity(static_cast<double>(l.size()), Quantity::bytes));
      });

  py::class_<hw::DmaEngine>(m, "DmaEngine",
                            "A DMA engine (read-only): a transfer costs setup + bytes / "
                            "bandwidth cycles plus row_cycles per extra row.")
      .def_readonly("name", &hw::DmaEngine::name)
      .def_readonly("links", &hw::DmaEngine::links, "(source, destination) level indices")
      .def_readonly("bandwidth", &hw::DmaEngine::bandwidth, "B/cycle")
      .def_readonly("setup_cycles", &hw::DmaEngine::setup_cycles)
      .def_readonly("row_cycles", &hw::DmaEngine::row_cycles)
      .def_readonly("dims", &hw::DmaEngine::dims)
      .def_readonly("channels", &hw::DmaEngine::channels)
      .def_readonly("energy", &hw::DmaEngine::energy, "pJ per byte")
      .def("__repr__",
           [](const hw::DmaEngine& d) { return fmt::format("<DmaEngine {}>", d.name); });

  py::class_<hw::Unrolling>(m, "Unrolling", "A spatial unrolling a unit offers (read-only).")
      .def_readonly("name", &hw::Unrolling::name)
      .def_property_readonly(
          "factors",
          [](const hw::Unrolling& u) {
            py::dict d;
            for (Dim dim : kAllDims) {
              if (u.factors[idx(dim)] != 1)
                d[py::str(std::string(dim_name(dim)))] = u.factors[idx(dim)];
            }
            return d;
          },
          "Parallel iterations per dimension (dims unrolled by 1 omitted)")
      .def("__repr__",
           [](const hw::Unrolling& u) { return fmt::format("<Unrolling {}>", u.name); });

  py::class_<hw::UnitSpec>(m, "UnitSpec",
                           "The parameters every compute unit has (read-only). Frequencies in "
                           "Hz, energy per MAC in pJ, powers in mW, overheads in SoC cycles.")
      .def_readonly("name", &hw::UnitSpec::name)
      .def_readonly("kind", &hw::UnitSpec::kind)
      .def_readonly("frequency", &hw::UnitSpec::frequency)
      .def_property_readonly("ops",
                             [](const hw::UnitSpec& u) {
                               std::vector<std::string> out;
                               for (OpKind op : u.ops)
                                 out.emplace_back(op_name(op));
                               return out;
                             })
      .def_readonly("kernels", &hw::UnitSpec::kernels, "Allowed (FY, FX); empty: any")
      .def_readonly("strides", &hw::UnitSpec::strides, "Allowed strides; empty: any")
      .def_readonly("weight_bits", &hw::UnitSpec::weight_bits, "Empty: any")
      .def_readonly("activation_bits", &hw::UnitSpec::activation_bits, "Empty: any")
      .def_property_readonly(
          "operand_level",
          [](const hw::UnitSpec& u) {
            return py::make_tuple(u.operand_level[0], u.operand_level[1], u.operand_level[2]);
          },
          "Level index the unit reads I, W and O from")
      .def_readonly("energy_per_mac", &hw::UnitSpec::energy_per_mac)
      .def_readonly("active_power", &hw::UnitSpec::active_power)
      .def_readonly("idle_power", &hw::UnitSpec::idle_power)
      .def_readonly("launch_cycles", &hw::UnitSpec::launch_cycles)
      .def_readonly("tile_overhead_cycles", &hw::UnitSpec::tile_overhead_cycles)
      .def_readonly("params", &hw::UnitSpec::params,
                    "Kind-specific parameters, resolved (defaults filled)")
      .def_readonly("layout", &hw::UnitSpec::layout)
      .def("__repr__",
           [](const hw::UnitSpec& u) { return fmt::format("<UnitSpec {} ({})>", u.name, u.kind); });

  py::class_<hw::UnitModel, ModelPtr>(m, "UnitModel",
                                      "The timing and legality model of one compute unit.")
      .def_property_readonly("spec", &hw::UnitModel::spec,
                             py::return_value_policy::reference_internal)
      .def_property_readonly("unrollings", &hw::UnitModel::unrollings,
                             py::return_value_policy::reference_internal)
      .def(
          "supports",
          [](const hw::UnitModel& u, const Layer& layer) {
            std::string why;
            const bool ok = u.supports(layer, &why);
            return py::make_tuple(ok, why);
          },
          py::arg("layer"),
          "(True, '') when the unit can run the layer, else (False, a sentence saying why)")
      .def_property_readonly("writes_accumulators", &hw::UnitModel::writes_accumulators)
      .def("__repr__",
           [](const hw::UnitModel& u) { return fmt::format("<UnitModel {}>", u.spec().name); });
}

void bind_soc(py::module_& m) {
  py::class_<hw::Soc, SocPtr>(m, "Soc",
                              "A whole SoC, parsed and validated once, immutable (read-only). "
                              "Cycles are cycles of `frequency`, the SoC clock.")
      .def_readonly("name", &hw::Soc::name)
      .def_readonly("description", &hw::Soc::description)
      .def_readonly("source", &hw::Soc::source, "File path, or '<built-in>/<name>.yaml'")
      .def_readonly("yaml_text", &hw::Soc::yaml_text, "The full YAML text it was parsed from")
      .def_property_readonly(
          "hash", [](const hw::Soc& s) { return fmt::format("{:016x}", s.hash); },
          "FNV-1a 64 hash of yaml_text, 16 hex digits")
      .def_readonly("frequency", &hw::Soc::frequency, "Hz")
      .def_readonly("levels", &hw::Soc::levels)
      .def_readonly("dmas", &hw::Soc::dmas)
      .def_readonly("units", &hw::Soc::units)
      .def_property_readonly(
          "models",
          [](const hw::Soc& s) {
            std::vector<ModelPtr> out;
            for (const auto& p : s.models)
              out.push_back(std::const_pointer_cast<hw::UnitModel>(p));
            return out;
          },
          "One UnitModel per unit, same order")
      .def_readonly("weights_home", &hw::Soc::weights_home, "Level index")
      .def_readonly("activations_home", &hw::Soc::activations_home, "Level index")
      .def_readonly("conversion_cycles", &hw::Soc::conversion_cycles, "Cycles per byte")
      .def_readonly("conversion_energy", &hw::Soc::conversion_energy, "pJ per byte")
      .def("find_level", &hw::Soc::find_level, py::arg("name"), "Level index, or None")
      .def("find_unit", &hw::Soc::find_unit, py::arg("name"), "Unit index, or None")
      .def(
          "dma_for",
          [](const hw::Soc& s, int src, int dst) -> const hw::DmaEngine* {
            const int n = static_cast<int>(s.levels.size());
            if (src < 0 || src >= n || dst < 0 || dst >= n)
              throw py::index_error(fmt::format("level indices must be in 0..{}", n - 1));
            return s.dma_for(src, dst);
          },
          py::arg("src"), py::arg("dst"), py::return_value_policy::reference_internal,
          "The DMA engine linking level src -> dst, or None")
      .def("__repr__", [](const hw::Soc& s) {
        return fmt::format("<Soc {}: {} levels, {} units, {}>", s.name, s.levels.size(),
                           s.units.size(), format_quantity(s.frequency, Quantity::frequency));
      });

  m.def(
      "load_soc",
      [](const std::string& what) { return load_released([&] { return hw::load_soc(what); }); },
      py::arg("name_or_path"),
      "A built-in target name, or a YAML file (ending in .yaml / .yml or naming an existing "
      "file). MappingError listing the built-in names when neither; IoError / ConfigError for "
      "a file that cannot be read or is invalid.");
  m.def(
      "load_soc_text",
      [](const std::string& text, const std::string& origin) {
        return load_released([&] { return hw::load_soc_text(text, origin); });
      },
      py::arg("text"), py::arg("origin") = "<string>",
      "Parses and validates YAML text; `origin` names it in error messages.");
  m.def(
      "load_soc_file",
      [](const std::string& path) {
        return load_released([&] { return hw::load_soc_file(path); });
      },
      py::arg("path"), "Reads and validates a YAML file.");
  m.def("builtin_soc_names", &hw::builtin_soc_names, "The built-in targets, sorted");
  m.def(
      "builtin_soc_text",
      [](const std::string& name) -> std::optional<std::string> {
        const auto t = hw::builtin_soc_text(name);
        if (!t) return std::nullopt;
        return std::string(*t);
      },
      py::arg("name"), "The embedded YAML of a built-in target, or None");
  m.def(
      "apply_overrides",
      [](const hw::Soc& soc, const std::map<std::string, std::string>& params) {
        return load_released([&] { return hw::apply_overrides(soc, params); });
      },
      py::arg("soc"), py::arg("params"),
      "A re-validated copy of `soc` with values replaced: keys 'clock', 'L1.size', "
      "'cluster_dma.bandwidth', 'ne16.launch', 'cluster.params.cores', ... (docs/soc-yaml.md, "
      "Overrides); values are YAML text. ConfigError naming the key otherwise.");
}

void bind_kinds(py::module_& m) {
  py::class_<hw::ParamSpec>(m, "ParamSpec", "One kind-specific unit parameter (read-only).")
      .def_readonly("name", &hw::ParamSpec::name)
      .def_property_readonly(
          "quantity", [](const hw::ParamSpec& p) { return std::string(quantity_name(p.quantity)); })
      .def_property_readonly(
          "unit",
          [](const hw::ParamSpec& p) { return std::string(quantity_base_unit(p.quantity)); },
          "Base unit values are given in ('' for plain numbers)")
      .def_readonly("default", &hw::ParamSpec::default_value, "None when required")
      .def_property_readonly("required",
                             [](const hw::ParamSpec& p) { return !p.default_value.has_value(); })
      .def_readonly("description", &hw::ParamSpec::description);
  py::class_<hw::UnitKind>(m, "UnitKind", "A registered compute-unit kind (read-only).")
      .def_readonly("name", &hw::UnitKind::name)
      .def_readonly("description", &hw::UnitKind::description)
      .def_readonly("params", &hw::UnitKind::params);
  m.def("unit_kinds", &hw::unit_kinds, py::return_value_policy::reference,
        "The compute-unit kinds a unit's `kind` may name, with their parameters");
}

}  // namespace

void bind_hwmodels(py::module_& m) {
  bind_parts(m);
  bind_soc(m);
  bind_kinds(m);
}

}  // namespace tessel::bindings
