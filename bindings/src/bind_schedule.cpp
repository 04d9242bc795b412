// The schedule IR for Python (tessel.core): steps, parts, tensors.

#include <fmt/format.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "bindings.hpp"
#include "core/graph.hpp"
#include "core/memory_plan.hpp"
#include "core/schedule.hpp"

namespace py = pybind11;

namespace tessel::bindings {

void bind_schedule(py::module_& m) {
  py::class_<LayerSlice>(m, "LayerSlice",
                         "The part of a layer a schedule part runs: [begin, end) of one "
                         "dimension, or the whole layer (read-only).")
      .def_property_readonly("dim",
                             [](const LayerSlice& s) { return std::string(dim_name(s.dim)); })
      .def_readonly("begin", &LayerSlice::begin)
      .def_readonly("end", &LayerSlice::end, "-1: to the end of the dimension")
      .def_property_readonly("whole", &LayerSlice::whole)
      .def("__repr__", [](const LayerSlice& s) {
        return s.whole() ? std::string("LayerSlice(whole)") : "LayerSlice(" + slice_string(s) + ")";
      });
  m.def("slice_string", &slice_string, py::arg("slice"),
        "'K[0:16]' for a slice, '' for a whole layer");
  m.def("part_layer", &part_layer, py::arg("graph"), py::arg("part"),
        "The layer a schedule part runs: its graph layer cut to the part's slice (a slice "
        "over C after the first accumulates; all but the last write raw 32-bit partial "
        "sums).");

  py::class_<SchedulePart>(m, "SchedulePart",
                           "One part of a schedule step: a layer (or a slice of it) on one "
                           "unit, with its mapping and cost (read-only).")
      .def_readonly("layer", &SchedulePart::layer)
      .def_readonly("index", &SchedulePart::index, "Layer index in the graph's order")
      .def_readonly("slice", &SchedulePart::slice)
      .def_readonly("unit", &SchedulePart::unit, "Unit index in the SoC")
      .def_readonly("unit_name", &SchedulePart::unit_name)
      .def_readonly("weight_bits", &SchedulePart::weight_bits,
                    "Weight bits the part runs at when below its layer's (0: the layer's)")
      .def_readonly("mapping", &SchedulePart::mapping)
      .def_readonly("cost", &SchedulePart::cost)
      .def("__repr__", [](const SchedulePart& p) {
        return fmt::format("<SchedulePart {} on {}: {} cycles>", p.layer, p.unit_name,
                           p.cost.cycles);
      });

  py::class_<ScheduleStep>(m, "ScheduleStep",
                           "One step of a schedule: parts that run at the same time, after the "
                           "layout conversion its inputs need (read-only).")
      .def_property_readonly(
          "kind", [](const ScheduleStep& s) { return std::string(step_kind_name(s.kind)); },
          "'single', 'concurrent' or 'fused'")
      .def_readonly("parts", &ScheduleStep::parts)
      .def_readonly("transition_cycles", &ScheduleStep::transition_cycles)
      .def_readonly("transition_energy", &ScheduleStep::transition_energy, "pJ")
      .def_readonly("sync_cycles", &ScheduleStep::sync_cycles)
      .def_readonly("contention_cycles", &ScheduleStep::contention_cycles,
                    "What a concurrent step's parts add by sharing DMA engines and ports")
      .def_readonly("cycles", &ScheduleStep::cycles, "The step's total, transition included")
      .def_readonly("energy", &ScheduleStep::energy, "pJ, transition included");

  py::class_<TensorPlacement>(m, "TensorPlacement",
                              "A tensor of the schedule: its bytes, memory level, offset (-1 "
                              "until a memory plan places it) and live steps (read-only).")
      .def_readonly("name", &TensorPlacement::name)
      .def_property_readonly(
          "role", [](const TensorPlacement& t) { return std::string(role_name(t.role)); },
          "activation, weights, params (per-channel epilogue constants) or scratch (a step's "
          "buffers at one level)")
      .def_readonly("bytes", &TensorPlacement::bytes)
      .def_readonly("level", &TensorPlacement::level, "Memory level index in the SoC")
      .def_readonly("offset", &TensorPlacement::offset)
      .def_readonly("first_step", &TensorPlacement::first_step)
      .def_readonly("last_step", &TensorPlacement::last_step, "Inclusive")
      .def_readonly("alias", &TensorPlacement::alias,
                    "The tensor whose buffer this one reuses in place ('' if none)");

  py::class_<LevelArena>(m, "LevelArena",
                         "One memory level of a memory plan: the arena and the lower bound "
                         "(largest bytes live at one step), read-only.")
      .def_readonly("level", &LevelArena::level, "Memory level index in the SoC")
      .def_readonly("arena_bytes", &LevelArena::arena_bytes)
      .def_readonly("lower_bound_bytes", &LevelArena::lower_bound_bytes)
      .def("__repr__", [](const LevelArena& a) {
        return fmt::format("<LevelArena level {}: {} B, bound {} B>", a.level, a.arena_bytes,
                           a.lower_bound_bytes);
      });

  py::class_<StepOrder>(m, "StepOrder",
                        "How the step order was chosen: method 'exact', 'greedy' or 'graph', "
                        "the level whose peak it minimises, that peak and a lower bound.")
      .def_readonly("method", &StepOrder::method)
      .def_readonly("level", &StepOrder::level, "Memory level index (-1: none)")
      .def_readonly("peak", &StepOrder::peak, "Bytes")
      .def_readonly("lower_bound", &StepOrder::lower_bound, "Bytes");

  py::class_<NetworkSchedule>(m, "NetworkSchedule",
                              "A network's schedule on one SoC: steps of concurrent parts, the "
                              "tensors, and the totals (read-only).")
      .def_readonly("network", &NetworkSchedule::network)
      .def_readonly("soc", &NetworkSchedule::soc)
      .def_property_readonly(
          "soc_hash", [](const NetworkSchedule& s) { return fmt::format("{:016x}", s.soc_hash); },
          "FNV-1a 64 hash of the SoC's YAML, 16 hex digits")
      .def_readonly("objective", &NetworkSchedule::objective)
      .def_readonly("mapper", &NetworkSchedule::mapper)
      .def_readonly("steps", &NetworkSchedule::steps)
      .def_property_readonly(
          "parts",
          [](const NetworkSchedule& s) {
            std::vector<SchedulePart> out;
            for (const auto* p : s.parts())
              out.push_back(*p);
            return out;
          },
          "Every part, in step order")
      .def_readonly("tensors", &NetworkSchedule::tensors)
      .def_readonly("cycles", &NetworkSchedule::cycles, "Sum of the steps' cycles")
      .def_readonly("energy", &NetworkSchedule::energy, "pJ")
      .def_readonly("frequency", &NetworkSchedule::frequency, "Hz of the SoC clock")
      .def_readonly("level_names", &NetworkSchedule::level_names)
      .def_readonly("memory", &NetworkSchedule::memory,
                    "The memory plan per level (LevelArena; empty when not planned)")
      .def_readonly("order", &NetworkSchedule::order)
      .def_property_readonly(
          "memory_plan",
          [](const NetworkSchedule& s) {
            return py::module_::import("json").attr("loads")(memory_plan_json({&s}).dump());
          },
          "The memory plan as `tessel explore --json` prints it for one network")
      .def_readonly("peak_bytes", &NetworkSchedule::peak_bytes,
                    "Per memory level, the memory plan's arena")
      .def("__repr__", [](const NetworkSchedule& s) {
        return fmt::format("<NetworkSchedule {} on {}: {} steps, {} cycles>", s.network, s.soc,
                           s.steps.size(), s.cycles);
      });
}

}  // namespace tessel::bindings
