// Statistics of latency samples and the rules that decide when warm-up is over and when to stop
// measuring. Pure functions on plain vectors: no clock, no I/O; times in seconds.
//
// Sources:
// - Percentiles p90/p95/p99 are nearest-rank: the ceil(p/100 · n)-th smallest sample, as in MLPerf
//   LoadGen (loadgen/results.cc) — always an observed latency, never an interpolation.
// - Median, quartiles and IQR use linear interpolation between order statistics (numpy.percentile's
//   default, `method="linear"`), as torch.utils.benchmark does for its IQR/median noise check; the
//   warnings at IQR/median ≥ 0.10 and ≥ 0.25 follow torch.utils.benchmark's Measurement warnings.
// - Standard deviation is the sample deviation (n − 1 in the denominator; numpy `ddof=1`).
// - The 95 % confidence interval of the median is distribution-free, from order statistics: with
//   B ~ Binomial(n, 1/2) the number of samples below the true median, [x_(j), x_(n+1−j)] covers
//   it with probability P(j ≤ B ≤ n − j) (W. J. Conover, Practical Nonparametric Statistics,
//   3rd ed., 1999, §3.2 "confidence interval for a quantile"). We take the largest j with
//   P(B ≤ j − 1) ≤ α/2, computed exactly; for large n this is the familiar normal approximation
//   j ≈ n/2 − 1.96·√n/2, upper rank ≈ 1 + n/2 + 1.96·√n/2 (J.-Y. Le Boudec, Performance Evaluation
//   of Computer and Communication Systems, EPFL Press 2010, Thm. 2.1 and its Table). No interval
//   exists for n < 6 (P(B = 0) + P(B = n) > 5 %).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace graphs::bench {

struct LatencyStats {
  std::size_t count = 0;
  double min_s = 0, max_s = 0, mean_s = 0, median_s = 0, stddev_s = 0;
  double p90_s = 0, p95_s = 0, p99_s = 0;  // nearest rank
  double q1_s = 0, q3_s = 0, iqr_s = 0;    // linear interpolation
  double iqr_over_median = 0;
  std::optional<double> median_ci_low_s, median_ci_high_s;  // 95 %; none for n < 6
  /// Half-width of the CI relative to the median: max(median − low, high − median) / median;
  /// nullopt when there is no interval.
  std::optional<double> median_ci_rel;
};

/// Nearest-rank percentile of sorted samples: the ceil(p/100 · n)-th smallest (1-based), p in
/// (0, 100]. Precondition: non-empty, sorted ascending.
double percentile_nearest_rank(const std::vector<double>& sorted, double p);

/// Linearly interpolated quantile (numpy's default): position q·(n − 1) between order statistics.
/// q in [0, 1]. Precondition: non-empty, sorted ascending.
double quantile_linear(const std::vector<double>& sorted, double q);

/// The median of `values` (any order; quantile_linear at 0.5 of a sorted copy); 0 when empty.
double median_of(std::vector<double> values);

/// 1-based ranks (j, k) of the distribution-free confidence interval of the median,
/// [x_(j), x_(k)] with k = n + 1 − j; nullopt when n is too small for `confidence`.
std::optional<std::pair<std::size_t, std::size_t>> median_ci_ranks(std::size_t n,
                                                                   double confidence = 0.95);

/// Every statistic of `samples` (any order). Precondition: non-empty.
LatencyStats summarize(std::vector<double> samples);

/// "", "noisy" (IQR/median ≥ 0.10) or "very noisy" (≥ 0.25).
std::string noise_level(double iqr_over_median);

// ---- warm-up -------------------------------------------------------------------------------

/// Warm-up runs in chunks; it is over when two successive chunk medians differ by at most
/// `tolerance` (relative to the earlier one), at least `min_chunks` chunks and `min_time_s` have
/// passed; or, unsettled, when `max_time_s` has passed.
struct WarmupRule {
  double min_time_s = 0.2;  // trtexec warms up 200 ms
  double max_time_s = 10.0;
  double tolerance = 0.05;
  std::size_t min_chunks = 2;
};

enum class WarmupDecision { kContinue, kSteady, kCapped };

class WarmupTracker {
 public:
  explicit WarmupTracker(WarmupRule rule) : rule_(rule) {}
  /// Adds one chunk of per-call latencies; `elapsed_s` is the warm-up wall time so far.
  WarmupDecision add_chunk(const std::vector<double>& latencies_s, double elapsed_s);
  std::size_t chunks() const { return chunk_medians_.size(); }
  std::size_t calls() const { return calls_; }
  const std::vector<double>& chunk_medians() const { return chunk_medians_; }

 private:
  WarmupRule rule_;
  std::vector<double> chunk_medians_;
  std::size_t calls_ = 0;
};

// ---- stopping rule -------------------------------------------------------------------------

/// Measurement stops when elapsed ≥ min_time_s, count ≥ min_samples and the CI of the median is
/// within target_rel_ci of it (half-width / median); or at max_time_s; or, with n_samples set,
/// after exactly that many samples (the other conditions are then ignored).
struct StoppingRule {
  double min_time_s = 1.0;
  double max_time_s = 10.0;
  std::size_t min_samples = 10;
  double target_rel_ci = 0.02;
  std::optional<std::size_t> n_samples;
};

enum class StopDecision { kContinue, kConverged, kMaxTime, kFixedCount };
std::string_view to_string(StopDecision d);

/// Decides after a chunk. `samples` are every measured latency so far (any order), `elapsed_s`
/// the measurement wall time so far.
StopDecision should_stop(const StoppingRule& rule, const std::vector<double>& samples,
                         double elapsed_s);

}  // namespace graphs::bench
