#include "calib/measurements.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "core/builder.hpp"
#include "core/errors.hpp"
#include "core/files.hpp"

namespace tessel::calib {
namespace {

// One CSV record: fields split on commas, a field in double quotes may hold
// commas ("" is a quote inside it).
std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (ch == '"') {
        quoted = false;
      } else {
        out.back() += ch;
      }
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == ',') {
      out.emplace_back();
    } else {
      out.back() += ch;
    }
  }
  for (auto& f : out) {
    const auto b = f.find_first_not_of(" \t\r");
    const auto e = f.find_last_not_of(" \t\r");
    f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
  }
  return out;
}

// The fields of one row by column name, with the row's place for messages.
class Fields {
 public:
  Fields(const std::map<std::string, std::size_t>& columns, std::vector<std::string> values,
         std::string where)
      : columns_(columns), values_(std::move(values)), where_(std::move(where)) {}

  const std::string& text(const std::string& column) const {
    return values_.at(columns_.at(column));
  }

  // An optional column's field, empty when the header lacks the column.
  std::string optional_text(const std::string& column) const {
    const auto it = columns_.find(column);
    return it == columns_.end() ? std::string() : values_.at(it->second);
  }

  [[noreturn]] void fail(const std::string& column, const std::string& what) const {
    throw ConfigError(fmt::format("{}: column '{}': {}", where_, column, what));
  }

  // A positive number (cycles).
  double positive(const std::string& column) const {
    const std::string& t = text(column);
    double v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !(v > 0))
      fail(column, fmt::format("expected a positive number, got '{}'", t));
    return v;
  }

  // A whole number of at least `least`; `fallback` when the field is empty.
  std::int64_t whole(const std::string& column, std::int64_t least,
                     std::int64_t fallback = -1) const {
    const std::string& t = text(column);
    if (t.empty() && fallback >= 0) return fallback;
    std::int64_t v = 0;
    const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v < least)
      fail(column, fmt::format("expected a whole number of at least {}, got '{}'", least, t));
    return v;
  }

  void require(const std::string& column) const {
    if (text(column).empty()) fail(column, "is empty");
  }

 private:
  const std::map<std::string, std::size_t>& columns_;
  std::vector<std::string> values_;
  std::string where_;
};

OpKind parse_op(const Fields& f) {
  const std::string& t = f.text("op");
  for (OpKind op : kAllOpKinds) {
    if (op_name(op) == t) return op;
  }
  std::vector<std::string> names;
  for (OpKind op : kAllOpKinds)
    names.emplace_back(op_name(op));
  f.fail("op", fmt::format("expected one of {}, got '{}'", fmt::join(names, ", "), t));
}

// "same" (TensorFlow's: the output is ceil(input / stride), the extra row
// or column at the end), "valid", one number for every side, or T:L:B:R.
void parse_pad(const Fields& f, Measurement& m) {
  const std::string& t = f.text("pad");
  if (t.empty() || t == "valid") return;
  if (t == "same") {
    auto same = [](std::int64_t in, int s, int k, int& lo, int& hi) {
      const std::int64_t out = (in + s - 1) / s;
      const auto total = static_cast<int>(std::max<std::int64_t>((out - 1) * s + k - in, 0));
      lo = total / 2;
      hi = total - lo;
    };
    same(m.iy, m.sy, m.fy, m.pad[0], m.pad[2]);
    same(m.ix, m.sx, m.fx, m.pad[1], m.pad[3]);
    return;
  }
  std::vector<int> v;
  bool ok = true;
  std::stringstream ss(t);
  std::string item;
  while (std::getline(ss, item, ':')) {
    int x = -1;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), x);
    ok = ok && !item.empty() && ec == std::errc() && end == item.data() + item.size() && x >= 0;
    v.push_back(x);
  }
  if (ok && v.size() == 1) v.assign(4, v[0]);
  if (!ok || v.size() != 4)
    f.fail("pad", fmt::format("expected same, valid, N or T:L:B:R, got '{}'", t));
  std::copy(v.begin(), v.end(), m.pad);
}

