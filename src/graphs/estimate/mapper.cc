#include "graphs/estimate/mapper.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "graphs/backends/backend_family.h"
#include "graphs/common/suggest.h"
#include "graphs/estimate/backend.h"
#include "graphs/estimate/engine.h"

namespace graphs {
namespace {

std::string known_precisions(const HardwareModel& hw) {
  std::string out;
  for (const auto& [k, v] : hw.matrix_peak_flops_per_s) out += (out.empty() ? "" : ", ") + k;
  return out;
}

// Split-K keeps at least this much of K per block: a few k-tiles of 32-64 (CUTLASS split-K
// slices), below which the partial-sum reduction costs more than the parallelism gains.
constexpr double kMinSplitK = 256;

struct GemmMapping {
  double utilization = 1;
  double compute_s = 0;
  double l2_bytes = 0;
  double reduce_s = 0;  // split-K: the reduction kernel over the partial sums
  int blocks = 0, waves = 0, tile_m = 0, tile_n = 0, splits = 1;
};

// Split-K partial sums are fp32 (CUTLASS/cuBLAS accumulate in fp32 for every input precision).
constexpr double kPartialSumBytes = 4;

// The tile with the lowest max(compute, L2, DRAM) time; among equal times (a DRAM-bound GEMV
// runs as fast with any tile) the one with the highest utilization.
GemmMapping map_gpu_gemm(const GemmShape& g, double flops, double output_bytes,
                         double resident_bytes, double dram_s, const MapperTarget& t) {
  const double sms = std::max(1, t.hw->compute_units);
  GemmMapping best;
  double best_s = std::numeric_limits<double>::infinity();
  const double macs = std::max(g.macs(), 1.0);
  for (const GpuTile& tile : kGpuTiles) {
    if (tile.skinny_only && g.m > tile.m) continue;
    const double tm = std::ceil(g.m / tile.m), tn = std::ceil(g.n / tile.n);
    const double blocks = g.batch * tm * tn;
    double splits = 1;
    if (blocks < sms) splits = std::max(1.0, std::min(std::floor(sms / blocks), std::floor(g.k / kMinSplitK)));
    const double total = blocks * splits;
    const double waves = std::ceil(total / sms);
    const double k_per_block = std::ceil(g.k / splits);
    const double padded = waves * sms * tile.m * tile.n * k_per_block;
    const double util = std::min(1.0, macs / padded);
    GemmMapping m;
    m.utilization = util;
    m.compute_s = flops / (t.matrix_flops_per_s * util);
    m.l2_bytes = g.a_bytes * tn + g.b_bytes * tm + output_bytes * splits + resident_bytes;
    m.blocks = static_cast<int>(std::min(total, 2e9));
    m.waves = static_cast<int>(std::min(waves, 2e9));
    m.tile_m = tile.m;
    m.tile_n = tile.n;
    m.splits = static_cast<int>(splits);
    if (splits > 1) {
      // A reduction kernel reads the splits' partial sums and writes the output.
      const double bytes = splits * g.batch * g.m * g.n * kPartialSumBytes + output_bytes;
      const double bw = t.l2_bytes_per_s > 0 ? t.l2_bytes_per_s : t.dram_bytes_per_s;
      m.reduce_s = std::max(t.min_kernel_s, bytes / bw) + t.device_gap_s;
    }
    const double l2_s = t.l2_bytes_per_s > 0 ? m.l2_bytes / t.l2_bytes_per_s : 0;
    const double s = std::max({m.compute_s, l2_s, dram_s}) + m.reduce_s;
    const bool tie = std::abs(s - best_s) <= 1e-9 * best_s;
    if (s < best_s * (1 - 1e-9) || (tie && m.utilization > best.utilization)) {
      best_s = s;
      best = m;
    }
  }
  return best;
}

double systolic_utilization(const GemmShape& g, const SystolicArray& a) {
  const double r = a.rows, c = a.cols, p = a.count;
  const double tiles = g.batch * std::ceil(g.k / r) * std::ceil(g.n / c);
  double cycles = 0;
  if (tiles >= p) {
    cycles = std::ceil(tiles / p) * std::max(g.m, r);
  } else {
    const double arrays_per_tile = std::floor(p / tiles);
    cycles = std::max(std::ceil(g.m / arrays_per_tile), r);
  }
  return std::min(1.0, g.macs() / (cycles * p * r * c));
}

}  // namespace

std::string_view to_string(MapperKind kind) {
  switch (kind) {
    case MapperKind::kRoofline: return "roofline";
    case MapperKind::kCpu: return "cpu";
    case MapperKind::kGpu: return "gpu";
    case MapperKind::kSystolic: return "systolic";
  }
  return "roofline";
}

MapperKind mapper_for(const HardwareModel& hw) {
  if (hw.kind == "gpu") return MapperKind::kGpu;
  if (hw.kind == "cpu") return MapperKind::kCpu;
  if ((hw.kind == "tpu" || hw.kind == "npu") && hw.systolic_array) return MapperKind::kSystolic;
  return MapperKind::kRoofline;
}

Result<MapperTarget> resolve_target(const HardwareModel& hw, const EstimateOptions& options) {
  MapperTarget t;
  t.hw = &hw;
  if (options.mapper == "auto" || options.mapper.empty()) {
    t.kind = mapper_for(hw);
  } else if (options.mapper == "roofline") {
    t.kind = MapperKind::kRoofline;
  } else if (options.mapper == "cpu") {
    t.kind = MapperKind::kCpu;
  } else if (options.mapper == "gpu") {
    t.kind = MapperKind::kGpu;
  } else if (options.mapper == "systolic") {
    if (!hw.systolic_array) {
      return make_error(ErrorCode::kInvalidArgument, hw.id,
                        " has no systolic_array in its hardware file; the systolic mapper needs "
                        "one (use --mapper roofline)");
    }
    t.kind = MapperKind::kSystolic;
  } else {
    return Error(ErrorCode::kInvalidArgument,
                 unknown_name_message("mapper", options.mapper,
                                      {"auto", "roofline", "cpu", "gpu", "systolic"}));
  }
  GRAPHS_RETURN_IF_ERROR(check_backend(options.backend));
  const auto matrix_peak = hw.matrix_peak(options.precision);
  const auto vector_peak = hw.vector_peak(options.precision);
  if (!matrix_peak || !vector_peak) {
    if (hw.integer_only()) {
      return make_error(ErrorCode::kInvalidArgument, hw.id, " is an integer-only accelerator (",
                        known_precisions(hw), "): it has no ", options.precision,
                        " peak; use --precision int8 (a quantized model)");
    }
    return make_error(ErrorCode::kInvalidArgument, hw.id, " has no ", options.precision,
                      " peak; it supports ", known_precisions(hw));
  }
  GRAPHS_CHECK_OR_RETURN(hw.memory_bandwidth_bytes_per_s > 0, ErrorCode::kInvalidArgument, hw.id,
                         " has no memory bandwidth");
  const auto energy = hw.energy_per_flop(options.precision);
  GRAPHS_CHECK_OR_RETURN(energy.has_value(), ErrorCode::kInvalidArgument, hw.id,
                         " has no energy per FLOP at ", options.precision);
  const Engine* engine = nullptr;
  if (!options.backend.empty()) {
    GRAPHS_ASSIGN_OR_RETURN(engine, find_engine(options.backend));
    t.engine = engine->id;
  }
  const double matrix_scale = engine ? engine->matrix_efficiency_scale : 1;
  const double memory_scale = engine ? engine->memory_efficiency_scale : 1;
  t.matrix_flops_per_s = *matrix_peak * hw.efficiency.matrix_at(options.precision) * matrix_scale;
  t.vector_flops_per_s = *vector_peak * hw.efficiency.vector;
  t.dram_bytes_per_s = hw.memory_bandwidth_bytes_per_s * hw.efficiency.memory * memory_scale;
  t.min_kernel_s = hw.min_kernel_s;
  t.energy_per_flop_j = *energy;
  if (t.kind == MapperKind::kGpu) {
    if (const CacheLevel* l2 = hw.cache("L2")) {
      t.l2_capacity_bytes = l2->capacity_bytes;
      t.l2_bytes_per_s = l2->bandwidth_bytes_per_s;
    }
  }
  if (t.kind == MapperKind::kCpu) {
    t.cpu = resolve_cpu_target(hw);
    const std::string key = dispatch_overhead_key(options.backend);
    if (auto it = hw.op_class_rates.find(key); !key.empty() && it != hw.op_class_rates.end()) {
      t.op_rates = &it->second;
    }
    const BackendFamily* family = BackendFamilyRegistry::global().find_calibrated_key(key);
    if (family != nullptr && !family->fallback_dispatch_key.empty()) {
      if (auto it = hw.op_class_rates.find(family->fallback_dispatch_key);
          it != hw.op_class_rates.end()) {
        t.fallback_op_rates = &it->second;
      }
    }
  }
  if (auto it = hw.call_overhead_s.find(dispatch_overhead_key(options.backend));
      !options.backend.empty() && it != hw.call_overhead_s.end()) {
    t.call_overhead_s = it->second;
  }
  t.overhead_s = hw.kernel_launch_s;
  if (options.cuda_graphs) {
    t.overhead_s = hw.graph_kernel_launch_s.value_or(hw.kernel_launch_s);
  } else if (auto it = hw.dispatch_overhead_s.find(dispatch_overhead_key(options.backend));
             it != hw.dispatch_overhead_s.end()) {
    t.overhead_s = it->second;
  }
  if (t.kind == MapperKind::kGpu) {
    // The host/device timeline replaces the serial per-kernel overhead (combine_kernels).
    t.timeline = true;
    t.cuda_graphs = options.cuda_graphs || (engine && engine->cuda_graphs);
    const double host_scale = hw.host_cpu_scale;
    t.device_gap_s = hw.graph_kernel_launch_s.value_or(0);
    t.host_per_kernel_s =
        t.cuda_graphs ? 0 : hw.kernel_launch_s + (engine ? engine->host_per_kernel_s : 0) * host_scale;
    t.graph_launch_s = t.cuda_graphs ? hw.kernel_launch_s : 0;
    t.inference_overhead_s = (engine ? engine->inference_overhead_s : 0) * host_scale;
    t.host_link_bytes_per_s = hw.host_link_bytes_per_s.value_or(0);
    t.overhead_s = t.host_per_kernel_s;
  }
  return t;
}

RunTotals combine_kernels(const MapperTarget& t, const std::vector<const KernelEstimate*>& kernels,
                          double io_bytes) {
  RunTotals r;
  if (!t.timeline) {
    for (const KernelEstimate* k : kernels) r.latency_s += k->latency_s;
    r.device_s = r.latency_s;
    r.latency_s += t.call_overhead_s;
    r.inference_overhead_s = t.call_overhead_s;
    r.period_s = r.latency_s;
    return r;
  }
  double host = t.cuda_graphs ? t.graph_launch_s : 0;  // when the host has issued kernel i
  double end = 0;                                       // when the device finishes kernel i
  for (const KernelEstimate* k : kernels) {
    host += t.cuda_graphs ? 0 : t.host_per_kernel_s;
    if (host > end) {
      r.device_idle_s += host - end;
      ++r.host_bound_kernels;
    }
    end = std::max(host, end) + k->latency_s;  // latency_s: device time + device_gap_s
    r.device_s += k->latency_s;
  }
  r.host_s = host;
  r.inference_overhead_s = t.inference_overhead_s;
  r.copy_s = t.host_link_bytes_per_s > 0 ? io_bytes / t.host_link_bytes_per_s : 0;
  r.latency_s = std::max(end, host) + r.inference_overhead_s + r.copy_s;
  r.period_s = std::max({r.device_s, host + r.inference_overhead_s, r.copy_s});
  return r;
}

KernelEstimate estimate_kernel(const KernelWork& w, const MapperTarget& t) {
  if (t.kind == MapperKind::kCpu) return estimate_cpu_kernel(w, t);
  KernelEstimate ke;
  ke.kernel = w.kernel;
  ke.attention = w.attention;
  double reduce_s = 0;  // split-K reduction kernel (GPU)
  const bool l2_model = t.kind == MapperKind::kGpu && t.l2_bytes_per_s > 0;
  const double resident = l2_model ? w.cache_resident_input_bytes : 0;
  ke.dram_bytes = w.bytes() - resident;
  if (w.matrix && w.gemm && t.kind == MapperKind::kGpu) {
    const GemmMapping m =
        map_gpu_gemm(*w.gemm, w.flops, w.output_bytes, resident, ke.dram_bytes / t.dram_bytes_per_s, t);
    ke.utilization = m.utilization;
    ke.compute_s = m.compute_s;
    ke.thread_blocks = m.blocks;
    ke.waves = m.waves;
    ke.tile_m = m.tile_m;
    ke.tile_n = m.tile_n;
    ke.split_k = m.splits;
    ke.l2_bytes = l2_model ? m.l2_bytes : 0;
    reduce_s = m.reduce_s;
  } else if (w.matrix && w.gemm && t.kind == MapperKind::kSystolic) {
    ke.utilization = systolic_utilization(*w.gemm, *t.hw->systolic_array);
    ke.compute_s = w.flops / (t.matrix_flops_per_s * ke.utilization);
  } else {
    ke.compute_s = w.flops / (w.matrix ? t.matrix_flops_per_s : t.vector_flops_per_s);
    ke.l2_bytes = resident;
  }
  ke.memory_s = ke.dram_bytes / t.dram_bytes_per_s;
  if (l2_model && ke.l2_bytes > 0) ke.memory_s = std::max(ke.memory_s, ke.l2_bytes / t.l2_bytes_per_s);
  ke.overhead_s = t.overhead_s;
  ke.compute_bound = ke.compute_s >= ke.memory_s;
  ke.device_s = std::max({ke.compute_s, ke.memory_s, t.min_kernel_s}) + reduce_s;
  // On the timeline the host's overhead overlaps the device (combine_kernels): the kernel's own
  // latency is its device occupancy; elsewhere kernels run back to back with their overhead.
  ke.latency_s = t.timeline ? ke.device_s + t.device_gap_s : ke.device_s + ke.overhead_s;
  ke.energy_j = w.flops * t.energy_per_flop_j + ke.dram_bytes * t.hw->energy_per_dram_byte_j;
  return ke;
}

}  // namespace graphs
