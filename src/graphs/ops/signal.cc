// Signal-processing family (ai.onnx): DFT-17/20, STFT-17, MelWeightMatrix-17, HannWindow-17,
// HammingWindow-17, BlackmanWindow-17. OpClass::kOther (vector work, no MACs).
//
// Shapes follow Operators.md:
//   DFT    input [..., signal dims..., 1 (real) | 2 (complex)]; the transformed axis is the `axis`
//          attribute (opset 17, default 1) or the optional scalar input 2 (opset 20, default −2),
//          in [−r, −2] ∪ [0, r − 2]. n = dft_length (optional scalar input 1, known at analysis
//          time) or the axis dim (IRFFT, onesided = 1 and inverse = 1: 2·(dim − 1)). Output: the
//          input's dims with dims[axis] = n and last dim 2, except RFFT (onesided, forward, real
//          input): dims[axis] = floor(n/2) + 1, and IRFFT (complex input): last dim 1.
//   STFT   signal [batch, length, 1 | 2], frame_step (known scalar), window [frame_length]
//          (optional), frame_length (optional known scalar; else the window's length; else the
//          signal length) → [batch, frames, bins, 2], frames = floor((length − frame_length) /
//          frame_step) + 1, bins = floor(frame_length/2) + 1 when onesided (default) else
//          frame_length.
//   MelWeightMatrix  num_mel_bins and dft_length known scalars → [floor(dft_length/2) + 1,
//          num_mel_bins] of output_datatype (default float).
//   Hann/Hamming/BlackmanWindow  size (known scalar) → [size] of output_datatype.
// Counting (no MACs): a complex FFT of length n counts 5·n·log2(n) FLOPs (the radix-2
// Cooley–Tukey count FFT benchmarks report; any n); a real-input or real-output transform
// (RFFT, IRFFT, onesided STFT of a real signal) half of that.
//   DFT    FFT per transformed signal (numel / (dims[axis] · last dim) signals).
//   STFT   per frame: FFT of frame_length + frame_length multiplies when a window is given.
//   MelWeightMatrix  4 per output element (two compares, a subtract and a divide: the triangle).
//   HannWindow, HammingWindow  4 per element (2πn/N, cos, multiply, subtract).
//   BlackmanWindow  8 per element (two angles, two cosines, two multiplies, subtract, add).
// Bytes: every present input read once, every output written once.
#include <cmath>
#include <string>
#include <vector>

#include "graphs/ops/compute_helpers.h"
#include "graphs/ops/op_helpers.h"
#include "graphs/ops/tensor_fold.h"

