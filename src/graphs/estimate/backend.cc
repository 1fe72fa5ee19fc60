#include "graphs/estimate/backend.h"

#include "graphs/estimate/engine.h"

namespace graphs {

std::vector<std::string> backend_names() { return engine_ids(); }

Status check_backend(const std::string& backend) {
  if (backend.empty()) return ok_status();
  GRAPHS_ASSIGN_OR_RETURN([[maybe_unused]] const Engine* e, find_engine(backend));
  return ok_status();
}

bool backend_fuses(const std::string& backend) {
  if (backend.empty()) return true;
  const auto e = find_engine(backend);
  return !e.ok() || (*e)->fuses;
}

std::string dispatch_overhead_key(const std::string& backend) {
  if (backend.empty()) return "";
  const auto e = find_engine(backend);
  return e.ok() ? (*e)->calibration_key : "";
}

Result<Partition> partition_for_backend(const Graph& graph, const Characterization& ch,
                                        const std::string& backend) {
  if (backend.empty()) {
    // No engine named: a graph compiler's fused kernels, attention included (FlashAttention /
    // FMHA are what compilers and runtimes run on GPUs today).
    PartitionOptions options;
    options.fuse_attention = true;
    return partition_fused(graph, ch, options);
  }
  GRAPHS_ASSIGN_OR_RETURN(const Engine* e, find_engine(backend));
  if (!e->fuses) return partition_unfused(graph, ch);
  PartitionOptions options;
  options.fuse_attention = e->fused_attention;
  return partition_fused(graph, ch, options);
}

}  // namespace graphs