void parse_layer(const Fields& f, Measurement& m) {
  m.op = parse_op(f);
  m.c = f.whole("c", 1);
  const bool vector = m.op == OpKind::dense;
  m.iy = f.whole("iy", 1, vector ? 1 : -1);
  m.ix = f.whole("ix", 1, vector ? 1 : -1);
  const bool same_channels = m.op == OpKind::depthwise || m.op == OpKind::max_pool ||
                             m.op == OpKind::avg_pool || m.op == OpKind::add;
  m.k = f.whole("k", 1, same_channels ? m.c : -1);
  const bool window = m.op == OpKind::conv || m.op == OpKind::depthwise ||
                      m.op == OpKind::max_pool || m.op == OpKind::avg_pool;
  m.fy = static_cast<int>(f.whole("fy", 1, window ? -1 : 1));
  m.fx = static_cast<int>(f.whole("fx", 1, window ? -1 : 1));
  m.sy = static_cast<int>(f.whole("sy", 1, 1));
  m.sx = static_cast<int>(f.whole("sx", 1, 1));
  m.act_bits = static_cast<int>(f.whole("act_bits", 1, 8));
  m.weight_bits = static_cast<int>(f.whole("weight_bits", 1, 8));
  if (same_channels && m.k != m.c)
    f.fail("k",
           fmt::format("a {} layer keeps its {} channels, got k = {}", op_name(m.op), m.c, m.k));
  parse_pad(f, m);
  const std::string& scope = f.text("scope");
  if (scope != "layer" && scope != "resident" && !scope.empty())
    f.fail("scope", fmt::format("expected layer or resident, got '{}'", scope));
  m.resident = scope == "resident";
  try {
    (void)measurement_graph(m);
  } catch (const Error& e) {
    f.fail("op", fmt::format("the shape is not a layer: {}", e.what()));
  }
}

Measurement parse_row(const Fields& f, const std::set<std::string>& sources) {
  Measurement m;
  for (const char* c : {"source", "soc", "kind"})
    f.require(c);
  m.source = f.text("source");
  if (!sources.count(m.source))
    f.fail("source", fmt::format("'{}' is not declared in the file's header "
                                 "(a line '# source {}: citation')",
                                 m.source, m.source));
  m.soc = f.text("soc");
  m.chip = f.text("chip");
  m.unit = f.text("unit");
  m.name = f.text("name");
  m.note = f.text("note");
  const std::string& kind = f.text("kind");
  if (kind == "layer") {
    m.kind = RowKind::layer;
    f.require("unit");
    parse_layer(f, m);
  } else if (kind == "network") {
    m.kind = RowKind::network;
    f.require("network");
    m.network = f.text("network");
  } else {
    f.fail("kind", fmt::format("expected layer or network, got '{}'", kind));
  }
  m.cycles = f.positive("cycles");
  const std::string fit = f.optional_text("fit");
  if (fit != "yes" && fit != "no" && !fit.empty())
    f.fail("fit", fmt::format("expected yes or no, got '{}'", fit));
  m.fit = fit != "no";
  return m;
}

// `# source KEY: citation` declares a source; other comment lines are prose.
bool parse_source(const std::string& line, const std::string& where, std::vector<Source>& out) {
  const std::string tag = "# source ";
  if (line.rfind(tag, 0) != 0) return false;
  const auto colon = line.find(':', tag.size());
  if (colon == std::string::npos || colon == tag.size())
    throw ConfigError(fmt::format("{}: a source line reads '# source KEY: citation'", where));
  std::string key = line.substr(tag.size(), colon - tag.size());
  key.erase(key.find_last_not_of(' ') + 1);
  std::string citation = line.substr(colon + 1);
  citation.erase(0, citation.find_first_not_of(' '));
  if (citation.empty())
    throw ConfigError(fmt::format("{}: source '{}' has no citation", where, key));
  out.push_back({key, citation});
  return true;
}

}  // namespace

std::string Measurement::where() const {
  return fmt::format("{}:{}", file, line);
}

const std::vector<std::string>& measurement_columns() {
  static const std::vector<std::string> columns = {
      "source",   "soc",         "chip",  "unit",    "kind",   "name", "op", "c",
      "iy",       "ix",          "k",     "fy",      "fx",     "sy",   "sx", "pad",
      "act_bits", "weight_bits", "scope", "network", "cycles", "note"};
  return columns;
}

MeasurementSet read_measurements(const std::string& path) {
  return read_measurements_text(read_input_file(path, "measurement file"), path);
}

