// `graphs validate`: predicted against measured latency, per model × conversion, on this machine.
//
// For each model the bench orchestrator (bench/orchestrator.h) measures every conversion, and the
// analysis pipeline predicts the same model for the conversion's backend family on the target
// (`host` by default, with the calibration profile when one exists): EAGER-like families run the
// unfused partition, compilers the fused one (estimate/backend.h). Per row:
//   error_rel = (predicted − measured median) / measured median
//   speedup over EAGER, predicted and measured (when EAGER is in the run)
//   roofline_bound_s = max(FLOPs / matrix peak, weight bytes / DRAM bandwidth) at the conversion's
//     precision — no efficiencies, no activations: a lower bound no backend can beat;
//     headroom = measured / bound (how far the backend sits above the hardware limit)
//   fused kernels we predict, and the kernels Inductor generated when the worker reports them.
// Every row is appended to the history store (history/history_store.h) unless disabled.
//
// The prediction side needs a graph. A model is named as
//   a zoo name (resnet18, mobilenet_v2, bert-base, gpt2, ...): a built-in graph and its PyTorch
//     twin (bench/settings.h zoo_torch_sources);
//   an .onnx file: predicted from the file, measured by the ONNX conversions;
//   SOURCE=GRAPH: measured from the bench source SOURCE (torchvision:NAME, hf:NAME, a zoo name,
//     an .onnx file), predicted from GRAPH (an .onnx file or a zoo name) — e.g.
//     torchvision:densenet121=~/.cache/graphs/models/<key>/densenet121.dynamo.onnx.
// Measurements can also come from earlier `graphs bench` runs (their JSONL, `measured_files`):
// the run is re-scored against today's estimator and calibration without measuring again; the
// graph of each file's model follows the rules above with `graphs` (SOURCE → GRAPH) mapping
// sources that are not zoo names.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/bench/orchestrator.h"
#include "graphs/bench/settings.h"
#include "graphs/common/status.h"

namespace graphs {

class HardwareRegistry;

struct ValidateSettings {
  std::vector<std::string> models;       // zoo names or .onnx paths
  std::vector<std::string> conversions;  // bench conversion names
  std::string hardware = "host";         // prediction target
  bench::BenchSettings bench;            // timing settings; model/conversions are set per model
  /// Batch sizes to validate each model at (a sweep); empty: bench.batch alone.
  std::vector<int64_t> batches;
  /// Earlier `graphs bench` results (JSONL) to score instead of measuring; `models` is then
  /// unused.
  std::vector<std::string> measured_files;
  /// SOURCE → prediction graph (.onnx or zoo name), for measured files whose model is no zoo name.
  std::map<std::string, std::string> graphs;
  /// Profile EAGER with the PyTorch profiler (bench `profile_ops`) and break its error down by
  /// op class (ValidationRow::op_classes).
  bool explain = false;
  bool record_history = true;
  std::string history_path;              // "" = HistoryStore::default_path()
};

/// The conversion family's estimator backend (BackendFamily::estimator_backend: "eager",
/// "inductor", "onnxruntime", "openvino"; "" for families the estimator has no specific model
/// of and for unknown families).
std::string backend_for_family(const std::string& family);

/// Time per op class, predicted (sum of the class's kernel latencies) and measured (sum of the
/// PyTorch profiler's self CPU time of the aten ops of that class, per call).
struct OpClassTime {
  std::string op_class;  // "conv" (depthwise included), "matmul", "reduction", "elementwise"
  double predicted_s = 0;
  double measured_s = 0;
};

/// The op class of an aten operator as the profiler names it ("aten::mkldnn_convolution" →
/// "conv"); "" for names that are no aten op (profiler ranges, Python frames).
std::string aten_op_class(const std::string& name);

struct ValidationRow {
  std::string model;
  std::string conversion;
  std::string backend;
  std::string precision;
  int64_t batch = 1;
  int64_t seq_len = 0;
  std::string status = "ok";  // bench RunStatus, or "prediction_failed"
  std::string reason;
  std::optional<double> predicted_latency_s;
  std::optional<double> measured_latency_s;      // median
  std::optional<double> measured_ci_rel;         // CI half-width of the median / median
  std::optional<double> error_rel;
  std::optional<double> predicted_speedup_vs_eager;
  std::optional<double> measured_speedup_vs_eager;
  std::optional<double> roofline_bound_s;
  std::optional<double> headroom;                // measured / roofline bound
  std::optional<int> predicted_kernels;
  std::optional<int> measured_kernels;           // Inductor's generated kernels, when reported
  std::optional<double> energy_j_per_call;      // measured, where counters are exposed
  std::optional<double> predicted_energy_j;
  std::string energy_unavailable;                // why no energy was measured
  std::vector<OpClassTime> op_classes;           // with `explain`, for EAGER rows
  std::vector<std::string> notes;
  nlohmann::json to_json() const;
};

struct ValidationReport {
  nlohmann::json header;  // time, git commit, hardware, fingerprint, settings
  std::vector<ValidationRow> rows;
  int exit_status = 0;    // 0 all ok, 1 any conversion not ok or any prediction failed
  nlohmann::json to_json() const;  // {"schema_version": 1, "header", "rows", "summary"}
};

/// Cases, MAPE, median |error| and share within ±15 % of absolute relative errors:
/// {"cases", "mape", "median_abs_error_rel", "share_within_15_percent"}.
nlohmann::json error_summary(const std::vector<double>& abs_errors);

/// Summary per conversion: cases, MAPE, median |error|, share within ±15 % ("batch": null), then
/// "all" conversions; when the rows span several batch sizes, the same per conversion × batch.
nlohmann::json summarize_errors(const std::vector<ValidationRow>& rows);

using ValidateProgress = std::function<void(const std::string& model,
                                            const bench::ProgressEvent& event)>;

/// Validates settings before running anything (unknown model, conversion, hardware → bad input,
/// kInvalidArgument/kNotFound with did-you-mean), then measures and predicts model by model.
Result<ValidationReport> run_validation(const ValidateSettings& settings,
                                        const HardwareRegistry& registry,
                                        const ValidateProgress& progress = {});

std::string render_validation_text(const ValidationReport& report);

}  // namespace graphs
