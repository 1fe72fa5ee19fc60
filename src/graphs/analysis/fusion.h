// Fusion partitioner: groups nodes into the kernels a graph compiler would launch.
//
// Rules (structural only — never node names), modelled on TorchInductor's scheduler:
// - Free nodes (metadata-only ops, analysis-time constants) launch no kernel.
// - An anchor (conv, matmul/gemm, normalization, reduction, softmax, pooling) starts a kernel.
// - A pointwise node (elementwise, data movement, or an op its schema marks pointwise such as
//   inference BatchNormalization, a per-channel affine map) joins the kernel of one of its producers when
//   that kernel is open for pointwise work over the same number of elements (an anchor's
//   epilogue, or a chain of pointwise ops), and joining cannot create a cycle between kernels.
//   With several candidate producers (a join, e.g. a residual Add) it joins the latest one.
//   Otherwise it starts a pointwise kernel. Forks are fine: a value may leave a kernel and also
//   be used inside it.
// - A normalization, reduction or softmax whose data input comes from a pointwise-only kernel
//   over the same number of elements absorbs that kernel as its prologue (Inductor fuses
//   pointwise prologues into reductions, e.g. residual Add → LayerNorm).
// - Conv and matmul anchors take no prologue (they run as library/template kernels) and close
//   their kernel to further anchors.
// - Fused attention (PartitionOptions::fuse_attention; FlashAttention, Dao et al., NeurIPS 2022,
//   and the fused MHA/FMHA kernels of TensorRT and TensorRT-LLM): the scaled dot-product
//   attention between the Q/K/V projections and the output projection — the product of two
//   activations Q·Kᵀ, the scale, mask and softmax, the product P·V, and the reshapes, transposes,
//   rotary embedding and GQA head expansion on the way from the projections — is ONE kernel
//   (`FusedKernel::attention`): it reads Q, K, V and writes the attention output; the scores never
//   leave the chip. Found structurally: P·V is a MatMul of two activations whose first input
//   derives from another such MatMul; the region is every node on a path from the projection
//   MatMuls (products with a weight) to P·V. A region whose values are also used outside it is
//   left unfused.
// `unfused` instead puts every non-free node in a kernel of its own: what eager execution runs.
//
// Each kernel's bytes are those crossing its boundary: external inputs (weights apart) read once
// and outputs used outside the kernel written once; tensors internal to a kernel cost nothing.
#pragma once

#include <string>
#include <vector>

#include "graphs/analysis/characterize.h"
#include "graphs/ir/graph.h"

namespace graphs {

struct FusedKernel {
  int id = 0;
  std::vector<NodeId> nodes;         // in execution order; nodes[anchor_index] is the anchor
  int anchor_index = 0;
  OpClass op_class = OpClass::kElementwise;  // the anchor's class (pointwise kernels: elementwise)
  bool attention = false;            // a fused attention kernel (its anchor is the P·V MatMul)
  std::string name;                  // the anchor node's name
  std::vector<ValueId> inputs;       // external activations and weights read
  std::vector<ValueId> outputs;      // values written for use outside the kernel
  double macs = 0;
  double flops = 0;
  double input_bytes = 0;            // external activations read
  double weight_bytes = 0;           // parameters read
  double output_bytes = 0;           // outputs written
  double bytes() const { return input_bytes + weight_bytes + output_bytes; }
  double arithmetic_intensity() const { return bytes() > 0 ? flops / bytes() : 0; }
};

struct Partition {
  std::vector<FusedKernel> kernels;   // in execution order
  std::vector<int> kernel_of_node;    // -1 for free nodes
  bool fused = true;
};

struct PartitionOptions {
  bool fuse_attention = false;  // one kernel per scaled dot-product attention (rule above)
};

/// The compiler-style fused partition.
Partition partition_fused(const Graph& graph, const Characterization& ch,
                          const PartitionOptions& options = {});

/// Attention regions (rule above): for each node, the index of its region, or -1. Free nodes
/// on the paths are marked too. `anchors` receives each region's P·V node.
std::vector<int> attention_regions(const Graph& graph, const Characterization& ch,
                                   std::vector<NodeId>* anchors = nullptr);

/// One kernel per non-free node (eager execution).
Partition partition_unfused(const Graph& graph, const Characterization& ch);

}  // namespace graphs
