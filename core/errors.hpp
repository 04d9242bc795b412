#pragma once

#include <stdexcept>
#include <string>

namespace tessel {

// Base of every error tessel reports about its input. The message is complete
// and meant for a user: it names the file, key, layer or node concerned and
// what was expected. The CLI maps every Error to exit status 2; the Python
// bindings map each subclass to a Python exception.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A configuration file (SoC YAML, option value) is malformed or inconsistent.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// A network (ONNX file, zoo name) cannot be read or is inconsistent.
class ModelError : public Error {
 public:
  using Error::Error;
};

// The input is well-formed but uses something tessel does not support
// (an ONNX operator, an attribute value, an op on a unit).
class UnsupportedError : public Error {
 public:
  using Error::Error;
};

// A request cannot be satisfied: unknown name, a mapping that is illegal, a
// layer that fits no memory, contradictory constraints.
class MappingError : public Error {
 public:
  using Error::Error;
};

// A file cannot be opened, read or written.
class IoError : public Error {
 public:
  using Error::Error;
};

// A database is unreadable or of an unknown schema.
class StoreError : public Error {
 public:
  using Error::Error;
};

}  // namespace tessel
