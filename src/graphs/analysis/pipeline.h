// The analysis pipeline shared by the command line and the Python bindings:
// source → Graph → bind dims → infer shapes → characterize → partition → estimate per target.
#pragma once

#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/analysis/shape_inference.h"
#include "graphs/common/status.h"
#include "graphs/estimate/roofline.h"
#include "graphs/ir/graph.h"

namespace graphs {

class HardwareRegistry;

/// A precision as the user names it ("fp32", "tf32", "fp16", "bf16", "fp8", "int8") and the
/// dtype mapping it implies for bytes (tf32 keeps fp32 storage).
struct Precision {
  std::string name;
  PrecisionMap map;
};

/// Error kInvalidArgument with a did-you-mean for unknown names.
Result<Precision> parse_precision(const std::string& name);
std::vector<std::string> precision_names();

struct LoadedModel {
  Graph graph;
  std::string source;  // as given: a path or a zoo name
  std::string name;    // file stem or zoo name
  std::string format;  // "onnx" or "zoo"
  double parse_s = 0;  // time to read and import
  double infer_s = 0;  // time to bind dims and infer shapes
};

/// Loads `source` (an existing .onnx path, else a zoo name), binds dims and infers shapes.
/// Errors: kNotFound for a source that is neither a file nor a zoo model (with suggestions), and
/// whatever import, binding or inference report.
Result<LoadedModel> load_model(const std::string& source, const DimBindings& dims);

struct AnalyzeRequest {
  std::string model;
  DimBindings dims;
  std::string precision = "fp32";
  std::vector<std::string> hardware;  // IDs; empty: characterization only
};

struct Analysis {
  LoadedModel model;
  DimBindings dims;
  Precision precision;
  Characterization characterization;
  Partition partition;                 // fused kernels
  std::vector<Estimate> estimates;     // one per requested hardware, in request order
  double analysis_s = 0;               // bind, infer, characterize, partition, estimate
};

/// Runs the whole pipeline. Hardware IDs are resolved before any work (unknown → kNotFound with
/// a did-you-mean).
Result<Analysis> analyze(const AnalyzeRequest& request, const HardwareRegistry& registry);

}  // namespace graphs
