#include "cli/table.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace tessel::cli {

Table::Table(std::vector<std::string> header, std::vector<bool> numeric)
    : header_(std::move(header)), numeric_(std::move(numeric)) {
  numeric_.resize(header_.size(), false);
}

void Table::row(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

void Table::rule() {
  rows_.emplace_back();
}

std::string Table::str() const {
  std::vector<std::size_t> width(header_.size());
  for (std::size_t c = 0; c < header_.size(); ++c)
    width[c] = header_[c].size();
  for (const auto& r : rows_) {
    for (std::size_t c = 0; c < r.size(); ++c)
      width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const auto pad = std::string(width[c] - cells[c].size(), ' ');
      if (c) out += "  ";
      out += numeric_[c] ? pad + cells[c] : cells[c] + (c + 1 == cells.size() ? "" : pad);
    }
    return out + '\n';
  };
  std::size_t total = 0;
  for (auto w : width)
    total += w;
  total += 2 * (width.empty() ? 0 : width.size() - 1);
  std::string out = line(header_) + std::string(total, '-') + '\n';
  for (const auto& r : rows_)
    out += r.empty() ? std::string(total, '-') + '\n' : line(r);
  return out;
}

std::string thousands(long long v) {
  std::string digits = std::to_string(v < 0 ? -v : v);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return v < 0 ? "-" + out : out;
}

std::string percent_text(double percent, int digits) {
  const double unit = std::pow(10.0, -digits);
  if (!(std::abs(percent) >= unit / 2)) return fmt::format("{:.{}f}", 0.0, digits);
  return fmt::format("{:+.{}f}", percent, digits);
}

}  // namespace tessel::cli
