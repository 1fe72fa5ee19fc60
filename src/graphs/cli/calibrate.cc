// graphs calibrate [--quick] [--threads N] [-o FILE] [--format text|json]
//
// Measures this machine and writes a calibration profile (src/graphs/calibrate/profile.h) that
// overlays `host`. Today: memory bandwidth over working sets from L1 to DRAM (STREAM copy and
// triad, C++). Op-class fits through the measuring backend are listed as not measured.
#include <chrono>
#include <cmath>
#include <ctime>
#include <thread>

#include <fmt/format.h>

#include "graphs/calibrate/membench.h"
#include "graphs/calibrate/profile.h"
#include "graphs/cli/commands.h"
#include "graphs/hardware/host.h"
#include "graphs/report/table.h"

namespace graphs::cli {
namespace {

struct CalibrateOptions {
  bool quick = false;
  int threads = 0;  // 0: every logical CPU
  std::string output;
  std::string format = "text";
};

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string text_report(const CalibrationProfile& p, const std::string& path) {
  std::string out = fmt::format("calibration of {} ({} threads{}), fingerprint {}\n", p.cpu_model,
                                p.threads, p.quick ? ", quick" : "", p.hardware_fingerprint);
  out += "memory tiers (STREAM triad, best of repeats, median over the tier's working sets):\n";
  for (const auto& t : p.memory_tiers) {
    out += fmt::format("  {:<5} {:>10}  {:>12}/s  ({} points)\n", t.level,
                       t.capacity_bytes > 0 ? report::bytes(t.capacity_bytes) : "-",
                       report::bytes(t.bandwidth_bytes_per_s), t.points);
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

  // Working sets from 16 KiB to 8 × the last cache level (at least 256 MiB), so every level and
  // DRAM get points (profile.h's tier rule needs W ≥ 4 × last level for DRAM).
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
  p.notes.push_back(
      "op-class fits (GEMM, conv, depthwise conv, elementwise, reduction through torch) and "
      "per-backend dispatch overhead are not measured by this version");

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
  cmd->callback([opts, &result] { result.exit_status = run(*opts); });
}

}  // namespace graphs::cli
