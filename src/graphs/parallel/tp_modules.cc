#include "graphs/parallel/tp_modules.h"

#include <vector>

namespace graphs {
namespace {

// An initializer name an exporter made up rather than a parameter's state_dict name.
bool generated_name(std::string_view name) {
  return name.starts_with("onnx::") || name.find('.') == std::string_view::npos;
}

}  // namespace

std::optional<std::string> module_from_scope(std::string_view node_name) {
  if (!node_name.starts_with('/')) return std::nullopt;
  std::vector<std::string_view> parts;
  std::size_t start = 1;
  while (start <= node_name.size()) {
    const std::size_t slash = std::min(node_name.find('/', start), node_name.size());
    parts.push_back(node_name.substr(start, slash - start));
    start = slash + 1;
  }
  if (parts.size() < 2) return std::nullopt;
  parts.pop_back();  // the op ("Conv", "MatMul_1")
  std::vector<std::string_view> names;
  for (std::string_view p : parts) {
    if (p.empty()) return std::nullopt;
    const std::string_view last = names.empty() ? std::string_view() : names.back();
    if (!last.empty() && p.size() > last.size() && p.starts_with(last) && p[last.size()] == '.') {
      names.back() = p;  // a Sequential's child: "conv.0" under "conv"
    } else {
      names.push_back(p);
    }
  }
  std::string path;
  for (std::string_view n : names) path += (path.empty() ? "" : ".") + std::string(n);
  return path;
}

Result<std::string> module_of_weight(const Node& node, const Value& weight) {
  const std::string& name = weight.name;
  if (!generated_name(name)) {
    if (name.ends_with(".weight") && name.size() > 7) return name.substr(0, name.size() - 7);
    return make_error(ErrorCode::kInvalidArgument, "weight '", name,
                      "' is not a module's '.weight' (a packed parameter); plan.json cannot "
                      "split it");
  }
  if (auto scoped = module_from_scope(node.name)) return *scoped;
  return make_error(ErrorCode::kInvalidArgument, "weight '", name, "' of node '", node.name,
                    "' names no torch module (neither '<module>.weight' nor a TorchScript "
                    "exporter scope '/a/b/Op'; export with torch.onnx.export(..., dynamo=False))");
}

std::string module_of_node(const Node& node) {
  if (auto scoped = module_from_scope(node.name)) return *scoped;
  return node.name;
}

std::optional<std::string> module_of_parameter(const Graph& g, ValueId param) {
  const Value& v = g.value(param);
  if (!generated_name(v.name)) return v.name.substr(0, v.name.rfind('.'));
  for (NodeId c : v.consumers) {
    if (auto scoped = module_from_scope(g.node(c).name)) return scoped;
  }
  return std::nullopt;
}

}  // namespace graphs
