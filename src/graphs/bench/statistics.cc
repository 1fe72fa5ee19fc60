#include "graphs/bench/statistics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace graphs::bench {

double percentile_nearest_rank(const std::vector<double>& sorted, double p) {
  const std::size_t n = sorted.size();
  // ceil(p/100 · n) with a guard against 0.9 · 100 = 90.00000000000001 style rounding.
  double r = std::ceil(p / 100.0 * static_cast<double>(n) - 1e-9);
  std::size_t rank = static_cast<std::size_t>(std::max(1.0, r));
  rank = std::min(rank, n);
  return sorted[rank - 1];
}

double quantile_linear(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

std::optional<std::pair<std::size_t, std::size_t>> median_ci_ranks(std::size_t n,
                                                                   double confidence) {
  if (n == 0) return std::nullopt;
  const double half_alpha = (1.0 - confidence) / 2.0;
  const double dn = static_cast<double>(n);
  const double log_norm = std::lgamma(dn + 1.0) - dn * std::log(2.0);
  // cdf = P(B ≤ j − 1); j grows while P(B ≤ j) stays ≤ α/2.
  double cdf = 0.0;
  std::size_t j = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double dk = static_cast<double>(k);
    const double pmf = std::exp(log_norm - std::lgamma(dk + 1.0) - std::lgamma(dn - dk + 1.0));
    if (cdf + pmf > half_alpha) break;
    cdf += pmf;
    j = k + 1;  // P(B ≤ (k + 1) − 1) ≤ α/2
  }
  if (j == 0) return std::nullopt;
  return std::make_pair(j, n + 1 - j);
}

LatencyStats summarize(std::vector<double> s) {
  LatencyStats st;
  std::sort(s.begin(), s.end());
  const std::size_t n = s.size();
  st.count = n;
  if (n == 0) return st;
  st.min_s = s.front();
  st.max_s = s.back();
  const double sum = std::accumulate(s.begin(), s.end(), 0.0);
  st.mean_s = sum / static_cast<double>(n);
  if (n > 1) {
    double ss = 0;
    for (double x : s) ss += (x - st.mean_s) * (x - st.mean_s);
    st.stddev_s = std::sqrt(ss / static_cast<double>(n - 1));
  }
  st.median_s = quantile_linear(s, 0.5);
  st.q1_s = quantile_linear(s, 0.25);
  st.q3_s = quantile_linear(s, 0.75);
  st.iqr_s = st.q3_s - st.q1_s;
  st.iqr_over_median = st.median_s > 0 ? st.iqr_s / st.median_s : 0.0;
  st.p90_s = percentile_nearest_rank(s, 90);
  st.p95_s = percentile_nearest_rank(s, 95);
  st.p99_s = percentile_nearest_rank(s, 99);
  if (auto ranks = median_ci_ranks(n)) {
    st.median_ci_low_s = s[ranks->first - 1];
    st.median_ci_high_s = s[ranks->second - 1];
    if (st.median_s > 0) {
      st.median_ci_rel = std::max(st.median_s - *st.median_ci_low_s,
                                  *st.median_ci_high_s - st.median_s) /
                         st.median_s;
    }
  }
  return st;
}

std::string noise_level(double iqr_over_median) {
  if (iqr_over_median >= 0.25) return "very noisy";
  if (iqr_over_median >= 0.10) return "noisy";
  return "";
}

WarmupDecision WarmupTracker::add_chunk(const std::vector<double>& latencies_s, double elapsed_s) {
  if (!latencies_s.empty()) {
    chunk_medians_.push_back(median_of(latencies_s));
    calls_ += latencies_s.size();
  }
  const std::size_t k = chunk_medians_.size();
  if (k >= std::max<std::size_t>(2, rule_.min_chunks) && elapsed_s >= rule_.min_time_s) {
    const double prev = chunk_medians_[k - 2], cur = chunk_medians_[k - 1];
    if (prev > 0 && std::abs(cur - prev) / prev <= rule_.tolerance) return WarmupDecision::kSteady;
  }
  if (elapsed_s >= rule_.max_time_s) return WarmupDecision::kCapped;
  return WarmupDecision::kContinue;
}

std::string_view to_string(StopDecision d) {
  switch (d) {
    case StopDecision::kContinue: return "continue";
    case StopDecision::kConverged: return "converged";
    case StopDecision::kMaxTime: return "max_time";
    case StopDecision::kFixedCount: return "n_samples";
  }
  return "continue";
}

StopDecision should_stop(const StoppingRule& rule, const std::vector<double>& samples,
                         double elapsed_s) {
  if (rule.n_samples) {
    return samples.size() >= *rule.n_samples ? StopDecision::kFixedCount : StopDecision::kContinue;
  }
  if (elapsed_s >= rule.min_time_s && samples.size() >= rule.min_samples) {
    const LatencyStats st = summarize(samples);
    if (st.median_ci_rel && *st.median_ci_rel <= rule.target_rel_ci) return StopDecision::kConverged;
  }
  if (elapsed_s >= rule.max_time_s) return StopDecision::kMaxTime;
  return StopDecision::kContinue;
}

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return quantile_linear(values, 0.5);
}

}  // namespace graphs::bench
