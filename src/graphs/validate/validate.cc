#include "graphs/validate/validate.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <set>
#include <string_view>

#include <fmt/format.h>

#include "graphs/analysis/pipeline.h"
#include "graphs/calibrate/profile.h"
#include "graphs/common/suggest.h"
#include "graphs/hardware/host.h"
#include "graphs/hardware/registry.h"
#include "graphs/history/history_store.h"
#include "graphs/report/table.h"
#include "graphs/zoo/zoo.h"

namespace graphs {

std::string_view build_git_commit();  // generated/git_commit.cc

namespace {

using nlohmann::json;

constexpr int kValidationSchemaVersion = 1;
constexpr double kWithinBand = 0.15;  // the issue's ±15 % band

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }
json opt(const std::optional<int>& v) { return v ? json(*v) : json(nullptr); }

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string fingerprint_of(const std::string& hardware_id) {
  if (hardware_id != "host") return hardware_id;
  auto facts = read_host_facts("");
  return facts.ok() ? hardware_fingerprint(*facts) : "host-unknown";
}

// The PyTorch twin of a zoo name, or "" when it has none.
std::string torch_twin(const std::string& model) {
  for (const auto& [zoo, torch] : bench::zoo_torch_sources()) {
    if (zoo == model) return torch;
  }
  return "";
}

bool is_onnx_path(const std::string& model) {
  return model.size() > 5 && model.compare(model.size() - 5, 5, ".onnx") == 0;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

struct Prediction {
  double latency_s = 0;
  int kernels = 0;
  double bound_s = 0;
};

Result<Prediction> predict(const std::string& model, const ValidateSettings& s,
                           const std::string& backend, const std::string& precision,
                           const HardwareRegistry& registry) {
  AnalyzeRequest req;
  req.model = model;
  req.dims.batch = s.bench.batch;
  req.dims.seq_len = s.bench.seq_len;
  req.precision = precision;
  req.hardware = {s.hardware};
  req.backend = backend;
  GRAPHS_ASSIGN_OR_RETURN(Analysis a, analyze(req, registry));
  if (a.estimates.empty()) return make_error(ErrorCode::kInternal, "no estimate for ", s.hardware);
  GRAPHS_ASSIGN_OR_RETURN(HardwareModel hw, registry.get(s.hardware));
  Prediction p;
  p.latency_s = a.estimates[0].latency_s;
  p.kernels = static_cast<int>(a.partition.kernels.size());
  const auto peak = hw.matrix_peak(precision);
  const double compute_s = peak && *peak > 0 ? a.characterization.flops / *peak : 0;
  const double memory_s = hw.memory_bandwidth_bytes_per_s > 0
                              ? a.characterization.active_weight_bytes / hw.memory_bandwidth_bytes_per_s
                              : 0;
  p.bound_s = std::max(compute_s, memory_s);
  return p;
}

}  // namespace

std::string backend_for_family(const std::string& family) {
  if (family == "eager" || family == "torchscript" || family == "export") return "eager";
  if (family == "inductor" || family == "aot_inductor" || family == "pt2e") return "inductor";
  if (family == "onnxruntime") return "onnxruntime";
  if (family == "openvino") return "openvino";
  return "";
}

json ValidationRow::to_json() const {
  return {{"model", model},
          {"conversion", conversion},
          {"backend", backend},
          {"precision", precision},
          {"batch", batch},
          {"seq_len", seq_len},
          {"status", status},
          {"reason", reason},
          {"predicted_latency_s", opt(predicted_latency_s)},
          {"measured_latency_s", opt(measured_latency_s)},
          {"measured_median_ci_rel", opt(measured_ci_rel)},
          {"error_rel", opt(error_rel)},
          {"predicted_speedup_vs_eager", opt(predicted_speedup_vs_eager)},
          {"measured_speedup_vs_eager", opt(measured_speedup_vs_eager)},
          {"roofline_bound_s", opt(roofline_bound_s)},
          {"headroom", opt(headroom)},
          {"predicted_kernels", opt(predicted_kernels)},
          {"measured_kernels", opt(measured_kernels)},
          {"notes", notes}};
}

json summarize_errors(const std::vector<ValidationRow>& rows) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> errors;
  for (const auto& r : rows) {
    if (!r.error_rel) continue;
    if (!errors.count(r.conversion)) order.push_back(r.conversion);
    errors[r.conversion].push_back(std::abs(*r.error_rel));
  }
  json out = json::array();
  std::vector<double> all;
  auto entry = [](const std::string& name, const std::vector<double>& e) {
    double sum = 0;
    int within = 0;
    for (double x : e) {
      sum += x;
      within += x <= kWithinBand ? 1 : 0;
    }
    return json{{"conversion", name},
                {"cases", e.size()},
                {"mape", sum / static_cast<double>(e.size())},
                {"median_abs_error_rel", median(e)},
                {"share_within_15_percent", within / static_cast<double>(e.size())}};
  };
  for (const auto& c : order) {
    out.push_back(entry(c, errors[c]));
    all.insert(all.end(), errors[c].begin(), errors[c].end());
  }
  if (!all.empty()) out.push_back(entry("all", all));
  return out;
}

