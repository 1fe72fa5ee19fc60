#include "graphs/analysis/transformer_facts.h"

#include <algorithm>
#include <set>

#include "graphs/analysis/fusion.h"

namespace graphs {
namespace {

bool weight_product(const Graph& g, const Node& n) {
  if (n.op_type != "MatMul" && n.op_type != "Gemm") return false;
  return std::any_of(n.inputs.begin(), n.inputs.end(), [&](ValueId v) {
    return v != kNoValue && is_parameter(g.value(v));
  });
}

std::vector<int64_t> dims_of(const Graph& g, ValueId v) {
  if (v == kNoValue || !g.value(v).type.is_static()) return {};
  return g.value(v).type.dims();
}

}  // namespace

Result<LlmFacts> transformer_facts(const Graph& g, const Characterization& ch,
                                   const std::string& model) {
  std::vector<NodeId> anchors;
  const std::vector<int> region = attention_regions(g, ch, &anchors);
  if (anchors.empty()) {
    return make_error(ErrorCode::kInvalidArgument, model,
                      " has no attention layers; --phase needs a transformer LLM (e.g. "
                      "llama-2-7b, gpt2)");
  }
  LlmFacts f;
  f.layers = static_cast<int64_t>(anchors.size());
  // The first region: its Q·Kᵀ (the other product of two activations) and its projections.
  std::vector<int64_t> widths;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (region[i] != 0) continue;
    const Node& n = g.node(static_cast<NodeId>(i));
    if (n.op_type == "MatMul" && static_cast<NodeId>(i) != anchors.front() && n.inputs.size() >= 2) {
      const auto q = dims_of(g, n.inputs[0]);
      if (q.size() == 4) {
        f.heads = q[1];
        f.head_dim = q[3];
      }
    }
    for (ValueId v : n.inputs) {
      if (v == kNoValue) continue;
      const NodeId p = g.value(v).producer;
      if (p == kNoNode || region[static_cast<std::size_t>(p)] == 0) continue;
      const Node& proj = g.node(p);
      if (!weight_product(g, proj)) continue;
      const auto out = dims_of(g, proj.outputs[0]);
      const auto in = dims_of(g, proj.inputs[0]);
      if (out.empty() || in.empty()) continue;
      widths.push_back(out.back());
      if (f.hidden == 0) {
        const bool trans_a = proj.op_type == "Gemm" && proj.attrs.get_int("transA", 0) != 0;
        f.hidden = trans_a ? in.front() : in.back();
      }
    }
  }
  if (f.heads <= 0 || f.head_dim <= 0 || widths.empty()) {
    return make_error(ErrorCode::kInvalidArgument, model,
                      ": its attention has no [batch, heads, sequence, head_dim] query; the heads "
                      "cannot be read from the graph");
  }
  std::sort(widths.begin(), widths.end());
  widths.erase(std::unique(widths.begin(), widths.end()), widths.end());
  const bool fused_qkv = widths.size() == 1 && widths.front() > f.heads * f.head_dim;
  f.kv_heads = fused_qkv ? (widths.front() / f.head_dim - f.heads) / 2 : widths.front() / f.head_dim;
  if (f.kv_heads <= 0 || f.kv_heads > f.heads) f.kv_heads = f.heads;
  for (const Node& n : g.nodes) {
    if (n.op_type != "Gather" || n.inputs.empty() || n.inputs[0] == kNoValue) continue;
    if (!is_parameter(g.value(n.inputs[0]))) continue;
    const auto table = dims_of(g, n.inputs[0]);
    if (table.size() == 2) f.vocab = std::max(f.vocab, table[0]);
  }
  return f;
}

}  // namespace graphs
