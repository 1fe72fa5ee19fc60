#include "graphs/calibrate/calibration.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "graphs/backends/backend_family.h"
#include "graphs/bench/settings.h"
#include "graphs/calibrate/membench.h"
#include "graphs/calibrate/op_microbench.h"
#include "graphs/common/suggest.h"
#include "graphs/common/utc_time.h"
#include "graphs/hardware/host.h"
#include "graphs/report/table.h"

namespace graphs {

std::vector<std::string> failed_backends(const CalibrationProfile& profile,
                                         const std::vector<std::string>& backends) {
  std::vector<std::string> failed;
  for (const auto& b : backends) {
    const std::string key = calibration_backend_key(b);
    const bool measured = std::any_of(profile.op_classes.begin(), profile.op_classes.end(),
                                      [&](const auto& c) { return c.backend == key; });
    if (!measured) failed.push_back(b);
  }
  return failed;
}

const std::vector<std::string>& calibrate_backends() {
  static const std::vector<std::string> names = calibration_backend_names();
  return names;
}

namespace {

/// The per-op dispatch figure of the eager family (DispatchCalibration::kPerOpCall), once
/// measured: a compiler's fit falls back on it.
std::optional<double> eager_dispatch_s(const CalibrationProfile& p) {
  const BackendFamily* f = BackendFamilyRegistry::global().per_op_call_family();
  if (f == nullptr) return std::nullopt;
  if (auto it = p.dispatch_overhead_s.find(f->dispatch_overhead_key);
      it != p.dispatch_overhead_s.end()) {
    return it->second;
  }
  return std::nullopt;
}

}  // namespace

Result<CalibrationProfile> run_calibration(const CalibrateSettings& o,
                                           const CalibrateProgress& progress) {
  auto say = [&](const std::string& line) {
    if (progress) progress(line);
  };
  auto facts = read_host_facts("");
  if (!facts.ok()) return facts.error();
  auto host = host_model_from_facts(*facts);
  if (!host.ok()) return host.error();

  CalibrationProfile p;
  p.created_utc = utc_now();
  p.graphs_version = GRAPHS_VERSION;
  p.hardware_fingerprint = hardware_fingerprint(*facts);
  p.cpu_model = facts->cpu.model_name;
  p.threads = o.threads > 0 ? o.threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  p.quick = o.quick;

  const std::vector<std::string>& known = calibrate_backends();
  for (const auto& b : o.backends) {
    if (std::find(known.begin(), known.end(), b) == known.end()) {
      return Error(ErrorCode::kInvalidArgument, unknown_name_message("backend", b, known));
    }
  }
  bench::BenchSettings bs;
  bs.python = o.python;
  auto argv = bench::worker_command(bs);
  if (!argv.ok()) return argv.error();

  if (!o.no_memory) {
    // Working sets from 16 KiB to 8 × the last cache level (at least 256 MiB), so every level
    // and DRAM get points (profile.h's tier rule needs W ≥ 4 × last level for DRAM).
    double last = 0;
    for (const auto& c : host->caches) last = std::max(last, c.capacity_bytes);
    MemBenchOptions mb;
    mb.working_set_bytes = log_spaced_bytes(16 * 1024, std::max(256.0 * (1 << 20), 8 * last),
                                            o.quick ? 1 : 2);
    mb.kernels = o.quick ? std::vector<std::string>{"triad"} : std::vector<std::string>{"copy", "triad"};
    mb.threads = p.threads;
    mb.min_time_s = o.quick ? 0.01 : 0.05;
    mb.repeats = o.quick ? 3 : 7;
    say(fmt::format("memory bandwidth over {} working sets, {} threads", mb.working_set_bytes.size(),
                    mb.threads));
    auto points = measure_memory_bandwidth(mb);
    if (!points.ok()) return points.error();
    p.memory_points = *points;
    p.memory_tiers = memory_tiers(p.memory_points, host->caches, &p.notes);
  }

  MicroRunOptions mo;
  mo.worker_argv = *argv;
  mo.worker_env = {{"PYTHONUNBUFFERED", "1"}};
  if (o.threads > 0) mo.threads = o.threads;
  mo.min_time_s = o.quick ? 0.03 : 0.1;
  mo.repeats = o.quick ? 3 : 5;
  mo.timeout_s = o.quick ? 300 : 900;
  // In calibration order (BackendFamily::calibration_order): torch eager first, as Inductor
  // falls back to its per-kernel dispatch figure.
  std::vector<std::string> order;
  for (const auto& b : known) {
    if (std::find(o.backends.begin(), o.backends.end(), b) != o.backends.end()) order.push_back(b);
  }
  for (const auto& backend : order) {
    const auto cases = microbench_suite(backend, o.quick);
    say(fmt::format("{} {} microbenchmarks", cases.size(), backend));
    std::size_t done = 0;
    MicroRun run = run_op_microbench(backend, cases, mo, [&](const MicroResult& r) {
      ++done;
      say(fmt::format("  [{}/{}] {:<36} {}", done, cases.size(), r.id,
                      r.median_s ? report::seconds(*r.median_s) : "failed: " + r.error));
    });
    const std::string key = calibration_backend_key(backend);
    if (!run.error.empty()) {
      say(backend + ": " + run.error);
      p.notes.push_back(key + " not calibrated: " + run.error);
    }
    if (!run.versions.is_null()) p.backend_versions[key] = run.versions;
    auto classes = fit_op_classes(key, cases, run.results, p.notes);
    for (auto& c : classes) p.op_classes.push_back(std::move(c));
    fit_overheads(key, cases, run.results, eager_dispatch_s(p), p.dispatch_overhead_s,
                  p.call_overhead_s, p.notes);
  }

  return p;
}

std::string render_calibration_text(const CalibrationProfile& p, const std::string& path) {
  std::string out = fmt::format("calibration of {} ({} threads{}), fingerprint {}\n", p.cpu_model,
                                p.threads, p.quick ? ", quick" : "", p.hardware_fingerprint);
  out += "memory tiers (STREAM triad, best of repeats, median over the tier's working sets):\n";
  for (const auto& t : p.memory_tiers) {
    out += fmt::format("  {:<5} {:>10}  {:>12}/s  ({} points)\n", t.level,
                       t.capacity_bytes > 0 ? report::bytes(t.capacity_bytes) : "-",
                       report::bytes(t.bandwidth_bytes_per_s), t.points);
  }
  if (!p.op_classes.empty()) {
    out += "op classes (flops classes: t = overhead + FLOPs / rate + bytes / bytes rate; bytes "
           "classes: t = overhead + bytes / rate):\n";
    report::Table t({"backend", "class", ">shapes", ">rate", ">bytes rate", ">overhead", ">rms error"});
    for (const auto& c : p.op_classes) {
      auto flops = [](double r) { return r > 0 ? fmt::format("{:.3g} GFLOP/s", r / 1e9) : std::string("-"); };
      auto bytes = [](double r) { return r > 0 ? report::bytes(r) + "/s" : std::string("-"); };
      if (c.compute_memory) {
        const ComputeMemoryFit& f = *c.compute_memory;
        t.add_row({c.backend, c.op_class, std::to_string(f.samples), flops(f.flops_per_s),
                   bytes(f.bytes_per_s), report::seconds(f.overhead_s),
                   fmt::format("{:.0f} %", 100 * f.rms_rel_error)});
      } else {
        t.add_row({c.backend, c.op_class, std::to_string(c.fit.samples),
                   c.work_unit == "bytes" ? bytes(c.fit.rate) : flops(c.fit.rate), "-",
                   report::seconds(c.fit.overhead_s),
                   fmt::format("{:.0f} %", 100 * c.fit.rms_rel_error)});
      }
    }
    out += t.to_text();
  }
  for (const auto& [k, v] : p.dispatch_overhead_s) {
    out += fmt::format("per-kernel overhead {:<15} {}\n", k, report::seconds(v));
  }
  for (const auto& [k, v] : p.call_overhead_s) {
    out += fmt::format("per-call overhead   {:<15} {}\n", k, report::seconds(v));
  }
  for (const auto& n : p.notes) out += "note: " + n + "\n";
  out += "profile: " + path + "\n";
  return out;
}

}  // namespace graphs
