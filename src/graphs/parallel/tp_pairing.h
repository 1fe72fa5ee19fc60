// Internal to parallel/: the structural half of the tensor-parallel planner (tp_planner.h, file
// comment): which nodes are weighted layers, what lies downstream of each up to the next
// weighted layers, and the Megatron column → row groups of linears and of convolutions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/ir/graph.h"
#include "graphs/parallel/tp_planner.h"

namespace graphs::tp_detail {

/// A MatMul/Gemm with a rank-2 parameter weight (directly or through a rank-2 Transpose), or a
/// Conv with a parameter weight.
struct Weighted {
  TpLayerKind kind = TpLayerKind::kLinear;
  ValueId weight = kNoValue;     // the parameter initializer
  NodeId transpose = kNoNode;    // the Transpose between the weight and the node, if any
  int64_t in = 0;                // linear: input features; conv: input channels
  int64_t out = 0;               // linear: output features; conv: output channels
  int64_t groups = 1;            // conv
  int64_t weight_rank = 0;
};

std::optional<Weighted> weighted_layer(const Graph& graph, NodeId node);

/// What lies downstream of a linear, up to the next weighted layers.
struct Reach {
  std::set<NodeId> linears;
  std::set<NodeId> region;       // nodes passed through
  bool graph_output = false;
  bool residual_join = false;
  bool reaches_conv = false;
  bool attention = false;        // a MatMul of two activations on the way (Q·Kᵀ, P·V)
  int64_t heads = 0;
  int64_t head_dim = 0;
};

/// What lies downstream of a conv through channel-local ops (tp_planner.h).
struct ConvReach {
  std::set<NodeId> partners;      // convs with groups 1 reached (the row candidates)
  std::vector<NodeId> channel_layers;  // BatchNormalization and grouped convs on the way
  std::set<NodeId> region;
  std::string blocked;            // why no pair can start here ("" when none)
};

struct Group {
  TpLayerKind kind = TpLayerKind::kLinear;
  NodeId row = kNoNode;
  std::vector<NodeId> columns;
  std::vector<NodeId> channel_layers;  // conv groups: BatchNorm and grouped convs between
  std::set<NodeId> region;             // nodes between the columns and the row
};

struct Pairing {
  std::vector<std::optional<Weighted>> weighted;  // by node
  std::map<NodeId, Group> groups;                 // by row
  std::map<NodeId, Reach> reaches;                // linears that start a reach
  std::vector<NodeId> heads;                      // linear output heads, graph order
  std::map<NodeId, std::string> unpaired;         // weighted layer → why it pairs with none
};

/// Pairs the weighted layers of `graph` in topological `order`.
Pairing pair_layers(const Graph& graph, const std::vector<NodeId>& order);

/// Elements of value `v` per unit: its last dim when `per_token`, else its size less the
/// leading (batch) dim; 0 when not static.
int64_t elements_per_unit(const Graph& graph, ValueId v, bool per_token);

}  // namespace graphs::tp_detail
