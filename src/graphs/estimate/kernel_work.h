// What a mapper needs to know about one fused kernel: its class, FLOPs, the bytes crossing its
// boundary, and — for conv and matmul anchors — the GEMM it runs.
//
// GEMM view of an anchor (the "implicit GEMM" of cuDNN/CUTLASS convolutions, Chetlur et al.,
// "cuDNN: Efficient Primitives for Deep Learning", arXiv:1410.0759):
//   MatMul / MatMulInteger / QLinearMatMul / MatMulNBits  [.., M, K] × [.., K, N]:
//       batch = ∏ output batch dims, M, N, K as written; when B is a 2-D weight (or broadcast
//       over every batch dim, or MatMulNBits' packed weight) the leading dims fold into M
//       (batch = 1, M = ∏ leading × M), as a Linear runs in cuBLAS/CUTLASS.
//   Gemm: M × N output, K the reduction length (after transA/transB).
//   Conv / ConvInteger / QLinearConv  X [N, C, spatial], W [Cout, C/g, kernel]:
//       batch = groups, M = N × ∏ output spatial, N = Cout / groups, K = C/g × ∏ kernel.
//   A depthwise or narrow grouped conv (Cout / groups < kMinGemmN) is no GEMM: it runs as a
//   direct convolution on the vector units, so `gemm` is unset and `matrix` false.
// Operand bytes: A = batch × M × K elements at the activation dtype (for a conv, the implicit
// im2col matrix is never stored: A counts the input tensor once), B = the weight (or the second
// activation operand) at its costing dtype.
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/ir/graph.h"

namespace graphs {

/// A GEMM batch × ([M, K] × [K, N]).
struct GemmShape {
  double batch = 1;
  double m = 1;
  double n = 1;
  double k = 1;
  double a_bytes = 0;  // the A operand (activations) as read once
  double b_bytes = 0;  // the B operand (weights) as read once
  double kernel_elems = 0;  // a convolution's ∏ kernel spatial dims (1 for 1×1); 0 for matmuls
  double macs() const { return batch * m * n * k; }
};

/// Grouped convolutions with fewer output channels per group than this run as direct
/// convolutions (vector units), not as an implicit GEMM on the matrix units: a GEMM tile of N
/// = 1 (depthwise) would waste the whole tile.
inline constexpr double kMinGemmN = 8;

struct KernelWork {
  int kernel = 0;
  OpClass op_class = OpClass::kOther;
  std::string anchor_op;        // the anchor node's op type ("Conv", "BatchNormalization")
  bool matrix = false;          // runs on the matrix units (tensor cores, MXU, AMX)
  bool attention = false;       // a fused attention kernel (FusedKernel::attention)
  double flops = 0;
  double macs = 0;
  double input_bytes = 0;       // external activations read
  double weight_bytes = 0;      // parameters read
  double output_bytes = 0;      // outputs written
  /// Of input_bytes, what a recent kernel wrote and that is still in the last-level cache when
  /// this kernel reads it (filled by `mark_cache_resident_inputs`).
  double cache_resident_input_bytes = 0;
  std::optional<GemmShape> gemm;
  double bytes() const { return input_bytes + weight_bytes + output_bytes; }
};

/// The GEMM an anchor node runs, or nullopt (not a GEMM-shaped op, or shapes unknown).
std::optional<GemmShape> gemm_shape(const Graph& graph, const Node& anchor,
                                    const PrecisionMap& precision);

/// One KernelWork per fused kernel, in execution order (cache residency not yet marked).
std::vector<KernelWork> kernel_work(const Graph& graph, const Characterization& ch,
                                    const Partition& partition);

/// Marks, per kernel, the input bytes a cache of `capacity_bytes` still holds: an activation
/// written by an earlier kernel is resident when the bytes written since it was produced, plus
/// its own size, fit in the cache (LRU over written data; weights and graph inputs are never
/// resident). Views made by free nodes (Reshape, Squeeze…) resolve to the tensor they view.
void mark_cache_resident_inputs(const Graph& graph, const Characterization& ch,
                                const Partition& partition, double capacity_bytes,
                                std::vector<KernelWork>& work);

}  // namespace graphs
