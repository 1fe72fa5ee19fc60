#include "graphs/bench/results.h"

#include <map>
#include <stdexcept>
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include <fmt/format.h>

#include "graphs/report/table.h"

namespace graphs::bench {

using nlohmann::json;

std::string_view to_string(RunStatus s) {
  switch (s) {
    case RunStatus::kOk: return "ok";
    case RunStatus::kFailed: return "failed";
    case RunStatus::kTimeout: return "timeout";
    case RunStatus::kCrashed: return "crashed";
    case RunStatus::kUnavailable: return "unavailable";
    case RunStatus::kNotApplicable: return "not_applicable";
    case RunStatus::kInterrupted: return "interrupted";
  }
  return "failed";
}

namespace {

template <typename T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json str_or_null(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

std::optional<double> ConversionResult::cold_start_s() const {
  if (!load_s && !convert_s && !first_call_s) return std::nullopt;
  return load_s.value_or(0) + convert_s.value_or(0) + first_call_s.value_or(0);
}

json ConversionResult::to_json() const {
  json j;
  j["type"] = "result";
  j["conversion"] = conversion;
  j["status"] = std::string(to_string(status));
  j["reason"] = str_or_null(reason);
  j["phase"] = str_or_null(phase);
  j["device"] = device;
  j["precision"] = precision;
  j["family"] = family;
  j["reference_only"] = reference_only;
  j["counts_for_exit"] = counts_for_exit;
  j["batch"] = batch;
  j["cold_start"] = {{"startup_s", opt(startup_s)},   {"load_s", opt(load_s)},
                     {"convert_s", opt(convert_s)},   {"first_call_s", opt(first_call_s)},
                     {"total_s", opt(cold_start_s())}};
  j["warmup"] = {{"calls", warmup_calls},
                 {"chunks", warmup_chunks},
                 {"time_s", warmup_s},
                 {"steady", warmup_steady}};
  if (latency) {
    const LatencyStats& l = *latency;
    j["latency"] = {{"count", l.count},
                    {"min_s", l.min_s},
                    {"mean_s", l.mean_s},
                    {"median_s", l.median_s},
                    {"p90_s", l.p90_s},
                    {"p95_s", l.p95_s},
                    {"p99_s", l.p99_s},
                    {"max_s", l.max_s},
                    {"stddev_s", l.stddev_s},
                    {"q1_s", l.q1_s},
                    {"q3_s", l.q3_s},
                    {"iqr_s", l.iqr_s},
                    {"iqr_over_median", l.iqr_over_median},
                    {"median_ci_low_s", opt(l.median_ci_low_s)},
                    {"median_ci_high_s", opt(l.median_ci_high_s)},
                    {"median_ci_rel", opt(l.median_ci_rel)},
                    {"confidence", 0.95}};
    j["throughput_samples_per_s"] =
        l.median_s > 0 ? json(static_cast<double>(batch) / l.median_s) : json(nullptr);
  } else {
    j["latency"] = nullptr;
    j["throughput_samples_per_s"] = nullptr;
  }
  j["measurement"] = {{"stop_reason", str_or_null(stop_reason)}, {"time_s", measure_s}};
  j["memory"] = {{"peak_rss_bytes", opt(peak_rss_bytes)},
                 {"peak_rss_wait4_bytes", opt(peak_rss_wait4_bytes)},
                 {"peak_gpu_memory_bytes", opt(peak_gpu_memory_bytes)}};
  j["threads"] = opt(threads);
  j["versions"] = versions;
  j["generated_kernels"] = opt(generated_kernels);
  j["energy_j_per_call"] = opt(energy_j_per_call);
  j["energy_source"] = str_or_null(energy_source);
  j["energy_unavailable"] = str_or_null(energy_unavailable_reason);
  if (!op_times.empty()) {
    json ops = json::array();
    for (const OpTime& o : op_times) {
      ops.push_back({{"name", o.name},
                     {"self_s_per_call", o.self_s_per_call},
                     {"count_per_call", o.count_per_call}});
    }
    j["op_times"] = std::move(ops);
  }
  j["op_times_unavailable"] = str_or_null(op_times_unavailable);
  json check = output_check ? output_check->to_json() : json::object();
  check["status"] = output_check_status;
  check["note"] = str_or_null(output_check_note);
  j["output_check"] = check;
  j["warnings"] = warnings;
  j["wall_s"] = opt(wall_s);
  j["exit"] = str_or_null(exit);
  j["stderr_tail"] = str_or_null(stderr_tail);
  if (!samples_s.empty()) j["latency_samples_s"] = samples_s;
  return j;
}

std::optional<RunStatus> run_status_from_string(std::string_view s) {
  for (RunStatus r : {RunStatus::kOk, RunStatus::kFailed, RunStatus::kTimeout, RunStatus::kCrashed,
                      RunStatus::kUnavailable, RunStatus::kNotApplicable, RunStatus::kInterrupted}) {
    if (to_string(r) == s) return r;
  }
  return std::nullopt;
}

namespace {

// Readers for from_json: a field that is absent, null or of another type leaves `out` as it is.
template <typename T>
void read(const json& j, const char* key, T& out) {
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  if constexpr (std::is_same_v<T, std::string>) {
    if (it->is_string()) out = it->template get<std::string>();
  } else if constexpr (std::is_same_v<T, bool>) {
    if (it->is_boolean()) out = it->template get<bool>();
  } else {
    if (it->is_number()) out = it->template get<T>();
  }
}

template <typename T>
void read(const json& j, const char* key, std::optional<T>& out) {
  T v{};
  const auto it = j.find(key);
  if (it == j.end() || it->is_null()) return;
  read(j, key, v);
  out = v;
}

const json& object_at(const json& j, const char* key) {
  static const json empty = json::object();
  const auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : empty;
}

}  // namespace

Result<ConversionResult> ConversionResult::from_json(const json& j) {
  if (!j.is_object()) return make_error(ErrorCode::kParseError, "a result is not a JSON object");
  ConversionResult r;
  if (!j.contains("conversion") || !j["conversion"].is_string()) {
    return make_error(ErrorCode::kParseError, "a result names no conversion");
  }
  read(j, "conversion", r.conversion);
  std::string status = "ok";
  read(j, "status", status);
  const auto parsed = run_status_from_string(status);
  if (!parsed) return make_error(ErrorCode::kParseError, r.conversion, ": unknown status '", status, "'");
  r.status = *parsed;
  read(j, "reason", r.reason);
  read(j, "phase", r.phase);
  read(j, "device", r.device);
  read(j, "precision", r.precision);
  read(j, "family", r.family);
  read(j, "reference_only", r.reference_only);
  read(j, "counts_for_exit", r.counts_for_exit);
  read(j, "batch", r.batch);
  const json& cold = object_at(j, "cold_start");
  read(cold, "startup_s", r.startup_s);
  read(cold, "load_s", r.load_s);
  read(cold, "convert_s", r.convert_s);
  read(cold, "first_call_s", r.first_call_s);
  const json& warmup = object_at(j, "warmup");
  read(warmup, "calls", r.warmup_calls);
  read(warmup, "chunks", r.warmup_chunks);
  read(warmup, "time_s", r.warmup_s);
  read(warmup, "steady", r.warmup_steady);
  if (j.contains("latency") && j["latency"].is_object()) {
    const json& l = j["latency"];
    LatencyStats s;
    read(l, "count", s.count);
    read(l, "min_s", s.min_s);
    read(l, "mean_s", s.mean_s);
    read(l, "median_s", s.median_s);
    read(l, "p90_s", s.p90_s);
    read(l, "p95_s", s.p95_s);
    read(l, "p99_s", s.p99_s);
    read(l, "max_s", s.max_s);
    read(l, "stddev_s", s.stddev_s);
    read(l, "q1_s", s.q1_s);
    read(l, "q3_s", s.q3_s);
    read(l, "iqr_s", s.iqr_s);
    read(l, "iqr_over_median", s.iqr_over_median);
    read(l, "median_ci_low_s", s.median_ci_low_s);
    read(l, "median_ci_high_s", s.median_ci_high_s);
    read(l, "median_ci_rel", s.median_ci_rel);
    r.latency = s;
  }
  const json& measurement = object_at(j, "measurement");
  read(measurement, "stop_reason", r.stop_reason);
  read(measurement, "time_s", r.measure_s);
  const json& memory = object_at(j, "memory");
  read(memory, "peak_rss_bytes", r.peak_rss_bytes);
  read(memory, "peak_rss_wait4_bytes", r.peak_rss_wait4_bytes);
  read(memory, "peak_gpu_memory_bytes", r.peak_gpu_memory_bytes);
  read(j, "threads", r.threads);
  if (j.contains("versions") && j["versions"].is_object()) r.versions = j["versions"];
  read(j, "generated_kernels", r.generated_kernels);
  read(j, "energy_j_per_call", r.energy_j_per_call);
  read(j, "energy_source", r.energy_source);
  read(j, "energy_unavailable", r.energy_unavailable_reason);
  if (j.contains("op_times") && j["op_times"].is_array()) {
    for (const json& o : j["op_times"]) {
      OpTime t;
      read(o, "name", t.name);
      read(o, "self_s_per_call", t.self_s_per_call);
      read(o, "count_per_call", t.count_per_call);
      r.op_times.push_back(std::move(t));
    }
  }
  read(j, "op_times_unavailable", r.op_times_unavailable);
  const json& check = object_at(j, "output_check");
  read(check, "status", r.output_check_status);
  read(check, "note", r.output_check_note);
  if (check.contains("passed")) {  // written only with a comparison
    OutputComparison c;
    read(check, "passed", c.passed);
    read(check, "reason", c.reason);
    read(check, "max_abs_error", c.max_abs_error);
    read(check, "max_rel_error", c.max_rel_error);
    read(check, "rtol", c.tolerance.rtol);
    read(check, "atol_scale", c.tolerance.atol_scale);
    if (check.contains("outputs") && check["outputs"].is_array()) {
      for (const json& o : check["outputs"]) {
        TensorComparison t;
        read(o, "index", t.index);
        if (o.contains("shape") && o["shape"].is_array()) t.shape = o["shape"].get<std::vector<int64_t>>();
        read(o, "max_abs_error", t.max_abs_error);
        read(o, "max_rel_error", t.max_rel_error);
        read(o, "ref_max_abs", t.ref_max_abs);
        read(o, "mismatched_elements", t.mismatched);
        read(o, "passed", t.passed);
        c.tensors.push_back(std::move(t));
      }
    }
    r.output_check = std::move(c);
  }
  if (j.contains("warnings") && j["warnings"].is_array()) {
    for (const json& w : j["warnings"]) {
      if (w.is_string()) r.warnings.push_back(w.get<std::string>());
    }
  }
  read(j, "wall_s", r.wall_s);
  read(j, "exit", r.exit);
  read(j, "stderr_tail", r.stderr_tail);
  if (j.contains("latency_samples_s") && j["latency_samples_s"].is_array()) {
    r.samples_s = j["latency_samples_s"].get<std::vector<double>>();
  }
  // A result line is read back to be scored: every time and count in it must be one.
  auto time = [&](const char* what, double v) -> Status {
    if (std::isfinite(v) && v >= 0) return ok_status();
    return make_error(ErrorCode::kParseError, r.conversion, ": ", what, " = ", v, " is not a time");
  };
  if (r.latency) {
    const LatencyStats& l = *r.latency;
    for (const auto& [what, v] : {std::pair{"latency.min_s", l.min_s}, {"latency.mean_s", l.mean_s},
                                  {"latency.median_s", l.median_s}, {"latency.p90_s", l.p90_s},
                                  {"latency.p95_s", l.p95_s}, {"latency.p99_s", l.p99_s},
                                  {"latency.max_s", l.max_s}, {"latency.stddev_s", l.stddev_s}}) {
      GRAPHS_RETURN_IF_ERROR(time(what, v));
    }
  }
  for (double v : r.samples_s) GRAPHS_RETURN_IF_ERROR(time("a latency sample", v));
  for (const auto& [what, v] : {std::pair{"cold_start.load_s", r.load_s},
                                {"cold_start.convert_s", r.convert_s},
                                {"cold_start.first_call_s", r.first_call_s}}) {
    if (v) GRAPHS_RETURN_IF_ERROR(time(what, *v));
  }
  for (const auto& [what, v] : {std::pair{"memory.peak_rss_bytes", r.peak_rss_bytes},
                                {"memory.peak_gpu_memory_bytes", r.peak_gpu_memory_bytes}}) {
    if (v && *v < 0) {
      return make_error(ErrorCode::kParseError, r.conversion, ": ", what, " = ", *v, " is negative");
    }
  }
  if (r.energy_j_per_call) GRAPHS_RETURN_IF_ERROR(time("energy_j_per_call", *r.energy_j_per_call));
  return r;
}

namespace {

bool finite_non_negative(const json& v) {
  return v.is_number() && std::isfinite(v.get<double>()) && v.get<double>() >= 0;
}

}  // namespace

void read_done_message(const json& m, ConversionResult& r) {
  auto field = [&](const char* key) -> const json* {
    const auto it = m.find(key);
    return it == m.end() || it->is_null() ? nullptr : &*it;
  };
  auto malformed = [&](const char* key, const json& v) {
    std::string text = v.dump();
    if (text.size() > 120) text = text.substr(0, 117) + "...";
    r.warnings.push_back(fmt::format("the worker's done.{} is malformed and was ignored: {}", key, text));
  };
  // Counts a worker reports must be what they claim: a negative or absurd one is a protocol
  // error (the caller turns the exception into the conversion's failure), never a result.
  auto count = [&](const char* key, int64_t max) -> std::optional<int64_t> {
    const json* v = field(key);
    if (!v) return std::nullopt;
    if (!v->is_number_integer() || v->get<int64_t>() < 0 || v->get<int64_t>() > max) {
      throw std::runtime_error(fmt::format("done.{} = {} is not a count in [0, {}]", key, v->dump(), max));
    }
    return v->get<int64_t>();
  };
  constexpr int64_t kMaxBytes = int64_t{1} << 50;  // 1 PiB
  if (auto v = count("peak_rss_bytes", kMaxBytes)) r.peak_rss_bytes = *v;
  if (auto v = count("peak_gpu_memory_bytes", kMaxBytes)) r.peak_gpu_memory_bytes = *v;
  if (auto v = count("threads", 65536)) r.threads = static_cast<int>(*v);
  if (const json* v = field("versions"); v && v->is_object()) r.versions = *v;

  if (const json* v = field("generated_kernels")) {
    if (v->is_number_integer() && v->get<int64_t>() >= 0 && v->get<int64_t>() <= std::numeric_limits<int>::max()) {
      r.generated_kernels = v->get<int>();
    } else {
      malformed("generated_kernels", *v);
    }
  }

  if (const json* v = field("energy")) {
    const auto j = v->is_object() ? v->find("j_per_call") : v->end();
    const auto why = v->is_object() ? v->find("unavailable") : v->end();
    if (j != v->end() && finite_non_negative(*j)) {
      r.energy_j_per_call = j->get<double>();
      const auto src = v->find("source");
      r.energy_source = src != v->end() && src->is_string() ? src->get<std::string>() : "";
      const auto incomplete = v->find("incomplete");
      if (incomplete != v->end() && incomplete->is_string()) {
        r.warnings.push_back("energy incomplete: " + incomplete->get<std::string>());
      }
    } else if (why != v->end() && why->is_string()) {
      r.energy_unavailable_reason = why->get<std::string>();
    } else {
      malformed("energy", *v);
    }
  }

  if (const json* v = field("op_times")) {
    bool bad = !v->is_array();
    if (!bad) {
      for (const json& e : *v) {
        if (!e.is_object() || !e.contains("name") || !e["name"].is_string() ||
            !e.contains("self_s_per_call") || !finite_non_negative(e["self_s_per_call"]) ||
            !e.contains("count_per_call") || !finite_non_negative(e["count_per_call"])) {
          bad = true;
          continue;
        }
        r.op_times.push_back({e["name"].get<std::string>(), e["self_s_per_call"].get<double>(),
                              e["count_per_call"].get<double>()});
      }
      std::stable_sort(r.op_times.begin(), r.op_times.end(), [](const OpTime& a, const OpTime& b) {
        return a.self_s_per_call > b.self_s_per_call;
      });
    }
    if (bad) malformed("op_times", *v);
  }
  if (const json* v = field("op_times_unavailable")) {
    if (v->is_string()) r.op_times_unavailable = v->get<std::string>();
    else malformed("op_times_unavailable", *v);
  }
}

int exit_status_of(const std::vector<ConversionResult>& results) {
  int status = 0;
  bool measured = false;
  for (const auto& r : results) {
    if (r.status == RunStatus::kInterrupted) return 130;
    if (!r.ok() && r.counts_for_exit) status = 1;
    measured = measured || (r.ok() && !r.reference_only && r.latency.has_value());
  }
  // A run that measured nothing (every conversion unavailable or failed, a --tier included)
  // is a failure: a CI job must not pass with zero results.
  return measured ? status : 1;
}

std::string nothing_measured_reason(const std::vector<ConversionResult>& results) {
  for (const auto& r : results) {
    if (r.ok() && !r.reference_only && r.latency.has_value()) return "";
  }
  std::map<std::string, int> by_status;
  for (const auto& r : results) ++by_status[std::string(to_string(r.status))];
  std::string what;
  for (const auto& [s, n] : by_status) what += (what.empty() ? "" : ", ") + std::to_string(n) + " " + s;
  return "nothing was measured (" + (what.empty() ? std::string("no conversion ran") : what) +
         "); the reasons are in the results";
}

json BenchReport::to_json() const {
  json j;
  j["schema_version"] = kResultSchemaVersion;
  j["header"] = header;
  j["results"] = json::array();
  for (const auto& r : results) j["results"].push_back(r.to_json());
  std::size_t ok = 0;
  for (const auto& r : results) ok += r.ok() && !r.reference_only;
  j["summary"] = {{"exit_status", exit_status},
                  {"ok", ok},
                  {"not_ok", results.size() - ok},
                  {"jsonl_path", jsonl_path}};
  return j;
}

namespace {

// ok rows sorted by median latency, then every other row in run order.
std::vector<const ConversionResult*> ordered(const BenchReport& report) {
  std::vector<const ConversionResult*> ok, rest;
  for (const auto& r : report.results) {
    if (r.ok() && r.latency) ok.push_back(&r); else rest.push_back(&r);
  }
  std::stable_sort(ok.begin(), ok.end(), [](const auto* a, const auto* b) {
    return a->latency->median_s < b->latency->median_s;
  });
  ok.insert(ok.end(), rest.begin(), rest.end());
  return ok;
}

std::optional<double> eager_median(const BenchReport& report) {
  for (const auto& r : report.results) {
    if (r.conversion == "EAGER" && r.ok() && r.latency) return r.latency->median_s;
  }
  return std::nullopt;
}

std::string name_of(const ConversionResult& r) {
  std::string n = r.conversion;
  if (r.reference_only) n += " (reference)";
  return n;
}

bool any_energy(const BenchReport& report) {
  return std::any_of(report.results.begin(), report.results.end(),
                     [](const ConversionResult& r) { return r.energy_j_per_call.has_value(); });
}

report::Table build_table(const BenchReport& report, bool markdown) {
  const bool energy = any_energy(report);
  std::vector<std::string> headers = {"conversion", "device", "status", ">median", ">95% CI",
                                      ">p90", ">p99", ">IQR/med", ">samples/s", ">cold start",
                                      ">peak RSS", ">max rel err", ">vs EAGER"};
  if (energy) headers.push_back(">energy/inf");
  headers.push_back("note");
  report::Table t(std::move(headers));
  const auto eager = eager_median(report);
  for (const ConversionResult* r : ordered(report)) {
    std::vector<std::string> row = {name_of(*r), r->device, std::string(to_string(r->status))};
    if (r->ok() && r->latency) {
      const LatencyStats& l = *r->latency;
      row.push_back(report::seconds(l.median_s));
      row.push_back(l.median_ci_rel ? fmt::format("±{:.1f}%", 100 * *l.median_ci_rel) : "-");
      row.push_back(report::seconds(l.p90_s));
      row.push_back(report::seconds(l.p99_s));
      row.push_back(fmt::format("{:.3f}", l.iqr_over_median));
      row.push_back(report::number(static_cast<double>(r->batch) / l.median_s));
      const auto cold = r->cold_start_s();
      row.push_back(cold ? report::seconds(*cold) : "-");
      const auto rss = r->peak_rss_bytes ? r->peak_rss_bytes : r->peak_rss_wait4_bytes;
      row.push_back(rss ? report::bytes(static_cast<double>(*rss)) : "-");
      row.push_back(r->output_check ? fmt::format("{:.2g}", r->output_check->max_rel_error)
                                    : r->output_check_status);
      row.push_back(eager ? fmt::format("{:.2f}x", *eager / l.median_s) : "-");
      if (energy) row.push_back(r->energy_j_per_call ? report::joules(*r->energy_j_per_call) : "-");
      std::string note;
      for (const auto& w : r->warnings) note += (note.empty() ? "" : "; ") + w;
      row.push_back(note);
    } else {
      for (int i = 0; i < (energy ? 11 : 10); ++i) row.push_back("");
      std::string reason = r->reason;
      if (!markdown && reason.size() > 160) reason = reason.substr(0, 157) + "...";
      row.push_back(reason);
    }
    t.add_row(std::move(row));
  }
  return t;
}

std::string title(const BenchReport& report) {
  const json& h = report.header;
  return fmt::format("graphs bench {} (batch {}, device {}, {} threads)", h.value("model", std::string()),
                     h.contains("settings") ? h["settings"].value("batch", 1) : 1,
                     h.contains("settings") ? h["settings"].value("device", std::string("cpu")) : "cpu",
                     h.contains("threads") && !h["threads"].is_null() ? h["threads"].dump() : "default");
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

namespace {

// "energy: not measured — <why>" when no row has an energy figure (the first row's reason).
std::string energy_note(const BenchReport& report, const std::string& indent) {
  if (any_energy(report)) return "";
  for (const ConversionResult* r : ordered(report)) {
    if (!r->energy_unavailable_reason.empty()) {
      return indent + "energy: not measured — " + r->energy_unavailable_reason + "\n";
    }
  }
  return "";
}

// The top ops of each profiled conversion (profile_ops), or why it has none.
std::string op_section(const BenchReport& report) {
  constexpr std::size_t kTop = 5;
  std::string out;
  for (const ConversionResult* r : ordered(report)) {
    if (r->op_times.empty() && r->op_times_unavailable.empty()) continue;
    if (r->op_times.empty()) {
      out += fmt::format("  {}: {}\n", name_of(*r), r->op_times_unavailable);
      continue;
    }
    double total = 0;
    for (const OpTime& o : r->op_times) total += o.self_s_per_call;
    out += fmt::format("  {} (top {} of {} ops, {} per call in all):\n", name_of(*r),
                       std::min(kTop, r->op_times.size()), r->op_times.size(),
                       report::seconds(total));
    for (std::size_t i = 0; i < r->op_times.size() && i < kTop; ++i) {
      const OpTime& o = r->op_times[i];
      out += fmt::format("    {:>9}  {:5.1f}%  {:>6}  {}\n", report::seconds(o.self_s_per_call),
                         total > 0 ? 100 * o.self_s_per_call / total : 0.0,
                         fmt::format("{:.3g}x", o.count_per_call), o.name);
    }
  }
  if (out.empty()) return "";
  return "\nop time per call (torch.profiler, self CPU time):\n" + out;
}

}  // namespace

std::string render_text(const BenchReport& report) {
  std::string out = title(report) + "\n\n" + build_table(report, false).to_text() +
                    energy_note(report, "  ") + op_section(report);
  std::string notes;
  for (const auto& r : report.results) {
    if (!r.ok() && !r.stderr_tail.empty()) {
      std::string tail = r.stderr_tail;
      if (tail.size() > 600) tail = "..." + tail.substr(tail.size() - 600);
      notes += fmt::format("\n{} stderr (tail):\n{}\n", r.conversion, tail);
    }
  }
  return out + notes;
}

std::string render_markdown(const BenchReport& report) {
  std::string note = energy_note(report, "");
  return "# " + title(report) + "\n\n" + build_table(report, true).to_markdown() +
         (note.empty() ? "" : "\n" + note);
}

std::string render_csv(const BenchReport& report) {
  const std::vector<std::string> cols = {
      "conversion", "status", "reason", "device", "precision", "batch", "latency_median_s",
      "latency_median_ci_low_s", "latency_median_ci_high_s", "latency_mean_s", "latency_min_s",
      "latency_p90_s", "latency_p95_s", "latency_p99_s", "latency_max_s", "latency_stddev_s",
      "latency_iqr_over_median", "samples", "throughput_samples_per_s", "load_s", "convert_s",
      "first_call_s", "cold_start_s", "peak_rss_bytes", "peak_gpu_memory_bytes", "threads",
      "output_check", "max_abs_error", "max_rel_error", "speedup_vs_eager", "energy_j_per_call",
      "generated_kernels"};
  std::string out;
  for (std::size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cols[i];
  out += "\n";
  const auto eager = eager_median(report);
  auto num = [](std::optional<double> v) { return v ? fmt::format("{:.9g}", *v) : std::string(); };
  auto integer = [](std::optional<int64_t> v) { return v ? std::to_string(*v) : std::string(); };
  for (const ConversionResult* r : ordered(report)) {
    const LatencyStats* l = r->latency ? &*r->latency : nullptr;
    auto lat = [&](double LatencyStats::*f) { return l ? num(l->*f) : std::string(); };
    std::vector<std::string> row = {
        r->conversion, std::string(to_string(r->status)), r->reason, r->device, r->precision,
        std::to_string(r->batch), lat(&LatencyStats::median_s),
        l ? num(l->median_ci_low_s) : "", l ? num(l->median_ci_high_s) : "",
        lat(&LatencyStats::mean_s), lat(&LatencyStats::min_s), lat(&LatencyStats::p90_s),
        lat(&LatencyStats::p95_s), lat(&LatencyStats::p99_s), lat(&LatencyStats::max_s),
        lat(&LatencyStats::stddev_s), lat(&LatencyStats::iqr_over_median),
        l ? std::to_string(l->count) : "",
        l && l->median_s > 0 ? num(static_cast<double>(r->batch) / l->median_s) : "",
        num(r->load_s), num(r->convert_s), num(r->first_call_s), num(r->cold_start_s()),
        integer(r->peak_rss_bytes ? r->peak_rss_bytes : r->peak_rss_wait4_bytes),
        integer(r->peak_gpu_memory_bytes), r->threads ? std::to_string(*r->threads) : "",
        r->output_check_status,
        r->output_check ? num(r->output_check->max_abs_error) : "",
        r->output_check ? num(r->output_check->max_rel_error) : "",
        l && eager ? num(*eager / l->median_s) : "", num(r->energy_j_per_call),
        r->generated_kernels ? std::to_string(*r->generated_kernels) : ""};
    for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + csv_cell(row[i]);
    out += "\n";
  }
  return out;
}

}  // namespace graphs::bench