json ValidationReport::to_json() const {
  json rs = json::array();
  for (const auto& r : rows) rs.push_back(r.to_json());
  return {{"schema_version", kValidationSchemaVersion},
          {"header", header},
          {"rows", rs},
          {"summary", summarize_errors(rows)}};
}

Result<ValidationReport> run_validation(const ValidateSettings& s,
                                        const HardwareRegistry& registry,
                                        const ValidateProgress& progress) {
  // Everything that can be checked before a worker starts.
  if (s.models.empty()) return make_error(ErrorCode::kInvalidArgument, "no model to validate");
  GRAPHS_ASSIGN_OR_RETURN(HardwareModel hw, registry.get(s.hardware));
  std::vector<std::string> zoo_names;
  for (const auto& [zoo, torch] : bench::zoo_torch_sources()) zoo_names.push_back(zoo);
  std::vector<bench::ResolvedBench> resolved;
  for (const auto& model : s.models) {
    bench::BenchSettings b = s.bench;
    b.conversions = s.conversions;
    b.tier = 0;
    b.jsonl_path.clear();
    b.work_dir.clear();
    if (is_onnx_path(model)) {
      if (!std::filesystem::exists(model)) {
        return make_error(ErrorCode::kNotFound, "no ONNX file '", model, "'");
      }
      b.model = model;
    } else {
      const std::string twin = torch_twin(model);
      if (twin.empty()) {
        return make_error(ErrorCode::kNotFound,
                          unknown_name_message("model to validate (a built-in graph with a "
                                               "PyTorch twin, or an .onnx file)",
                                               model, zoo_names));
      }
      b.model = twin;
    }
    GRAPHS_ASSIGN_OR_RETURN(auto r, bench::resolve(b));
    resolved.push_back(std::move(r));
  }

  ValidationReport report;
  const std::string fingerprint = fingerprint_of(s.hardware);
  report.header = {{"time_utc", utc_now()},
                   {"graphs_version", GRAPHS_VERSION},
                   {"git_commit", std::string(build_git_commit())},
                   {"hardware_id", s.hardware},
                   {"hardware_name", hw.name},
                   {"hardware_fingerprint", fingerprint},
                   {"hardware_notes", hw.notes},
                   {"models", s.models},
                   {"conversions", s.conversions},
                   {"batch", s.bench.batch},
                   {"seq_len", s.bench.seq_len}};

  std::optional<HistoryStore> history;
  if (s.record_history) {
    auto store = HistoryStore::open(s.history_path.empty() ? HistoryStore::default_path()
                                                           : s.history_path);
    if (!store.ok()) return store.error();
    history.emplace(std::move(*store));
  }

  for (std::size_t m = 0; m < s.models.size(); ++m) {
    const std::string& model = s.models[m];
    bench::ProgressCallback cb;
    if (progress) cb = [&](const bench::ProgressEvent& e) { progress(model, e); };
    auto measured = bench::run_bench(resolved[m], cb);
    if (!measured.ok()) return measured.error();

    std::vector<ValidationRow> rows;
    std::optional<double> eager_measured, eager_predicted;
    for (const auto& r : measured->results) {
      if (r.reference_only) continue;
      ValidationRow row;
      row.model = model;
      row.conversion = r.conversion;
      row.precision = r.precision.empty() ? "fp32" : r.precision;
      row.batch = s.bench.batch;
      row.seq_len = s.bench.seq_len;
      row.status = std::string(bench::to_string(r.status));
      row.reason = r.reason;
      const bench::ConversionInfo* info = bench::ConversionRegistry::global().find(r.conversion);
      row.backend = info ? backend_for_family(info->family) : "";
      if (r.latency) {
        row.measured_latency_s = r.latency->median_s;
        row.measured_ci_rel = r.latency->median_ci_rel;
      }
      if (r.versions.contains("inductor_generated_kernels") &&
          r.versions["inductor_generated_kernels"].is_number_integer()) {
        row.measured_kernels = r.versions["inductor_generated_kernels"].get<int>();
      }
      auto p = predict(model, s, row.backend, row.precision, registry);
      if (p.ok()) {
        row.predicted_latency_s = p->latency_s;
        row.predicted_kernels = p->kernels;
        row.roofline_bound_s = p->bound_s;
        if (row.measured_latency_s && p->bound_s > 0) row.headroom = *row.measured_latency_s / p->bound_s;
      } else {
        row.notes.push_back("prediction failed: " + p.error().message());
        if (row.status == "ok") {
          row.status = "prediction_failed";
          row.reason = p.error().message();
        }
      }
      if (row.predicted_latency_s && row.measured_latency_s && *row.measured_latency_s > 0) {
        row.error_rel = (*row.predicted_latency_s - *row.measured_latency_s) / *row.measured_latency_s;
      }
      if (r.conversion == "EAGER") {
        eager_measured = row.measured_latency_s;
        eager_predicted = row.predicted_latency_s;
      }
      rows.push_back(std::move(row));
    }
    for (auto& row : rows) {
      if (eager_measured && row.measured_latency_s && *row.measured_latency_s > 0) {
        row.measured_speedup_vs_eager = *eager_measured / *row.measured_latency_s;
      }
      if (eager_predicted && row.predicted_latency_s && *row.predicted_latency_s > 0) {
        row.predicted_speedup_vs_eager = *eager_predicted / *row.predicted_latency_s;
      }
      if (history) {
        HistoryRecord h;
        h.time_utc = report.header["time_utc"];
        h.git_commit = std::string(build_git_commit());
        h.graphs_version = GRAPHS_VERSION;
        h.hardware_fingerprint = fingerprint;
        h.hardware_id = s.hardware;
        h.model = row.model;
        h.batch = row.batch;
        h.seq_len = row.seq_len;
        h.conversion = row.conversion;
        h.precision = row.precision;
        h.predicted_latency_s = row.predicted_latency_s;
        h.measured_latency_s = row.measured_latency_s;
        h.status = row.status;
        h.detail = row.reason;
        if (auto id = history->append(h); !id.ok()) return id.error();
      }
      if (row.status != "ok") report.exit_status = 1;
      report.rows.push_back(std::move(row));
    }
    if (measured->exit_status != 0) report.exit_status = std::max(report.exit_status, 1);
  }
  return report;
}