namespace graphs::ops {
namespace {

double fft_flops(double n, bool real) {
  if (n <= 1) return 0;
  return (real ? 2.5 : 5.0) * n * std::log2(n);
}

// A scalar (or one-element) integer input that must be known; error naming `what`.
Result<int64_t> known_scalar(const InferContext& ctx, std::size_t i, const std::string& what) {
  GRAPHS_ASSIGN_OR_RETURN(const auto v, fold::require_ints(ctx, i, what));
  if (v.size() != 1) {
    return ctx.error(what + " must be a scalar, got " + std::to_string(v.size()) + " values");
  }
  return v[0];
}

Status check_flag(const InferContext& ctx, const std::string& name, int64_t fallback) {
  const int64_t v = ctx.node.attrs.get_int(name, fallback);
  if (v != 0 && v != 1) return ctx.error(name + " " + std::to_string(v) + " must be 0 or 1");
  return ok_status();
}

// ---------------------------------------------------------------------------------------------
// DFT

struct DftPlan {
  std::vector<int64_t> out;
  int64_t axis = 0;
  int64_t n = 0;
  bool real = false;  // RFFT or IRFFT
};

Result<DftPlan> plan_dft(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const auto in, static_input_dims(ctx, 0, "input"));
  const auto r = static_cast<int64_t>(in.size());
  if (r < 2 || (in.back() != 1 && in.back() != 2)) {
    return ctx.error("input " + dims_to_string(in) +
                     " must end in a dim of 1 (real) or 2 (complex) after at least one signal dim");
  }
  GRAPHS_RETURN_IF_ERROR(check_flag(ctx, "onesided", 0));
  GRAPHS_RETURN_IF_ERROR(check_flag(ctx, "inverse", 0));
  const bool onesided = ctx.node.attrs.get_int("onesided", 0) != 0;
  const bool inverse = ctx.node.attrs.get_int("inverse", 0) != 0;
  const bool complex_in = in.back() == 2;
  // Axis: input 2 from opset 20, the attribute before (a node of unknown opset may use either).
  int64_t axis = 0;
  const int opset = resolved_opset(ctx.opset);
  if (ctx.input(2)) {
    if (ctx.opset != 0 && opset < 20) return ctx.error("axis is an attribute before opset 20");
    GRAPHS_ASSIGN_OR_RETURN(axis, known_scalar(ctx, 2, "axis"));
  } else if (opset >= 20 && ctx.opset != 0) {
    if (ctx.node.attrs.has("axis")) return ctx.error("axis is input 2 from opset 20, not an attribute");
    axis = -2;
  } else {
    axis = ctx.node.attrs.get_int("axis", opset >= 20 ? -2 : 1);
  }
  const int64_t a = axis < 0 ? axis + r : axis;
  if (a < 0 || a > r - 2) {
    return ctx.error("axis " + std::to_string(axis) + " is outside [−" + std::to_string(r) +
                     ", −2] ∪ [0, " + std::to_string(r - 2) + "] for input " + dims_to_string(in));
  }
  const int64_t dim = in[static_cast<std::size_t>(a)];
  DftPlan p;
  p.axis = a;
  p.real = onesided;
  if (onesided && !inverse && complex_in) {
    return ctx.error("onesided = 1 with inverse = 0 (RFFT) needs a real input (last dim 1)");
  }
  if (onesided && inverse && !complex_in) {
    return ctx.error("onesided = 1 with inverse = 1 (IRFFT) needs a complex input (last dim 2)");
  }
  if (ctx.input(1)) {
    GRAPHS_ASSIGN_OR_RETURN(p.n, known_scalar(ctx, 1, "dft_length"));
    if (p.n < 1) return ctx.error("dft_length " + std::to_string(p.n) + " must be positive");
  } else {
    p.n = onesided && inverse ? 2 * (dim - 1) : dim;
  }
  p.out = in;
  p.out.back() = onesided && inverse ? 1 : 2;
  p.out[static_cast<std::size_t>(a)] = onesided && !inverse ? p.n / 2 + 1 : p.n;
  return p;
}

OpCost dft_cost(const CostContext& ctx) {
  const auto in = dims_of(ctx.input(0));
  if (in.size() < 2) return compute_cost(ctx, 0, 0);
  const auto r = static_cast<int64_t>(in.size());
  const bool onesided = ctx.node.attrs.get_int("onesided", 0) != 0;
  const bool inverse = ctx.node.attrs.get_int("inverse", 0) != 0;
  int64_t axis = ctx.node.attrs.get_int("axis", resolved_opset(ctx.opset) >= 20 ? -2 : 1);
  if (const Value* v = ctx.input(2); v && v->data && v->data->size() == 1) axis = v->data->as_int(0);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r - 2) return compute_cost(ctx, 0, 0);
  const double dim = static_cast<double>(in[static_cast<std::size_t>(axis)]);
  double n = onesided && inverse ? 2 * (dim - 1) : dim;
  if (const Value* v = ctx.input(1); v && v->data && v->data->size() == 1) {
    n = static_cast<double>(v->data->as_int(0));
  }
  const double signals = dim > 0 ? ctx.numel(ctx.input(0)) / (dim * static_cast<double>(in.back())) : 0;
  return compute_cost(ctx, 0, signals * fft_flops(n, onesided));
}

// ---------------------------------------------------------------------------------------------
// STFT

struct StftPlan {
  int64_t batch = 0, frames = 0, frame_length = 0, bins = 0;
  bool real = false;
};

Result<StftPlan> plan_stft(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(2));
  GRAPHS_ASSIGN_OR_RETURN(const auto signal, static_input_dims(ctx, 0, "signal"));
  if (signal.size() != 3 || (signal[2] != 1 && signal[2] != 2)) {
    return ctx.error("signal " + dims_to_string(signal) +
                     " must be [batch, length, 1] (real) or [batch, length, 2] (complex)");
  }
  GRAPHS_ASSIGN_OR_RETURN(const int64_t step, known_scalar(ctx, 1, "frame_step"));
  if (step < 1) return ctx.error("frame_step " + std::to_string(step) + " must be positive");
  StftPlan p;
  p.batch = signal[0];
  p.frame_length = signal[1];
  int64_t window = -1;
  if (ctx.input(2)) {
    GRAPHS_ASSIGN_OR_RETURN(const auto w, static_input_dims(ctx, 2, "window"));
    if (w.size() != 1) return ctx.error("window " + dims_to_string(w) + " must be 1-D");
    window = w[0];
    p.frame_length = window;
  }
  if (ctx.input(3)) {
    GRAPHS_ASSIGN_OR_RETURN(p.frame_length, known_scalar(ctx, 3, "frame_length"));
    if (window >= 0 && window != p.frame_length) {
      return ctx.error("window length " + std::to_string(window) + " differs from frame_length " +
                       std::to_string(p.frame_length));
    }
  }
  if (p.frame_length < 1 || p.frame_length > signal[1]) {
    return ctx.error("frame_length " + std::to_string(p.frame_length) +
                     " must be in [1, signal length " + std::to_string(signal[1]) + "]");
  }
  GRAPHS_RETURN_IF_ERROR(check_flag(ctx, "onesided", 1));
  const bool onesided = ctx.node.attrs.get_int("onesided", 1) != 0;
  if (onesided && signal[2] == 2) {
    return ctx.error("onesided = 1 needs a real signal (last dim 1); set onesided = 0");
  }
  p.real = onesided;
  p.frames = (signal[1] - p.frame_length) / step + 1;
  p.bins = onesided ? p.frame_length / 2 + 1 : p.frame_length;
  return p;
}

