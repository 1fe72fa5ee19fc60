#include "graphs/analysis/pipeline.h"

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "graphs/common/suggest.h"
#include "graphs/estimate/backend.h"
#include "graphs/hardware/registry.h"
#include "graphs/onnx/onnx_importer.h"
#include "graphs/zoo/zoo.h"

namespace graphs {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::vector<std::string> precision_names() { return {"fp32", "tf32", "fp16", "bf16", "fp8", "int8"}; }
std::vector<std::string> weight_precision_names() {
  return {"fp32", "tf32", "fp16", "bf16", "fp8", "int8", "int4"};
}
std::vector<std::string> kv_precision_names() {
  return {"fp32", "fp16", "bf16", "fp8", "int8", "int4"};
}

namespace {

// Storage dtype of a precision name (tf32 is stored as fp32); nullopt for an unknown name.
std::optional<DType> storage_dtype(const std::string& name) {
  if (name == "fp32" || name == "tf32") return DType::kFloat32;
  if (name == "fp16") return DType::kFloat16;
  if (name == "bf16") return DType::kBFloat16;
  if (name == "fp8") return DType::kFloat8E4M3FN;
  if (name == "int8") return DType::kInt8;
  if (name == "int4") return DType::kInt4;
  return std::nullopt;
}

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

double Precision::kv_bytes() const { return dtype_bits(*storage_dtype(kv_cache)) / 8.0; }
double Precision::activation_bytes() const { return dtype_bits(*storage_dtype(name)) / 8.0; }

Result<Precision> parse_precisions(const std::string& name, const std::string& weights,
                                   const std::string& kv_cache) {
  if (name == "int4") {
    return Error(ErrorCode::kInvalidArgument,
                 "precision 'int4' is weight-only: use --weight-precision int4 with --precision "
                 "fp16, bf16 or int8");
  }
  if (!listed(precision_names(), name)) {
    return Error(ErrorCode::kInvalidArgument,
                 unknown_name_message("precision", name, precision_names()));
  }
  Precision p;
  p.name = name;
  p.weights = weights.empty() ? name : weights;
  p.kv_cache = kv_cache.empty() ? (name == "tf32" ? "fp32" : name) : kv_cache;
  if (!listed(weight_precision_names(), p.weights)) {
    return Error(ErrorCode::kInvalidArgument,
                 unknown_name_message("weight precision", p.weights, weight_precision_names()));
  }
  if (!listed(kv_precision_names(), p.kv_cache)) {
    return Error(ErrorCode::kInvalidArgument,
                 unknown_name_message("KV-cache precision", p.kv_cache, kv_precision_names()));
  }
  p.map.floating = storage_dtype(p.name);
  if (p.weights != p.name) p.map.weights = storage_dtype(p.weights);
  return p;
}

Result<Precision> parse_precision(const std::string& name) { return parse_precisions(name, "", ""); }

Result<LoadedModel> load_model(const std::string& source, const DimBindings& dims) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadedModel m;
  m.source = source;
  namespace fs = std::filesystem;
  std::error_code ec;
  const bool looks_like_file = source.find('/') != std::string::npos ||
                               fs::path(source).has_extension() || fs::exists(source, ec);
  if (looks_like_file) {
    GRAPHS_ASSIGN_OR_RETURN(m.graph, import_onnx_file(source));
    m.name = fs::path(source).stem().string();
    m.format = "onnx";
  } else if (is_zoo_name(source)) {
    GRAPHS_ASSIGN_OR_RETURN(m.graph, build_zoo_model(source));
    m.name = source;
    m.format = "zoo";
  } else {
    return Error(ErrorCode::kNotFound,
                 unknown_name_message("model", source, zoo_names()) +
                     " (a MODEL is an .onnx file or a built-in zoo name)");
  }
  m.parse_s = seconds_since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  GRAPHS_RETURN_IF_ERROR(bind_dims(m.graph, dims));
  GRAPHS_RETURN_IF_ERROR(infer_shapes(m.graph));
  m.infer_s = seconds_since(t1);
  return m;
}

Result<Analysis> analyze(const AnalyzeRequest& request, const HardwareRegistry& registry) {
  Analysis a;
  a.dims = request.dims;
  GRAPHS_ASSIGN_OR_RETURN(a.precision, parse_precisions(request.precision,
                                                        request.weight_precision,
                                                        request.kv_precision));
  GRAPHS_RETURN_IF_ERROR(check_backend(request.backend));
  std::optional<LlmPhase> phase;
  if (!request.phase.empty()) {
    GRAPHS_ASSIGN_OR_RETURN(phase, parse_llm_phase(request.phase));
  }
  std::vector<HardwareModel> targets;
  for (const auto& id : request.hardware) {
    GRAPHS_ASSIGN_OR_RETURN(auto hw, registry.get(id));
    targets.push_back(std::move(hw));
  }
  GRAPHS_ASSIGN_OR_RETURN(a.model, load_model(request.model, request.dims));
  const auto t0 = std::chrono::steady_clock::now();
  GRAPHS_ASSIGN_OR_RETURN(a.characterization, characterize(a.model.graph, a.precision.map));
  GRAPHS_ASSIGN_OR_RETURN(a.partition, partition_for_backend(a.model.graph, a.characterization,
                                                             request.backend));
  EstimateOptions options;
  options.backend = request.backend;
  options.precision = a.precision.name;
  options.cuda_graphs = request.cuda_graphs;
  options.mapper = request.mapper;
  for (const auto& hw : targets) {
    GRAPHS_ASSIGN_OR_RETURN(auto e, estimate_roofline(a.model.graph, a.characterization,
                                                      a.partition, hw, options));
    a.estimates.push_back(std::move(e));
  }
  if (phase) {
    GRAPHS_ASSIGN_OR_RETURN(a.llm, llm_facts(a.model.graph, a.model.name));
    // The decode step: the same model bound at sequence 1 (one new token per sequence).
    std::optional<LoadedModel> step;
    Characterization step_ch;
    Partition step_part;
    if (*phase == LlmPhase::kDecode) {
      DimBindings dims = request.dims;
      dims.seq_len = 1;
      GRAPHS_ASSIGN_OR_RETURN(step, load_model(request.model, dims));
      GRAPHS_ASSIGN_OR_RETURN(step_ch, characterize(step->graph, a.precision.map));
      GRAPHS_ASSIGN_OR_RETURN(step_part,
                              partition_for_backend(step->graph, step_ch, request.backend));
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const Estimate* decode = nullptr;
      if (step) {
        GRAPHS_ASSIGN_OR_RETURN(auto d, estimate_roofline(step->graph, step_ch, step_part,
                                                          targets[i], options));
        a.decode_estimates.push_back(std::move(d));
        decode = &a.decode_estimates.back();
      }
      GRAPHS_ASSIGN_OR_RETURN(
          auto pe, estimate_llm_phase(*phase, *a.llm, request.dims.batch, request.dims.seq_len,
                                      a.estimates[i], decode, targets[i], options,
                                      a.precision.kv_bytes(), a.precision.activation_bytes(),
                                      a.precision.kv_cache));
      a.phases.push_back(std::move(pe));
    }
  }
  // Binding and inference run inside load_model; they count as analysis, not parsing.
  a.analysis_s = a.model.infer_s + seconds_since(t0);
  return a;
}

}  // namespace graphs
