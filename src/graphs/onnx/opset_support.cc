#include "graphs/onnx/opset_support.h"

#include <limits>
#include <map>
#include <utility>

#include "graphs/ops/op_registry.h"

namespace graphs {
namespace {

std::string canonical(const std::string& domain) { return domain == "ai.onnx" ? "" : domain; }

std::string display(const std::string& domain) { return domain.empty() ? "ai.onnx" : domain; }

std::string range_text(int oldest, int newest) {
  return oldest == newest ? std::to_string(oldest)
                          : std::to_string(oldest) + "–" + std::to_string(newest);
}

// Ops ONNX Runtime defines in the ai.onnx domain before ONNX did, with the same inputs,
// attributes and outputs as ONNX's later version: op → first opset (header comment).
const std::map<std::string, int>& onnxruntime_early_ops() {
  static const std::map<std::string, int> ops = {{"LayerNormalization", 1}};
  return ops;
}

// Ops whose inputs or outputs are sequences, optionals or maps, by domain, with what they hold.
const std::map<std::pair<std::string, std::string>, std::string>& non_tensor_ops() {
  static const std::map<std::pair<std::string, std::string>, std::string> ops = {
      {{"", "SequenceConstruct"}, "a sequence"},  {{"", "SequenceEmpty"}, "a sequence"},
      {{"", "SequenceAt"}, "a sequence"},         {{"", "SequenceInsert"}, "a sequence"},
      {{"", "SequenceErase"}, "a sequence"},      {{"", "SequenceLength"}, "a sequence"},
      {{"", "SequenceMap"}, "a sequence"},        {{"", "SplitToSequence"}, "a sequence"},
      {{"", "ConcatFromSequence"}, "a sequence"}, {{"", "Optional"}, "an optional"},
      {{"", "OptionalGetElement"}, "an optional"}, {{"", "OptionalHasElement"}, "an optional"},
      {{"ai.onnx.ml", "ZipMap"}, "a map"},        {{"ai.onnx.ml", "DictVectorizer"}, "a map"},
      {{"ai.onnx.ml", "CastMap"}, "a map"},
  };
  return ops;
}

std::string node_context(const Node& node) {
  return node.label() + " (opset " + std::to_string(node.opset) + ")";
}

Status check_op_range(const Node& node, const OpSchema& schema) {
  OpsetRange range = OpRegistry::opset_range(schema);
  if (!range.known()) return ok_status();
  if (node.domain.empty()) {
    auto early = onnxruntime_early_ops().find(node.op_type);
    if (early != onnxruntime_early_ops().end()) range.since = std::min(range.since, early->second);
  }
  if (node.opset >= range.since && node.opset <= range.last) return ok_status();
  return make_error(ErrorCode::kUnsupported, node_context(node), ": ", node.op_type,
                    " is defined at ", display(node.domain), " opsets ", range.to_string(),
                    ", not at opset ", node.opset,
                    node.opset > range.last ? " (ONNX deprecated it)" : "");
}

// Add-6, Mul-6, ... with broadcast = 1 and an axis (header comment).
Status check_legacy_broadcast(const Node& node) {
  if (!node.domain.empty() || node.opset >= 7) return ok_status();
  if (node.attrs.get_int("broadcast", 0) == 0 || !node.attrs.has("axis")) return ok_status();
  return make_error(ErrorCode::kUnsupported, node_context(node),
                    ": legacy broadcasting with 'axis' (ai.onnx opsets before 7) is not "
                    "modelled; convert the model with onnx.version_converter to opset 7 or newer");
}

}  // namespace

const std::vector<DomainOpsets>& supported_domain_opsets() {
  static const std::vector<DomainOpsets> domains = {
      {"", kOldestOnnxOpset, kNewestOnnxOpset},
      {"ai.onnx.ml", 1, 5},
      {"com.microsoft", 1, 1},
  };
  return domains;
}

Status check_opset_import(const std::string& domain, int64_t version, const std::string& where) {
  const std::string d = canonical(domain);
  const std::string head = where + ": domain '" + display(d) + "' version " +
                           std::to_string(version);
  if (version < 1 || version > std::numeric_limits<int32_t>::max()) {
    return make_error(ErrorCode::kUnsupported, head, " is not an opset version (1 or more)");
  }
  for (const auto& r : supported_domain_opsets()) {
    if (r.domain != d) continue;
    if (version >= r.oldest && version <= r.newest) return ok_status();
    std::string hint;
    if (d.empty()) {
      hint = version < r.oldest ? "; convert it with onnx.version_converter to a newer opset"
                                : "; export it at opset " + std::to_string(r.newest) + " or older";
    }
    return make_error(ErrorCode::kUnsupported, head, " is outside the versions this build models (",
                      range_text(r.oldest, r.newest), ")", hint);
  }
  return ok_status();
}

Status check_node_opset(const Node& node) {
  const std::string domain = canonical(node.domain);
  const OpSchema* schema = OpRegistry::global().find(domain, node.op_type);
  if (schema == nullptr) {
    auto it = non_tensor_ops().find({domain, node.op_type});
    if (it == non_tensor_ops().end()) return ok_status();
    const std::string& kind = it->second;  // "a sequence"
    return make_error(ErrorCode::kUnsupported, node_context(node), ": ",
                      kind.substr(kind.find(' ') + 1), " values are not supported (",
                      node.op_type, " makes or reads ", kind, "; graphs models tensors only)");
  }
  GRAPHS_RETURN_IF_ERROR(check_op_range(node, *schema));
  return check_legacy_broadcast(node);
}

}  // namespace graphs