OpCost stft_cost(const CostContext& ctx) {
  const auto out = dims_of(ctx.output(0));
  const auto signal = dims_of(ctx.input(0));
  if (out.size() != 4 || signal.size() != 3) return compute_cost(ctx, 0, 0);
  double frame_length = static_cast<double>(signal[1]);
  if (const auto w = dims_of(ctx.input(2)); w.size() == 1) frame_length = static_cast<double>(w[0]);
  if (const Value* v = ctx.input(3); v && v->data && v->data->size() == 1) {
    frame_length = static_cast<double>(v->data->as_int(0));
  }
  const bool onesided = ctx.node.attrs.get_int("onesided", 1) != 0;
  const double frames = static_cast<double>(out[0] * out[1]);
  const double window = ctx.input(2) ? frame_length : 0;
  return compute_cost(ctx, 0, frames * (fft_flops(frame_length, onesided) + window));
}

// ---------------------------------------------------------------------------------------------
// MelWeightMatrix and the window generators

Result<DType> output_datatype(const InferContext& ctx) {
  const int64_t t = ctx.node.attrs.get_int("output_datatype", 1);
  const auto dtype = dtype_from_onnx(static_cast<int32_t>(t));
  if (!dtype || *dtype == DType::kString || *dtype == DType::kUndefined || *dtype == DType::kBool) {
    return ctx.error("output_datatype " + std::to_string(t) + " is not a numeric type");
  }
  return *dtype;
}

InferResult mel_weight_matrix_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(5));
  GRAPHS_ASSIGN_OR_RETURN(const int64_t mel_bins, known_scalar(ctx, 0, "num_mel_bins"));
  GRAPHS_ASSIGN_OR_RETURN(const int64_t dft_length, known_scalar(ctx, 1, "dft_length"));
  if (mel_bins < 1 || dft_length < 1) {
    return ctx.error("num_mel_bins " + std::to_string(mel_bins) + " and dft_length " +
                     std::to_string(dft_length) + " must be positive");
  }
  GRAPHS_ASSIGN_OR_RETURN(const DType dtype, output_datatype(ctx));
  return std::vector<InferredOutput>{
      {TensorType::make(dtype, {dft_length / 2 + 1, mel_bins}), std::nullopt}};
}

InferResult window_shape(const InferContext& ctx) {
  GRAPHS_RETURN_IF_ERROR(ctx.require_inputs(1));
  GRAPHS_ASSIGN_OR_RETURN(const int64_t size, known_scalar(ctx, 0, "size"));
  if (size < 0) return ctx.error("size " + std::to_string(size) + " must not be negative");
  GRAPHS_RETURN_IF_ERROR(check_flag(ctx, "periodic", 1));
  GRAPHS_ASSIGN_OR_RETURN(const DType dtype, output_datatype(ctx));
  return std::vector<InferredOutput>{{TensorType::make(dtype, {size}), std::nullopt}};
}

OpSchema generator(std::string op_type, ShapeFn infer, double per_element, std::string note) {
  return OpSchema{
      .op_type = std::move(op_type),
      .domain = "",
      .op_class = OpClass::kOther,
      .infer = std::move(infer),
      .cost = [per_element](const CostContext& ctx) {
        return compute_cost(ctx, 0, per_element * ctx.numel(ctx.output(0)));
      },
      .flops_note = std::move(note),
  };
}

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "DFT",
    .domain = "",
    .op_class = OpClass::kOther,
    .infer =
        [](const InferContext& ctx) -> InferResult {
      GRAPHS_ASSIGN_OR_RETURN(const DftPlan p, plan_dft(ctx));
      return std::vector<InferredOutput>{{TensorType::make(ctx.type(0).dtype, p.out), std::nullopt}};
    },
    .cost = dft_cost,
    .flops_note = "5·n·log2(n) per transformed signal of length n (half for RFFT/IRFFT)",
});

GRAPHS_REGISTER_OP(OpSchema{
    .op_type = "STFT",
    .domain = "",
    .op_class = OpClass::kOther,
    .infer =
        [](const InferContext& ctx) -> InferResult {
      GRAPHS_ASSIGN_OR_RETURN(const StftPlan p, plan_stft(ctx));
      return std::vector<InferredOutput>{
          {TensorType::make(ctx.type(0).dtype, {p.batch, p.frames, p.bins, 2}), std::nullopt}};
    },
    .cost = stft_cost,
    .flops_note = "per frame: 5·n·log2(n) (half when onesided) + n with a window (n = "
                  "frame_length)",
});

GRAPHS_REGISTER_OP(generator("MelWeightMatrix", mel_weight_matrix_shape, 4,
                             "4 per output element (triangular filter weight)"));
GRAPHS_REGISTER_OP(generator("HannWindow", window_shape, 4,
                             "4 per output element (angle, cos, multiply, subtract)"));
GRAPHS_REGISTER_OP(generator("HammingWindow", window_shape, 4,
                             "4 per output element (angle, cos, multiply, subtract)"));
GRAPHS_REGISTER_OP(generator("BlackmanWindow", window_shape, 8,
                             "8 per output element (two angles, two cosines, two multiplies, "
                             "subtract, add)"));

}  // namespace
}  // namespace graphs::ops
