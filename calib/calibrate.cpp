#include "calib/calibrate.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <set>

#include <fmt/format.h>
#include <tbb/parallel_for.h>
#include <yaml-cpp/yaml.h>
#include <Eigen/Dense>

#include "core/errors.hpp"
#include "core/zoo.hpp"
#include "driver/explore.hpp"
#include "hwmodels/soc_loader.hpp"
#include "mappers/layer_search.hpp"
#include "sim/analytical.hpp"

namespace tessel::calib {
namespace {

// The scalar at `path` in an SoC description ("<item>.<key>",
// "<item>.params.<param>", optionally "units." / "dmas." / "memories."
// first), or an undefined node.
YAML::Node find_value(const YAML::Node& root, std::string path) {
  std::vector<std::string> sections = {"units", "dmas", "memories"};
  for (const auto& s : {"units", "dmas", "memories"}) {
    const std::string prefix = std::string(s) + ".";
    if (path.rfind(prefix, 0) == 0) {  // qualified: look in that section only
      sections = {s};
      path = path.substr(prefix.size());
      break;
    }
  }
  const auto dot = path.find('.');
  if (dot == std::string::npos) return root[path];
  const std::string item = path.substr(0, dot);
  std::string key = path.substr(dot + 1);
  for (const auto& s : sections) {
    const YAML::Node seq = root[s];
    if (!seq.IsDefined() || !seq.IsSequence()) continue;
    for (const auto& node : seq) {
      if (!node.IsMap() || !node["name"].IsDefined() || node["name"].Scalar() != item) continue;
      if (key.rfind("params.", 0) == 0) {
        const YAML::Node params = node["params"];
        return params.IsDefined() ? params[key.substr(7)] : YAML::Node();
      }
      return node[key];
    }
  }
  return YAML::Node();
}

// "100 cycles" -> (100, "cycles"); false when it does not start with a number.
bool split_value(const std::string& text, double& value, std::string& suffix) {
  const char* end = text.data() + text.size();
  const auto [p, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc()) return false;
  suffix = std::string(p, end);
  suffix.erase(0, suffix.find_first_not_of(' '));
  return true;
}

std::string format_value(double v, const std::string& suffix) {
  return suffix.empty() ? fmt::format("{:.6g}", v) : fmt::format("{:.6g} {}", v, suffix);
}

// Bounded Levenberg-Marquardt on residuals r(x) of parameters scaled to 1
// at their initial values: each step solves (J'J + lambda diag(J'J)) d = -J'r
// (Eigen LDLT) from a forward-difference Jacobian, clamps into the bounds,
// and is kept when it lowers |r|^2 (else lambda grows).
class LevenbergMarquardt {
 public:
  using Residuals = std::function<Eigen::VectorXd(const Eigen::VectorXd&)>;
  LevenbergMarquardt(Residuals f, Eigen::VectorXd lo, Eigen::VectorXd hi)
      : f_(std::move(f)), lo_(std::move(lo)), hi_(std::move(hi)) {}

  Eigen::VectorXd solve(Eigen::VectorXd x, int& iterations, bool& converged) const {
    Eigen::VectorXd r = f_(x);
    double cost = r.squaredNorm();
    double lambda = 1e-3;
    converged = false;
    for (iterations = 0; iterations < kMaxIterations && !converged; ++iterations) {
      const Eigen::MatrixXd J = jacobian(x, r);
      const Eigen::MatrixXd A = J.transpose() * J;
      const Eigen::VectorXd g = J.transpose() * r;
      bool stepped = false;
      while (!stepped && lambda < 1e10) {
        Eigen::MatrixXd M = A;
        M.diagonal() += lambda * A.diagonal() + Eigen::VectorXd::Constant(x.size(), 1e-12);
        const Eigen::VectorXd next = clamp(x + M.ldlt().solve(-g));
        const Eigen::VectorXd rn = f_(next);
        const double c = rn.squaredNorm();
        if (c < cost) {
          converged = cost - c <= kTolerance * std::max(cost, 1e-30) || (next - x).norm() < 1e-7;
          x = next;
          r = rn;
          cost = c;
          lambda = std::max(lambda / 3, 1e-9);
          stepped = true;
        } else {
          lambda *= 4;
        }
      }
      if (!stepped) converged = true;  // no step lowers the error: a (bounded) minimum
    }
    return x;
  }

