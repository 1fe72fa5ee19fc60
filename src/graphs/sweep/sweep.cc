#include "graphs/sweep/sweep.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "graphs/pipeline/pipeline.h"
#include "graphs/common/suggest.h"
#include "graphs/estimate/roofline.h"
#include "graphs/hardware/registry.h"
#include "graphs/zoo/zoo.h"

namespace graphs {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

template <typename T>
void push_unique(std::vector<T>& out, const T& v) {
  if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
}

}  // namespace

Result<ResolvedSweep> resolve_sweep(const SweepRequest& request,
                                    const HardwareRegistry& registry) {
  ResolvedSweep s;
  s.dims = request.dims;
  GRAPHS_CHECK_OR_RETURN(!request.models.empty(), ErrorCode::kInvalidArgument,
                         "no model given (a MODEL is an .onnx file, a zoo name, or 'zoo')");
  for (const auto& m : request.models) {
    if (m == "zoo") {
      for (const auto& name : zoo_names()) push_unique(s.models, name);
      continue;
    }
    if (names_a_file(m)) {
      std::error_code ec;
      GRAPHS_CHECK_OR_RETURN(std::filesystem::is_regular_file(m, ec), ErrorCode::kNotFound,
                             "model file '", m, "' does not exist");
    } else if (!is_zoo_name(m)) {
      auto names = zoo_names();
      names.push_back("zoo");
      return Error(ErrorCode::kNotFound,
                   unknown_name_message("model", m, names) +
                       " (a MODEL is an .onnx file, a zoo name, or 'zoo' for all of them)");
    }
    push_unique(s.models, m);
  }
  GRAPHS_CHECK_OR_RETURN(!request.hardware.empty(), ErrorCode::kInvalidArgument,
                         "no hardware given (graphs hardware list; 'all' for every target)");
  std::vector<std::pair<std::string, bool>> ids;  // (id, named by "all")
  for (const auto& h : request.hardware) {
    if (h == "all") {
      for (const auto& id : registry.ids()) {
        if (std::none_of(ids.begin(), ids.end(), [&](const auto& x) { return x.first == id; })) {
          ids.emplace_back(id, true);
        }
      }
    } else if (std::none_of(ids.begin(), ids.end(), [&](const auto& x) { return x.first == h; })) {
      ids.emplace_back(h, false);
    }
  }
  for (const auto& [id, from_all] : ids) {
    auto hw = registry.get(id);
    if (!hw.ok()) {
      // A name the user typed must exist; a target "all" listed but that cannot be loaded (host
      // detection failed) becomes invalid rows with the reason.
      if (!from_all) return std::move(hw).error();
      HardwareModel placeholder;
      placeholder.id = id;
      placeholder.name = "(unavailable)";
      s.hardware.push_back(std::move(placeholder));
      s.hardware_errors.push_back(hw.error().message());
      continue;
    }
    // Two spellings (case) of one target count once.
    const bool seen = std::any_of(s.hardware.begin(), s.hardware.end(),
                                  [&](const HardwareModel& x) { return x.id == hw->id; });
    if (!seen) {
      s.hardware.push_back(std::move(*hw));
      s.hardware_errors.emplace_back();
    }
  }
  GRAPHS_CHECK_OR_RETURN(!request.batches.empty(), ErrorCode::kInvalidArgument,
                         "no batch size given");
  for (int64_t b : request.batches) {
    GRAPHS_CHECK_OR_RETURN(b >= 1, ErrorCode::kInvalidArgument, "batch size ", b,
                           " is not positive");
    push_unique(s.batches, b);
  }
  GRAPHS_CHECK_OR_RETURN(!request.precisions.empty(), ErrorCode::kInvalidArgument,
                         "no precision given");
  for (const auto& p : request.precisions) {
    GRAPHS_RETURN_IF_ERROR(parse_precision(p));
    push_unique(s.precisions, p);
  }
  return s;
}

