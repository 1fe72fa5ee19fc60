// Python extension `graphs._graphs`: a thin layer over the public C++ API. Errors become Python
// exceptions here and nowhere else; the GIL is released around the analysis.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <optional>

#include "graphs/backends/backend_family.h"
#include "graphs/bench/conversion_registry.h"
#include "graphs/pipeline/pipeline.h"
#include "graphs/bench/orchestrator.h"
#include "graphs/hardware/registry.h"
#include "graphs/report/analysis_report.h"
#include "graphs/validate/validate.h"
#include "graphs/zoo/zoo.h"

namespace py = pybind11;

namespace {

// kIoError → OSError; kRuntimeError and kInternal → RuntimeError; every other category (bad
// input: unknown names, missing files, unsupported ops, bad sizes) → ValueError.
[[noreturn]] void raise(const graphs::Error& e) {
  switch (e.code()) {
    case graphs::ErrorCode::kIoError:
      PyErr_SetString(PyExc_OSError, e.message().c_str());
      throw py::error_already_set();
    case graphs::ErrorCode::kRuntimeError:
    case graphs::ErrorCode::kInternal:
      throw std::runtime_error(e.message());
    default:
      throw py::value_error(e.message());
  }
}

// The library's warning lines as Python RuntimeWarnings (GIL held).
void warn(const std::vector<std::string>& warnings) {
  for (const auto& w : warnings) {
    if (PyErr_WarnEx(PyExc_RuntimeWarning, w.c_str(), 1) != 0) throw py::error_already_set();
  }
}

py::object analyze(const std::string& model, const std::vector<std::string>& hardware,
                   int64_t batch, int64_t seq_len, const std::string& precision,
                   const std::map<std::string, int64_t>& dims, bool per_kernel, bool per_node,
                   const std::string& weight_precision, const std::string& kv_precision,
                   const std::string& phase, int64_t output_tokens, double request_rate_per_s,
                   int64_t max_concurrency, const std::string& backend, const std::string& mapper,
                   bool cuda_graphs,
                   const std::map<std::string, std::vector<int64_t>>& input_shapes) {
  std::string json_text;
  {
    py::gil_scoped_release release;
    auto registry = graphs::HardwareRegistry::load_default();
    {
      py::gil_scoped_acquire acquire;
      if (!registry.ok()) raise(registry.error());
      warn(registry->warnings());
    }
    graphs::AnalyzeRequest request;
    request.model = model;
    request.dims.batch = batch;
    request.dims.seq_len = seq_len;
    request.dims.named = dims;
    request.dims.input_shapes = input_shapes;
    request.precision = precision;
    request.weight_precision = weight_precision;
    request.kv_precision = kv_precision;
    request.hardware = hardware;
    request.phase = phase;
    request.output_tokens = output_tokens;
    request.request_rate_per_s = request_rate_per_s;
    request.max_concurrency = max_concurrency;
    request.backend = backend;
    request.mapper = mapper;
    request.cuda_graphs = cuda_graphs;
    auto analysis = graphs::analyze(request, *registry);
    if (!analysis.ok()) {
      py::gil_scoped_acquire acquire;
      raise(analysis.error());
    }
    graphs::ReportOptions options;
    options.per_kernel = per_kernel;
    options.per_node = per_node;
    json_text = graphs::analysis_to_json(*analysis, options).dump();
  }
  return py::module_::import("json").attr("loads")(json_text);
}

// Progress of a bench or validate run, for Python: None/False (nothing), True (one line per
// phase change on sys.stderr), or a callable taking one dict per event (every measured chunk is
// an event) ({"model", "conversion",
// "index", "total", "phase", "elapsed_s", "samples", "median_ci_rel", "status", "reason"}).
// Events arrive on the orchestrator's thread with the GIL released; each call takes the GIL.
// The first exception the callable raises stops further calls and is raised when the run ends.
class Progress {
 public:
  explicit Progress(py::object target) {
    if (target.is_none() || (py::isinstance<py::bool_>(target) && !target.cast<bool>())) return;
    if (py::isinstance<py::bool_>(target)) {
      target_ = py::module_::import("sys").attr("stderr");
      lines_ = true;
    } else if (PyCallable_Check(target.ptr())) {
      target_ = std::move(target);
    } else {
      throw py::type_error("progress must be True, False, None or a callable taking a dict");
    }
  }
  bool enabled() const { return target_.has_value() && !target_->is_none(); }

