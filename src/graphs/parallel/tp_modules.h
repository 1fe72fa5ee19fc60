// Which torch module a graph node's parameter belongs to: the name a plan.json entry carries
// (docs/tp-plan-schema.md, "Module names"), a dotted path as in `nn.Module.named_modules()`.
//
// Rules, in order:
// 1. A parameter initializer named "<module>.<leaf>" (state_dict names: the zoo builders, the
//    TorchScript exporter without constant folding, torch.export's parameters) → <module>.
//    A layer to split must hold it as "<module>.weight" (BatchNorm's scale included); any
//    other leaf (nn.MultiheadAttention's packed in_proj_weight) cannot be split by a plan.
// 2. An exporter-generated initializer ("onnx::MatMul_123": the TorchScript exporter folded a
//    transposed nn.Linear weight into a new constant; or a name without a dot) → the node's
//    TorchScript scope name, "/layer1/layer1.0/conv1/Conv" → "layer1.0.conv1": the components
//    less the last (the op), joined with dots, except that a component extending the previous
//    one replaces it (a Sequential's child is scoped as "<sequential>.<i>": "conv.0" under
//    "conv"; a ModuleList, which is not called, leaves no component of its own: "layers.0"
//    under "model").
// 3. Otherwise (torch.export's folded constants "val_46" on nodes named "node_linear") no
//    module: the layer stays replicated with the reason.
// tests/python/test_tp_mapping.py checks these rules against real exports of torchvision and
// transformers models: every module named exists in the model with the expected type.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace graphs {

/// Rule 2: the module path in a TorchScript-exporter node name ("/a/b.0/c/Op"); nullopt for a
/// name that is not one (no leading '/', fewer than two components, an empty component).
std::optional<std::string> module_from_scope(std::string_view node_name);

/// The module holding `weight` (an initializer read by `node`) as its ".weight" (rules 1–3).
/// kInvalidArgument with the reason when there is none ("weight 'val_46' of node 'node_linear'
/// names no torch module ...").
Result<std::string> module_of_weight(const Node& node, const Value& weight);

/// The module of a node whose weight belongs to another module (a head tied to the embedding):
/// the node's scope (rule 2), else the node's own name (zoo builders name nodes after modules).
std::string module_of_node(const Node& node);

/// The module holding parameter `param` under any leaf name (rule 1), else the scope of its
/// first consumer (rule 2); nullopt when neither names one.
std::optional<std::string> module_of_parameter(const Graph& graph, ValueId param);

}  // namespace graphs