 private:
  static constexpr int kMaxIterations = 40;
  // Converged when a step lowers |r|^2 by less than this fraction: the
  // predictions come from discrete searches, so finer steps chase noise.
  static constexpr double kTolerance = 1e-7;
  static constexpr double kStep = 1e-3;  // relative finite-difference step

  Eigen::VectorXd clamp(Eigen::VectorXd x) const { return x.cwiseMax(lo_).cwiseMin(hi_); }

  Eigen::MatrixXd jacobian(const Eigen::VectorXd& x, const Eigen::VectorXd& r) const {
    Eigen::MatrixXd J(r.size(), x.size());
    for (Eigen::Index j = 0; j < x.size(); ++j) {
      Eigen::VectorXd e = x;
      double h = kStep * std::max(std::abs(x[j]), 1e-2);
      if (e[j] + h > hi_[j]) h = -h;  // at the upper bound: step down
      e[j] += h;
      J.col(j) = (f_(e) - r) / h;
    }
    return J;
  }

  Residuals f_;
  Eigen::VectorXd lo_, hi_;
};

// The prediction of one layer row on its unit.
double predict_layer(const sim::Analytical& model, const Measurement& row) {
  const hw::Soc& soc = model.soc();
  const auto unit = soc.find_unit(row.unit);
  if (!unit) {
    std::vector<std::string> names;
    for (const auto& u : soc.units)
      names.push_back(u.name);
    throw ConfigError(fmt::format("{}: column 'unit': SoC '{}' has no unit '{}' (units: {})",
                                  row.where(), soc.name, row.unit, fmt::join(names, ", ")));
  }
  const Graph g = measurement_graph(row);
  const Layer& l = g.layer(0);
  Mapping m;
  m.unit = *unit;
  auto ctx = model.prepare(l, m);
  if (row.resident && ctx.runs_layer) {
    for (std::size_t o = 0; o < kNumOperands; ++o)
      m.home[o] = static_cast<std::int8_t>(ctx.level[o]);
    ctx = model.prepare(l, m);
  }
  if (!ctx.runs_layer || !ctx.supported)
    throw ConfigError(fmt::format("{}: column 'unit': unit '{}' cannot run this {} layer: {}",
                                  row.where(), row.unit, op_name(l.op), ctx.unsupported_reason));
  const auto r = mappers::search_layer(model, ctx, mappers::SearchOptions{});
  if (!r.found)
    throw ConfigError(fmt::format("{}: column 'unit': unit '{}' cannot run this {} layer: {}",
                                  row.where(), row.unit, op_name(l.op), r.reason));
  return r.cost.cycles;
}

double predict_network(std::shared_ptr<const hw::Soc> soc, const Measurement& row) {
  try {
    const auto graphs = load_models(row.network);
    driver::ExploreSettings settings;
    settings.split = false;
    settings.fusion = false;
    const auto e = driver::explore_unstored(graphs, soc, settings);
    return driver::totals(e.results, soc->levels.size()).cycles;
  } catch (const Error& e) {
    throw ConfigError(fmt::format("{}: column 'network': {}", row.where(), e.what()));
  }
}

// Per row and per source, for the comment of a fitted value.
std::string sources_of(const std::vector<Measurement>& rows) {
  std::set<std::string> s;
  for (const auto& r : rows)
    s.insert(r.source);
  return fmt::format("{}", fmt::join(s, ", "));
}

}  // namespace

std::vector<Parameter> parameters(const hw::Soc& soc, const std::vector<std::string>& specs) {
  const YAML::Node root = YAML::Load(soc.yaml_text);
  std::vector<Parameter> out;
  std::set<std::string> seen;
  for (const auto& spec : specs) {
    Parameter p;
    const auto eq = spec.find('=');
    p.path = spec.substr(0, eq);
    if (!seen.insert(p.path).second)
      throw ConfigError(fmt::format("--params: '{}' is named twice", p.path));
    const YAML::Node v = find_value(root, p.path);
    if (!v.IsDefined() || !v.IsScalar())
      throw ConfigError(
          fmt::format("--params: SoC '{}' has no value at '{}' (write UNIT.KEY, "
                      "UNIT.params.NAME, DMA.KEY or MEMORY.KEY)",
                      soc.name, p.path));
    if (!split_value(v.Scalar(), p.initial, p.suffix))
      throw ConfigError(fmt::format("--params: '{}' is '{}', not a number", p.path, v.Scalar()));
    p.lo = p.initial / 10;
    p.hi = p.initial == 0 ? 1 : p.initial * 10;
    if (eq != std::string::npos) {
      const std::string b = spec.substr(eq + 1);
      const auto colon = b.find(':');
      std::string rest;
      if (colon == std::string::npos || !split_value(b.substr(0, colon), p.lo, rest) ||
          !rest.empty() || !split_value(b.substr(colon + 1), p.hi, rest) || !rest.empty())
        throw ConfigError(fmt::format("--params: '{}': bounds read LO:HI, got '{}'", p.path, b));
    }
    if (!(p.lo >= 0 && p.lo <= p.initial && p.initial <= p.hi && p.lo < p.hi))
      throw ConfigError(
          fmt::format("--params: '{}': bounds [{}, {}] must hold its value {} and "
                      "not be negative",
                      p.path, p.lo, p.hi, p.initial));
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> default_parameters(const hw::Soc& soc, const MeasurementSet& set) {
  const YAML::Node root = YAML::Load(soc.yaml_text);
  std::vector<std::string> out;
  std::set<std::string> units;  // a network row measures every unit
  for (const auto& r : set.rows) {
    if (r.soc != soc.name) continue;
    if (r.kind == RowKind::layer) units.insert(r.unit);
    for (const auto& u : soc.units) {
      if (r.kind == RowKind::network) units.insert(u.name);
    }
  }
  for (const auto& unit : units) {
    for (const char* key : {"launch", "tile_overhead"}) {
      const std::string path = fmt::format("{}.{}", unit, key);
      const YAML::Node v = find_value(root, "units." + path);
      double x = 0;
      std::string suffix;
      if (v.IsDefined() && v.IsScalar() && split_value(v.Scalar(), x, suffix) && x > 0)
        out.push_back("units." + path);
    }
  }
  return out;
}

std::shared_ptr<const hw::Soc> with_values(const hw::Soc& soc, const std::vector<Parameter>& params,
                                           const std::vector<double>& values) {
  std::map<std::string, std::string> set;
  for (std::size_t i = 0; i < params.size(); ++i)
    set[params[i].path] = format_value(values[i], params[i].suffix);
  return hw::apply_overrides(soc, set);
}

std::vector<Measurement> rows_for(const hw::Soc& soc, const MeasurementSet& set) {
  std::vector<Measurement> out;
  for (const auto& r : set.rows) {
    if (r.soc == soc.name) out.push_back(r);
  }
  return out;
}

std::vector<Measurement> rows_to_fit(const std::vector<Measurement>& rows) {
  std::vector<Measurement> out;
  for (const auto& r : rows) {
    if (r.fit) out.push_back(r);
  }
  return out;
}

std::vector<double> predict(std::shared_ptr<const hw::Soc> soc,
                            const std::vector<Measurement>& rows) {
  const sim::Analytical model(soc);
  std::vector<double> out(rows.size());
  tbb::parallel_for(std::size_t{0}, rows.size(), [&](std::size_t i) {
    out[i] = rows[i].kind == RowKind::layer ? predict_layer(model, rows[i])
                                            : predict_network(soc, rows[i]);
  });
  return out;
}

double relative_error(double predicted, double measured) {
  return (predicted - measured) / measured;
}

ErrorStats error_stats(const std::vector<double>& predicted, const std::vector<Measurement>& rows,
                       const std::vector<std::size_t>& which) {
  std::vector<double> e;
  for (auto i : which)
    e.push_back(std::abs(relative_error(predicted[i], rows[i].cycles)));
  ErrorStats s;
  s.rows = e.size();
  if (e.empty()) return s;
  std::sort(e.begin(), e.end());
  const std::size_t h = e.size() / 2;
  s.median = e.size() % 2 ? e[h] : (e[h - 1] + e[h]) / 2;
  s.worst = e.back();
  return s;
}

Calibration calibrate(std::shared_ptr<const hw::Soc> soc, const std::vector<Measurement>& rows,
                      const std::vector<Parameter>& params) {
  if (params.empty()) throw ConfigError("calibrate: no parameter to fit");
  Calibration out;
  out.before = predict(soc, rows);        // every row checked first
  const auto fitted = rows_to_fit(rows);  // the rows of the least squares
  if (fitted.size() < params.size())
    throw ConfigError(
        fmt::format("calibrate: {} row(s) to fit (fit: no excluded) cannot fit {} "
                    "parameters",
                    fitted.size(), params.size()));
  out.params = params;
  out.rows = rows;
  const auto n = static_cast<Eigen::Index>(params.size());
  // Scaled coordinates: x_j = value_j / initial_j (the value itself when 0).
  Eigen::VectorXd scale(n), lo(n), hi(n), x0(n);
  for (Eigen::Index j = 0; j < n; ++j) {
    const auto& p = params[static_cast<std::size_t>(j)];
    scale[j] = p.initial != 0 ? p.initial : 1.0;
    lo[j] = p.lo / scale[j];
    hi[j] = p.hi / scale[j];
    x0[j] = p.initial / scale[j];
  }
  auto values_of = [&](const Eigen::VectorXd& x) {
    std::vector<double> v(params.size());
    for (Eigen::Index j = 0; j < n; ++j)
      v[static_cast<std::size_t>(j)] = x[j] * scale[j];
    return v;
  };
  auto residuals = [&](const Eigen::VectorXd& x) {
    const auto pred = predict(with_values(*soc, params, values_of(x)), fitted);
    Eigen::VectorXd r(static_cast<Eigen::Index>(fitted.size()));
    for (std::size_t i = 0; i < fitted.size(); ++i)
      r[static_cast<Eigen::Index>(i)] = relative_error(pred[i], fitted[i].cycles);
    return r;
  };
  const LevenbergMarquardt lm(residuals, lo, hi);
  const Eigen::VectorXd x = lm.solve(x0, out.iterations, out.converged);
  out.values = values_of(x);
  out.after = predict(with_values(*soc, params, out.values), rows);
  return out;
}

std::string overlay_yaml(const hw::Soc& soc, const std::string& base, const Calibration& fit) {
  std::string y = fmt::format(
      "# Calibrated overlay of SoC '{}' written by `tessel calibrate` (docs/calibration.md):\n"
      "# the base description with the values below replaced. Use it as --soc {}.\n"
      "base: {}\n"
      "set:\n",
      soc.name, "FILE", base);
  const auto fitted = rows_to_fit(fit.rows);
  const auto sources = sources_of(fitted);
  for (std::size_t i = 0; i < fit.params.size(); ++i) {
    const auto& p = fit.params[i];
    y += fmt::format("  {}: \"{}\"  # fitted by tessel calibrate to {} rows ({}); was {}\n", p.path,
                     format_value(fit.values[i], p.suffix), fitted.size(), sources,
                     format_value(p.initial, p.suffix));
  }
  return y;
}

}  // namespace tessel::calib
