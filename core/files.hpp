#pragma once

#include <string>
#include <string_view>

namespace tessel {

// Contract: the whole content of the user's input file `path`. Throws IoError
// "cannot open <what> '<path>': <reason>" when it does not exist, is a
// directory or anything else that is not a regular file (a device such as
// /dev/zero, a pipe: reading would never end), or cannot be read.
std::string read_input_file(const std::string& path, std::string_view what);

}  // namespace tessel
