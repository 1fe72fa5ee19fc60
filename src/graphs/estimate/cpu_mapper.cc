#include "graphs/estimate/cpu_mapper.h"

#include <algorithm>

#include <fmt/format.h>

#include "graphs/estimate/mapper.h"

namespace graphs {

CpuTarget resolve_cpu_target(const HardwareModel& hw) {
  CpuTarget cpu;
  cpu.cores = std::max(1, hw.compute_units);
  for (const auto& c : hw.caches) {
    if (c.capacity_bytes > 0 && c.bandwidth_bytes_per_s > 0) {
      cpu.tiers.push_back({c.name, c.capacity_bytes, c.bandwidth_bytes_per_s});
    }
  }
  // A nearer level is never slower than a farther one: what fits it fits them too.
  double farther = hw.memory_bandwidth_bytes_per_s * hw.efficiency.memory;
  std::string farther_name = "DRAM";
  for (auto it = cpu.tiers.rbegin(); it != cpu.tiers.rend(); ++it) {
    if (it->bandwidth_bytes_per_s < farther) {
      cpu.notes.push_back(fmt::format(
          "{} bandwidth {:.3g} GB/s is below {}'s {:.3g} GB/s (a noisy measurement?); {} is "
          "served at {}'s rate",
          it->name, it->bandwidth_bytes_per_s / 1e9, farther_name, farther / 1e9, it->name,
          farther_name));
      it->bandwidth_bytes_per_s = farther;
    } else {
      farther = it->bandwidth_bytes_per_s;
      farther_name = it->name;
    }
  }
  return cpu;
}

const CpuCacheTier* cpu_serving_tier(const CpuTarget& cpu, double bytes) {
  for (const auto& t : cpu.tiers) {
    if (bytes <= t.capacity_bytes) return &t;
  }
  return nullptr;
}

std::string calibration_class(const KernelWork& w) {
  switch (w.op_class) {
    case OpClass::kConv:
      if (!w.gemm) return "depthwise_conv";
      if (w.gemm->batch > 1) return "grouped_conv";
      return w.gemm->kernel_elems == 1 ? "pointwise_conv" : "conv";
    case OpClass::kDataMovement: return "data_movement";
    case OpClass::kPooling: return "pooling";
    case OpClass::kMatMul: return "matmul";
    case OpClass::kNormalization:
      // Inference BatchNorm is a per-channel scale and shift (pointwise); the others reduce.
      return w.anchor_op == "BatchNormalization" ? "elementwise" : "reduction";
    case OpClass::kReduction:
    case OpClass::kSoftmax: return "reduction";
    default: return "elementwise";
  }
}

namespace {

// The class a profile without `cls` is asked for instead (profiles written before a class was
// measured): a 1×1 or grouped convolution is a convolution, a copy is elementwise traffic.
std::string broader_class(const std::string& cls) {
  if (cls == "pointwise_conv" || cls == "grouped_conv") return "conv";
  if (cls == "data_movement" || cls == "pooling") return "elementwise";
  return "";
}

const OpClassRate* measured_rate(const MapperTarget& t, std::string cls) {
  for (; !cls.empty(); cls = broader_class(cls)) {
    for (const auto* rates : {t.op_rates, t.fallback_op_rates}) {
      if (!rates) continue;
      if (auto it = rates->find(cls);
          it != rates->end() && (it->second.rate > 0 || it->second.bytes_per_s > 0)) {
        return &it->second;
      }
    }
  }
  return nullptr;
}

}  // namespace

KernelEstimate estimate_cpu_kernel(const KernelWork& w, const MapperTarget& t) {
  KernelEstimate ke;
  ke.kernel = w.kernel;
  const double working_set = w.bytes();
  const CpuCacheTier* tier = cpu_serving_tier(t.cpu, working_set);
  const double bytes_per_s = tier ? tier->bandwidth_bytes_per_s : t.dram_bytes_per_s;
  const double flops_per_s = w.matrix ? t.matrix_flops_per_s : t.vector_flops_per_s;
  ke.memory_level = tier ? tier->name : "DRAM";
  ke.dram_bytes = tier ? 0 : working_set;
  ke.cache_bytes = tier ? working_set : 0;
  const double compute_full_s = w.flops / flops_per_s;
  const double memory_full_s = working_set / bytes_per_s;

  const bool calibrated = t.op_rates || t.fallback_op_rates;  // else skip the class lookup
  if (const OpClassRate* r = calibrated ? measured_rate(t, calibration_class(w)) : nullptr) {
    ke.utilization = 1;
    const double rate_s = [&](double work) { return r->rate > 0 ? work / r->rate : 0; }(
        r->work_unit == "bytes" ? working_set : w.flops);
    if (r->work_unit == "bytes") {
      ke.compute_s = compute_full_s;
      ke.memory_s = std::max(rate_s, memory_full_s);
    } else {
      // The fitted kernel time (compute + the traffic it does not hide); the cache tier's
      // streaming time stays a floor.
      ke.compute_s = rate_s + (r->bytes_per_s > 0 ? working_set / r->bytes_per_s : 0);
      ke.memory_s = memory_full_s;
    }
    ke.overhead_s = std::max(0.0, r->overhead_s - t.call_overhead_s);
  } else {
    const double cores = std::max(1, t.cpu.cores);
    const double serial_s = cores * std::max(compute_full_s, memory_full_s);
    const double active = std::clamp(serial_s / kCpuParallelGrain_s, 1.0, cores);
    ke.utilization = active / cores;
    ke.compute_s = compute_full_s / ke.utilization;
    ke.memory_s = memory_full_s / ke.utilization;
    ke.overhead_s = t.overhead_s;
  }
  ke.compute_bound = ke.compute_s >= ke.memory_s;
  ke.device_s = std::max(ke.compute_s, ke.memory_s);
  ke.latency_s = ke.device_s + ke.overhead_s;
  ke.energy_j = w.flops * t.energy_per_flop_j + ke.dram_bytes * t.hw->energy_per_dram_byte_j;
  return ke;
}

}  // namespace graphs
