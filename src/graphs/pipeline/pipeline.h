// The analysis pipeline shared by the command line and the Python bindings:
// source → Graph → bind dims → infer shapes → characterize → partition → estimate per target.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/analysis/shape_inference.h"
#include "graphs/common/status.h"
#include "graphs/estimate/llm_phases.h"
#include "graphs/estimate/roofline.h"
#include "graphs/ir/graph.h"

namespace graphs {

class HardwareRegistry;

/// Precisions as the user names them and the dtype mapping they imply for bytes (tf32 keeps fp32
/// storage). `name` is the compute and activation precision (the peak the estimators use);
/// weights and the KV cache may each have their own (`--weight-precision int4` is weight-only
/// quantization: the matmuls still run at `name`, reading 4-bit weights).
struct Precision {
  std::string name;        // activations and compute: fp32 tf32 fp16 bf16 fp8 int8
  std::string weights;     // weights: the above or int4; = name unless set
  std::string kv_cache;    // KV cache: fp32 fp16 bf16 fp8 int8 int4; = name (tf32: fp32) unless set
  PrecisionMap map;
  /// Bytes per element of the KV cache and of activations.
  double kv_bytes() const;
  double activation_bytes() const;
};

/// Error kInvalidArgument with a did-you-mean for unknown names; "int4" as the compute precision
/// is refused ("int4 is weight-only: use --weight-precision int4 with --precision fp16|bf16|int8").
Result<Precision> parse_precision(const std::string& name);
/// The three at once; empty `weights` / `kv_cache` mean "as `name`".
Result<Precision> parse_precisions(const std::string& name, const std::string& weights,
                                   const std::string& kv_cache);
std::vector<std::string> precision_names();
std::vector<std::string> weight_precision_names();
std::vector<std::string> kv_precision_names();

struct LoadedModel {
  Graph graph;
  std::string source;  // as given: a path or a zoo name
  std::string name;    // file stem or zoo name
  std::string format;  // "onnx" or "zoo"
  double parse_s = 0;  // time to read and import
  double infer_s = 0;  // time to bind dims and infer shapes
};

/// True when `source` names a model file rather than a zoo model: an existing path, or (not a
/// zoo name) one with a '/' or an extension.
bool names_a_file(const std::string& source);

/// Loads `source` (an existing .onnx path, else a zoo name), binds dims and infers shapes.
/// Errors: kNotFound for a source that is neither a file nor a zoo model (with suggestions), and
/// whatever import, binding or inference report; kInvalidArgument when a bound graph input or
/// any inferred tensor holds more than kMaxTensorBits bits (ir/graph.h check_tensor_size:
/// checked after binding, before inference, and for every value after it, naming the node).
Result<LoadedModel> load_model(const std::string& source, const DimBindings& dims);

/// Continuous (in-flight) batching of one LLM on one target, Orca-style iteration-level
/// scheduling (Yu et al., OSDI 2022; as vLLM and TensorRT-LLM's batch manager run it, and as
/// Vidur, Agrawal et al. MLSys 2024, and LLMCompass, Zhang et al. ISCA 2024, model it):
///   - concurrency C ≤ the sequences whose KV cache (input + output tokens each) fits in
///     kv_cache_memory_fraction × device memory − weights − activations (the engine's setting);
///   - a decode iteration advances all C sequences by one token: T_dec(C) = the decode step at
///     batch C and the mean context input + output / 2;
///   - each request's prompt is prefilled once, in chunks of max_prefill_tokens:
///     T_pre = ttft(batch ⌊max_prefill_tokens / input⌋, input) / that batch, per request;
///   - steady state: C requests complete every out · T_dec(C) + C · T_pre, so
///     requests/s = C / (out · T_dec(C) + C · T_pre) and output tokens/s = out × requests/s.
/// At a request rate below saturation the smallest C that sustains it is used (Little's law);
/// time per output token then includes the prefills interleaved with the decode iterations.
struct ServingEstimate {
  std::string hardware_id;
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t max_concurrency = 0;       // by memory (and the requested cap)
  int64_t concurrency = 0;           // sequences in flight in the steady state
  double decode_step_s = 0;          // T_dec(concurrency)
  double prefill_per_request_s = 0;  // T_pre
  double requests_per_s = 0;
  double output_tokens_per_s = 0;
  double ttft_s = 0;                 // one request's prefill at batch 1 (no queueing)
  double tpot_s = 0;                 // (out · T_dec + C · T_pre) / out
  double request_latency_s = 0;      // ttft_s + (out − 1) · tpot_s
  bool saturated = false;            // the requested rate exceeds what the target sustains
  std::vector<std::string> notes;
};

struct AnalyzeRequest {
  std::string model;
  DimBindings dims;
  std::string precision = "fp32";
  std::string weight_precision;       // "" = as precision
  std::string kv_precision;           // "" = as precision
  std::vector<std::string> hardware;  // IDs; empty: characterization only
  std::string phase;                  // "" (whole forward), prefill|decode|generate|serve (LLMs)
  int64_t output_tokens = 0;          // generate / serve: tokens generated per sequence
  double request_rate_per_s = 0;      // serve: arriving requests per second; 0 = saturation
  int64_t max_concurrency = 0;        // serve: cap on sequences in flight; 0 = memory decides
  bool cuda_graphs = false;           // EstimateOptions::cuda_graphs
  std::string mapper = "auto";        // EstimateOptions::mapper
  /// EstimateOptions::backend: "" (fused kernels), "eager" (the unfused partition, one kernel
  /// per op), "inductor", "onnxruntime", "openvino" (fused); estimate/backend.h.
  std::string backend;
};

struct Analysis {
  LoadedModel model;
  DimBindings dims;
  Precision precision;
  Characterization characterization;
  Partition partition;                 // fused kernels (unfused for backend "eager")
  std::vector<Estimate> estimates;     // one per requested hardware, in request order
  /// With a phase: the transformer facts, the sequence-1 (decode step) estimates and the phase
  /// figures, one per hardware. `estimates` are then the prefill (graph at batch, seq_len).
  std::optional<LlmFacts> llm;
  std::vector<Estimate> decode_estimates;
  std::vector<LlmPhaseEstimate> phases;
  std::vector<ServingEstimate> serving;  // phase serve: one per hardware
  double analysis_s = 0;               // bind, infer, characterize, partition, estimate
};

/// The serving figures of `request` (its model, precision, engine; seq_len = input tokens,
/// output_tokens, request_rate_per_s, max_concurrency) on one target (ServingEstimate above).
/// kInvalidArgument when output_tokens < 1 or one sequence does not fit beside the weights.
Result<ServingEstimate> estimate_serving(const AnalyzeRequest& request, const std::string& hardware,
                                         const HardwareRegistry& registry);

/// The final guard: kInternal naming the first figure of `a` (model totals, each estimate and its
/// kernels, decode-step estimates, LLM phases and contexts, serving) that is NaN, infinite or
/// negative (below −1e-12, rounding slack). Such a figure is a bug, never a result: it is
/// refused, not reported.
Status check_analysis_figures(const Analysis& a);

/// Runs the whole pipeline. Hardware IDs are resolved before any work (unknown → kNotFound with
/// a did-you-mean). The result passes check_analysis_figures (else its error).
Result<Analysis> analyze(const AnalyzeRequest& request, const HardwareRegistry& registry);

}  // namespace graphs
