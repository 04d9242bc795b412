#include "hwmodels/yaml_text.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel::hw {
namespace {

std::string_view trim_left(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r");
  return b == std::string_view::npos ? std::string_view() : s.substr(b);
}

}  // namespace

void check_yaml_hazards(std::string_view text, const std::string& origin) {
  bool document_start = true;  // no node of the current document seen yet
  std::size_t pos = 0;
  for (std::size_t line = 1; pos <= text.size(); ++line) {
    const auto newline = text.find('\n', pos);
    const auto end = newline == std::string_view::npos ? text.size() : newline;
    std::string_view rest = trim_left(text.substr(pos, end - pos));
    pos = end + 1;
    if (rest.starts_with("---") && (rest.size() == 3 || rest[3] == ' ' || rest[3] == '\t')) {
      document_start = true;  // a new document; its first node may follow on this line
      rest = trim_left(rest.substr(3));
    } else if (rest.starts_with("...")) {
      document_start = true;
      continue;
    }
    if (!document_start || rest.empty() || rest.front() == '#' || rest.front() == '%') continue;
    if (rest.front() == ',')
      throw ConfigError(
          fmt::format("{}:{}: invalid YAML: a document cannot start with ','", origin, line));
    document_start = false;
  }
}

std::vector<YAML::Node> load_yaml_documents(std::string_view text, const std::string& origin) {
  check_yaml_hazards(text, origin);
  try {
    return YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}:{}: invalid YAML: {}", origin,
                                  e.mark.is_null() ? 1 : e.mark.line + 1, e.msg));
  }
}

}  // namespace tessel::hw
