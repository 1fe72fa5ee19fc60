#include "graphs/calibrate/profile.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "graphs/backends/backend_family.h"
#include "graphs/bench/statistics.h"

namespace graphs {

namespace {

using nlohmann::json;


// Field readers that name the file and field on error.
struct Reader {
  const std::string& origin;

  template <typename T>
  Result<T> get(const json& j, const char* key, const std::string& where) const {
    if (!j.is_object() || !j.contains(key)) {
      return make_error(ErrorCode::kParseError, origin, ": missing field '", where, key, "'");
    }
    try {
      return j.at(key).get<T>();
    } catch (const json::exception&) {
      return make_error(ErrorCode::kParseError, origin, ": field '", where, key,
                        "' has the wrong type");
    }
  }
};

json fit_to_json(const HockneyFit& f) {
  return {{"overhead_s", f.overhead_s},   {"rate", f.rate}, {"half_work", f.half_work},
          {"rms_rel_error", f.rms_rel_error}, {"samples", f.samples}};
}

}  // namespace

std::string hardware_fingerprint(const HostFacts& f) {
  std::ostringstream facts;
  facts << f.cpu.model_name << '|' << f.logical_cpus << '|' << f.physical_cores << '|'
        << static_cast<long long>(f.clock_hz / 1e6) << '|'
        << static_cast<long long>(f.memory_bytes / (1 << 30));
  for (const auto& c : f.caches) facts << '|' << c.level << c.type << ':' << c.total_bytes;
  std::uint64_t h = 14695981039346656037ULL;  // FNV-1a 64 offset basis
  for (unsigned char ch : facts.str()) {
    h ^= ch;
    h *= 1099511628211ULL;  // FNV prime
  }
  return fmt::format("{:016x}", h);
}

std::vector<MemoryTier> memory_tiers(const std::vector<BandwidthPoint>& points,
                                     const std::vector<CacheLevel>& caches,
                                     std::vector<std::string>* notes) {
  std::vector<MemoryTier> tiers;
  double lower = 0;
  for (const auto& c : caches) {
    if (!(c.capacity_bytes > 0)) continue;
    MemoryTier t;
    t.level = c.name;
    t.capacity_bytes = c.capacity_bytes;
    std::vector<double> rates;
    for (const auto& p : points) {
      if (p.kernel == "triad" && p.working_set_bytes > lower &&
          p.working_set_bytes <= c.capacity_bytes / 2) {
        rates.push_back(p.best_bytes_per_s);
      }
    }
    lower = c.capacity_bytes;
    if (rates.empty()) {
      if (notes) notes->push_back("no triad working set fell in " + c.name + "; its bandwidth is not measured");
      continue;
    }
    t.points = static_cast<int>(rates.size());
    t.bandwidth_bytes_per_s = bench::median_of(rates);
    tiers.push_back(t);
  }
  MemoryTier dram;
  dram.level = "DRAM";
  std::vector<double> rates;
  for (const auto& p : points) {
    if (p.kernel == "triad" && p.working_set_bytes >= 4 * lower) rates.push_back(p.best_bytes_per_s);
  }
  if (rates.empty()) {
    if (notes) notes->push_back("no triad working set reached 4x the last cache level; DRAM bandwidth is not measured");
  } else {
    dram.points = static_cast<int>(rates.size());
    dram.bandwidth_bytes_per_s = bench::median_of(rates);
    tiers.push_back(dram);
  }
  return tiers;
}

nlohmann::json to_json(const CalibrationProfile& p) {
  json points = json::array();
  for (const auto& b : p.memory_points) {
    points.push_back({{"kernel", b.kernel},
                      {"working_set_bytes", b.working_set_bytes},
                      {"threads", b.threads},
                      {"best_bytes_per_s", b.best_bytes_per_s},
                      {"median_bytes_per_s", b.median_bytes_per_s},
                      {"repeats", b.repeats},
                      {"passes_per_repeat", b.passes_per_repeat}});
  }
  json tiers = json::array();
  for (const auto& t : p.memory_tiers) {
    tiers.push_back({{"level", t.level},
                     {"capacity_bytes", t.capacity_bytes},
                     {"bandwidth_bytes_per_s", t.bandwidth_bytes_per_s},
                     {"points", t.points}});
  }
  json classes = json::array();
  for (const auto& c : p.op_classes) {
    json samples = json::array();
    for (const auto& s : c.samples) {
      samples.push_back({{"op", s.op},
                         {"shape", s.shape},
                         {"dtype", s.dtype},
                         {"flops", s.flops},
                         {"bytes", s.bytes},
                         {"median_s", s.median_s},
                         {"best_s", s.best_s},
                         {"calls", s.calls}});
    }
    json cm = nullptr;
    if (c.compute_memory) {
      cm = {{"overhead_s", c.compute_memory->overhead_s},
            {"flops_per_s", c.compute_memory->flops_per_s},
            {"bytes_per_s", c.compute_memory->bytes_per_s},
            {"rms_rel_error", c.compute_memory->rms_rel_error},
            {"samples", c.compute_memory->samples}};
    }
    classes.push_back({{"op_class", c.op_class},
                       {"backend", c.backend},
                       {"work_unit", c.work_unit},
                       {"fit", fit_to_json(c.fit)},
                       {"compute_memory_fit", cm},
                       {"samples", samples}});
  }
  return {{"schema_version", p.schema_version},
          {"kind", "graphs-calibration"},
          {"created_utc", p.created_utc},
          {"graphs_version", p.graphs_version},
          {"hardware_fingerprint", p.hardware_fingerprint},
          {"cpu_model", p.cpu_model},
          {"threads", p.threads},
          {"quick", p.quick},
          {"memory_points", points},
          {"memory_tiers", tiers},
          {"op_classes", classes},
          {"dispatch_overhead_s", p.dispatch_overhead_s},
          {"call_overhead_s", p.call_overhead_s},
          {"backend_versions", p.backend_versions},
          {"notes", p.notes}};
}

Result<CalibrationProfile> profile_from_json(const nlohmann::json& j, const std::string& origin) {
  Reader r{origin};
  CalibrationProfile p;
  GRAPHS_ASSIGN_OR_RETURN(p.schema_version, r.get<int>(j, "schema_version", ""));
  if (p.schema_version != kCalibrationSchemaVersion) {
    return make_error(ErrorCode::kParseError, origin, ": calibration schema_version ",
                      p.schema_version, "; this graphs reads version ", kCalibrationSchemaVersion,
                      " (run graphs calibrate again)");
  }
  GRAPHS_ASSIGN_OR_RETURN(auto kind, r.get<std::string>(j, "kind", ""));
  if (kind != "graphs-calibration") {
    return make_error(ErrorCode::kParseError, origin, ": kind '", kind,
                      "' is not a graphs calibration profile");
  }
  GRAPHS_ASSIGN_OR_RETURN(p.created_utc, r.get<std::string>(j, "created_utc", ""));
  GRAPHS_ASSIGN_OR_RETURN(p.graphs_version, r.get<std::string>(j, "graphs_version", ""));
  GRAPHS_ASSIGN_OR_RETURN(p.hardware_fingerprint,
                          r.get<std::string>(j, "hardware_fingerprint", ""));
  GRAPHS_ASSIGN_OR_RETURN(p.cpu_model, r.get<std::string>(j, "cpu_model", ""));
  GRAPHS_ASSIGN_OR_RETURN(p.threads, r.get<int>(j, "threads", ""));
  GRAPHS_ASSIGN_OR_RETURN(p.quick, r.get<bool>(j, "quick", ""));
  GRAPHS_ASSIGN_OR_RETURN(auto points, r.get<json>(j, "memory_points", ""));
  for (const auto& b : points) {
    BandwidthPoint bp;
    GRAPHS_ASSIGN_OR_RETURN(bp.kernel, r.get<std::string>(b, "kernel", "memory_points[]."));
    GRAPHS_ASSIGN_OR_RETURN(bp.working_set_bytes,
                            r.get<double>(b, "working_set_bytes", "memory_points[]."));
    GRAPHS_ASSIGN_OR_RETURN(bp.threads, r.get<int>(b, "threads", "memory_points[]."));
    GRAPHS_ASSIGN_OR_RETURN(bp.best_bytes_per_s,
                            r.get<double>(b, "best_bytes_per_s", "memory_points[]."));
    GRAPHS_ASSIGN_OR_RETURN(bp.median_bytes_per_s,
                            r.get<double>(b, "median_bytes_per_s", "memory_points[]."));
    GRAPHS_ASSIGN_OR_RETURN(bp.repeats, r.get<int>(b, "repeats", "memory_points[]."));
    GRAPHS_ASSIGN_OR_RETURN(bp.passes_per_repeat,
                            r.get<long long>(b, "passes_per_repeat", "memory_points[]."));
    p.memory_points.push_back(bp);
  }
  GRAPHS_ASSIGN_OR_RETURN(auto tiers, r.get<json>(j, "memory_tiers", ""));
  for (const auto& t : tiers) {
    MemoryTier mt;
    GRAPHS_ASSIGN_OR_RETURN(mt.level, r.get<std::string>(t, "level", "memory_tiers[]."));
    GRAPHS_ASSIGN_OR_RETURN(mt.capacity_bytes, r.get<double>(t, "capacity_bytes", "memory_tiers[]."));
    GRAPHS_ASSIGN_OR_RETURN(mt.bandwidth_bytes_per_s,
                            r.get<double>(t, "bandwidth_bytes_per_s", "memory_tiers[]."));
    GRAPHS_ASSIGN_OR_RETURN(mt.points, r.get<int>(t, "points", "memory_tiers[]."));
    p.memory_tiers.push_back(mt);
  }
  GRAPHS_ASSIGN_OR_RETURN(auto classes, r.get<json>(j, "op_classes", ""));
  for (const auto& c : classes) {
    OpClassCalibration oc;
    GRAPHS_ASSIGN_OR_RETURN(oc.op_class, r.get<std::string>(c, "op_class", "op_classes[]."));
    GRAPHS_ASSIGN_OR_RETURN(oc.backend, r.get<std::string>(c, "backend", "op_classes[]."));
    GRAPHS_ASSIGN_OR_RETURN(oc.work_unit, r.get<std::string>(c, "work_unit", "op_classes[]."));
    GRAPHS_ASSIGN_OR_RETURN(auto f, r.get<json>(c, "fit", "op_classes[]."));
    GRAPHS_ASSIGN_OR_RETURN(oc.fit.overhead_s, r.get<double>(f, "overhead_s", "op_classes[].fit."));
    GRAPHS_ASSIGN_OR_RETURN(oc.fit.rate, r.get<double>(f, "rate", "op_classes[].fit."));
    GRAPHS_ASSIGN_OR_RETURN(oc.fit.half_work, r.get<double>(f, "half_work", "op_classes[].fit."));
    GRAPHS_ASSIGN_OR_RETURN(oc.fit.rms_rel_error,
                            r.get<double>(f, "rms_rel_error", "op_classes[].fit."));
    GRAPHS_ASSIGN_OR_RETURN(oc.fit.samples, r.get<int>(f, "samples", "op_classes[].fit."));
    GRAPHS_ASSIGN_OR_RETURN(auto cm, r.get<json>(c, "compute_memory_fit", "op_classes[]."));
    if (!cm.is_null()) {
      ComputeMemoryFit f;
      const std::string w = "op_classes[].compute_memory_fit.";
      GRAPHS_ASSIGN_OR_RETURN(f.overhead_s, r.get<double>(cm, "overhead_s", w));
      GRAPHS_ASSIGN_OR_RETURN(f.flops_per_s, r.get<double>(cm, "flops_per_s", w));
      GRAPHS_ASSIGN_OR_RETURN(f.bytes_per_s, r.get<double>(cm, "bytes_per_s", w));
      GRAPHS_ASSIGN_OR_RETURN(f.rms_rel_error, r.get<double>(cm, "rms_rel_error", w));
      GRAPHS_ASSIGN_OR_RETURN(f.samples, r.get<int>(cm, "samples", w));
      oc.compute_memory = f;
    }
    GRAPHS_ASSIGN_OR_RETURN(auto samples, r.get<json>(c, "samples", "op_classes[]."));
    for (const auto& s : samples) {
      MicroSample ms;
      const std::string w = "op_classes[].samples[].";
      GRAPHS_ASSIGN_OR_RETURN(ms.op, r.get<std::string>(s, "op", w));
      GRAPHS_ASSIGN_OR_RETURN(ms.shape, r.get<std::string>(s, "shape", w));
      GRAPHS_ASSIGN_OR_RETURN(ms.dtype, r.get<std::string>(s, "dtype", w));
      GRAPHS_ASSIGN_OR_RETURN(ms.flops, r.get<double>(s, "flops", w));
      GRAPHS_ASSIGN_OR_RETURN(ms.bytes, r.get<double>(s, "bytes", w));
      GRAPHS_ASSIGN_OR_RETURN(ms.median_s, r.get<double>(s, "median_s", w));
      GRAPHS_ASSIGN_OR_RETURN(ms.best_s, r.get<double>(s, "best_s", w));
      GRAPHS_ASSIGN_OR_RETURN(ms.calls, r.get<int>(s, "calls", w));
      oc.samples.push_back(ms);
    }
    p.op_classes.push_back(std::move(oc));
  }
  GRAPHS_ASSIGN_OR_RETURN(p.dispatch_overhead_s,
                          (r.get<std::map<std::string, double>>(j, "dispatch_overhead_s", "")));
  GRAPHS_ASSIGN_OR_RETURN(p.call_overhead_s,
                          (r.get<std::map<std::string, double>>(j, "call_overhead_s", "")));
  GRAPHS_ASSIGN_OR_RETURN(p.backend_versions, r.get<json>(j, "backend_versions", ""));
  GRAPHS_ASSIGN_OR_RETURN(p.notes, r.get<std::vector<std::string>>(j, "notes", ""));
  return p;
}

std::string calibration_dir() {
  if (const char* d = std::getenv("GRAPHS_CALIBRATION_DIR"); d && *d) return d;
  std::filesystem::path base;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    base = x;
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    base = std::filesystem::path(h) / ".cache";
  } else {
    base = ".";
  }
  return (base / "graphs" / "calibration").string();
}

