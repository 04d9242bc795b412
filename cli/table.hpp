#pragma once

#include <string>
#include <vector>

namespace tessel::cli {

// A plain text table: a header row, body rows, and optional footer rows after a
// rule. Columns are left-aligned unless marked numeric (right-aligned).
class Table {
 public:
  explicit Table(std::vector<std::string> header, std::vector<bool> numeric = {});
  void row(std::vector<std::string> cells);
  void rule();  // a separator line before the next row
  std::string str() const;

 private:
  std::vector<std::string> header_;
  std::vector<bool> numeric_;
  std::vector<std::vector<std::string>> rows_;  // an empty row is a rule
};

// 12501632 -> "12,501,632"
std::string thousands(long long v);

// A signed percentage with `digits` decimals ("+1.25", "-0.40"); one that
// rounds to zero is "0.00", never "-0.00".
std::string percent_text(double percent, int digits = 2);

}  // namespace tessel::cli