MeasurementSet read_measurements_text(std::string_view text, const std::string& path) {
  std::istringstream in{std::string(text)};
  MeasurementSet set;
  std::map<std::string, std::size_t> columns;
  std::set<std::string> keys;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::string where = fmt::format("{}:{}", path, n);
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    if (line[0] == '#') {
      if (parse_source(line, where, set.sources) && !keys.insert(set.sources.back().key).second)
        throw ConfigError(
            fmt::format("{}: source '{}' is declared twice", where, set.sources.back().key));
      continue;
    }
    auto fields = split_csv(line);
    if (columns.empty()) {
      for (std::size_t i = 0; i < fields.size(); ++i) {
        if (!columns.emplace(fields[i], i).second)
          throw ConfigError(
              fmt::format("{}: column '{}': given twice in the header", where, fields[i]));
      }
      for (const auto& c : measurement_columns()) {
        if (!columns.count(c))
          throw ConfigError(fmt::format("{}: column '{}': missing from the header (columns: {})",
                                        where, c, fmt::join(measurement_columns(), ",")));
      }
      continue;
    }
    if (fields.size() != columns.size())
      throw ConfigError(fmt::format("{}: {} fields, but the header has {} columns", where,
                                    fields.size(), columns.size()));
    Measurement m = parse_row(Fields(columns, std::move(fields), where), keys);
    m.file = path;
    m.line = n;
    if (m.kind == RowKind::network && m.network.find(".onnx") != std::string::npos &&
        std::filesystem::path(m.network).is_relative())
      m.network = (std::filesystem::path(path).parent_path() / m.network).string();
    set.rows.push_back(std::move(m));
  }
  if (columns.empty()) throw ConfigError(fmt::format("{}: no header line", path));
  return set;
}

namespace {

// Appends `one` (read from `p`) to `all`, with source keys unique.
void merge(MeasurementSet& all, MeasurementSet one, const std::string& p) {
  std::set<std::string> keys;
  for (const auto& s : all.sources)
    keys.insert(s.key);
  for (auto& s : one.sources) {
    if (!keys.insert(s.key).second)
      throw ConfigError(fmt::format("{}: source '{}' is declared by another file too", p, s.key));
    all.sources.push_back(std::move(s));
  }
  for (auto& r : one.rows)
    all.rows.push_back(std::move(r));
}

}  // namespace

MeasurementSet read_measurements(const std::vector<std::string>& paths) {
  MeasurementSet all;
  for (const auto& p : paths)
    merge(all, read_measurements(p), p);
  return all;
}

MeasurementSet builtin_measurements(const std::string& soc) {
  for (const auto& [name, text] : detail::builtin_measurement_table()) {
    if (name == soc) return read_measurements_text(text, fmt::format("<built-in>/{}.csv", soc));
  }
  return {};
}

std::vector<std::string> builtin_measurement_names() {
  std::vector<std::string> out;
  for (const auto& [name, text] : detail::builtin_measurement_table())
    out.emplace_back(name);
  return out;
}

Graph measurement_graph(const Measurement& m) {
  GraphBuilder b(m.name.empty() ? "row" : m.name);
  const DataType act{m.act_bits, false, false};
  LayerExtras extras;
  extras.bits.input = extras.bits.output = m.act_bits;
  extras.bits.weight = m.weight_bits;
  const std::string label = m.name.empty() ? "layer" : m.name;
  std::string out;
  if (m.op == OpKind::dense) {
    out = b.dense(label, b.input("x", {1, m.c}, act), m.k, extras);
  } else if (m.op == OpKind::add) {
    out = b.add(label, b.input("x", {1, m.c, m.iy, m.ix}, act),
                b.input("y", {1, m.c, m.iy, m.ix}, act), extras);
  } else {
    // The window, strides and padding of a pool or a convolution.
    auto window = [&m](auto& p) {
      p.kernel_y = m.fy;
      p.kernel_x = m.fx;
      p.stride_y = m.sy;
      p.stride_x = m.sx;
      p.pad_top = m.pad[0];
      p.pad_left = m.pad[1];
      p.pad_bottom = m.pad[2];
      p.pad_right = m.pad[3];
    };
    const auto x = b.input("x", {1, m.c, m.iy, m.ix}, act);
    if (m.op == OpKind::max_pool || m.op == OpKind::avg_pool) {
      PoolParams p;
      p.op = m.op;
      window(p);
      out = b.pool(label, x, p, extras);
    } else {
      ConvParams p;
      p.out_channels = m.k;
      p.groups = m.op == OpKind::depthwise ? m.c : 1;
      window(p);
      out = b.conv(label, x, p, extras);
    }
  }
  return b.finish({out});
}

}  // namespace tessel::calib
