#include "graphs/estimate/backend.h"

#include <algorithm>

#include "graphs/common/suggest.h"

namespace graphs {

std::vector<std::string> backend_names() { return {"eager", "inductor", "onnxruntime", "openvino"}; }

Status check_backend(const std::string& backend) {
  const auto names = backend_names();
  if (backend.empty() || std::find(names.begin(), names.end(), backend) != names.end()) {
    return ok_status();
  }
  return Error(ErrorCode::kInvalidArgument, unknown_name_message("backend", backend, names));
}

bool backend_fuses(const std::string& backend) { return backend != "eager"; }

std::string dispatch_overhead_key(const std::string& backend) {
  if (backend == "eager") return "torch_eager";
  if (backend == "inductor") return "torch_inductor";
  return backend;
}

Result<Partition> partition_for_backend(const Graph& graph, const Characterization& ch,
                                        const std::string& backend) {
  GRAPHS_RETURN_IF_ERROR(check_backend(backend));
  return backend_fuses(backend) ? partition_fused(graph, ch) : partition_unfused(graph, ch);
}

}  // namespace graphs