std::string default_profile_path(const std::string& fingerprint) {
  return (std::filesystem::path(calibration_dir()) / (fingerprint + ".json")).string();
}

Status save_profile(const CalibrationProfile& profile, const std::string& path) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return make_error(ErrorCode::kIoError, "cannot create '", parent.string(), "': ", ec.message());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) return make_error(ErrorCode::kIoError, "cannot write '", tmp, "'");
    out << to_json(profile).dump(1) << '\n';
    out.close();
    if (!out) return make_error(ErrorCode::kIoError, "failed writing '", tmp, "'");
  }
  std::filesystem::rename(tmp, path, ec);
  if (ec) return make_error(ErrorCode::kIoError, "cannot move '", tmp, "' to '", path, "': ", ec.message());
  return ok_status();
}

Result<CalibrationProfile> load_profile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "no calibration profile at '", path, "'");
  json j = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return make_error(ErrorCode::kParseError, path, ": not valid JSON");
  }
  return profile_from_json(j, path);
}

Status apply_profile(const CalibrationProfile& p, const std::string& fingerprint,
                     HardwareModel& host) {
  if (p.hardware_fingerprint != fingerprint) {
    return make_error(ErrorCode::kInvalidArgument, "calibration profile is for machine ",
                      p.hardware_fingerprint, ", this machine is ", fingerprint,
                      " (run graphs calibrate here)");
  }
  const std::string when = "measured: graphs calibrate " + p.created_utc;
  for (const auto& t : p.memory_tiers) {
    if (t.level == "DRAM") {
      host.memory_bandwidth_bytes_per_s = t.bandwidth_bytes_per_s;
      host.efficiency.memory = 1.0;
      host.sources["memory_bandwidth_bytes_per_s"] =
          when + fmt::format(" (STREAM triad, {} working sets ≥ 4× last cache, median of best)", t.points);
      host.sources["efficiency.memory"] = when + " (bandwidth above is already achieved)";
      continue;
    }
    for (auto& c : host.caches) {
      if (c.name == t.level) {
        c.bandwidth_bytes_per_s = t.bandwidth_bytes_per_s;
        host.sources["caches." + c.name + ".bandwidth_bytes_per_s"] =
            when + fmt::format(" (STREAM triad, {} working sets)", t.points);
      }
    }
  }
  const auto derived_peak = host.matrix_peak("fp32");
  // A measured rate above the derived peak proves the derivation low (a turbo clock that
  // /proc/cpuinfo does not show): scale every peak and the clock up to the fastest FLOP rate a
  // microbenchmark achieved (FLOPs / best time), taken to all cores when the profile used fewer
  // threads.
  if (derived_peak && *derived_peak > 0 && p.threads > 0) {
    double fastest = 0;
    std::string what;
    for (const auto& c : p.op_classes) {
      for (const auto& m : c.samples) {  // achieved rates, not fit parameters
        const double t = m.best_s > 0 ? m.best_s : m.median_s;
        if (c.work_unit != "flops" || !(t > 0) || m.flops / t <= fastest) continue;
        fastest = m.flops / t;
        what = c.backend + " " + c.op_class + " " + m.shape;
      }
    }
    const double cores = std::max(1, host.compute_units);
    const double all_cores = fastest * std::max(1.0, cores / p.threads);
    if (all_cores > *derived_peak) {
      const double factor = all_cores / *derived_peak;
      for (auto* m : {&host.matrix_peak_flops_per_s, &host.vector_peak_flops_per_s}) {
        for (auto& [precision, v] : *m) v *= factor;
      }
      for (auto& [precision, e] : host.energy_per_flop_j) e /= factor;
      host.clock_hz *= factor;
      const std::string why = when + fmt::format(
          " ({} reached {:.3g} FLOP/s on {} thread(s), {:.3g}× the derived fp32 peak taken to {} "
          "cores: peaks and clock scaled by that factor; the derivation missed a turbo clock)",
          what, fastest, p.threads, factor, static_cast<int>(cores));
      host.sources["matrix_peak_flops_per_s.fp32"] = why;
      host.sources["clock_hz"] = why;
      host.notes.push_back("peaks raised to what calibration measured: " + why);
    }
  }
  const auto peak = host.matrix_peak("fp32");
  // The family calibrated per op call (torch eager): its matmul fit is the host's matrix
  // efficiency, its dispatch figure the host's kernel_launch_s.
  const BackendFamily* per_op = BackendFamilyRegistry::global().per_op_call_family();
  const std::string per_op_key = per_op != nullptr ? per_op->dispatch_overhead_key : "";
  for (const auto& c : p.op_classes) {
    if (c.compute_memory) {
      const ComputeMemoryFit& f = *c.compute_memory;
      host.op_class_rates[c.backend][c.op_class] = {f.overhead_s, f.flops_per_s, "flops", f.bytes_per_s};
      host.sources["op_class_rates." + c.backend + "." + c.op_class] =
          when + fmt::format(" ({} samples, compute + memory fit, rms error {:.0f} %)", f.samples,
                             100 * f.rms_rel_error);
    } else {
      host.op_class_rates[c.backend][c.op_class] = {c.fit.overhead_s, c.fit.rate, c.work_unit, 0};
      host.sources["op_class_rates." + c.backend + "." + c.op_class] =
          when + fmt::format(" ({} samples, Hockney fit, rms error {:.0f} %)", c.fit.samples,
                             100 * c.fit.rms_rel_error);
    }
    if (c.backend == per_op_key && c.op_class == "matmul" && peak && *peak > 0) {
      host.efficiency.matrix = std::min(1.0, c.fit.rate / *peak);
      host.sources["efficiency.matrix"] =
          when + fmt::format(" ({} matmul fit: {:.3g} FLOP/s asymptotic over the fp32 peak)",
                             per_op_key, c.fit.rate);
    }
  }
  for (const auto& [family, seconds] : p.dispatch_overhead_s) {
    host.dispatch_overhead_s[family] = seconds;
    host.sources["dispatch_overhead_s." + family] = when + " (per-kernel dispatch overhead)";
  }
  for (const auto& [family, seconds] : p.call_overhead_s) {
    host.call_overhead_s[family] = seconds;
    host.sources["call_overhead_s." + family] = when + " (per-inference call overhead)";
  }
  if (auto it = p.dispatch_overhead_s.find(per_op_key); it != p.dispatch_overhead_s.end()) {
    host.kernel_launch_s = it->second;
    host.sources["kernel_launch_s"] = when + " (torch eager per-op overhead)";
  }
  host.calibration_threads = p.threads;
  host.notes.push_back("calibrated: " + when);
  return ok_status();
}

}  // namespace graphs
