// Op-class microbenchmarks through the measuring backend (PyTorch eager / oneDNN, ONNX Runtime /
// MLAS, torch.compile / Inductor), run by the Python worker's `microbench` request
// (docs/worker-protocol.md), and the fits made from them.
//
// What is measured (all fp32, CPU):
//   matmul          X[m,k] × W[k,n]            FLOPs = 2·m·k·n
//                                              bytes = 4·(m·k + k·n + m·n)
//   conv2d          X[n,c,h,w] ∗ W[k,c/g,r,s] + B[k], stride, symmetric padding, groups g
//                   oh = (h + 2·pad − r)/stride + 1 (same for ow)
//                                              FLOPs = 2·n·k·oh·ow·(c/g)·r·s
//                                              bytes = 4·(n·c·h·w + k·(c/g)·r·s + k + n·k·oh·ow)
//                   g = 1 is the class "conv" (r > 1) or "pointwise_conv" (1×1); g > 1 with
//                   k/g ≥ kMinGemmN output channels per group "grouped_conv" (ResNeXt, RegNet),
//                   fewer (depthwise) "depthwise_conv"
//   add             a + b over numel elements  FLOPs = numel, bytes = 12·numel
//   transpose       X[a,b,c] → Y[b,a,c] materialized (a channel shuffle, a head split)
//                                              FLOPs = 0, bytes = 8·a·b·c
//   maxpool2d       X[n,c,h,w], r×r window, stride, pad → oh·ow outputs
//                                              FLOPs = n·c·oh·ow·r², bytes = 4·(n·c·h·w + n·c·oh·ow)
//   softmax         [rows, cols] over the last axis
//                                              FLOPs = 5·rows·cols (max, sub, exp, sum, div)
//                                              bytes = 8·rows·cols (one read, one write)
//   noop            x + 1 on one element: the fixed cost of one call of one op
//   chain           `length` dependent one-element adds in one call (ONNX Runtime: one session
//                   with `length` Add nodes; Inductor: one compiled function)
// Byte counts are the tensors crossing the call once (inputs, weights, outputs), as the
// estimator's KernelWork::bytes() counts a kernel's boundary.
//
// Fits (calibrate/fit.h, Hockney): per backend and class, t(w) = overhead_s + w / rate, with w
// the FLOPs for the convolution classes and matmul, the bytes for elementwise, data_movement,
// pooling and reduction, t the
// fastest chunk's per-call time (the least disturbed by other work on the machine: on a loaded
// machine OpenMP threads that wait for a descheduled sibling inflate medians by orders of
// magnitude; the median is kept beside it).
// Per-call overheads:
//   call_overhead_s      fixed cost of one inference call through the backend, once per model
//                        run: the noop time for onnxruntime (InferenceSession.run of a one-node
//                        graph) and inductor (the compiled wrapper, its guards and one kernel);
//                        0 for torch eager (an eager model is a Python call per op).
//   dispatch_overhead_s  fixed cost per kernel inside a call: torch eager, the noop time (one
//                        aten op from Python); onnxruntime, (t(chain L) − t(chain 1)) / (L − 1);
//                        inductor, (t(chain L) − t(noop)) / (kernels(L) − kernels(noop)) when the
//                        chain compiled to more kernels, else torch eager's (Inductor's wrapper
//                        calls extern kernels — convolutions, GEMMs — through the aten
//                        dispatcher).
// Thread safety: run_op_microbench drives one worker process; the rest are pure functions.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/calibrate/profile.h"
#include "graphs/common/status.h"

