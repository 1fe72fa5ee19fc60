// graphs calibrate [--quick] [--threads N] [--backends torch,onnxruntime,inductor] [--python P]
//                  [-o FILE] [--format text|json]
//
// Measures this machine and writes a calibration profile (src/graphs/calibrate/profile.h) that
// overlays `host`: memory bandwidth over working sets from L1 to DRAM (STREAM copy and triad,
// C++), then op-class microbenchmarks through each measuring backend in a worker process
// (GEMM, conv, depthwise conv, elementwise, softmax, per-call and per-kernel overheads;
// calibrate/op_microbench.h) and their Hockney fits. A backend that cannot run (package missing,
// worker crash) is reported with its reason and the profile is written without it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>

#include <fmt/format.h>

#include "graphs/bench/settings.h"
#include "graphs/calibrate/membench.h"
#include "graphs/calibrate/op_microbench.h"
#include "graphs/calibrate/profile.h"
#include "graphs/cli/commands.h"
#include "graphs/common/suggest.h"
#include "graphs/common/utc_time.h"
#include "graphs/hardware/host.h"
#include "graphs/report/table.h"

namespace graphs::cli {
namespace {

struct CalibrateOptions {
  bool quick = false;
  int threads = 0;  // 0: every logical CPU
  std::string output;
  std::string format = "text";
  std::vector<std::string> backends = {"torch", "onnxruntime", "inductor"};
  std::string python;
  bool no_memory = false;
};

std::string text_report(const CalibrationProfile& p, const std::string& path) {
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

int run(const CalibrateOptions& o) {
  if (o.format != "text" && o.format != "json") {
    return report_error(make_error(ErrorCode::kInvalidArgument, "unknown --format '", o.format,
                                   "'; expected text or json"));
  }
  auto facts = read_host_facts("");
  if (!facts.ok()) return report_error(facts.error());
  auto host = host_model_from_facts(*facts);
  if (!host.ok()) return report_error(host.error());

  CalibrationProfile p;
  p.created_utc = utc_now();
  p.graphs_version = GRAPHS_VERSION;
  p.hardware_fingerprint = hardware_fingerprint(*facts);
  p.cpu_model = facts->cpu.model_name;
  p.threads = o.threads > 0 ? o.threads
                            : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  p.quick = o.quick;

  static const std::vector<std::string> known = {"torch", "onnxruntime", "inductor"};
  for (const auto& b : o.backends) {
    if (std::find(known.begin(), known.end(), b) == known.end()) {
      return report_error(Error(ErrorCode::kInvalidArgument, unknown_name_message("backend", b, known)));
    }
  }
  bench::BenchSettings bs;
  bs.python = o.python;
  auto argv = bench::worker_command(bs);
  if (!argv.ok()) return report_error(argv.error());

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
    std::fprintf(stderr, "graphs: calibrate: memory bandwidth over %zu working sets, %d threads\n",
                 mb.working_set_bytes.size(), mb.threads);
    auto points = measure_memory_bandwidth(mb);
    if (!points.ok()) return report_error(points.error());
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
  // torch first: Inductor falls back to its per-kernel dispatch figure.
  std::vector<std::string> order;
  for (const auto& b : known) {
    if (std::find(o.backends.begin(), o.backends.end(), b) != o.backends.end()) order.push_back(b);
  }
  for (const auto& backend : order) {
    const auto cases = microbench_suite(backend, o.quick);
    std::fprintf(stderr, "graphs: calibrate: %zu %s microbenchmarks\n", cases.size(), backend.c_str());
    std::size_t done = 0;
    MicroRun run = run_op_microbench(backend, cases, mo, [&](const MicroResult& r) {
      ++done;
      if (r.median_s) {
        std::fprintf(stderr, "  [%zu/%zu] %-36s %s\n", done, cases.size(), r.id.c_str(),
                     report::seconds(*r.median_s).c_str());
      } else {
        std::fprintf(stderr, "  [%zu/%zu] %-36s failed: %s\n", done, cases.size(), r.id.c_str(),
                     r.error.c_str());
      }
    });
    const std::string key = calibration_backend_key(backend);
    if (!run.error.empty()) {
      std::fprintf(stderr, "graphs: calibrate: %s: %s\n", backend.c_str(), run.error.c_str());
      p.notes.push_back(key + " not calibrated: " + run.error);
    }
    if (!run.versions.is_null()) p.backend_versions[key] = run.versions;
    auto classes = fit_op_classes(key, cases, run.results, p.notes);
    for (auto& c : classes) p.op_classes.push_back(std::move(c));
    std::optional<double> eager;
    if (auto it = p.dispatch_overhead_s.find("torch_eager"); it != p.dispatch_overhead_s.end()) {
      eager = it->second;
    }
    fit_overheads(key, cases, run.results, eager, p.dispatch_overhead_s, p.call_overhead_s, p.notes);
  }

  const std::string path = o.output.empty() ? default_profile_path(p.hardware_fingerprint) : o.output;
  if (auto s = save_profile(p, path); !s.ok()) return report_error(s.error());
  if (o.format == "json") {
    std::printf("%s\n", to_json(p).dump(2).c_str());
  } else {
    std::printf("%s", text_report(p, path).c_str());
  }
  return 0;
}

}  // namespace

void add_calibrate_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<CalibrateOptions>();
  auto* cmd = app.add_subcommand("calibrate", "measure this machine and write the host calibration profile");
  cmd->add_flag("--quick", opts->quick, "fewer working sets and repeats");
  cmd->add_option("--threads", opts->threads, "threads to measure with (default: every logical CPU)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-o,--output", opts->output, "profile path (default: the calibration cache)");
  cmd->add_option("--format", opts->format, "text or json")->capture_default_str();
  cmd->add_option("--backends", opts->backends,
                  "backends to measure op classes through: torch, onnxruntime, inductor")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--python", opts->python, "Python interpreter of the workers (default $GRAPHS_PYTHON, the venv's, python3)");
  cmd->add_flag("--no-memory", opts->no_memory, "skip the STREAM memory-bandwidth sweep");
  cmd->callback([opts, &result] { result.exit_status = run(*opts); });
}

}  // namespace graphs::cli
