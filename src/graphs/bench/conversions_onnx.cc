// ONNX Runtime conversions. From a torch source the worker exports the model with
// torch.onnx.export first; an .onnx source is run as it is. Family: onnxruntime.
#include "graphs/backends/backend_family.h"
#include "graphs/bench/conversion_registry.h"

namespace graphs::bench {
namespace {

BackendFamily onnxruntime_family() {
  BackendFamily f;
  f.name = "onnxruntime";
  f.description = "ONNX Runtime on the ONNX model (exported first from a torch source)";
  f.worker_module = "graphs.worker.onnxruntime_backend";
  f.probe_modules = {"onnxruntime", "torch", "onnx"};
  f.estimator_backend = "onnxruntime";
  f.calibration_backend = "onnxruntime";
  f.dispatch_overhead_key = "onnxruntime";
  f.calibration_method = DispatchCalibration::kPerKernelInCall;
  f.calibration_order = 1;
  return f;
}

GRAPHS_REGISTER_BACKEND_FAMILY(onnxruntime_family());

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
  c.worker_function = "convert";
  c.worker_options = {{"provider", provider}};
  c.ort_provider = std::move(provider);
  c.description = std::move(description);
  return c;
}

GRAPHS_REGISTER_CONVERSION(ort_conversion("ONNX_CPU", Device::kCpu, "fp32", "CPUExecutionProvider",
                                          2, "ONNX Runtime, CPU execution provider, all graph "
                                             "optimizations"));
/// `c` with one more keyword argument for the worker's convert.
ConversionInfo with_option(ConversionInfo c, const std::string& key, nlohmann::json value) {
  c.worker_options[key] = std::move(value);
  return c;
}

GRAPHS_REGISTER_CONVERSION(with_option(
    ort_conversion("ONNX_CPU_INT8_DYNAMIC", Device::kCpu, "int8", "CPUExecutionProvider", 3,
                   "onnxruntime.quantization.quantize_dynamic (int8 weights, activations "
                   "quantized at run time), CPU execution provider"),
    "quantize", "dynamic_int8"));
GRAPHS_REGISTER_CONVERSION(ort_conversion("ONNX_GPU", Device::kCuda, "fp32",
                                          "CUDAExecutionProvider", 2,
                                          "ONNX Runtime, CUDA execution provider",
                                          "onnxruntime-gpu"));
GRAPHS_REGISTER_CONVERSION(with_option(
    ort_conversion("ONNX_TENSORRT", Device::kCuda, "fp16", "TensorrtExecutionProvider", 2,
                   "ONNX Runtime, TensorRT execution provider with fp16 enabled (engine built at "
                   "conversion)",
                   "onnxruntime-gpu"),
    "fp16", true));

}  // namespace
}  // namespace graphs::bench
