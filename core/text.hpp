#pragma once

#include <string>
#include <string_view>

// Text helpers for names that come from user files and go to JSON output and
// the database, both of which need valid UTF-8.
namespace tessel {

// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view s);

// `s` with every byte that is not part of a well-formed UTF-8 sequence written
// as the four characters \xHH (upper-case hex); `s` itself when it is valid.
std::string escape_invalid_utf8(std::string_view s);

}  // namespace tessel
