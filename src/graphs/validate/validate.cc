#include "graphs/validate/validate.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "graphs/pipeline/pipeline.h"
#include "graphs/backends/backend_family.h"
#include "graphs/bench/statistics.h"
#include "graphs/calibrate/profile.h"
#include "graphs/common/suggest.h"
#include "graphs/common/utc_time.h"
#include "graphs/estimate/cpu_mapper.h"
#include "graphs/estimate/kernel_work.h"
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

std::string fingerprint_of(const std::string& hardware_id) {
  if (hardware_id != "host") return hardware_id;
  auto facts = read_host_facts("");
  return facts.ok() ? hardware_fingerprint(*facts) : "host-unknown";
}

bool is_onnx_path(const std::string& model) {
  return model.size() > 5 && model.compare(model.size() - 5, 5, ".onnx") == 0;
}


struct Prediction {
  double latency_s = 0;
  double energy_j = 0;
  int kernels = 0;
  double bound_s = 0;
  std::map<std::string, double> class_latency_s;  // coarse classes (aten_op_class's)
};

// The estimator's calibration class folded to what the profiler can tell apart: depthwise and
// 1×1 convolutions run through the same aten convolution ops as dense ones.
std::string coarse_class(const std::string& calibration) {
  return calibration == "depthwise_conv" || calibration == "pointwise_conv" ? "conv" : calibration;
}

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
  const Estimate& e = a.estimates[0];
  p.latency_s = e.latency_s;
  p.energy_j = e.energy_j;
  p.kernels = static_cast<int>(a.partition.kernels.size());
  const std::vector<KernelWork> work = kernel_work(a.model.graph, a.characterization, a.partition);
  for (std::size_t i = 0; i < work.size() && i < e.kernels.size(); ++i) {
    p.class_latency_s[coarse_class(calibration_class(work[i]))] += e.kernels[i].latency_s;
  }
  const auto peak = hw.matrix_peak(precision);
  const double compute_s = peak && *peak > 0 ? a.characterization.flops / *peak : 0;
  const double memory_s = hw.memory_bandwidth_bytes_per_s > 0
                              ? a.characterization.active_weight_bytes / hw.memory_bandwidth_bytes_per_s
                              : 0;
  p.bound_s = std::max(compute_s, memory_s);
  return p;
}

}  // namespace

std::string aten_op_class(const std::string& name) {
  if (name.rfind("aten::", 0) != 0) return "";
  const std::string op = name.substr(6);
  auto has = [&](const char* s) { return op.find(s) != std::string::npos; };
  if (has("conv")) return "conv";
  static const std::set<std::string> matmul = {"addmm", "mm", "bmm", "matmul", "linear", "baddbmm",
                                               "addbmm", "einsum", "_addmm_activation", "dot"};
  if (matmul.count(op) || has("scaled_dot_product") || has("flash_attention")) return "matmul";
  if (has("softmax") || has("norm") || op == "mean" || op == "sum" || op == "amax" ||
      op == "var_mean" || op == "var" || op == "std") {
    return "reduction";
  }
  return "elementwise";
}

std::string backend_for_family(const std::string& family) {
  const BackendFamily* f = BackendFamilyRegistry::global().find(family);
  return f != nullptr ? f->estimator_backend : "";
}

json ValidationRow::to_json() const {
  json classes = json::array();
  for (const auto& c : op_classes) {
    classes.push_back({{"op_class", c.op_class}, {"predicted_s", c.predicted_s}, {"measured_s", c.measured_s}});
  }
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
          {"measured_energy_j_per_call", opt(energy_j_per_call)},
          {"predicted_energy_j", opt(predicted_energy_j)},
          {"energy_unavailable", energy_unavailable.empty() ? json(nullptr) : json(energy_unavailable)},
          {"op_classes", classes},
          {"notes", notes}};
}

json error_summary(const std::vector<double>& abs_errors) {
  double sum = 0;
  int within = 0;
  for (double x : abs_errors) {
    sum += x;
    within += x <= kWithinBand ? 1 : 0;
  }
  const double n = static_cast<double>(abs_errors.size());
  return {{"cases", abs_errors.size()},
          {"mape", n > 0 ? sum / n : 0.0},
          {"median_abs_error_rel", abs_errors.empty() ? 0.0 : bench::median_of(abs_errors)},
          {"share_within_15_percent", n > 0 ? within / n : 0.0}};
}

