// Statistics of latency samples against numpy, the median's confidence interval against exact
// binomial ranks, and the warm-up and stopping rules on constructed samples.
#include <gtest/gtest.h>

#include <cmath>

#include "graphs/bench/statistics.h"

namespace graphs::bench {
namespace {

// Expected values from numpy 2 (.venv-dev/bin/python):
//   x = np.array([...the 20 values below...])
//   x.min(), x.max(), x.mean(), np.median(x), x.std(ddof=1),
//   np.percentile(x, 25), np.percentile(x, 75)                      (linear interpolation)
//   np.percentile(x, [90, 95, 99], method='inverted_cdf')            (= nearest rank)
const std::vector<double> kSamples = {0.0123, 0.0119, 0.0131, 0.0120, 0.0125, 0.0118, 0.0140,
                                      0.0122, 0.0121, 0.0127, 0.0119, 0.0124, 0.0200, 0.0122,
                                      0.0126, 0.0120, 0.0123, 0.0121, 0.0129, 0.0117};

TEST(BenchStatisticsTest, SummaryMatchesNumpy) {
  const LatencyStats s = summarize(kSamples);
  EXPECT_EQ(s.count, 20u);
  EXPECT_DOUBLE_EQ(s.min_s, 0.0117);
  EXPECT_DOUBLE_EQ(s.max_s, 0.0200);
  EXPECT_NEAR(s.mean_s, 0.012735, 1e-15);
  EXPECT_NEAR(s.median_s, 0.01225, 1e-15);
  EXPECT_NEAR(s.stddev_s, 0.0017904057170314632, 1e-15);
  EXPECT_NEAR(s.q1_s, 0.012, 1e-15);
  EXPECT_NEAR(s.q3_s, 0.012625000000000001, 1e-15);
  EXPECT_NEAR(s.iqr_over_median, (0.012625 - 0.012) / 0.01225, 1e-12);
  EXPECT_DOUBLE_EQ(s.p90_s, 0.0131);
  EXPECT_DOUBLE_EQ(s.p95_s, 0.0140);
  EXPECT_DOUBLE_EQ(s.p99_s, 0.0200);
}

TEST(BenchStatisticsTest, NearestRankPercentileIsAnObservedSample) {
  const std::vector<double> sorted = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EXPECT_EQ(percentile_nearest_rank(sorted, 90), 9);   // ceil(0.9 * 10) = 9th
  EXPECT_EQ(percentile_nearest_rank(sorted, 91), 10);  // ceil(9.1) = 10th
  EXPECT_EQ(percentile_nearest_rank(sorted, 50), 5);
  EXPECT_EQ(percentile_nearest_rank(sorted, 1), 1);
  EXPECT_EQ(percentile_nearest_rank({42.0}, 99), 42);
}

// Exact binomial ranks, from Python: the largest j with sum(comb(n, k) for k < j) / 2**n <= 0.025,
// interval [x_(j), x_(n+1-j)]. Conover's table gives (2, 9) for n = 10.
TEST(BenchStatisticsTest, MedianCiRanksAreExactBinomial) {
  EXPECT_FALSE(median_ci_ranks(5).has_value());  // 2 / 2^5 = 6.25 % > 5 %
  EXPECT_EQ(median_ci_ranks(6), std::make_pair(std::size_t{1}, std::size_t{6}));
  EXPECT_EQ(median_ci_ranks(10), std::make_pair(std::size_t{2}, std::size_t{9}));
  EXPECT_EQ(median_ci_ranks(20), std::make_pair(std::size_t{6}, std::size_t{15}));
  EXPECT_EQ(median_ci_ranks(50), std::make_pair(std::size_t{18}, std::size_t{33}));
  EXPECT_EQ(median_ci_ranks(100), std::make_pair(std::size_t{40}, std::size_t{61}));
  EXPECT_EQ(median_ci_ranks(1000), std::make_pair(std::size_t{469}, std::size_t{532}));
}

TEST(BenchStatisticsTest, MedianCiMatchesNormalApproximationForLargeN) {
  // Le Boudec: j = floor(n/2 - 0.98 sqrt(n)), k = ceil(n/2 + 1 + 0.98 sqrt(n)).
  for (std::size_t n : {200u, 1000u, 5000u, 20000u}) {
    const auto r = median_ci_ranks(n);
    ASSERT_TRUE(r.has_value());
    const double dn = static_cast<double>(n);
    const double j = std::floor(dn / 2 - 0.98 * std::sqrt(dn));
    EXPECT_NEAR(static_cast<double>(r->first), j, 1.0) << n;
    EXPECT_EQ(r->first + r->second, n + 1) << n;
  }
}

TEST(BenchStatisticsTest, SummaryCarriesTheMedianCi) {
  const LatencyStats s = summarize(kSamples);
  ASSERT_TRUE(s.median_ci_low_s && s.median_ci_high_s && s.median_ci_rel);
  // Sorted samples, ranks 6 and 15: numpy np.sort(x)[[5, 14]] = [0.012, 0.0126].
  EXPECT_DOUBLE_EQ(*s.median_ci_low_s, 0.012);
  EXPECT_DOUBLE_EQ(*s.median_ci_high_s, 0.0126);
  EXPECT_NEAR(*s.median_ci_rel, (0.0126 - 0.01225) / 0.01225, 1e-12);
  EXPECT_FALSE(summarize({1.0, 2.0, 3.0}).median_ci_rel.has_value());
}

TEST(BenchStatisticsTest, NoiseLevelsFollowTorchBenchmarkThresholds) {
  EXPECT_EQ(noise_level(0.05), "");
  EXPECT_EQ(noise_level(0.10), "noisy");
  EXPECT_EQ(noise_level(0.24), "noisy");
  EXPECT_EQ(noise_level(0.25), "very noisy");
}

// Samples spread evenly over [m(1 - w), m(1 + w)].
std::vector<double> spread(std::size_t n, double m, double w) {
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i) {
    v.push_back(m * (1 - w + 2 * w * static_cast<double>(i) / static_cast<double>(n - 1)));
  }
  return v;
}

TEST(BenchStatisticsTest, StopsWhenTheMedianCiIsTightAndMinimaAreMet) {
  StoppingRule rule;  // min 1 s, max 10 s, min 10 samples, ±2 %
  const auto tight = spread(200, 1e-3, 0.01);  // CI far within ±2 %
  EXPECT_EQ(should_stop(rule, tight, 0.5), StopDecision::kContinue);  // below min time
  EXPECT_EQ(should_stop(rule, tight, 1.0), StopDecision::kConverged);
  const std::vector<double> few(tight.begin(), tight.begin() + 8);
  EXPECT_EQ(should_stop(rule, few, 2.0), StopDecision::kContinue);  // below min samples
}

TEST(BenchStatisticsTest, WideSamplesRunUntilMaxTime) {
  StoppingRule rule;
  // Uniform over ±50 %: with n = 30 the CI half-width is ~20 % of the median.
  const auto wide = spread(30, 1e-3, 0.5);
  const LatencyStats s = summarize(wide);
  ASSERT_TRUE(s.median_ci_rel.has_value());
  EXPECT_GT(*s.median_ci_rel, rule.target_rel_ci);
  EXPECT_EQ(should_stop(rule, wide, 5.0), StopDecision::kContinue);
  EXPECT_EQ(should_stop(rule, wide, 10.0), StopDecision::kMaxTime);
  // More samples of the same spread shrink the interval below the target.
  const auto many = spread(20000, 1e-3, 0.5);
  EXPECT_EQ(should_stop(rule, many, 5.0), StopDecision::kConverged);
}

TEST(BenchStatisticsTest, FixedSampleCountIgnoresTheCiRule) {
  StoppingRule rule;
  rule.n_samples = 50;
  EXPECT_EQ(should_stop(rule, spread(49, 1e-3, 0.5), 100.0), StopDecision::kContinue);
  EXPECT_EQ(should_stop(rule, spread(50, 1e-3, 0.5), 0.0), StopDecision::kFixedCount);
}

TEST(BenchStatisticsTest, WarmupEndsWhenSuccessiveChunkMediansAgree) {
  WarmupTracker w(WarmupRule{});  // 5 %, min 0.2 s, max 10 s
  EXPECT_EQ(w.add_chunk({2.0, 2.0, 2.0}, 0.3), WarmupDecision::kContinue);  // one chunk
  EXPECT_EQ(w.add_chunk({1.5, 1.5}, 0.4), WarmupDecision::kContinue);       // 25 % apart
  EXPECT_EQ(w.add_chunk({1.02}, 0.5), WarmupDecision::kContinue);           // 32 % apart
  EXPECT_EQ(w.add_chunk({1.0, 1.0, 0.99}, 0.6), WarmupDecision::kSteady);   // 2 % apart
  EXPECT_EQ(w.calls(), 9u);
  EXPECT_EQ(w.chunks(), 4u);
}

TEST(BenchStatisticsTest, WarmupWaitsForMinTimeAndStopsAtTheCap) {
  WarmupTracker w(WarmupRule{});
  EXPECT_EQ(w.add_chunk({1.0}, 0.05), WarmupDecision::kContinue);
  EXPECT_EQ(w.add_chunk({1.0}, 0.10), WarmupDecision::kContinue);  // steady but < 0.2 s
  EXPECT_EQ(w.add_chunk({1.0}, 0.25), WarmupDecision::kSteady);
  WarmupTracker moving(WarmupRule{});
  double v = 1.0;
  WarmupDecision d = WarmupDecision::kContinue;
  for (int i = 0; i < 20 && d == WarmupDecision::kContinue; ++i) {
    v *= 1.5;  // never settles
    d = moving.add_chunk({v}, 0.6 * i);
  }
  EXPECT_EQ(d, WarmupDecision::kCapped);
}

}  // namespace
}  // namespace graphs::bench
