#include "graphs/estimate/roofline.h"

#include "graphs/estimate/backend.h"
#include "graphs/estimate/mapper.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

namespace graphs {
namespace {

double value_bytes(const Value& v, const PrecisionMap& p) {
  const auto n = v.type.numel();
  return n ? static_cast<double>(*n) * dtype_bits(p.map(v)) / 8.0 : 0;
}


}  // namespace

double graph_io_bytes(const Graph& g, const Characterization& ch) {
  double bytes = 0;
  for (ValueId v : g.inputs) bytes += value_bytes(g.value(v), ch.precision);
  for (ValueId v : g.outputs) bytes += value_bytes(g.value(v), ch.precision);
  return bytes;
}

std::vector<double> live_activation_bytes(const Graph& g, const Characterization& ch,
                                          const Partition& part) {
  const int n_kernels = static_cast<int>(part.kernels.size());
  // Storage roots: graph inputs and kernel outputs. A value made by a free node aliases the roots
  // of its inputs (a view), unless its contents are known at analysis time (a folded constant).
  std::map<ValueId, std::set<ValueId>> roots_memo;
  std::function<std::set<ValueId>(ValueId)> roots = [&](ValueId v) -> std::set<ValueId> {
    auto it = roots_memo.find(v);
    if (it != roots_memo.end()) return it->second;
    std::set<ValueId> out;
    const Value& val = g.value(v);
    if (val.kind == ValueKind::kGraphInput) {
      out.insert(v);
    } else if (val.kind == ValueKind::kActivation && !val.data && val.producer != kNoNode) {
      if (part.kernel_of_node[static_cast<std::size_t>(val.producer)] >= 0) {
        out.insert(v);
      } else {
        for (ValueId in : g.node(val.producer).inputs) {
          if (in == kNoValue) continue;
          auto sub = roots(in);
          out.insert(sub.begin(), sub.end());
        }
      }
    }
    roots_memo[v] = out;
    return out;
  };
  // Birth and last use of each root, in kernel steps. Graph inputs are born at step 0.
  std::map<ValueId, std::pair<int, int>> life;
  for (ValueId v : g.inputs) life[v] = {0, 0};
  for (const auto& k : part.kernels) {
    for (ValueId v : k.outputs) life[v] = {k.id, k.id};
  }
  for (const auto& k : part.kernels) {
    for (ValueId v : k.inputs) {
      for (ValueId r : roots(v)) {
        auto it = life.find(r);
        if (it != life.end()) it->second.second = std::max(it->second.second, k.id);
      }
    }
  }
  for (ValueId v : g.outputs) {
    for (ValueId r : roots(v)) {
      auto it = life.find(r);
      if (it != life.end()) it->second.second = n_kernels;
    }
  }
  std::vector<double> delta(static_cast<std::size_t>(n_kernels) + 2, 0);
  for (const auto& [v, span] : life) {
    const double b = value_bytes(g.value(v), ch.precision);
    delta[static_cast<std::size_t>(span.first)] += b;
    delta[static_cast<std::size_t>(span.second) + 1] -= b;
  }
  std::vector<double> live(static_cast<std::size_t>(n_kernels) + 1, 0);
  double acc = 0;
  for (std::size_t i = 0; i < live.size(); ++i) {
    acc += delta[i];
    live[i] = acc;
  }
  return live;
}

double peak_activation_bytes(const Graph& g, const Characterization& ch, const Partition& part) {
  const auto live = live_activation_bytes(g, ch, part);
  return live.empty() ? 0.0 : *std::max_element(live.begin(), live.end());
}

Result<Estimate> estimate_roofline(const Graph& graph, const Characterization& ch,
                                   const Partition& part, const HardwareModel& hw,
                                   const EstimateOptions& options) {
  Estimate e;
  e.hardware_id = hw.id;
  e.hardware_name = hw.name;
  e.precision = options.precision;
  GRAPHS_ASSIGN_OR_RETURN(const MapperTarget target, resolve_target(hw, options));
  e.mapper = std::string(to_string(target.kind));
  e.cuda_graphs = options.cuda_graphs;
  e.matrix_peak_flops_per_s = *hw.matrix_peak(options.precision);
  e.vector_peak_flops_per_s = *hw.vector_peak(options.precision);
  e.memory_bandwidth_bytes_per_s = hw.memory_bandwidth_bytes_per_s;
  e.ridge_point_flop_per_byte = hw.ridge_point(options.precision).value_or(0);
  if (options.cuda_graphs && !hw.graph_kernel_launch_s) {
    e.notes.push_back(hw.id + " gives no graph_kernel_launch_s: CUDA graphs change nothing here");
  }
  if (target.kind == MapperKind::kGpu && target.l2_bytes_per_s <= 0) {
    e.notes.push_back(hw.id + " gives no L2 bandwidth: L2 reuse is not modelled");
  }
  e.backend = options.backend;
  if (!options.backend.empty()) {
    const auto measured = hw.dispatch_overhead_s.find(dispatch_overhead_key(options.backend));
    e.notes.push_back(fmt::format(
        "backend {}: {} partition, {} kernels, {:.3g} us dispatch overhead per kernel ({})",
        options.backend, part.fused ? "fused" : "unfused (one kernel per op)", part.kernels.size(),
        target.overhead_s * 1e6,
        options.cuda_graphs                        ? "CUDA graph replay"
        : measured != hw.dispatch_overhead_s.end() ? "measured: " + measured->first
                                                   : "kernel_launch_s"));
  }
  if (target.kind == MapperKind::kCpu) {
    std::string tiers;
    for (const auto& c : target.cpu.tiers) tiers += (tiers.empty() ? "" : ", ") + c.name;
    e.notes.push_back(tiers.empty() ? hw.id + " gives no cache bandwidths: every byte is read "
                                              "from DRAM (graphs calibrate measures them for host)"
                                    : "cache tiers with a bandwidth: " + tiers +
                                          "; a kernel whose working set fits one is served there");
    for (const auto& n : target.cpu.notes) e.notes.push_back(n);
  }
  if ((hw.kind == "tpu" || hw.kind == "npu") && !hw.systolic_array) {
    e.notes.push_back(hw.id + " gives no systolic_array: plain roofline, no array padding");
  }

  std::vector<KernelWork> work = kernel_work(graph, ch, part);
  if (target.kind == MapperKind::kGpu && target.l2_bytes_per_s > 0) {
    mark_cache_resident_inputs(graph, ch, part, target.l2_capacity_bytes, work);
  }
  double matrix_flops = 0, matrix_used = 0, device_only_s = 0;
  e.kernels.reserve(work.size());
  for (const KernelWork& w : work) {
    const KernelEstimate ke = estimate_kernel(w, target);
    e.compute_s += ke.compute_s;
    e.memory_s += ke.memory_s;
    device_only_s += ke.device_s;
    e.dynamic_energy_j += ke.energy_j;
    (ke.compute_bound ? e.compute_bound_kernels : e.memory_bound_kernels)++;
    if (w.matrix) {
      matrix_flops += w.flops;
      matrix_used += w.flops * ke.utilization;
    }
    e.kernels.push_back(ke);
  }
  std::vector<const KernelEstimate*> in_order;
  in_order.reserve(e.kernels.size());
  for (const auto& k : e.kernels) in_order.push_back(&k);
  const RunTotals run = combine_kernels(target, in_order, graph_io_bytes(graph, ch));
  e.latency_s = run.latency_s;
  e.period_s = run.period_s;
  e.device_s = run.device_s;
  e.host_s = run.host_s;
  e.device_idle_s = run.device_idle_s;
  e.inference_overhead_s = run.inference_overhead_s;
  e.copy_s = run.copy_s;
  e.host_bound_kernels = run.host_bound_kernels;
  e.overhead_s = std::max(0.0, e.latency_s - device_only_s);
  if (target.call_overhead_s > 0) {
    e.notes.push_back(fmt::format("backend {}: {:.3g} us per inference call (measured)",
                                  options.backend, target.call_overhead_s * 1e6));
  }
  if (target.timeline) {
    e.notes.push_back(fmt::format(
        "host/device timeline: {} kernels, host {:.3g} us to issue them ({}), device busy "
        "{:.3g} us, {} kernels waited for the host; per inference {:.3g} us host overhead{}",
        e.kernels.size(), run.host_s * 1e6,
        target.cuda_graphs ? "one CUDA graph launch"
                           : fmt::format("{:.3g} us each", target.host_per_kernel_s * 1e6),
        run.device_s * 1e6, run.host_bound_kernels, run.inference_overhead_s * 1e6,
        run.copy_s > 0 ? fmt::format(" and {:.3g} us of input/output copies", run.copy_s * 1e6)
                       : std::string()));
  }
  if (target.op_rates || target.fallback_op_rates) {
    e.notes.push_back("kernel times from op-class fits measured through the backend "
                      "(graphs calibrate)" +
                      std::string(target.fallback_op_rates
                                      ? "; classes it lacks use torch eager's (extern kernels)"
                                      : ""));
  }
  e.matrix_utilization = matrix_flops > 0 ? matrix_used / matrix_flops : 1;
  e.static_energy_j = hw.static_power_w * e.latency_s;
  e.energy_j = e.dynamic_energy_j + e.static_energy_j;

  e.memory.weight_bytes = ch.weight_bytes;
  e.memory.peak_activation_bytes = peak_activation_bytes(graph, ch, part);
  e.memory.workspace_bytes = options.workspace_bytes;
  e.memory.peak_bytes =
      e.memory.weight_bytes + e.memory.peak_activation_bytes + e.memory.workspace_bytes;
  e.memory.capacity_bytes = hw.memory_bytes;
  e.memory.fits = hw.memory_bytes <= 0 || e.memory.peak_bytes <= hw.memory_bytes;
  return e;
}

}  // namespace graphs
