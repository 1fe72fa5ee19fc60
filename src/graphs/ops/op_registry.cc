#include "graphs/ops/op_registry.h"

#include <onnx/defs/schema.h>

#include <algorithm>

namespace graphs {

std::string_view to_string(OpClass c) {
  switch (c) {
    case OpClass::kConv: return "conv";
    case OpClass::kMatMul: return "matmul";
    case OpClass::kNormalization: return "normalization";
    case OpClass::kReduction: return "reduction";
    case OpClass::kSoftmax: return "softmax";
    case OpClass::kPooling: return "pooling";
    case OpClass::kElementwise: return "elementwise";
    case OpClass::kDataMovement: return "data_movement";
    case OpClass::kShape: return "shape";
    case OpClass::kOther: return "other";
  }
  return "other";
}

const ConstData* InferContext::data(std::size_t i) const {
  const Value* v = input(i);
  return (v && v->data) ? &*v->data : nullptr;
}

Status InferContext::require_inputs(std::size_t n) const {
  for (std::size_t i = 0; i < n; ++i) {
    const Value* v = input(i);
    if (!v) return error("input " + std::to_string(i) + " is required but missing");
    if (!v->type.rank_known) {
      return error("input " + std::to_string(i) + " ('" + v->name + "') has unknown rank");
    }
  }
  return ok_status();
}

Error InferContext::error(const std::string& message) const {
  return Error(ErrorCode::kShapeError, node.label() + ": " + message);
}

double CostContext::bytes(const Value* v) const {
  if (!v) return 0;
  const auto n = v->type.numel();
  if (!n) return 0;
  return static_cast<double>(*n) * dtype_bits(precision.map(*v)) / 8.0;
}

double CostContext::numel(const Value* v) const {
  if (!v) return 0;
  const auto n = v->type.numel();
  return n ? static_cast<double>(*n) : 0;
}

double CostContext::input_bytes() const {
  double b = 0;
  for (const Value* v : inputs) b += bytes(v);
  return b;
}

double CostContext::output_bytes() const {
  double b = 0;
  for (const Value* v : outputs) b += bytes(v);
  return b;
}

OpRegistry& OpRegistry::global() {
  static OpRegistry registry;
  return registry;
}

namespace {
std::string canonical_domain(const std::string& d) { return d == "ai.onnx" ? "" : d; }
}  // namespace

void OpRegistry::add(OpSchema schema) {
  auto key = std::make_pair(canonical_domain(schema.domain), schema.op_type);
  schemas_[key] = std::move(schema);
}

const OpSchema* OpRegistry::find(const std::string& domain, const std::string& op_type) const {
  auto it = schemas_.find({canonical_domain(domain), op_type});
  return it == schemas_.end() ? nullptr : &it->second;
}

std::vector<std::string> OpRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& [key, schema] : schemas_) {
    out.push_back(key.first.empty() ? key.second : key.first + "::" + key.second);
  }
  return out;
}

std::vector<const OpSchema*> OpRegistry::all() const {
  std::vector<const OpSchema*> out;
  for (const auto& [key, schema] : schemas_) out.push_back(&schema);
  return out;
}

std::string OpsetRange::to_string() const {
  if (!known()) return "?";
  if (since == last) return std::to_string(since);
  return std::to_string(since) + "–" + std::to_string(last);
}

namespace {

// ONNX's version history of one ai.onnx op: its first since_version, and the since_version of
// its newest version when that version only marks the op deprecated (Upsample-10, Scatter-11);
// 0 otherwise. A deprecated older version replaced by a newer one (GroupNormalization-18 by 21)
// does not end the op.
struct OnnxHistory {
  int first = 0;
  int newest = 0;
  bool newest_deprecated = false;
  int removed_at() const { return newest_deprecated ? newest : 0; }
};

const std::map<std::string, OnnxHistory>& onnx_histories() {
  static const std::map<std::string, OnnxHistory> histories = [] {
    std::map<std::string, OnnxHistory> h;
    for (const auto& s : onnx::OpSchemaRegistry::get_all_schemas_with_history()) {
      if (!s.domain().empty() && s.domain() != "ai.onnx") continue;
      OnnxHistory& e = h[s.Name()];
      const int v = s.SinceVersion();
      e.first = e.first == 0 ? v : std::min(e.first, v);
      if (v > e.newest) {
        e.newest = v;
        e.newest_deprecated = s.Deprecated();
      }
    }
    return h;
  }();
  return histories;
}

}  // namespace

OpsetRange OpRegistry::opset_range(const OpSchema& schema) {
  OpsetRange r{schema.since_version, schema.last_version};
  if (!canonical_domain(schema.domain).empty()) {
    if (r.since == 0) r.since = 1;
    if (r.last == 0) r.last = std::max(r.since, 1);
    return r;
  }
  const auto& histories = onnx_histories();
  const auto it = histories.find(schema.op_type);
  if (r.since == 0 && it != histories.end()) r.since = it->second.first;
  if (r.last == 0) {
    r.last = kNewestOnnxOpset;
    if (it != histories.end() && it->second.removed_at() > 0) r.last = it->second.removed_at() - 1;
  }
  return r;
}

}  // namespace graphs
