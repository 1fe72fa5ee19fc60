// ONNX Runtime conversions. From a torch source the worker exports the model with
// torch.onnx.export first; an .onnx source is run as it is.
#include "graphs/bench/conversion_registry.h"

namespace graphs::bench {
namespace {

ConversionInfo ort_conversion(std::string name, Device device, std::string precision,
                              std::string provider, int tier, std::string description,
                              std::string pip = "onnxruntime") {
  ConversionInfo c;
  c.name = std::move(name);
  c.family = "onnxruntime";
  c.devices = {device};
  c.precision = std::move(precision);
  c.requires_modules = {{"onnxruntime", std::move(pip), std::nullopt, std::nullopt},
                        {"torch", "torch", std::nullopt, SourceKind::kTorch},
                        {"onnx", "onnx", std::nullopt, SourceKind::kTorch}};
  c.torch_source = true;
  c.onnx_source = true;
  c.tier_cpu = device == Device::kCpu ? tier : 0;
  c.tier_cuda = device == Device::kCuda ? tier : 0;
  c.ort_provider = std::move(provider);
  c.description = std::move(description);
  return c;
}

GRAPHS_REGISTER_CONVERSION(ort_conversion("ONNX_CPU", Device::kCpu, "fp32", "CPUExecutionProvider",
                                          2, "ONNX Runtime, CPU execution provider, all graph "
                                             "optimizations"));
GRAPHS_REGISTER_CONVERSION(ort_conversion(
    "ONNX_CPU_INT8_DYNAMIC", Device::kCpu, "int8", "CPUExecutionProvider", 3,
    "onnxruntime.quantization.quantize_dynamic (int8 weights, activations quantized at run time), "
    "CPU execution provider"));
GRAPHS_REGISTER_CONVERSION(ort_conversion("ONNX_GPU", Device::kCuda, "fp32",
                                          "CUDAExecutionProvider", 2,
                                          "ONNX Runtime, CUDA execution provider",
                                          "onnxruntime-gpu"));
GRAPHS_REGISTER_CONVERSION(ort_conversion(
    "ONNX_TENSORRT", Device::kCuda, "fp16", "TensorrtExecutionProvider", 2,
    "ONNX Runtime, TensorRT execution provider with fp16 enabled (engine built at conversion)",
    "onnxruntime-gpu"));

}  // namespace
}  // namespace graphs::bench