  void on_event(const std::string& model, const graphs::bench::ProgressEvent& e) {
    if (!enabled()) return;
    py::gil_scoped_acquire acquire;
    if (error_) return;
    try {
      if (lines_) {
        const std::string key = model + "\n" + std::to_string(e.index) + "\n" + e.phase;
        if (key == last_line_key_) return;  // the same phase, one more chunk
        last_line_key_ = key;
        std::string line = "graphs: ";
        if (!model.empty()) line += model + " ";
        line += "[" + std::to_string(e.index) + "/" + std::to_string(e.total) + "] " +
                e.conversion + " " + e.phase;
        if (e.result != nullptr) line += ": " + std::string(graphs::bench::to_string(e.result->status));
        target_->attr("write")(line + "\n");
        target_->attr("flush")();
        return;
      }
      py::dict d;
      d["model"] = model.empty() ? py::object(py::none()) : py::object(py::str(model));
      d["conversion"] = e.conversion;
      d["index"] = e.index;
      d["total"] = e.total;
      d["phase"] = e.phase;
      d["elapsed_s"] = e.elapsed_s;
      d["samples"] = e.samples;
      d["median_ci_rel"] = e.median_ci_rel ? py::object(py::float_(*e.median_ci_rel)) : py::none();
      d["status"] = e.result ? py::object(py::str(std::string(graphs::bench::to_string(e.result->status))))
                             : py::object(py::none());
      d["reason"] = (e.result && !e.result->reason.empty()) ? py::object(py::str(e.result->reason))
                                                             : py::object(py::none());
      (*target_)(d);
    } catch (py::error_already_set& err) {
      error_.emplace(std::move(err));
    }
  }
  // Re-raises what the callable raised (GIL held).
  void rethrow() {
    if (error_) {
      py::error_already_set err = std::move(*error_);
      error_.reset();
      throw err;
    }
  }

 private:
  std::optional<py::object> target_;
  bool lines_ = false;
  std::string last_line_key_;
  std::optional<py::error_already_set> error_;
};

// The workers' interpreter defaults to this one when nothing else names one.
void default_python(graphs::bench::BenchSettings& s) {
  if (s.python.empty() && s.worker_command.empty() && s.remote.empty() &&
      std::getenv("GRAPHS_PYTHON") == nullptr && std::getenv("GRAPHS_WORKER_COMMAND") == nullptr) {
    s.python = py::module_::import("sys").attr("executable").cast<std::string>();
  }
}

nlohmann::json parse_config(const std::string& config_json, const char* what) {
  auto parsed = nlohmann::json::parse(config_json, nullptr, false);
  if (parsed.is_discarded()) throw py::value_error(std::string(what) + " config is not valid JSON");
  if (!parsed.is_object()) throw py::value_error(std::string(what) + " config must be a JSON object");
  return parsed;
}

// `graphs bench` from Python: `config_json` is the settings object of bench/settings.h; the report
// (the `-o x.json` document) comes back as a JSON string. Bad settings → ValueError; a JSONL file
// or work directory that cannot be written → OSError. Conversion failures are in the report, not
// exceptions. The workers' interpreter defaults to this one (sys.executable).
std::string bench(const std::string& config_json, py::object progress_target) {
  auto settings = graphs::bench::settings_from_json(parse_config(config_json, "bench"));
  if (!settings.ok()) raise(settings.error());
  default_python(*settings);
  auto resolved = graphs::bench::resolve(*settings);
  if (!resolved.ok()) raise(resolved.error());
  std::vector<std::string> notes = resolved->notes;
  if (auto remote = graphs::bench::remote_note(*settings); !remote.empty()) notes.push_back(remote);
  warn(notes);
  Progress progress(std::move(progress_target));
  std::string out;
  {
    py::gil_scoped_release release;
    graphs::bench::ProgressCallback callback;
    if (progress.enabled()) {
      callback = [&](const graphs::bench::ProgressEvent& e) { progress.on_event("", e); };
    }
    auto report = graphs::bench::run_bench(*resolved, callback);
    py::gil_scoped_acquire acquire;
    progress.rethrow();
    if (!report.ok()) raise(report.error());
    out = report->to_json().dump();
  }
  return out;
}

// `graphs validate` from Python. `config_json` holds ValidateSettings' fields (models,
// conversions, hardware, batches, measured_files, graphs, explain, record_history, history_path)
// and, beside them, any bench setting (settings_from_json: seq_len, min_time_s, max_time_s,
// n_samples, timeout_s, threads, python, ...; `batch` when `batches` is not given). Returns the
// ValidationReport as a JSON string ({"schema_version", "header", "rows", "summary",
// "exit_status"}).
std::string validate(const std::string& config_json, py::object progress_target) {
  nlohmann::json config = parse_config(config_json, "validate");
  graphs::ValidateSettings s;
  nlohmann::json bench_config = nlohmann::json::object();
  try {
    for (const auto& [key, value] : config.items()) {
      if (value.is_null()) continue;
      if (key == "models") s.models = value.get<std::vector<std::string>>();
      else if (key == "conversions") s.conversions = value.get<std::vector<std::string>>();
      else if (key == "hardware") s.hardware = value.get<std::string>();
      else if (key == "batches") s.batches = value.get<std::vector<int64_t>>();
      else if (key == "measured_files") s.measured_files = value.get<std::vector<std::string>>();
      else if (key == "graphs") s.graphs = value.get<std::map<std::string, std::string>>();
      else if (key == "explain") s.explain = value.get<bool>();
      else if (key == "record_history") s.record_history = value.get<bool>();
      else if (key == "history_path") s.history_path = value.get<std::string>();
      else if (key == "model" || key == "tier") {
        throw py::value_error("validate setting '" + key + "' does not exist; give 'models' "
                              "(a list) and 'conversions'");
      } else bench_config[key] = value;
    }
  } catch (const nlohmann::json::exception& e) {
    throw py::value_error(std::string("validate config has a value of the wrong type: ") + e.what());
  }
  auto bench_settings = graphs::bench::settings_from_json(bench_config);
  if (!bench_settings.ok()) raise(bench_settings.error());
  s.bench = std::move(*bench_settings);
  default_python(s.bench);
  if (s.conversions.empty()) s.conversions = {"EAGER", "COMPILE_INDUCTOR_DEFAULT", "ONNX_CPU"};
  for (int64_t b : s.batches) {
    if (b < 1) throw py::value_error("batch sizes must be >= 1, got " + std::to_string(b));
  }
  Progress progress(std::move(progress_target));
  std::string out;
  {
    py::gil_scoped_release release;
    auto registry = graphs::HardwareRegistry::load_default();
    {
      py::gil_scoped_acquire acquire;
      if (!registry.ok()) raise(registry.error());
      warn(registry->warnings());
    }
    graphs::ValidateProgress callback;
    if (progress.enabled()) {
      callback = [&](const std::string& model, const graphs::bench::ProgressEvent& e) {
        progress.on_event(model, e);
      };
    }
    auto report = graphs::run_validation(s, *registry, callback);
    py::gil_scoped_acquire acquire;
    progress.rethrow();
    if (!report.ok()) raise(report.error());
    nlohmann::json doc = report->to_json();
    doc["exit_status"] = report->exit_status;
    out = doc.dump();
  }
  return out;
}

}  // namespace

