// Conversion families as the estimator sees them: which partition a backend runs and which
// measured dispatch overhead applies to each of its kernels.
//
//   family        partition                          dispatch overhead key (calibration profile)
//   eager         partition_unfused: one kernel/op   torch_eager
//   inductor      partition_fused (Inductor-like)    torch_inductor
//   onnxruntime   partition_fused                    onnxruntime
//   openvino      partition_fused                    openvino
//   "" (none)     partition_fused                    none: kernel_launch_s
// Eager PyTorch dispatches every op as its own call (each with the dispatcher's fixed cost); the
// compilers fuse pointwise chains into their producers' kernels (conv + bias + ReLU, residual
// adds), so they launch fewer kernels and move fewer bytes. A family without a measured dispatch
// overhead uses the target's kernel_launch_s.
// Thread safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/common/status.h"
#include "graphs/ir/graph.h"

namespace graphs {

/// "eager", "inductor", "onnxruntime", "openvino".
std::vector<std::string> backend_names();

/// ok for "" and the names above; kInvalidArgument with a did-you-mean otherwise.
Status check_backend(const std::string& backend);

/// False for "eager" (one kernel per op), true otherwise.
bool backend_fuses(const std::string& backend);

/// The key of CalibrationProfile::dispatch_overhead_s / HardwareModel::dispatch_overhead_s for
/// the family ("torch_eager" for "eager"); "" for "".
std::string dispatch_overhead_key(const std::string& backend);

/// The partition `backend` runs (table above). Errors as check_backend.
Result<Partition> partition_for_backend(const Graph& graph, const Characterization& ch,
                                        const std::string& backend);

}  // namespace graphs
