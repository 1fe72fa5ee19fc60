#include "graphs/calibrate/fit.h"

#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "graphs/calibrate/membench.h"

namespace graphs {
namespace {

std::vector<WorkSample> synthetic(double overhead_s, double rate, double noise_rel,
                                  unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, noise_rel);
  std::vector<WorkSample> out;
  for (double w = 1e3; w <= 1e10; w *= 2.0) {
    out.push_back({w, (overhead_s + w / rate) * (1.0 + noise(rng))});
  }
  return out;
}

TEST(CalibrateFitTest, RecoversExactParameters) {
  auto fit = fit_hockney(synthetic(5e-6, 2e11, 0.0, 1));
  ASSERT_TRUE(fit.ok()) << fit.error().message();
  EXPECT_NEAR(fit->overhead_s, 5e-6, 5e-6 * 1e-9);
  EXPECT_NEAR(fit->rate, 2e11, 2e11 * 1e-9);
  EXPECT_NEAR(fit->half_work, 5e-6 * 2e11, 1e-3);
  EXPECT_LT(fit->rms_rel_error, 1e-12);
}

TEST(CalibrateFitTest, RecoversParametersUnderNoise) {
  // 3 % multiplicative noise over 24 sizes: both parameters within 5 %.
  for (unsigned seed : {1u, 2u, 3u, 4u}) {
    auto fit = fit_hockney(synthetic(2e-5, 5e10, 0.03, seed));
    ASSERT_TRUE(fit.ok());
    EXPECT_NEAR(fit->overhead_s / 2e-5, 1.0, 0.05) << "seed " << seed;
    EXPECT_NEAR(fit->rate / 5e10, 1.0, 0.05) << "seed " << seed;
    EXPECT_GT(fit->rms_rel_error, 0.005);
    EXPECT_LT(fit->rms_rel_error, 0.06);
  }
}

TEST(CalibrateFitTest, NegativeOverheadFallsBackToRateOnly) {
  // Times exactly proportional to work minus a little: the unconstrained intercept is negative.
  std::vector<WorkSample> s = {{1e6, 0.9e-3}, {2e6, 1.95e-3}, {4e6, 3.98e-3}};
  auto fit = fit_hockney(s);
  ASSERT_TRUE(fit.ok());
  EXPECT_EQ(fit->overhead_s, 0.0);
  EXPECT_GT(fit->rate, 0.9e9);
  EXPECT_LT(fit->rate, 1.12e9);
}

TEST(CalibrateFitTest, RejectsBadSamples) {
  EXPECT_FALSE(fit_hockney({{1e6, 1e-3}}).ok());
  EXPECT_FALSE(fit_hockney({{1e6, 1e-3}, {1e6, 2e-3}}).ok());
  EXPECT_FALSE(fit_hockney({{1e6, 1e-3}, {-1, 2e-3}}).ok());
  EXPECT_FALSE(fit_hockney({{1e6, 1e-3}, {2e6, NAN}}).ok());
  auto e = fit_hockney({});
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code(), ErrorCode::kInvalidArgument);
}

// t = 10 µs + f / 100 GFLOP/s + b / 20 GB/s over shapes of different arithmetic intensity.
TEST(CalibrateFitTest, ComputeMemoryFitRecoversBothRates) {
  std::vector<ComputeMemorySample> s;
  for (auto [f, b] : std::vector<std::pair<double, double>>{
           {1e9, 1e6}, {1e8, 4e7}, {2e6, 2e6}, {5e8, 1e8}, {3e7, 9e5}, {1e10, 3e8}}) {
    s.push_back({f, b, 10e-6 + f / 100e9 + b / 20e9});
  }
  auto fit = fit_compute_memory(s);
  ASSERT_TRUE(fit.ok()) << fit.error().message();
  EXPECT_NEAR(fit->overhead_s, 10e-6, 1e-12);
  EXPECT_NEAR(fit->flops_per_s / 100e9, 1, 1e-9);
  EXPECT_NEAR(fit->bytes_per_s / 20e9, 1, 1e-9);
  EXPECT_LT(fit->rms_rel_error, 1e-9);
  EXPECT_NEAR(fit->time_s(1e9, 1e6), 10e-6 + 1e9 / 100e9 + 1e6 / 20e9, 1e-15);
}

// Times that shrink with bytes would need a negative memory coefficient: the term is dropped
// (bytes_per_s 0) and the rest refitted, so every parameter stays physical.
TEST(CalibrateFitTest, ComputeMemoryFitDropsNegativeTerms) {
  std::vector<ComputeMemorySample> s = {
      {1e9, 9e8, 1e-2}, {2e9, 5e8, 2e-2}, {4e9, 1e8, 4e-2}, {8e9, 1e6, 8e-2}};
  auto fit = fit_compute_memory(s);
  ASSERT_TRUE(fit.ok());
  EXPECT_EQ(fit->bytes_per_s, 0);
  EXPECT_NEAR(fit->flops_per_s, 1e11, 1e11 * 1e-9);
  EXPECT_NEAR(fit->overhead_s, 0, 1e-12);
  EXPECT_FALSE(fit_compute_memory({{1, 1, 1}, {2, 2, 2}}).ok());  // < 3 samples
  EXPECT_FALSE(fit_compute_memory({{1, 1, 1}, {2, 2, 2}, {-1, 1, 1}}).ok());
  EXPECT_FALSE(fit_compute_memory({{0, 0, 1}, {0, 0, 2}, {0, 0, 3}}).ok());  // no work
}

TEST(CalibrateMemBenchTest, LogSpacedBytes) {
  auto v = log_spaced_bytes(4096, 65536, 2);
  ASSERT_EQ(v.size(), 9u);  // 2^12 .. 2^16 at two per octave
  EXPECT_EQ(v.front(), 4096);
  EXPECT_EQ(v.back(), 65536);
  EXPECT_TRUE(log_spaced_bytes(0, 10, 1).empty());
}

TEST(CalibrateMemBenchTest, MeasuresPlausibleBandwidth) {
  MemBenchOptions o;
  o.working_set_bytes = {32 * 1024, 8 * 1024 * 1024};
  o.threads = 2;
  o.min_time_s = 0.002;
  o.repeats = 2;
  auto r = measure_memory_bandwidth(o);
  ASSERT_TRUE(r.ok()) << r.error().message();
  ASSERT_EQ(r->size(), 4u);
  for (const auto& p : *r) {
    // Any machine this runs on moves between 100 MB/s and 10 TB/s; the figure is a rate, not 0/inf.
    EXPECT_GT(p.best_bytes_per_s, 1e8) << p.kernel << " " << p.working_set_bytes;
    EXPECT_LT(p.best_bytes_per_s, 1e13);
    EXPECT_GE(p.best_bytes_per_s, p.median_bytes_per_s);
    EXPECT_GE(p.passes_per_repeat, 1);
    EXPECT_EQ(p.threads, 2);
  }
  EXPECT_EQ((*r)[0].kernel, "copy");
  EXPECT_EQ((*r)[2].kernel, "triad");
}

TEST(CalibrateMemBenchTest, RejectsBadOptions) {
  MemBenchOptions o;
  EXPECT_FALSE(measure_memory_bandwidth(o).ok());
  o.working_set_bytes = {100};
  EXPECT_FALSE(measure_memory_bandwidth(o).ok());
  o.working_set_bytes = {1 << 20};
  o.kernels = {"scale"};
  auto e = measure_memory_bandwidth(o);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message().find("copy, triad"), std::string::npos);
}

}  // namespace
}  // namespace graphs
