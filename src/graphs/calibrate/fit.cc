#include "graphs/calibrate/fit.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <optional>

namespace graphs {

namespace {

double rms_rel_error(const std::vector<WorkSample>& samples, const HockneyFit& fit) {
  double sum = 0;
  for (const auto& s : samples) {
    const double r = (s.time_s - fit.time_s(s.work)) / s.time_s;
    sum += r * r;
  }
  return std::sqrt(sum / static_cast<double>(samples.size()));
}

}  // namespace

Result<HockneyFit> fit_hockney(const std::vector<WorkSample>& samples) {
  if (samples.size() < 2) {
    return make_error(ErrorCode::kInvalidArgument, "a Hockney fit needs at least 2 samples, got ",
                      samples.size());
  }
  double min_w = samples.front().work;
  double max_w = samples.front().work;
  for (const auto& s : samples) {
    if (!(s.work > 0) || !(s.time_s > 0) || !std::isfinite(s.work) || !std::isfinite(s.time_s)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "a Hockney fit needs positive, finite work and time; got work ", s.work,
                        ", time ", s.time_s, " s");
    }
    min_w = std::min(min_w, s.work);
    max_w = std::max(max_w, s.work);
  }
  if (max_w <= min_w * (1 + 1e-12)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a Hockney fit needs samples at two or more work sizes");
  }
  // Normal equations of Σ v_i (t_i − a − b w_i)², v_i = 1/t_i².
  double sv = 0, svw = 0, svww = 0, svt = 0, svwt = 0;
  for (const auto& s : samples) {
    const double v = 1.0 / (s.time_s * s.time_s);
    sv += v;
    svw += v * s.work;
    svww += v * s.work * s.work;
    svt += v * s.time_s;
    svwt += v * s.work * s.time_s;
  }
  const double det = sv * svww - svw * svw;
  double a = (svt * svww - svw * svwt) / det;
  double b = (sv * svwt - svw * svt) / det;
  if (!(a >= 0) || !(b > 0)) {
    // Rate only: minimise Σ v_i (t_i − b w_i)² → b = Σ v w t / Σ v w².
    a = 0;
    b = svwt / svww;
  }
  HockneyFit fit;
  fit.overhead_s = a;
  fit.rate = 1.0 / b;
  fit.half_work = a * fit.rate;
  fit.samples = static_cast<int>(samples.size());
  fit.rms_rel_error = rms_rel_error(samples, fit);
  return fit;
}

namespace {

// Solves the k×k system m·x = r (k ≤ 3) by Gaussian elimination with partial pivoting; false
// when singular.
bool solve_small(std::vector<std::vector<double>> m, std::vector<double> r, std::vector<double>& x) {
  const std::size_t k = r.size();
  for (std::size_t c = 0; c < k; ++c) {
    std::size_t pivot = c;
    for (std::size_t i = c + 1; i < k; ++i) {
      if (std::abs(m[i][c]) > std::abs(m[pivot][c])) pivot = i;
    }
    if (!(std::abs(m[pivot][c]) > 0)) return false;
    std::swap(m[c], m[pivot]);
    std::swap(r[c], r[pivot]);
    for (std::size_t i = c + 1; i < k; ++i) {
      const double f = m[i][c] / m[c][c];
      for (std::size_t j = c; j < k; ++j) m[i][j] -= f * m[c][j];
      r[i] -= f * r[c];
    }
  }
  x.assign(k, 0);
  for (std::size_t c = k; c-- > 0;) {
    double v = r[c];
    for (std::size_t j = c + 1; j < k; ++j) v -= m[c][j] * x[j];
    x[c] = v / m[c][c];
  }
  return true;
}

}  // namespace

Result<ComputeMemoryFit> fit_compute_memory(const std::vector<ComputeMemorySample>& samples) {
  if (samples.size() < 3) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a compute + memory fit needs at least 3 samples, got ", samples.size());
  }
  bool any_work = false;
  for (const auto& s : samples) {
    if (!(s.flops >= 0) || !(s.bytes >= 0) || !(s.time_s > 0) || !std::isfinite(s.flops) ||
        !std::isfinite(s.bytes) || !std::isfinite(s.time_s)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "a compute + memory fit needs finite, non-negative work and positive "
                        "time; got ", s.flops, " FLOPs, ", s.bytes, " bytes, ", s.time_s, " s");
    }
    any_work = any_work || s.flops > 0 || s.bytes > 0;
  }
  if (!any_work) return make_error(ErrorCode::kInvalidArgument, "a compute + memory fit needs work");
  // Columns: 1 (overhead), f (1 / flops rate), b (1 / bytes rate); weights 1/t².
  auto column = [](const ComputeMemorySample& s, int c) {
    return c == 0 ? 1.0 : c == 1 ? s.flops : s.bytes;
  };
  auto wsse = [&](const std::array<double, 3>& coef) {
    double sum = 0;
    for (const auto& s : samples) {
      const double r = (s.time_s - coef[0] - coef[1] * s.flops - coef[2] * s.bytes) / s.time_s;
      sum += r * r;
    }
    return sum;
  };
  std::optional<std::array<double, 3>> best;
  double best_sse = 0;
  for (int mask = 7; mask >= 1; --mask) {  // every non-empty subset of the three terms
    std::vector<int> cols;
    for (int c = 0; c < 3; ++c) {
      if (mask & (1 << c)) cols.push_back(c);
    }
    const std::size_t k = cols.size();
    std::vector<std::vector<double>> m(k, std::vector<double>(k, 0));
    std::vector<double> r(k, 0), x;
    for (const auto& s : samples) {
      const double v = 1.0 / (s.time_s * s.time_s);
      for (std::size_t i = 0; i < k; ++i) {
        r[i] += v * column(s, cols[i]) * s.time_s;
        for (std::size_t j = 0; j < k; ++j) m[i][j] += v * column(s, cols[i]) * column(s, cols[j]);
      }
    }
    if (!solve_small(m, r, x)) continue;
    if (std::any_of(x.begin(), x.end(), [](double v) { return !(v >= 0) || !std::isfinite(v); })) continue;
    std::array<double, 3> coef{0, 0, 0};
    for (std::size_t i = 0; i < k; ++i) coef[cols[i]] = x[i];
    if (coef[1] <= 0 && coef[2] <= 0) continue;  // no work term: not a model of the kernel
    const double sse = wsse(coef);
    if (!best || sse < best_sse * (1 - 1e-12)) {
      best = coef;
      best_sse = sse;
    }
  }
  if (!best) return make_error(ErrorCode::kInvalidArgument, "no non-negative compute + memory fit");
  ComputeMemoryFit fit;
  fit.overhead_s = (*best)[0];
  fit.flops_per_s = (*best)[1] > 0 ? 1.0 / (*best)[1] : 0;
  fit.bytes_per_s = (*best)[2] > 0 ? 1.0 / (*best)[2] : 0;
  fit.samples = static_cast<int>(samples.size());
  fit.rms_rel_error = std::sqrt(best_sse / static_cast<double>(samples.size()));
  return fit;
}

}  // namespace graphs
