#include "hwmodels/yaml_text.hpp"

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel::hw {

void check_yaml_hazards(std::string_view text, const std::string& origin) {
  const auto fail = [&](std::size_t line, const std::string& what) {
    throw ConfigError(fmt::format("{}:{}: invalid YAML: {}", origin, line, what));
  };
  std::size_t line = 1;
  for (const char c : text) {  // anywhere, comments and quotes included
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t' && c != '\r') || byte == 0x7F)
      fail(line, fmt::format("control character 0x{:02X} (YAML allows tab, CR and LF only)", byte));
    if (c == '\n') ++line;
  }
  int depth = 0;   // open flow collections ([ or {)
  char quote = 0;  // the open quote character, 0 outside quotes
  // What precedes on the line, outside quotes: nothing yet (a new token may
  // start), a closed quote or an indicator (": ", "- ", "? "), or plain text.
  enum class Before { token_start, plain } before = Before::token_start;
  line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = i + 1 < text.size() ? text[i + 1] : '\n';
    const bool blank_next = next == ' ' || next == '\t' || next == '\n' || next == '\r';
    if (c == '\n') {
      ++line;
      before = Before::token_start;
      continue;
    }
    if (quote) {
      if (c == quote) {
        quote = 0;
        before = Before::token_start;  // a ',' right after a quoted scalar is a token
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    const bool token = before == Before::token_start || text[i - 1] == ' ' || text[i - 1] == '\t' ||
                       text[i - 1] == '[' || text[i - 1] == '{' || text[i - 1] == ',';
    if (c == ',' && depth == 0 && before == Before::token_start)
      fail(line, "a ',' outside a flow collection ([...] or {...})");
    if (token && (c == '&' || c == '*' || c == '!'))
      fail(line, "anchors (&), aliases (*) and tags (!) are not supported by tessel");
    if (c == '#' && token) {
      while (i + 1 < text.size() && text[i + 1] != '\n')
        ++i;
      continue;
    }
    if ((c == '"' || c == '\'') && token) {
      quote = c;
      continue;
    }
    if (c == '[' || c == '{') ++depth;
    if ((c == ']' || c == '}') && depth > 0) --depth;
    before = ((c == ':' || c == '-' || c == '?') && blank_next) || c == '[' || c == '{' || c == ','
                 ? Before::token_start
                 : Before::plain;
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
