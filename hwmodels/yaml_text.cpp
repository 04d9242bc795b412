#include "hwmodels/yaml_text.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel::hw {

void check_yaml_hazards(std::string_view text, const std::string& origin) {
  int depth = 0;   // open flow collections ([ or {)
  char quote = 0;  // the open quote character, 0 outside quotes
  bool line_start = true;
  std::size_t line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t' && c != '\r') || byte == 0x7F)
      throw ConfigError(fmt::format(
          "{}:{}: invalid YAML: control character 0x{:02X} (YAML allows tab, CR and LF only)",
          origin, line, byte));
    if (c == '\n') {
      ++line;
      line_start = true;
      continue;
    }
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (line_start && (c == ' ' || c == '\t' || c == '\r')) continue;
    if (line_start && c == ',' && depth == 0)
      throw ConfigError(
          fmt::format("{}:{}: invalid YAML: a line cannot start with ',' outside a flow collection",
                      origin, line));
    const bool after_space = i == 0 || text[i - 1] == ' ' || text[i - 1] == '\t' || line_start;
    const bool token_start =
        after_space || (i > 0 && (text[i - 1] == '[' || text[i - 1] == '{' || text[i - 1] == ','));
    line_start = false;
    if (token_start && (c == '&' || c == '*' || c == '!'))
      throw ConfigError(fmt::format(
          "{}:{}: invalid YAML for tessel: anchors (&), aliases (*) and tags (!) are not "
          "supported",
          origin, line));
    if (c == '#' && after_space) {
      while (i + 1 < text.size() && text[i + 1] != '\n')
        ++i;
    } else if ((c == '"' || c == '\'') && after_space) {
      quote = c;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
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