std::string render_validation_text(const ValidationReport& report) {
  auto pct = [](const std::optional<double>& v) {
    return v ? fmt::format("{:+.1f} %", 100 * *v) : std::string("-");
  };
  auto times = [](const std::optional<double>& v) {
    return v ? fmt::format("{:.2f}x", *v) : std::string("-");
  };
  auto secs = [](const std::optional<double>& v) {
    return v ? report::seconds(*v) : std::string("-");
  };
  std::string out = fmt::format(
      "graphs validate on {} ({}), batch {}, commit {}\n",
      report.header.value("hardware_id", ""), report.header.value("hardware_name", ""),
      report.header.value("batch", 1), report.header.value("git_commit", ""));
  report::Table t({"model", "conversion", ">predicted", ">measured", ">error", ">pred. speedup",
                   ">meas. speedup", ">kernels ours/meas.", ">headroom", "status"});
  for (const auto& r : report.rows) {
    std::string kernels = r.predicted_kernels ? std::to_string(*r.predicted_kernels) : "-";
    kernels += "/" + (r.measured_kernels ? std::to_string(*r.measured_kernels) : std::string("-"));
    t.add_row({r.model, r.conversion, secs(r.predicted_latency_s), secs(r.measured_latency_s),
               pct(r.error_rel), times(r.predicted_speedup_vs_eager),
               times(r.measured_speedup_vs_eager), kernels,
               r.headroom ? fmt::format("{:.1f}x", *r.headroom) : "-",
               r.status == "ok" ? "ok" : r.status + ": " + r.reason});
  }
  out += t.to_text();
  const json summary = summarize_errors(report.rows);
  if (!summary.empty()) {
    out += "\nerror by conversion (|predicted − measured| / measured)\n";
    report::Table s({"conversion", ">cases", ">MAPE", ">median |error|", ">within ±15 %"});
    for (const auto& e : summary) {
      s.add_row({e["conversion"].get<std::string>(), std::to_string(e["cases"].get<int>()),
                 fmt::format("{:.1f} %", 100 * e["mape"].get<double>()),
                 fmt::format("{:.1f} %", 100 * e["median_abs_error_rel"].get<double>()),
                 fmt::format("{:.0f} %", 100 * e["share_within_15_percent"].get<double>())});
    }
    out += s.to_text();
  }
  out += "headroom = measured / roofline lower bound (FLOPs at peak, weights read once).\n";
  return out;
}

}  // namespace graphs
