#include "graphs/calibrate/fit.h"

#include <algorithm>
#include <cmath>

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

}  // namespace graphs
