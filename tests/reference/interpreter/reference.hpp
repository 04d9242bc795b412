// A reference interpreter of the integer ONNX graphs tessel imports, used
// only by tests: the emitted code must match it bit for bit. It reads the
// ONNX file itself (not tessel's graph IR) and runs the nodes in file order,
// one operator at a time, with the plainest loops (docs/codegen.md,
// "Reference interpreter").
//
// Semantics where the MLPerf Tiny exports are not type-consistent ONNX:
// - Conv / MatMul / Gemm on integer operands accumulate in 32 bits from the
//   operands' stored types; the output is int32 (a sum outside int32 is an
//   error, not a wrap).
// - Div on integers is floor division, so the requantisation chain
//   Mul -> Add -> Div -> Floor -> Clip means clip(floor((acc * m + b) / d));
//   Floor on integers is the identity.
// - An integer AveragePool takes the floor of the exact mean.
// - Cast to an integer type truncates a float toward zero, then wraps modulo
//   2^bits (two's complement), as C does on these widths.
// Everything else as the ONNX operator specification defines it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace tessel::reference {

// An element type: the ONNX TensorProto data type code and what it means.
struct ElemType {
  int onnx = 0;  // TensorProto::DataType
  int bits = 0;
  bool is_signed = false;
  bool is_float = false;
};
ElemType elem_type(int onnx_code);  // throws ReferenceError for an unsupported code

// A tensor value. Every element is held as a double: integers up to 2^53 are
// exact, which covers every integer type the graphs use.
struct Value {
  ElemType type;
  std::vector<std::int64_t> shape;
  std::vector<double> data;  // row-major

  std::int64_t elems() const;
};

struct ReferenceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A loaded ONNX model, ready to run.
class Model {
 public:
  explicit Model(const std::filesystem::path& onnx_file);
  ~Model();
  Model(Model&&) noexcept;
  Model& operator=(Model&&) noexcept;

  // The graph inputs that are not initialisers, in file order, with their
  // declared shapes and types; the graph outputs.
  const std::vector<std::string>& input_names() const;
  const std::vector<std::string>& output_names() const;
  Value input_template(const std::string& name) const;  // declared type and shape, zeros
  // A random input of the declared type and shape: integers over the type's
  // non-negative range; a float input holds integers in [0, 1023] (the
  // autoencoder's reach its output from about 2^10).
  Value random_input(const std::string& name, std::mt19937& rng) const;

  // Runs the graph on `inputs` (by name); returns the graph outputs in order.
  // Throws ReferenceError naming the node for an unsupported operator or
  // attribute, a shape mismatch, or an integer out of its range.
  std::vector<Value> run(const std::map<std::string, Value>& inputs) const;

 private:
  struct Impl;
  Impl* impl_;
};

// A TensorProto file (the libonnx-testdata `input_0.pb` / `output_0.pb`).
Value read_tensor_file(const std::filesystem::path& pb_file);

// Raw little-endian bytes of a value in its element type, and back (the
// host program's input and output format).
std::vector<std::uint8_t> to_bytes(const Value& v);
Value from_bytes(const ElemType& type, const std::vector<std::int64_t>& shape,
                 const std::vector<std::uint8_t>& bytes);

}  // namespace tessel::reference
