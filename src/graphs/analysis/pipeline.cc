#include "graphs/analysis/pipeline.h"

#include <chrono>
#include <filesystem>

#include "graphs/common/suggest.h"
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

Result<Precision> parse_precision(const std::string& name) {
  Precision p{name, {}};
  if (name == "fp32" || name == "tf32") {
    p.map.floating = DType::kFloat32;
  } else if (name == "fp16") {
    p.map.floating = DType::kFloat16;
  } else if (name == "bf16") {
    p.map.floating = DType::kBFloat16;
  } else if (name == "fp8") {
    p.map.floating = DType::kFloat8E4M3FN;
  } else if (name == "int8") {
    p.map.floating = DType::kInt8;
  } else {
    return Error(ErrorCode::kInvalidArgument,
                 unknown_name_message("precision", name, precision_names()));
  }
  return p;
}

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
  GRAPHS_ASSIGN_OR_RETURN(a.precision, parse_precision(request.precision));
  std::vector<HardwareModel> targets;
  for (const auto& id : request.hardware) {
    GRAPHS_ASSIGN_OR_RETURN(auto hw, registry.get(id));
    targets.push_back(std::move(hw));
  }
  GRAPHS_ASSIGN_OR_RETURN(a.model, load_model(request.model, request.dims));
  const auto t0 = std::chrono::steady_clock::now();
  GRAPHS_ASSIGN_OR_RETURN(a.characterization, characterize(a.model.graph, a.precision.map));
  a.partition = partition_fused(a.model.graph, a.characterization);
  EstimateOptions options;
  options.precision = a.precision.name;
  for (const auto& hw : targets) {
    GRAPHS_ASSIGN_OR_RETURN(auto e, estimate_roofline(a.model.graph, a.characterization,
                                                      a.partition, hw, options));
    a.estimates.push_back(std::move(e));
  }
  // Binding and inference run inside load_model; they count as analysis, not parsing.
  a.analysis_s = a.model.infer_s + seconds_since(t0);
  return a;
}

}  // namespace graphs