namespace graphs {

/// One microbenchmark case as sent to the worker, with its work counted here.
struct MicroCase {
  std::string id;           // unique in a suite, e.g. "conv2d/1x64x56x56-k64-r3-s1"
  nlohmann::json request;   // the case object of the microbench request (docs/worker-protocol.md)
  std::string op_class;     // "matmul", "conv", "depthwise_conv", "elementwise", "reduction",
                            // "" for the overhead cases (noop, chain)
  double flops = 0;
  double bytes = 0;
};

/// Builders (units and formulas in the header comment). conv2d: pad symmetric; groups divides c
/// and k.
MicroCase matmul_case(int64_t m, int64_t k, int64_t n);
MicroCase conv2d_case(int64_t n, int64_t c, int64_t hw, int64_t k, int64_t r, int64_t stride,
                      int64_t pad, int64_t groups);
MicroCase add_case(int64_t numel);
MicroCase softmax_case(int64_t rows, int64_t cols);
MicroCase transpose_case(int64_t a, int64_t b, int64_t c);
MicroCase maxpool2d_case(int64_t n, int64_t c, int64_t hw, int64_t r, int64_t stride, int64_t pad);
MicroCase noop_case();
MicroCase chain_case(int64_t length);

/// The cases for a backend ("torch", "onnxruntime", "inductor"): the same shapes for every
/// backend (compiled by Inductor, a convolution or GEMM is aten's extern kernel plus whatever
/// layout conversions Inductor adds around it, which is what its class fits measure); the chain
/// cases for the backends with a per-call overhead (not torch); quick mode measures fewer shapes.
std::vector<MicroCase> microbench_suite(const std::string& backend, bool quick);

/// What the worker reported for one case.
struct MicroResult {
  std::string id;
  std::optional<double> median_s;
  std::optional<double> min_s;
  int calls = 0;
  std::optional<int> kernels;  // Inductor's generated kernels for the case
  std::string error;           // the case failed; the others still ran
};

struct MicroRun {
  std::string backend;
  std::vector<MicroResult> results;     // in case order; a case the worker never answered is
                                        // a result with an error
  nlohmann::json versions;              // the worker's package versions
  std::optional<int> threads;
  std::string error;                    // the whole run failed (worker missing, module missing)
};

struct MicroRunOptions {
  std::vector<std::string> worker_argv;                       // e.g. {python, -m, graphs.worker}
  std::vector<std::pair<std::string, std::string>> worker_env;
  std::optional<int> threads;
  double min_time_s = 0.05;  // per chunk
  int repeats = 3;
  double timeout_s = 300;    // for the whole run (the worker is killed past it)
};

/// Runs `cases` through one worker for `backend`. Never fails as a function: a worker that cannot
/// start, dies or answers garbage gives a MicroRun with `error` set (and the cases it answered
/// before kept).
MicroRun run_op_microbench(const std::string& backend, const std::vector<MicroCase>& cases,
                           const MicroRunOptions& options,
                           const std::function<void(const MicroResult&)>& on_result = {});

/// The backend's key in CalibrationProfile::dispatch_overhead_s / call_overhead_s and in
/// OpClassCalibration::backend: its family's dispatch_overhead_key (backends/backend_family.h):
/// torch → torch_eager, inductor → torch_inductor, onnxruntime → onnxruntime; an unknown name is
/// its own key.
std::string calibration_backend_key(const std::string& backend);

/// Groups the successful results by class and fits each class with ≥ 2 distinct work sizes
/// (samples kept beside the fit): Hockney on the work unit, and for the flops classes also the
/// compute + memory fit (calibrate/fit.h) the estimator prefers. Classes that cannot be fitted
/// are named in `notes`.
std::vector<OpClassCalibration> fit_op_classes(const std::string& backend_key,
                                               const std::vector<MicroCase>& cases,
                                               const std::vector<MicroResult>& results,
                                               std::vector<std::string>& notes);

/// Call and per-kernel overheads from the overhead cases (rules in the header comment, chosen by
/// the family's DispatchCalibration; a key no calibrated family has is fitted as a compiler's);
/// fills the maps under `backend_key`. `eager_dispatch_s` is torch eager's figure, used by Inductor's
/// rule when its chain did not compile to more kernels.
void fit_overheads(const std::string& backend_key, const std::vector<MicroCase>& cases,
                   const std::vector<MicroResult>& results,
                   std::optional<double> eager_dispatch_s,
                   std::map<std::string, double>& dispatch_overhead_s,
                   std::map<std::string, double>& call_overhead_s,
                   std::vector<std::string>& notes);

}  // namespace graphs
