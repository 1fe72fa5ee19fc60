// The opset versions the ONNX importer accepts: per domain (a model's opset_import) and per op
// (a node's version of its domain against its registration's OpRegistry::opset_range).
//
// Domains (docs/conventions.md, "Opsets"):
//   ai.onnx        kOldestOnnxOpset (6) – kNewestOnnxOpset (ops/op_registry.h: the newest opset
//                  whose semantics the op rules know). Below 6 the ops read attributes this
//                  build does not model (Cast-1's string `to`, Tile-1's `axis` input,
//                  Concat-1's default axis, `consumed_inputs`); above the newest, ONNX defines
//                  versions whose semantics the op rules do not know yet.
//   ai.onnx.ml     1–5 (ONNX's newest ai.onnx.ml opset is 5; onnx/defs/operator_sets_ml.h).
//   com.microsoft  1 (ONNX Runtime's contrib ops have one version,
//                  onnxruntime/core/graph/contrib_ops/contrib_defs.cc).
//   any other domain (model-local functions, custom ops): version 1 or more; its ops are
//                  unknown to the registry unless a model-local function defines them.
// Every opset_import entry (the model's and each function's) must name a version in its
// domain's range; an entry of version 0, a negative one or one beyond int32 is refused for any
// domain.
//
// Ops: a registered op whose opset range is known must cover the node's opset. Before the op's
// first version the node is refused ("Gelu exists from ai.onnx opset 20"), after its last too
// (Upsample after 9, Scatter after 10: ONNX deprecated them). One exception, from ONNX Runtime:
// LayerNormalization in the ai.onnx domain at opsets 1–16 is ONNX Runtime's contrib op of the
// same inputs, attributes and outputs that ONNX adopted as LayerNormalization-17
// (onnxruntime/core/providers/cpu/nn/layer_norm.cc); it is accepted.
//
// Legacy broadcasting: an ai.onnx node at opset < 7 with `broadcast` = 1 and an `axis`
// attribute aligns its second input at `axis` instead of numpy-style from the right (Add-6,
// Mul-6, ... in onnx/docs/Changelog.md); it is refused with a pointer to onnx.version_converter.
// `broadcast` = 1 without `axis` aligns from the right, as numpy does, and is accepted.
//
// Unregistered sequence and optional ops (SequenceConstruct, SplitToSequence, Optional, ...)
// are refused with that reason: the IR holds tensors only.
//
// All errors are kUnsupported (exit status 2) and one line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace graphs {

/// Oldest ai.onnx opset the importer accepts (see above).
inline constexpr int kOldestOnnxOpset = 6;

/// One domain's accepted opset versions, inclusive.
struct DomainOpsets {
  std::string domain;  // "" = ai.onnx
  int oldest = 1;
  int newest = 1;
};

/// The domains with a stated range, ai.onnx first.
const std::vector<DomainOpsets>& supported_domain_opsets();

/// Error unless `version` of `domain` ("" or "ai.onnx" for the default domain) is accepted.
/// `where` prefixes the message ("opset_import", "function 'f' opset_import").
Status check_opset_import(const std::string& domain, int64_t version, const std::string& where);

/// Error when `node` (its op_type, domain, opset and attributes set) is outside what the
/// importer accepts: its op's opset range, legacy broadcasting, sequence and optional ops.
/// Unregistered ops pass (shape inference names them). Messages start with the node's label
/// and opset: "Gelu node 'g' (opset 17): ...".
Status check_node_opset(const Node& node);

}  // namespace graphs
