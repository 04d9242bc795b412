// Building an emitted project (build.hpp).
#include "codegen/build.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include <sys/wait.h>

#include <fmt/format.h>

#include "codegen/backends.hpp"
#include "core/errors.hpp"

namespace tessel::codegen {
namespace {

// `text` quoted for a POSIX shell.
std::string quoted(const std::string& text) {
  std::string out = "'";
  for (char ch : text)
    out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// What a shell command printed on stdout, and its exit status.
std::pair<std::string, int> run(const std::string& command) {
  FILE* p = popen(command.c_str(), "r");
  if (!p) return {"", -1};
  std::string out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
    out.append(buf, n);
  const int status = pclose(p);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

}  // namespace

BinarySizes build_project(const std::filesystem::path& dir, std::string_view backend_name) {
  const Backend& b = backend(backend_name);
  const auto log = dir / "make.log";
  const auto [made, status] =
      run(fmt::format("make -C {} > {} 2>&1", quoted(dir.string()), quoted(log.string())));
  if (status != 0)
    throw IoError(fmt::format("building {} failed (make exit status {}); its output: {}",
                              dir.string(), status, log.string()));
  const auto binary = dir / b.binary;
  const auto [text, size_status] =
      run(fmt::format("{} {} 2>&1", b.size_tool, quoted(binary.string())));
  // Berkeley format: a header line, then "text data bss dec hex filename".
  std::istringstream in(text);
  std::string header;
  BinarySizes s;
  std::getline(in, header);
  if (size_status != 0 || header.rfind("   text", 0) != 0 || !(in >> s.text >> s.data >> s.bss))
    throw IoError(fmt::format("'{} {}' failed: {}", b.size_tool, binary.string(), text));
  return s;
}

}  // namespace tessel::codegen