json summarize_errors(const std::vector<ValidationRow>& rows) {
  std::vector<std::string> order;
  std::map<std::string, std::vector<double>> errors;
  std::map<std::pair<std::string, int64_t>, std::vector<double>> by_batch;
  std::set<int64_t> batches;
  for (const auto& r : rows) {
    if (!r.error_rel) continue;
    if (!errors.count(r.conversion)) order.push_back(r.conversion);
    errors[r.conversion].push_back(std::abs(*r.error_rel));
    by_batch[{r.conversion, r.batch}].push_back(std::abs(*r.error_rel));
    batches.insert(r.batch);
  }
  json out = json::array();
  std::vector<double> all;
  auto entry = [](const std::string& name, const std::vector<double>& e, json batch) {
    json j = error_summary(e);
    j["conversion"] = name;
    j["batch"] = batch;
    return j;
  };
  for (const auto& c : order) {
    out.push_back(entry(c, errors[c], nullptr));
    all.insert(all.end(), errors[c].begin(), errors[c].end());
  }
  if (!all.empty()) out.push_back(entry("all", all, nullptr));
  if (batches.size() > 1) {  // the same per batch size
    for (const auto& c : order) {
      for (int64_t b : batches) {
        if (auto it = by_batch.find({c, b}); it != by_batch.end()) out.push_back(entry(c, it->second, b));
      }
    }
  }
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

namespace {

// A model to score: what was measured (display name, dims) and the graph to predict from.
struct ModelRun {
  std::string display;  // the row's model name
  std::string graph;    // zoo name or .onnx path
  int64_t batch = 1;
  int64_t seq_len = 128;
  std::optional<bench::ResolvedBench> bench;  // live measurement
  std::vector<bench::ConversionResult> measured;  // from a results file, or the live run
};

// The prediction graph for a bench source `source` (rules in validate.h).
Result<std::string> graph_for(const std::string& source,
                              const std::map<std::string, std::string>& graphs) {
  if (auto it = graphs.find(source); it != graphs.end()) return it->second;
  if (is_onnx_path(source)) return source;
  std::vector<std::string> zoo_names;
  for (const auto& [zoo, torch] : bench::zoo_torch_sources()) {
    if (zoo == source || torch == source) return zoo;
    zoo_names.push_back(zoo);
  }
  return make_error(ErrorCode::kNotFound,
                    unknown_name_message("model to validate (a built-in graph with a PyTorch twin, "
                                         "an .onnx file, or SOURCE=GRAPH)",
                                         source, zoo_names));
}

// An .onnx graph must exist before anything is measured (zoo names are checked by the analysis).
Status check_graph(const std::string& graph) {
  if (is_onnx_path(graph) && !std::filesystem::exists(graph)) {
    return make_error(ErrorCode::kNotFound, "no ONNX file '", graph, "'");
  }
  return ok_status();
}

// Every run in a bench JSONL: a header line starts one, result lines follow.
Result<std::vector<ModelRun>> read_results_file(const std::string& path,
                                                const std::map<std::string, std::string>& graphs) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec) && !std::filesystem::is_regular_file(path, ec)) {
    return make_error(ErrorCode::kInvalidArgument, "results '", path, "' is not a regular file");
  }
  std::ifstream in(path);
  if (!in) return make_error(ErrorCode::kNotFound, "no results file '", path, "'");
  std::vector<ModelRun> runs;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) {
      return make_error(ErrorCode::kParseError, path, ":", line_no, ": not a JSON object");
    }
    const std::string type = j.value("type", "");
    if (type == "header") {
      ModelRun run;
      run.display = j.value("model", "");
      const json settings = j.value("settings", json::object());
      run.batch = settings.value("batch", int64_t{1});
      run.seq_len = settings.value("seq_len", int64_t{128});
      GRAPHS_ASSIGN_OR_RETURN(run.graph, graph_for(run.display, graphs));
      GRAPHS_RETURN_IF_ERROR(check_graph(run.graph));
      runs.push_back(std::move(run));
    } else if (type == "result") {
      if (runs.empty()) {
        return make_error(ErrorCode::kParseError, path, ":", line_no, ": a result before any header");
      }
      auto r = bench::ConversionResult::from_json(j);
      if (!r.ok()) return make_error(ErrorCode::kParseError, path, ":", line_no, ": ", r.error().message());
      runs.back().measured.push_back(std::move(*r));
    }
  }
  if (runs.empty()) return make_error(ErrorCode::kParseError, path, ": no bench run (no header line)");
  return runs;
}

}  // namespace