KernelSet fold_kernels(const std::vector<KernelWork>& work) {
  using Key = std::tuple<bool, int, double, double, double, double, double, double, bool, double,
                         double, double, double, double, double>;
  std::map<Key, std::size_t> index;
  KernelSet set;
  for (const KernelWork& w : work) {
    const GemmShape g = w.gemm.value_or(GemmShape{});
    const Key key{w.matrix, static_cast<int>(w.op_class), w.flops, w.macs, w.input_bytes,
                  w.weight_bytes, w.output_bytes, w.cache_resident_input_bytes,
                  w.gemm.has_value(), g.batch, g.m, g.n, g.k, g.a_bytes, g.b_bytes};
    auto [it, inserted] = index.emplace(key, set.work.size());
    set.order.push_back(it->second);
    if (inserted) {
      set.work.push_back(w);
      set.count.push_back(1);
    } else {
      set.count[it->second] += 1;
    }
  }
  return set;
}

KernelTable make_kernel_table(const Graph& graph, const Characterization& ch,
                              const Partition& partition,
                              const std::vector<double>& l2_capacities_bytes) {
  KernelTable t;
  const std::vector<KernelWork> work = kernel_work(graph, ch, partition);
  for (const auto& w : work) {
    t.macs += w.macs;
    t.flops += w.flops;
    t.bytes += w.bytes();
  }
  t.kernels_set = fold_kernels(work);
  for (double capacity : l2_capacities_bytes) {
    if (std::find(t.l2_capacities_bytes.begin(), t.l2_capacities_bytes.end(), capacity) !=
        t.l2_capacities_bytes.end()) {
      continue;
    }
    std::vector<KernelWork> marked = work;
    mark_cache_resident_inputs(graph, ch, partition, capacity, marked);
    t.l2_capacities_bytes.push_back(capacity);
    t.resident.push_back(fold_kernels(marked));
  }
  t.kernels = static_cast<int>(partition.kernels.size());
  t.weight_bytes = ch.weight_bytes;
  t.params = ch.params;
  t.peak_activation_bytes = peak_activation_bytes(graph, ch, partition);
  t.io_bytes = graph_io_bytes(graph, ch);
  return t;
}

SweepTarget resolve_sweep_target(const HardwareModel& hw, const std::string& precision) {
  SweepTarget t;
  t.hardware_id = hw.id;
  t.precision = precision;
  EstimateOptions options;
  options.precision = precision;
  auto mt = resolve_target(hw, options);
  if (!mt.ok()) {
    t.reason = mt.error().message();
    return t;
  }
  t.valid = true;
  t.mapper = *mt;
  // As estimate_roofline: only the GPU mapper with an L2 bandwidth reads inputs from the L2.
  t.l2_residency = mt->kind == MapperKind::kGpu && mt->l2_bytes_per_s > 0;
  t.l2_capacity_bytes = mt->l2_capacity_bytes;
  t.static_power_w = hw.static_power_w;
  t.memory_capacity_bytes = hw.memory_bytes;
  t.ridge_point_flop_per_byte = hw.ridge_point(precision).value_or(0);
  return t;
}

