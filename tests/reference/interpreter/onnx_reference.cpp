// onnx_reference MODEL.onnx < input.bin > output.bin: runs the reference
// interpreter on one input given as raw bytes in the model input's element
// type and NCHW layout, and writes the first output the same way (the host
// program's contract, docs/codegen.md). Exit 2 with a message on bad input.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <vector>

#include "reference/interpreter/reference.hpp"

int main(int argc, char** argv) {
  using namespace tessel::reference;
  if (argc != 2) {
    std::cerr << "usage: onnx_reference MODEL.onnx < input.bin > output.bin\n";
    return 2;
  }
  try {
    const Model model(argv[1]);
    if (model.input_names().size() != 1) throw ReferenceError("the model must have one input");
    const auto name = model.input_names()[0];
    const auto tmpl = model.input_template(name);
    std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(std::cin)),
                                    std::istreambuf_iterator<char>());
    const auto out = model.run({{name, from_bytes(tmpl.type, tmpl.shape, bytes)}});
    const auto raw = to_bytes(out.at(0));
    std::fwrite(raw.data(), 1, raw.size(), stdout);
    return std::fflush(stdout) == 0 ? 0 : 1;
  } catch (const ReferenceError& e) {
    std::cerr << "onnx_reference: " << e.what() << "\n";
    return 2;
  }
}
