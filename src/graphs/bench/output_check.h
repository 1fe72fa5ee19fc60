// The output check: a conversion's first-call outputs against the reference (EAGER fp32 for torch
// sources, ONNX_CPU fp32 for .onnx sources) on identical inputs.
//
// An element passes when |a − r| ≤ atol + rtol·|r|, numpy.allclose's rule, with atol scaled to the
// output: atol = atol_scale · max|r| over that output tensor (so logits of any magnitude are judged
// alike and near-zero references do not blow the relative error up). Integer outputs must match
// exactly. Tolerances per precision (docs/bench.md):
//   fp32: rtol 1e-3, atol_scale 1e-3   (reassociation, fused kernels, TF32 convolutions on CUDA)
//   bf16: rtol 5e-2, atol_scale 5e-2   (8-bit mantissa: 3.9e-3 per rounding, accumulated)
//   fp16: rtol 1e-2, atol_scale 1e-2   (11-bit mantissa: 4.9e-4 per rounding, accumulated)
//   int8: rtol 1e-1, atol_scale 1e-1   (quantization noise, calibrated on the one example input)
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/bench/npy.h"
#include "graphs/common/status.h"

namespace graphs::bench {

struct Tolerance {
  double rtol = 1e-3;
  double atol_scale = 1e-3;
};

/// The tolerance of a precision name ("fp32", "bf16", "fp16", "int8"); fp32's for others.
Tolerance tolerance_for(const std::string& precision);

struct TensorComparison {
  std::size_t index = 0;
  std::vector<int64_t> shape;
  double max_abs_error = 0;
  double max_rel_error = 0;   // max |a − r| / |r| over elements with r ≠ 0
  double ref_max_abs = 0;
  std::size_t mismatched = 0;  // elements beyond tolerance
  bool passed = true;
  std::string problem;         // shape or count mismatch, NaN, ...
};

struct OutputComparison {
  bool passed = true;
  std::string reason;  // first problem, empty when passed
  double max_abs_error = 0;
  double max_rel_error = 0;
  Tolerance tolerance;
  std::vector<TensorComparison> tensors;

  nlohmann::json to_json() const;
};

/// Compares outputs with the reference, tensor by tensor in order. Different counts or shapes are
/// failures with the reason named. NaN where the reference is finite fails.
OutputComparison compare_outputs(const std::vector<NpyArray>& outputs,
                                 const std::vector<NpyArray>& reference, const Tolerance& tol);

}  // namespace graphs::bench
