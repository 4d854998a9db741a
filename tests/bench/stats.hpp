#pragma once

/// Latency statistics shared by the benchmark tools.

#include <algorithm>
#include <vector>

namespace pact::bench {

/// The p-quantile (0..1) of `v` (reorders `v`); 0 for an empty sample.
inline double percentile(std::vector<double>& v, double p) {
  if (v.empty())
    return 0;
  auto k = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

} // namespace pact::bench
