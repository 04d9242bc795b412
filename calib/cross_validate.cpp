#include "calib/cross_validate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "core/errors.hpp"

namespace tessel::calib {
namespace {

template <typename Key>
RowGroups group_rows(const std::vector<Measurement>& rows, Key key) {
  RowGroups out;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string k = key(rows[i]);
    auto it = std::find_if(out.begin(), out.end(), [&](const auto& g) { return g.first == k; });
    if (it == out.end()) it = out.insert(out.end(), {k, {}});
    it->second.push_back(i);
  }
  return out;
}

}  // namespace

std::string row_group(const Measurement& row) {
  return row.kind == RowKind::network ? "network" : row.unit;
}

RowGroups by_source(const std::vector<Measurement>& rows) {
  return group_rows(rows, [](const Measurement& r) { return r.source; });
}

RowGroups by_group(const std::vector<Measurement>& rows) {
  return group_rows(rows, row_group);
}

CrossValidation cross_validate(std::shared_ptr<const hw::Soc> soc,
                               const std::vector<Measurement>& rows,
                               const std::vector<Parameter>& params) {
  const auto sources = by_source(rows);
  if (sources.size() < 2)
    throw ConfigError(fmt::format(
        "cross-validation holds out one source at a time: the rows name {} source(s), it "
        "needs at least two",
        sources.size()));
  CrossValidation cv;
  cv.held_out.assign(rows.size(), std::numeric_limits<double>::quiet_NaN());
  for (const auto& [source, held] : sources) {
    Fold fold;
    fold.source = source;
    std::vector<Measurement> train, test;  // train: the other sources' rows to fit
    for (const auto& r : rows) {
      if (r.source == source)
        test.push_back(r);
      else if (r.fit)
        train.push_back(r);
    }
    if (train.size() >= params.size()) {
      fold.values = calibrate(soc, train, params).values;
      fold.fitted = true;
      const auto predicted = predict(with_values(*soc, params, fold.values), test);
      for (std::size_t i = 0; i < held.size(); ++i)
        cv.held_out[held[i]] = predicted[i];
    }
    cv.folds.push_back(std::move(fold));
  }
  return cv;
}

std::vector<std::size_t> held_out_rows(const CrossValidation& cv,
                                       const std::vector<std::size_t>& which) {
  std::vector<std::size_t> out;
  for (auto i : which) {
    if (!std::isnan(cv.held_out[i])) out.push_back(i);
  }
  return out;
}

}  // namespace tessel::calib