void estimate_config(const KernelTable& table, const SweepTarget& target, int64_t batch,
                     SweepRow& row) {
  row.batch = batch;
  row.kernels = table.kernels;
  row.flops = table.flops;
  row.bytes = table.bytes;
  row.memory_capacity_bytes = target.memory_capacity_bytes;
  row.ridge_point_flop_per_byte = target.ridge_point_flop_per_byte;
  row.peak_memory_bytes = table.weight_bytes + table.peak_activation_bytes;
  row.fits = target.memory_capacity_bytes <= 0 || row.peak_memory_bytes <= target.memory_capacity_bytes;
  if (!target.valid) {
    row.valid = false;
    row.reason = target.reason;
    return;
  }
  row.valid = true;
  const KernelSet* set = &table.kernels_set;
  if (target.l2_residency) {
    for (std::size_t i = 0; i < table.l2_capacities_bytes.size(); ++i) {
      if (table.l2_capacities_bytes[i] == target.l2_capacity_bytes) {
        set = &table.resident[i];
        break;
      }
    }
  }
  double compute = 0, memory = 0, device_only = 0, dynamic_j = 0, compute_bound = 0;
  const std::size_t n = set->work.size();
  std::vector<KernelEstimate> distinct(n);
  for (std::size_t i = 0; i < n; ++i) {
    const KernelEstimate& ke = distinct[i] = estimate_kernel(set->work[i], target.mapper);
    const double c = set->count[i];
    compute += c * ke.compute_s;
    memory += c * ke.memory_s;
    device_only += c * ke.device_s;
    dynamic_j += c * ke.energy_j;
    compute_bound += ke.compute_bound ? c : 0;
  }
  std::vector<const KernelEstimate*> in_order;
  in_order.reserve(set->order.size());
  for (std::size_t i : set->order) in_order.push_back(&distinct[i]);
  const RunTotals run = combine_kernels(target.mapper, in_order, table.io_bytes);
  const double latency = run.latency_s;
  row.latency_s = latency;
  row.compute_s = compute;
  row.memory_s = memory;
  row.overhead_s = std::max(0.0, latency - device_only);
  row.compute_bound_kernels = static_cast<int>(compute_bound);
  row.energy_j = dynamic_j + target.static_power_w * latency;
  const double samples = static_cast<double>(batch);
  row.throughput_samples_per_s = run.period_s > 0 ? samples / run.period_s : 0;
  row.energy_per_sample_j = row.energy_j / samples;
  row.average_power_w = latency > 0 ? row.energy_j / latency : 0;
  row.throughput_samples_per_s_per_w = row.energy_j > 0 ? samples / row.energy_j : 0;
}

void mark_pareto(std::vector<SweepRow>& rows) {
  std::map<int, std::vector<std::size_t>> by_model;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    rows[i].pareto = false;
    if (rows[i].valid && rows[i].fits) by_model[rows[i].model].push_back(i);
  }
  for (auto& [model, idx] : by_model) {
    // Sort by latency, then energy; a row is on the front when its energy is below every energy
    // seen at a strictly lower latency, and no row of equal latency has lower energy.
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      return std::tie(rows[a].latency_s, rows[a].energy_per_sample_j) <
             std::tie(rows[b].latency_s, rows[b].energy_per_sample_j);
    });
    double best_energy = std::numeric_limits<double>::infinity();
    std::size_t i = 0;
    while (i < idx.size()) {
      std::size_t j = i;  // [i, j): rows of equal latency, sorted by energy
      while (j < idx.size() && rows[idx[j]].latency_s == rows[idx[i]].latency_s) ++j;
      const double group_min = rows[idx[i]].energy_per_sample_j;
      if (group_min < best_energy) {
        for (std::size_t k = i; k < j && rows[idx[k]].energy_per_sample_j == group_min; ++k) {
          rows[idx[k]].pareto = true;
        }
        best_energy = group_min;
      }
      i = j;
    }
  }
}