Result<ValidationReport> run_validation(const ValidateSettings& s,
                                        const HardwareRegistry& registry,
                                        const ValidateProgress& progress) {
  // Everything that can be checked before a worker starts.
  GRAPHS_ASSIGN_OR_RETURN(HardwareModel hw, registry.get(s.hardware));
  std::vector<ModelRun> runs;
  if (!s.measured_files.empty()) {
    for (const auto& f : s.measured_files) {
      GRAPHS_ASSIGN_OR_RETURN(auto file_runs, read_results_file(f, s.graphs));
      for (auto& r : file_runs) runs.push_back(std::move(r));
    }
  } else {
    if (s.models.empty()) return make_error(ErrorCode::kInvalidArgument, "no model to validate");
    const std::vector<int64_t> batches =
        s.batches.empty() ? std::vector<int64_t>{s.bench.batch} : s.batches;
    for (const auto& token : s.models) {
     for (const int64_t batch : batches) {
      ModelRun run;
      const auto eq = token.find('=');
      const std::string source = eq == std::string::npos ? token : token.substr(0, eq);
      run.display = source;
      if (eq != std::string::npos) {
        run.graph = token.substr(eq + 1);
        if (source.empty() || run.graph.empty()) {
          return make_error(ErrorCode::kInvalidArgument, "'", token, "' is not SOURCE=GRAPH");
        }
      } else {
        GRAPHS_ASSIGN_OR_RETURN(run.graph, graph_for(source, s.graphs));
      }
      GRAPHS_RETURN_IF_ERROR(check_graph(run.graph));
      bench::BenchSettings b = s.bench;
      b.conversions = s.conversions;
      b.tier = 0;
      b.jsonl_path.clear();
      b.work_dir.clear();
      b.model = source;
      b.profile_ops = s.explain;
      b.batch = batch;
      GRAPHS_ASSIGN_OR_RETURN(auto r, bench::resolve(b));
      run.bench = std::move(r);
      run.batch = batch;
      run.seq_len = s.bench.seq_len;
      runs.push_back(std::move(run));
     }
    }
  }

  ValidationReport report;
  const std::string fingerprint = fingerprint_of(s.hardware);
  json models = json::array();
  for (const auto& r : runs) models.push_back(r.display);
  report.header = {{"time_utc", utc_now()},
                   {"graphs_version", GRAPHS_VERSION},
                   {"git_commit", std::string(build_git_commit())},
                   {"hardware_id", s.hardware},
                   {"hardware_name", hw.name},
                   {"hardware_fingerprint", fingerprint},
                   {"hardware_notes", hw.notes},
                   {"models", models},
                   {"conversions", s.conversions},
                   {"measured_files", s.measured_files},
                   {"batch", runs.empty() ? s.bench.batch : runs.front().batch},
                   {"seq_len", runs.empty() ? s.bench.seq_len : runs.front().seq_len}};

  // A calibration measured at another thread count predicts another machine.
  json warnings = json::array();
  if (hw.calibration_threads && s.measured_files.empty()) {
    const int threads = s.bench.threads > 0
                            ? s.bench.threads
                            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    if (*hw.calibration_threads != threads) {
      warnings.push_back(fmt::format(
          "the calibration profile was measured with {} thread(s), this run uses {}: run "
          "graphs calibrate --threads {} (or validate --threads {})",
          *hw.calibration_threads, threads, threads, *hw.calibration_threads));
    }
  }
  report.header["warnings"] = warnings;

  std::optional<HistoryStore> history;
  if (s.record_history) {
    auto store = HistoryStore::open(s.history_path.empty() ? HistoryStore::default_path()
                                                           : s.history_path);
    if (!store.ok()) return store.error();
    history.emplace(std::move(*store));
  }

  for (auto& run : runs) {
    int bench_exit = 0;
    if (run.bench) {
      bench::ProgressCallback cb;
      if (progress) cb = [&](const bench::ProgressEvent& e) { progress(run.display, e); };
      auto measured = bench::run_bench(*run.bench, cb);
      if (!measured.ok()) return measured.error();
      run.measured = std::move(measured->results);
      bench_exit = measured->exit_status;
    }
    ValidateSettings dims = s;
    dims.bench.batch = run.batch;
    dims.bench.seq_len = run.seq_len;

    std::vector<ValidationRow> rows;
    std::optional<double> eager_measured, eager_predicted;
    for (const auto& r : run.measured) {
      if (r.reference_only) continue;
      ValidationRow row;
      row.model = run.display;
      row.conversion = r.conversion;
      row.precision = r.precision.empty() ? "fp32" : r.precision;
      row.batch = run.batch;
      row.seq_len = run.seq_len;
      row.status = std::string(bench::to_string(r.status));
      row.reason = r.reason;
      std::string family = r.family;
      if (family.empty()) {
        if (const auto* info = bench::ConversionRegistry::global().find(r.conversion)) family = info->family;
      }
      row.backend = backend_for_family(family);
      if (r.latency) {
        row.measured_latency_s = r.latency->median_s;
        row.measured_ci_rel = r.latency->median_ci_rel;
      }
      row.measured_kernels = r.generated_kernels;
      row.energy_j_per_call = r.energy_j_per_call;
      row.energy_unavailable = r.energy_unavailable_reason;
      auto p = predict(run.graph, dims, row.backend, row.precision, registry);
      if (p.ok()) {
        row.predicted_latency_s = p->latency_s;
        row.predicted_energy_j = p->energy_j;
        if (!r.op_times.empty()) {
          std::map<std::string, double> measured_by_class;
          for (const auto& o : r.op_times) {
            if (const std::string c = aten_op_class(o.name); !c.empty()) measured_by_class[c] += o.self_s_per_call;
          }
          for (const char* c : {"conv", "matmul", "reduction", "elementwise"}) {
            const double pred = p->class_latency_s.count(c) ? p->class_latency_s.at(c) : 0;
            const double meas = measured_by_class.count(c) ? measured_by_class.at(c) : 0;
            if (pred > 0 || meas > 0) row.op_classes.push_back({c, pred, meas});
          }
        }
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
    if (bench_exit != 0) report.exit_status = std::max(report.exit_status, 1);
  }
  return report;
}

namespace {

// "1", or "1, 8" when the rows span several batch sizes.
std::string batches_of(const ValidationReport& report) {
  std::set<int64_t> batches;
  for (const auto& r : report.rows) batches.insert(r.batch);
  if (batches.empty()) return std::to_string(report.header.value("batch", int64_t{1}));
  std::string out;
  for (int64_t b : batches) out += (out.empty() ? "" : ", ") + std::to_string(b);
  return out;
}

}  // namespace

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
  std::string out;
  for (const auto& w : report.header.value("warnings", json::array())) {
    out += "warning: " + w.get<std::string>() + "\n";
  }
  out += fmt::format(
      "graphs validate on {} ({}), batch {}, commit {}\n",
      report.header.value("hardware_id", ""), report.header.value("hardware_name", ""),
      batches_of(report), report.header.value("git_commit", ""));
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
    report::Table s({"conversion", ">batch", ">cases", ">MAPE", ">median |error|", ">within ±15 %"});
    for (const auto& e : summary) {
      s.add_row({e["conversion"].get<std::string>(),
                 e["batch"].is_null() ? "all" : std::to_string(e["batch"].get<int64_t>()),
                 std::to_string(e["cases"].get<int>()),
                 fmt::format("{:.1f} %", 100 * e["mape"].get<double>()),
                 fmt::format("{:.1f} %", 100 * e["median_abs_error_rel"].get<double>()),
                 fmt::format("{:.0f} %", 100 * e["share_within_15_percent"].get<double>())});
    }
    out += s.to_text();
  }
  out += "headroom = measured / roofline lower bound (FLOPs at peak, weights read once).\n";
  // Energy: measured where the platform exposes counters, else say why not.
  bool any_energy = false;
  std::string no_energy;
  for (const auto& r : report.rows) {
    any_energy = any_energy || r.energy_j_per_call.has_value();
    if (no_energy.empty() && !r.energy_unavailable.empty()) no_energy = r.energy_unavailable;
  }
  if (any_energy) {
    out += "\nenergy per inference (measured against predicted dynamic + static energy)\n";
    report::Table e({"model", "conversion", ">measured", ">predicted"});
    for (const auto& r : report.rows) {
      if (!r.energy_j_per_call) continue;
      e.add_row({r.model, r.conversion, fmt::format("{:.3g} J", *r.energy_j_per_call),
                 r.predicted_energy_j ? fmt::format("{:.3g} J", *r.predicted_energy_j) : "-"});
    }
    out += e.to_text();
  } else if (!no_energy.empty()) {
    out += "energy: not measured — " + no_energy + "\n";
  }
  // Where the error comes from: per op class, for rows outside the ±15 % band.
  for (const auto& r : report.rows) {
    if (r.op_classes.empty() || !r.error_rel || std::abs(*r.error_rel) <= kWithinBand) continue;
    out += fmt::format("\n{} {} ({:+.1f} %): time per op class, predicted against the PyTorch "
                       "profiler's self time per call\n",
                       r.model, r.conversion, 100 * *r.error_rel);
    report::Table c({"op class", ">predicted", ">profiled", ">difference"});
    for (const auto& k : r.op_classes) {
      c.add_row({k.op_class, report::seconds(k.predicted_s), report::seconds(k.measured_s),
                 fmt::format("{:+.3g} ms", 1e3 * (k.predicted_s - k.measured_s))});
    }
    out += c.to_text();
  }
  return out;
}

}  // namespace graphs
