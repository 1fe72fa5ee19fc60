// PyTorch conversions: eager, reduced precision, TorchScript, torch.export, torch.compile with
// Inductor, AOTInductor, and PT2E int8 quantization. They apply to torch sources only.
// Families (backends/backend_family.h): eager, torchscript, export, inductor, cudagraphs,
// aot_inductor, pt2e.
#include "graphs/backends/backend_family.h"
#include "graphs/bench/conversion_registry.h"

namespace graphs::bench {
namespace {

BackendFamily torch_family(std::string name, std::string worker_module,
                           std::vector<std::string> probe_modules, std::string estimator_backend,
                           std::string dispatch_overhead_key, std::string description) {
  BackendFamily f;
  f.name = std::move(name);
  f.worker_module = "graphs.worker." + worker_module;
  f.probe_modules = std::move(probe_modules);
  f.estimator_backend = std::move(estimator_backend);
  f.dispatch_overhead_key = std::move(dispatch_overhead_key);
  f.description = std::move(description);
  return f;
}

BackendFamily eager_family() {
  BackendFamily f = torch_family("eager", "torch_eager", {"torch"}, "eager", "torch_eager",
                                 "the nn.Module run op by op through the ATen dispatcher");
  f.calibration_backend = "torch";
  f.calibration_method = DispatchCalibration::kPerOpCall;
  f.calibration_order = 0;
  return f;
}

BackendFamily inductor_family() {
  BackendFamily f = torch_family("inductor", "torch_compile", {"torch", "triton"}, "inductor",
                                 "torch_inductor", "torch.compile with the Inductor compiler");
  f.calibration_backend = "inductor";
  f.calibration_method = DispatchCalibration::kPerCompiledKernel;
  f.calibration_order = 2;  // after eager: its fit falls back on eager's dispatch figure
  f.fallback_dispatch_key = "torch_eager";
  return f;
}

GRAPHS_REGISTER_BACKEND_FAMILY(eager_family());
GRAPHS_REGISTER_BACKEND_FAMILY(torch_family("torchscript", "jit", {"torch"}, "eager",
                                            "torch_eager", "TorchScript (trace or script), "
                                                           "run op by op"));
GRAPHS_REGISTER_BACKEND_FAMILY(torch_family("export", "torch_export", {"torch"}, "eager",
                                            "torch_eager", "torch.export's program run eagerly"));
GRAPHS_REGISTER_BACKEND_FAMILY(inductor_family());
GRAPHS_REGISTER_BACKEND_FAMILY(torch_family("cudagraphs", "torch_compile", {"torch"}, "", "",
                                            "torch.compile replaying eager kernels from a CUDA "
                                            "graph"));
/// A family compiled by Inductor: predicted and calibrated as Inductor.
BackendFamily inductor_compiled(std::string name, std::string worker_module,
                                std::vector<std::string> probe_modules, std::string description) {
  BackendFamily f = torch_family(std::move(name), std::move(worker_module),
                                 std::move(probe_modules), "inductor", "torch_inductor",
                                 std::move(description));
  f.fallback_dispatch_key = "torch_eager";
  return f;
}

GRAPHS_REGISTER_BACKEND_FAMILY(inductor_compiled("aot_inductor", "torch_export",
                                                 {"torch", "triton"},
                                                 "torch.export, then AOTInductor ahead of time"));
GRAPHS_REGISTER_BACKEND_FAMILY(inductor_compiled("pt2e", "quant", {"torch", "torchao"},
                                                 "PT2E quantization, then Inductor"));

const PythonRequirement kTorch{"torch", "torch", std::nullopt, std::nullopt};
// Inductor generates Triton kernels on CUDA (C++/OpenMP on CPU, which needs a C++ compiler).
const PythonRequirement kTritonOnCuda{"triton", "triton", Device::kCuda, std::nullopt};
const std::vector<Device> kBoth = {Device::kCpu, Device::kCuda};

ConversionInfo torch_conversion(std::string name, std::string family, std::string precision,
                                int tier_cpu, int tier_cuda, std::string description,
                                std::vector<PythonRequirement> extra = {},
                                std::vector<Device> devices = kBoth) {
  ConversionInfo c;
  c.worker_function = "convert";
  c.name = std::move(name);
  c.family = std::move(family);
  c.devices = std::move(devices);
  c.precision = std::move(precision);
  c.requires_modules = {kTorch};
  for (auto& r : extra) c.requires_modules.push_back(std::move(r));
  c.tier_cpu = tier_cpu;
  c.tier_cuda = tier_cuda;
  c.description = std::move(description);
  return c;
}

/// `c` run by the worker's `function` with keyword arguments `options`.
ConversionInfo worker(ConversionInfo c, std::string function,
                      nlohmann::json options = nlohmann::json::object()) {
  c.worker_function = std::move(function);
  c.worker_options = std::move(options);
  return c;
}

GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("EAGER", "eager", "fp32", 1, 1,
                            "the nn.Module as written, fp32, no compilation"),
           "convert"));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("BF16+EAGER", "eager", "bf16", 3, 3,
                            "weights and float inputs cast to bfloat16, eager"),
           "convert", {{"dtype", "bfloat16"}}));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("FP16+EAGER", "eager", "fp16", 0, 2,
                            "weights and float inputs cast to float16, eager", {},
                            {Device::kCuda}),
           "convert", {{"dtype", "float16"}}));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("JIT_TRACE", "torchscript", "fp32", 3, 3,
                            "torch.jit.trace with the example inputs"),
           "trace"));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("TORCH_SCRIPT", "torchscript", "fp32", 3, 3,
                            "torch.jit.script of the module"),
           "script"));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("EXPORT+EAGER", "export", "fp32", 3, 3,
                            "torch.export.export, then the exported program's module run "
                            "eagerly"),
           "export_eager"));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("COMPILE_INDUCTOR_DEFAULT", "inductor", "fp32", 1, 1,
                            "torch.compile(backend='inductor', mode='default')", {kTritonOnCuda}),
           "inductor", {{"mode", "default"}}));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("COMPILE_INDUCTOR_REDUCE_OVERHEAD", "inductor", "fp32", 3, 3,
                            "torch.compile(mode='reduce-overhead'): Inductor with CUDA graphs on "
                            "a GPU",
                            {kTritonOnCuda}),
           "inductor", {{"mode", "reduce-overhead"}}));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("COMPILE_INDUCTOR_MAX_AUTOTUNE", "inductor", "fp32", 3, 3,
                            "torch.compile(mode='max-autotune'): Inductor benchmarking kernel "
                            "choices (slow to compile)",
                            {kTritonOnCuda}),
           "inductor", {{"mode", "max-autotune"}}));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("COMPILE_CUDAGRAPHS", "cudagraphs", "fp32", 0, 2,
                            "torch.compile(backend='cudagraphs'): eager kernels replayed from a "
                            "CUDA graph",
                            {}, {Device::kCuda}),
           "cudagraphs"));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("EXPORT+AOT_INDUCTOR", "aot_inductor", "fp32", 2, 2,
                            "torch.export, then AOTInductor compiles a shared library "
                            "(aoti_compile_and_package), loaded and run",
                            {kTritonOnCuda}),
           "aot_inductor"));
GRAPHS_REGISTER_CONVERSION(
    worker(torch_conversion("PT2E_INT8_X86", "pt2e", "int8", 3, 0,
                            "torch.export, PT2E static int8 quantization with "
                            "X86InductorQuantizer (calibrated on the example inputs; torchao's "
                            "quantize_pt2e), then torch.compile with Inductor",
                            {{"torchao", "torchao", std::nullopt, std::nullopt}}, {Device::kCpu}),
           "pt2e_x86"));

}  // namespace
}  // namespace graphs::bench
