// Python extension `graphs._graphs`: a thin layer over the public C++ API. Errors become Python
// exceptions here and nowhere else; the GIL is released around the analysis.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdlib>

#include "graphs/bench/conversion_registry.h"
#include "graphs/pipeline/pipeline.h"
#include "graphs/bench/orchestrator.h"
#include "graphs/hardware/registry.h"
#include "graphs/report/analysis_report.h"
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
                   const std::map<std::string, int64_t>& dims, bool per_kernel, bool per_node) {
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
    request.precision = precision;
    request.hardware = hardware;
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

// `graphs bench` from Python: `config_json` is the settings object of bench/settings.h; the report
// (the `-o x.json` document) comes back as a JSON string. Bad settings → ValueError; a JSONL file
// or work directory that cannot be written → OSError. Conversion failures are in the report, not
// exceptions. The workers' interpreter defaults to this one (sys.executable).
std::string bench(const std::string& config_json) {
  auto parsed = nlohmann::json::parse(config_json, nullptr, false);
  if (parsed.is_discarded()) throw py::value_error("bench config is not valid JSON");
  auto settings = graphs::bench::settings_from_json(parsed);
  if (!settings.ok()) raise(settings.error());
  if (settings->python.empty() && settings->worker_command.empty() &&
      std::getenv("GRAPHS_PYTHON") == nullptr && std::getenv("GRAPHS_WORKER_COMMAND") == nullptr) {
    settings->python = py::module_::import("sys").attr("executable").cast<std::string>();
  }
  auto resolved = graphs::bench::resolve(*settings);
  if (!resolved.ok()) raise(resolved.error());
  std::string out;
  {
    py::gil_scoped_release release;
    auto report = graphs::bench::run_bench(*resolved);
    if (!report.ok()) {
      py::gil_scoped_acquire acquire;
      raise(report.error());
    }
    out = report->to_json().dump();
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
        py::arg("per_node") = false,
        "Characterize MODEL and estimate it on each hardware target; returns the JSON report "
        "as a dict.");
  m.def("hardware_ids", [] {
    auto registry = graphs::HardwareRegistry::load_default();
    if (!registry.ok()) raise(registry.error());
    return registry->ids();
  });
  m.def("zoo_names", [] { return graphs::zoo_names(); });
  m.def("conversion_table", [] {
    // The C++ conversion registry (bench/conversion_registry.h), for the worker's table to be
    // checked against (tests/python/test_conversion_tables.py).
    std::vector<std::map<std::string, py::object>> out;
    for (const auto* c : graphs::bench::ConversionRegistry::global().all()) {
      std::vector<std::string> devices;
      for (auto d : c->devices) devices.emplace_back(graphs::bench::to_string(d));
      out.push_back({{"name", py::str(c->name)},
                     {"family", py::str(c->family)},
                     {"devices", py::cast(devices)},
                     {"torch_source", py::bool_(c->torch_source)},
                     {"onnx_source", py::bool_(c->onnx_source)},
                     {"test_only", py::bool_(c->test_only)}});
    }
    return out;
  }, "The C++ conversion registry as a list of dicts (name, family, devices, sources).");
  m.def("bench", &bench, py::arg("config_json"),
        "Run `graphs bench` with the settings in CONFIG_JSON (docs/bench.md); returns the report "
        "as a JSON string. The GIL is released while the workers run.");
}
