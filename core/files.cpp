#include "core/files.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel {

std::string read_input_file(const std::string& path, std::string_view what) {
  const auto fail = [&](std::string_view reason) {
    throw IoError(fmt::format("cannot open {} '{}': {}", what, path, reason));
  };
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (path.empty()) fail("the file name is empty");
  if (!std::filesystem::exists(status)) fail("no such file");
  if (std::filesystem::is_directory(status)) fail("it is a directory");
  if (!std::filesystem::is_regular_file(status)) fail("it is not a regular file");
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("permission denied or unreadable");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) fail("a read error");
  return text.str();
}

}  // namespace tessel
