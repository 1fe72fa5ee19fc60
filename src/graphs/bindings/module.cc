// Python extension `graphs._graphs`: a thin layer over the public C++ API. Errors become Python
// exceptions here and nowhere else; the GIL is released around the analysis.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "graphs/analysis/pipeline.h"
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

py::object analyze(const std::string& model, const std::vector<std::string>& hardware,
                   int64_t batch, int64_t seq_len, const std::string& precision,
                   const std::map<std::string, int64_t>& dims, bool per_kernel, bool per_node) {
  std::string json_text;
  {
    py::gil_scoped_release release;
    auto registry = graphs::HardwareRegistry::load_default();
    if (!registry.ok()) {
      py::gil_scoped_acquire acquire;
      raise(registry.error());
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
}
