// PyTorch conversions: eager, reduced precision, TorchScript, torch.export, torch.compile with
// Inductor, AOTInductor, and PT2E int8 quantization. They apply to torch sources only.
#include "graphs/bench/conversion_registry.h"

namespace graphs::bench {
namespace {

const PythonRequirement kTorch{"torch", "torch", std::nullopt, std::nullopt};
// Inductor generates Triton kernels on CUDA (C++/OpenMP on CPU, which needs a C++ compiler).
const PythonRequirement kTritonOnCuda{"triton", "triton", Device::kCuda, std::nullopt};
const std::vector<Device> kBoth = {Device::kCpu, Device::kCuda};

ConversionInfo torch_conversion(std::string name, std::string family, std::string precision,
                                int tier_cpu, int tier_cuda, std::string description,
                                std::vector<PythonRequirement> extra = {},
                                std::vector<Device> devices = kBoth) {
  ConversionInfo c;
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

GRAPHS_REGISTER_CONVERSION(torch_conversion("EAGER", "eager", "fp32", 1, 1,
                                            "the nn.Module as written, fp32, no compilation"));
GRAPHS_REGISTER_CONVERSION(torch_conversion(
    "BF16+EAGER", "eager", "bf16", 3, 3, "weights and float inputs cast to bfloat16, eager"));
GRAPHS_REGISTER_CONVERSION(torch_conversion("FP16+EAGER", "eager", "fp16", 0, 2,
                                            "weights and float inputs cast to float16, eager",
                                            {}, {Device::kCuda}));
GRAPHS_REGISTER_CONVERSION(torch_conversion("JIT_TRACE", "torchscript", "fp32", 3, 3,
                                            "torch.jit.trace with the example inputs"));
GRAPHS_REGISTER_CONVERSION(torch_conversion("TORCH_SCRIPT", "torchscript", "fp32", 3, 3,
                                            "torch.jit.script of the module"));
GRAPHS_REGISTER_CONVERSION(torch_conversion(
    "EXPORT+EAGER", "export", "fp32", 3, 3,
    "torch.export.export, then the exported program's module run eagerly"));
GRAPHS_REGISTER_CONVERSION(torch_conversion(
    "COMPILE_INDUCTOR_DEFAULT", "inductor", "fp32", 1, 1,
    "torch.compile(backend='inductor', mode='default')", {kTritonOnCuda}));
GRAPHS_REGISTER_CONVERSION(torch_conversion(
    "COMPILE_INDUCTOR_REDUCE_OVERHEAD", "inductor", "fp32", 3, 3,
    "torch.compile(mode='reduce-overhead'): Inductor with CUDA graphs on a GPU", {kTritonOnCuda}));
GRAPHS_REGISTER_CONVERSION(torch_conversion(
    "COMPILE_INDUCTOR_MAX_AUTOTUNE", "inductor", "fp32", 3, 3,
    "torch.compile(mode='max-autotune'): Inductor benchmarking kernel choices (slow to compile)",
    {kTritonOnCuda}));
GRAPHS_REGISTER_CONVERSION(torch_conversion(
    "COMPILE_CUDAGRAPHS", "cudagraphs", "fp32", 0, 2,
    "torch.compile(backend='cudagraphs'): eager kernels replayed from a CUDA graph", {},
    {Device::kCuda}));
GRAPHS_REGISTER_CONVERSION(torch_conversion(
    "EXPORT+AOT_INDUCTOR", "aot_inductor", "fp32", 2, 2,
    "torch.export, then AOTInductor compiles a shared library (aoti_compile_and_package), loaded "
    "and run",
    {kTritonOnCuda}));
GRAPHS_REGISTER_CONVERSION(torch_conversion(
    "PT2E_INT8_X86", "pt2e", "int8", 3, 0,
    "torch.export, PT2E static int8 quantization with X86InductorQuantizer (calibrated on the "
    "example inputs; torchao's quantize_pt2e), then torch.compile with Inductor",
    {{"torchao", "torchao", std::nullopt, std::nullopt}}, {Device::kCpu}));

}  // namespace
}  // namespace graphs::bench
