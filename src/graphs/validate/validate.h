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
// The prediction side needs a graph: zoo names (resnet18, mobilenet_v2, bert-base, gpt2, ...)
// are both a built-in graph and a PyTorch twin (bench/settings.h zoo_torch_sources); an .onnx
// file is predicted from the file and measured by the ONNX conversions.
#pragma once

#include <functional>
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
  bool record_history = true;
  std::string history_path;              // "" = HistoryStore::default_path()
};

/// The conversion family's estimator backend ("eager", "inductor", "onnxruntime", "openvino",
/// "" for families the estimator has no specific model of).
std::string backend_for_family(const std::string& family);

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
  std::vector<std::string> notes;
  nlohmann::json to_json() const;
};

struct ValidationReport {
  nlohmann::json header;  // time, git commit, hardware, fingerprint, settings
  std::vector<ValidationRow> rows;
  int exit_status = 0;    // 0 all ok, 1 any conversion not ok or any prediction failed
  nlohmann::json to_json() const;  // {"schema_version": 1, "header", "rows", "summary"}
};

/// Summary per conversion: cases, MAPE, median |error|, share within ±15 %.
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