Result<SweepResult> run_sweep(const ResolvedSweep& sweep) {
  SweepResult r;
  r.precisions = sweep.precisions;
  r.seq_len = sweep.dims.seq_len;
  for (const auto& hw : sweep.hardware) {
    r.hardware_ids.push_back(hw.id);
    r.hardware_names.push_back(hw.name);
  }
  // Targets first: their L2 capacities decide which residency variants the tables hold.
  const std::size_t n_hw = sweep.hardware.size(), n_p = sweep.precisions.size();
  const auto t_targets = std::chrono::steady_clock::now();
  std::vector<SweepTarget> targets;
  targets.reserve(n_hw * n_p);
  std::vector<double> l2_capacities;
  for (std::size_t hi = 0; hi < n_hw; ++hi) {
    const HardwareModel& hw = sweep.hardware[hi];
    const std::string& unavailable =
        hi < sweep.hardware_errors.size() ? sweep.hardware_errors[hi] : std::string();
    for (const auto& p : sweep.precisions) {
      if (!unavailable.empty()) {
        SweepTarget t;
        t.hardware_id = hw.id;
        t.precision = p;
        t.reason = unavailable;
        targets.push_back(std::move(t));
        continue;
      }
      targets.push_back(resolve_sweep_target(hw, p));
      if (targets.back().l2_residency) push_unique(l2_capacities, targets.back().l2_capacity_bytes);
    }
  }
  const double targets_s = seconds_since(t_targets);
  std::vector<Precision> precisions;
  for (const auto& p : sweep.precisions) {
    GRAPHS_ASSIGN_OR_RETURN(auto parsed, parse_precision(p));
    precisions.push_back(std::move(parsed));
  }

  // Prepare: one kernel table per (model, batch, storage dtype), or the reason there is none.
  struct Prepared {
    bool ok = false;
    std::string reason;
    KernelTable table;
  };
  // [model][batch][precision] → index into `prepared`.
  std::vector<Prepared> prepared;
  std::vector<std::vector<std::vector<std::size_t>>> slot(sweep.models.size());
  const auto t_prepare = std::chrono::steady_clock::now();
  for (std::size_t mi = 0; mi < sweep.models.size(); ++mi) {
    const std::string& source = sweep.models[mi];
    r.model_sources.push_back(source);
    r.models.push_back(names_a_file(source) ? std::filesystem::path(source).stem().string()
                                               : source);
    slot[mi].resize(sweep.batches.size());
    for (std::size_t bi = 0; bi < sweep.batches.size(); ++bi) {
      DimBindings dims = sweep.dims;
      dims.batch = sweep.batches[bi];
      auto model = load_model(source, dims);
      if (!model.ok()) {
        const auto code = model.error().code();
        if (code == ErrorCode::kParseError || code == ErrorCode::kIoError) {
          return Error(code, model.error().message()).with_context(source);
        }
      }
      std::map<std::string, std::size_t> by_storage;  // storage dtype → prepared index
      for (std::size_t pi = 0; pi < precisions.size(); ++pi) {
        const auto& p = precisions[pi];
        // Tables depend on the dtypes tensors are stored in, not on the compute precision.
        const std::string key =
            (p.map.floating ? std::string(dtype_name(*p.map.floating)) : std::string("native")) +
            "/" + (p.map.weights ? std::string(dtype_name(*p.map.weights)) : std::string("-"));
        auto it = by_storage.find(key);
        if (it != by_storage.end()) {
          slot[mi][bi].push_back(it->second);
          continue;
        }
        Prepared prep;
        if (!model.ok()) {
          prep.reason = fmt::format("{} at batch {}: {}", r.models[mi], dims.batch,
                                    model.error().message());
        } else {
          auto ch = characterize(model->graph, p.map);
          if (!ch.ok()) {
            prep.reason = fmt::format("{} at batch {}: {}", r.models[mi], dims.batch,
                                      ch.error().message());
          } else {
            const Partition part = partition_fused(model->graph, *ch);
            prep.table = make_kernel_table(model->graph, *ch, part, l2_capacities);
            prep.ok = true;
            ++r.kernel_tables;
          }
        }
        prepared.push_back(std::move(prep));
        by_storage[key] = prepared.size() - 1;
        slot[mi][bi].push_back(prepared.size() - 1);
      }
    }
  }
  r.prepare_s = seconds_since(t_prepare);

  // Estimate: one pass per configuration.
  const auto t_estimate = std::chrono::steady_clock::now();
  r.rows.resize(sweep.models.size() * sweep.batches.size() * n_hw * n_p);
  std::size_t ri = 0;
  for (std::size_t mi = 0; mi < sweep.models.size(); ++mi) {
    for (std::size_t bi = 0; bi < sweep.batches.size(); ++bi) {
      for (std::size_t hi = 0; hi < n_hw; ++hi) {
        for (std::size_t pi = 0; pi < n_p; ++pi) {
          SweepRow& row = r.rows[ri++];
          row.model = static_cast<int>(mi);
          row.hardware = static_cast<int>(hi);
          row.precision = static_cast<int>(pi);
          const Prepared& prep = prepared[slot[mi][bi][pi]];
          if (!prep.ok) {
            row.batch = sweep.batches[bi];
            row.valid = false;
            row.reason = prep.reason;
            continue;
          }
          estimate_config(prep.table, targets[hi * n_p + pi], sweep.batches[bi], row);
        }
      }
    }
  }
  mark_pareto(r.rows);
  r.estimate_s = targets_s + seconds_since(t_estimate);
  return r;
}

}  // namespace graphs
