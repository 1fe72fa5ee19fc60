// Quantization family: QuantizeLinear, DequantizeLinear and DynamicQuantizeLinear (ai.onnx,
// opsets 10–21), and MatMulNBits (com.microsoft, ONNX Runtime contrib ops: 4-bit weight-only
// block quantization, docs/ContribOperators.md of onnxruntime).
//
// The QDQ format (onnxruntime.quantization.quantize_static's default) puts QuantizeLinear →
// DequantizeLinear pairs around float ops; quantize_dynamic writes DynamicQuantizeLinear →
// MatMulInteger / ConvInteger (matmul.cc, conv.cc). Each node is costed as the kernel it is;
// a runtime that fuses DequantizeLinear of a weight into an int8 GEMM (TensorRT, ORT's QDQ
// fusion) does less work than counted here.
//
// Counting:
//   QuantizeLinear:        4 FLOPs per element (divide by scale, round, add zero point, saturate).
//   DequantizeLinear:      2 FLOPs per element (subtract zero point, multiply by scale).
//   DynamicQuantizeLinear: 6 FLOPs per element (min and max over the tensor, then quantize).
//   MatMulNBits:           A [.., M, K] × dequantized B [K, N]: MACs = batch·M·N·K, FLOPs = 2 ×
//                          MACs + 2 per weight element (N·K, dequantize in the kernel).
// Bytes: every present input read once, every output written once (MatMulNBits' B as stored:
// packed 4-bit blocks, bits/8 bytes per weight).
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"

namespace graphs::ops {
namespace {

// Output dtype of QuantizeLinear: the zero point's, else the opset-21 output_dtype attribute,
// else uint8 (ONNX QuantizeLinear-21).
Result<DType> quantized_dtype(const InferContext& ctx) {
  if (const Value* zp = ctx.input(2)) return zp->type.dtype;
  const int64_t attr = ctx.node.attrs.get_int("output_dtype", 0);
  if (attr == 0) return DType::kUInt8;
  const std::optional<DType> d = dtype_from_onnx(attr);
  if (!d) return ctx.error("output_dtype is " + onnx_type_description(attr));
  return *d;
}

InferResult infer_quantize(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  TensorType t = ctx.type(0);
  GRAPHS_ASSIGN_OR_RETURN(t.dtype, quantized_dtype(ctx));
  return std::vector<InferredOutput>{{t, std::nullopt}};
}

InferResult infer_dequantize(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  TensorType t = ctx.type(0);
  // Output type: the scale's (float, float16, bfloat16); int32 inputs dequantize the same way.
  t.dtype = ctx.type(1).dtype;
  return std::vector<InferredOutput>{{t, std::nullopt}};
}

InferResult infer_dynamic_quantize(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  TensorType y = ctx.type(0);
  y.dtype = DType::kUInt8;
  return std::vector<InferredOutput>{{y, std::nullopt},
                                     {TensorType::make(DType::kFloat32, {}), std::nullopt},
                                     {TensorType::make(DType::kUInt8, {}), std::nullopt}};
}

// MatMulNBits: A [.., M, K], B packed [N, ⌈K/block⌉, block·bits/8]; Y [.., M, N] of A's type.
InferResult infer_matmul_nbits(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(3));
  GRAPHS_ASSIGN_OR_RETURN(auto a, static_input_dims(ctx, 0, "A"));
  const int64_t k = ctx.node.attrs.get_int("K", 0);
  const int64_t n = ctx.node.attrs.get_int("N", 0);
  if (k <= 0 || n <= 0) return ctx.error("attributes K and N must be positive");
  if (a.empty() || a.back() != k) {
    return ctx.error("A " + dims_to_string(a) + " must end in K = " + std::to_string(k));
  }
  a.back() = n;
  return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, a), std::nullopt}};
}

OpCost matmul_nbits_cost(const CostContext& ctx) {
  const double k = static_cast<double>(ctx.node.attrs.get_int("K", 0));
  const double n = static_cast<double>(ctx.node.attrs.get_int("N", 0));
  const double rows = k > 0 ? ctx.numel(ctx.input(0)) / k : 0;  // batch × M
  const double macs = rows * n * k;
  return compute_cost(ctx, macs, 2 * macs + 2 * n * k);
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "QuantizeLinear",
    .domain = "",
    .op_class = OpClass::kElementwise,
    .infer = infer_quantize,
    .cost = [](const CostContext& ctx) { return elementwise_cost(ctx, 4); },
    .flops_note = "4 per element (divide by scale, round, add zero point, saturate)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "DequantizeLinear",
    .domain = "",
    .op_class = OpClass::kElementwise,
    .infer = infer_dequantize,
    .cost = [](const CostContext& ctx) { return elementwise_cost(ctx, 2); },
    .flops_note = "2 per element (subtract zero point, multiply by scale)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "DynamicQuantizeLinear",
    .domain = "",
    .op_class = OpClass::kReduction,
    .infer = infer_dynamic_quantize,
    .cost = [](const CostContext& ctx) {
      OpCost c = data_movement_cost(ctx);
      c.flops = 6 * ctx.numel(ctx.input(0));
      return c;
    },
    .flops_note = "6 per input element (min and max over the tensor, then quantize)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "MatMulNBits",
    .domain = "com.microsoft",
    .op_class = OpClass::kMatMul,
    .infer = infer_matmul_nbits,
    .cost = matmul_nbits_cost,
    .flops_note = "2 × MACs (batch·M·N·K) + 2 per weight element (dequantize); B read packed",
});

}  // namespace
}  // namespace graphs::ops
