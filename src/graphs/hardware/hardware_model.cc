#include "graphs/hardware/hardware_model.h"

#include <array>
#include <string_view>

namespace graphs {
namespace {

// Fallback order when a precision has no entry of its own: a narrower type runs no slower than
// a wider one on the same unit (tf32 → fp32, bf16 ↔ fp16, fp8 → fp16, int4 → int8).
std::optional<double> lookup(const std::map<std::string, double>& peaks, const std::string& p) {
  auto it = peaks.find(p);
  if (it != peaks.end()) return it->second;
  static const std::map<std::string, std::vector<std::string>> kFallback = {
      {"tf32", {"fp32"}}, {"bf16", {"fp16", "fp32"}}, {"fp16", {"bf16", "fp32"}},
      {"fp8", {"fp16", "bf16"}}, {"int4", {"int8"}}, {"fp64", {}}, {"fp32", {}}, {"int8", {}}};
  auto fb = kFallback.find(p);
  if (fb == kFallback.end()) return std::nullopt;
  for (const auto& alt : fb->second) {
    auto a = peaks.find(alt);
    if (a != peaks.end()) return a->second;
  }
  return std::nullopt;
}

}  // namespace

const CacheLevel* HardwareModel::cache(const std::string& name) const {
  for (const auto& c : caches) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool HardwareModel::integer_only() const {
  for (const auto& [p, v] : matrix_peak_flops_per_s) {
    if (p != "int8" && p != "int4") return false;
  }
  return !matrix_peak_flops_per_s.empty();
}

std::optional<double> HardwareModel::matrix_peak(const std::string& precision) const {
  return lookup(matrix_peak_flops_per_s, precision);
}

std::optional<double> HardwareModel::vector_peak(const std::string& precision) const {
  auto v = lookup(vector_peak_flops_per_s, precision);
  return v ? v : matrix_peak(precision);
}

std::optional<double> HardwareModel::energy_per_flop(const std::string& precision) const {
  return lookup(energy_per_flop_j, precision);
}

std::optional<double> HardwareModel::ridge_point(const std::string& precision) const {
  const auto peak = matrix_peak(precision);
  if (!peak || memory_bandwidth_bytes_per_s <= 0) return std::nullopt;
  return *peak * efficiency.matrix_at(precision) / (memory_bandwidth_bytes_per_s * efficiency.memory);
}

}  // namespace graphs
