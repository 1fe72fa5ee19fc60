// ONNX importer: an ONNX model (protobuf) becomes a graphs::Graph.
//
// What it builds: graph inputs (graph.input entries that are not initializers) with their
// declared types, initializers (type from dims and data_type; contents only for tensors of at
// most kMaxConstElements elements), nodes with attributes and the opset of their domain, and
// graph outputs. Model-local functions (ModelProto.functions, as emitted by the torch.onnx
// dynamo exporter) are inlined into the main graph, recursively, with attribute references
// resolved and inner values renamed "<call node>/<inner name>" (made unique). No shape inference
// is done and value_info is ignored: only graph inputs and initializers carry types
// (analysis/shape_inference.h fills in the rest).
//
// Control flow: a GRAPH attribute (If's then_branch/else_branch, Loop's and Scan's body, nested
// to any depth up to 64) becomes a Subgraph of its node (ir/graph.h), read like the main graph:
// its initializers, its formal inputs (types optional: the node supplies them), nodes and
// outputs. Names a body uses without defining are kOuterScope values; one that no enclosing
// graph defines is an error.
//
// Weights: the bytes of large tensors are never decoded, and `import_onnx_file` does not even
// keep them in memory (large tensor payloads are skipped while the file is read). External data
// (TensorProto.data_location == EXTERNAL) is recorded in Value::external_location; only the
// bytes of small external tensors are read, from the side file relative to the model's
// directory. A missing side file is an error only for a small tensor.
//
// A graph input with an initializer of the same name (every initializer before IR version 4; from
// 4 on, ONNX IR.md "the initializer is the input's default value") is read as that initializer:
// a weight, counted as a parameter, never an input the caller feeds. Its declared type must
// agree with the initializer (element type, rank, and sizes where it gives them).
//
// Opsets: every opset_import entry and every node's op version is checked against the ranges
// of onnx/opset_support.h (ai.onnx 6 to kNewestOnnxOpset, ai.onnx.ml 1–5,
// com.microsoft 1).
//
// Sizes: a tensor (declared input or initializer) whose element or bit count does not fit int64
// is refused (ir/graph.h check_tensor_size).
//
// Dims of graph inputs: dim_value → Dim::fixed, dim_param → Dim::symbol(dim_param), neither →
// Dim::symbol("<input name>_dim<i>"), so that binding rules (analysis/shape_inference.h) apply.
// An input with no shape at all has rank_known == false.
//
// Errors (never exceptions, never crashes), each one line with context:
//   kNotFound      the file (or a small tensor's external data file) does not exist
//   kParseError    empty file, not protobuf / truncated ("not an ONNX model: ..."), no graph,
//                  malformed tensors (data size not matching dims)
//   kUnsupported   lists of subgraphs (GRAPHS attributes), non-tensor graph inputs (sequence,
//                  map, optional; the message names the op that reads it), sparse-tensor and
//                  type-proto attributes, unknown data types (named by onnx_type_description),
//                  files over 2 GB; an opset outside the supported range, an op outside its
//                  versions, legacy broadcasting, sequence and optional ops (opset_support.h)
//   kInvalidArgument  a directory given as the model; a graph with no outputs; a graph input
//                  declared unlike its initializer; a tensor too large to count; structural
//                  problems: a node domain missing
//                  from opset_import, a node input that nothing produces, a cycle, a value
//                  produced twice (Graph::validate), an attribute reference outside a function,
//                  a subgraph using a name no enclosing graph defines
//   kIoError       a file that exists but cannot be read
// `import_onnx_file` prefixes every message with the file's path; node errors read
// "Conv node 'conv1' (opset 17): ...".
//
// Thread safety: both functions are reentrant; they share no state.
#pragma once

#include <string>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace onnx {
class ModelProto;
}  // namespace onnx

namespace graphs {

struct ImportOptions {
  /// Decode the contents of tensors of at most kMaxConstElements elements (initializers and
  /// tensor attributes) into Value::data / TensorAttr::data, reading small external tensors from
  /// their side files. When false, no contents are decoded and no side file is opened.
  bool load_small_tensors = true;
};

/// Reads and imports the model at `path`; external data is resolved relative to its directory.
Result<Graph> import_onnx_file(const std::string& path, const ImportOptions& options = {});

/// Imports an already parsed model. `base_dir` is the directory external data locations are
/// relative to ("" = the current directory). Errors carry no file name (the caller knows it).
Result<Graph> import_onnx_model(const onnx::ModelProto& model, const std::string& base_dir,
                                const ImportOptions& options = {});

}  // namespace graphs