PYBIND11_MODULE(_graphs, m) {
  m.doc() = "graphs core: characterization and hardware estimates of neural-network graphs";
  m.attr("__version__") = GRAPHS_VERSION;
  m.def("analyze", &analyze, py::arg("model"), py::arg("hardware") = std::vector<std::string>{"host"},
        py::arg("batch") = 1, py::arg("seq_len") = 128, py::arg("precision") = "fp32",
        py::arg("dims") = std::map<std::string, int64_t>{}, py::arg("per_kernel") = false,
        py::arg("per_node") = false, py::arg("weight_precision") = "",
        py::arg("kv_precision") = "", py::arg("phase") = "", py::arg("output_tokens") = 0,
        py::arg("request_rate_per_s") = 0.0, py::arg("max_concurrency") = 0,
        py::arg("backend") = "", py::arg("mapper") = "auto", py::arg("cuda_graphs") = false,
        py::arg("input_shapes") = std::map<std::string, std::vector<int64_t>>{},
        "Characterize MODEL and estimate it on each hardware target; returns the JSON report "
        "as a dict.");
  m.def("hardware_ids", [] {
    auto registry = graphs::HardwareRegistry::load_default();
    if (!registry.ok()) raise(registry.error());
    return registry->ids();
  });
  m.def("zoo_names", [] { return graphs::zoo_names(); });
  m.def("conversion_table", [] {
    // The C++ conversion registry (bench/conversion_registry.h conversion_table_json), for the
    // worker's table to be checked against (tests/python/test_bindings.py).
    return py::module_::import("json").attr("loads")(graphs::bench::conversion_table_json().dump());
  }, "The C++ conversion registry as a list of dicts (name, family, module, function, options, "
     "devices, sources, requires_modules, test_only).");
  m.def("backend_families", [] {
    std::vector<std::map<std::string, py::object>> out;
    for (const auto* f : graphs::BackendFamilyRegistry::global().all()) {
      out.push_back({{"name", py::str(f->name)},
                     {"worker_module", py::str(f->worker_module)},
                     {"probe_modules", py::cast(f->probe_modules)},
                     {"estimator_backend", py::str(f->estimator_backend)},
                     {"calibration_backend", py::str(f->calibration_backend)},
                     {"dispatch_overhead_key", py::str(f->dispatch_overhead_key)},
                     {"test_only", py::bool_(f->test_only)}});
    }
    return out;
  }, "The registered backend families (backends/backend_family.h) as a list of dicts.");
  m.def("bench", &bench, py::arg("config_json"), py::arg("progress") = py::none(),
        "Run `graphs bench` with the settings in CONFIG_JSON (docs/bench.md); returns the report "
        "as a JSON string. The GIL is released while the workers run.");
  m.def("validate", &validate, py::arg("config_json"), py::arg("progress") = py::none(),
        "Run `graphs validate` with the settings in CONFIG_JSON; returns the validation report "
        "as a JSON string. The GIL is released while the workers run.");
}
