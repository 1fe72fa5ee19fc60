// Engines (estimate/engine.h, data/engines/*.yaml) as the estimator's "backend": which partition
// an engine runs and which calibration family's measured dispatch overhead applies on a CPU.
//
//   engine        partition                          calibration key (CPU profile)
//   eager         partition_unfused: one kernel/op   torch_eager
//   inductor      partition_fused (Inductor-like)    torch_inductor
//   onnxruntime   partition_fused                    onnxruntime
//   openvino      partition_fused                    openvino
//   tensorrt, tensorrt-llm, vllm, mlc-llm, llama.cpp: partition_fused, no CPU calibration
//   "" (none)     partition_fused, fused attention   none: kernel_launch_s
// Eager PyTorch dispatches every op as its own call (each with the dispatcher's fixed cost); the
// compilers fuse pointwise chains into their producers' kernels (conv + bias + ReLU, residual
// adds), so they launch fewer kernels and move fewer bytes. Names are engine ids or aliases.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace graphs {

/// The engine ids (data/engines), sorted.
std::vector<std::string> backend_names();

/// ok for "" and the names above; kInvalidArgument with a did-you-mean otherwise.
Status check_backend(const std::string& backend);

/// False for an unfused engine ("eager": one kernel per op), true otherwise.
bool backend_fuses(const std::string& backend);

/// The key of CalibrationProfile::dispatch_overhead_s / HardwareModel::dispatch_overhead_s for
/// the family ("torch_eager" for "eager"); "" for "".
std::string dispatch_overhead_key(const std::string& backend);

/// The partition `backend` runs (table above). Errors as check_backend.
Result<Partition> partition_for_backend(const Graph& graph, const Characterization& ch,
                                        const std::string& backend);

}  // namespace graphs
