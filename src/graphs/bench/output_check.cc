#include "graphs/bench/output_check.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace graphs::bench {

Tolerance tolerance_for(const std::string& precision) {
  if (precision == "bf16") return {5e-2, 5e-2};
  if (precision == "fp16") return {1e-2, 1e-2};
  if (precision == "int8") return {1e-1, 1e-1};
  return {1e-3, 1e-3};
}

namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "[";
  for (std::size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + "]";
}

}  // namespace

OutputComparison compare_outputs(const std::vector<NpyArray>& outputs,
                                 const std::vector<NpyArray>& reference, const Tolerance& tol) {
  OutputComparison c;
  c.tolerance = tol;
  if (outputs.size() != reference.size()) {
    c.passed = false;
    c.reason = fmt::format("output mismatch: {} outputs, the reference has {}", outputs.size(),
                           reference.size());
    return c;
  }
  for (std::size_t i = 0; i < outputs.size(); ++i) {
    const NpyArray& a = outputs[i];
    const NpyArray& r = reference[i];
    TensorComparison t;
    t.index = i;
    t.shape = a.shape;
    if (a.shape != r.shape) {
      t.passed = false;
      t.problem = "shape " + shape_str(a.shape) + ", reference " + shape_str(r.shape);
    } else {
      for (double v : r.values) {
        if (std::isfinite(v)) t.ref_max_abs = std::max(t.ref_max_abs, std::abs(v));
      }
      const bool exact = a.is_integer && r.is_integer;
      const double atol = exact ? 0.0 : tol.atol_scale * t.ref_max_abs;
      const double rtol = exact ? 0.0 : tol.rtol;
      std::size_t nan = 0;
      for (std::size_t k = 0; k < a.values.size(); ++k) {
        const double x = a.values[k], y = r.values[k];
        if (std::isnan(x) || std::isnan(y)) {
          if (std::isnan(x) != std::isnan(y)) ++nan;
          continue;
        }
        if (std::isinf(x) || std::isinf(y)) {
          if (x != y) ++nan;
          continue;
        }
        const double err = std::abs(x - y);
        t.max_abs_error = std::max(t.max_abs_error, err);
        if (y != 0) t.max_rel_error = std::max(t.max_rel_error, err / std::abs(y));
        if (err > atol + rtol * std::abs(y)) ++t.mismatched;
      }
      t.mismatched += nan;
      if (t.mismatched > 0) {
        t.passed = false;
        t.problem = fmt::format("{} of {} elements beyond tolerance{}", t.mismatched,
                                a.values.size(), nan ? fmt::format(" ({} NaN/inf differ)", nan) : "");
      }
    }
    c.max_abs_error = std::max(c.max_abs_error, t.max_abs_error);
    c.max_rel_error = std::max(c.max_rel_error, t.max_rel_error);
    if (!t.passed && c.passed) {
      c.passed = false;
      c.reason = fmt::format("output mismatch: output {}: {} (max abs error {:.3g}, max rel error "
                             "{:.3g}, rtol {:g}, atol {:g} x max|ref| = {:.3g})",
                             i, t.problem, t.max_abs_error, t.max_rel_error, tol.rtol,
                             tol.atol_scale, tol.atol_scale * t.ref_max_abs);
    }
    c.tensors.push_back(std::move(t));
  }
  return c;
}

nlohmann::json OutputComparison::to_json() const {
  nlohmann::json j;
  j["passed"] = passed;
  j["reason"] = reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(reason);
  j["max_abs_error"] = max_abs_error;
  j["max_rel_error"] = max_rel_error;
  j["rtol"] = tolerance.rtol;
  j["atol_scale"] = tolerance.atol_scale;
  auto& ts = j["outputs"] = nlohmann::json::array();
  for (const auto& t : tensors) {
    ts.push_back({{"index", t.index},
                  {"shape", t.shape},
                  {"max_abs_error", t.max_abs_error},
                  {"max_rel_error", t.max_rel_error},
                  {"ref_max_abs", t.ref_max_abs},
                  {"mismatched_elements", t.mismatched},
                  {"passed", t.passed}});
  }
  return j;
}

}  // namespace graphs::bench
