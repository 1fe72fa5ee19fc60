// TensorRT through Torch-TensorRT (ONNX Runtime's TensorRT provider is ONNX_TENSORRT, registered
// with the ONNX Runtime conversions). Family: tensorrt.
#include "graphs/backends/backend_family.h"
#include "graphs/bench/conversion_registry.h"

namespace graphs::bench {
namespace {

BackendFamily tensorrt_family() {
  BackendFamily f;
  f.name = "tensorrt";
  f.description = "NVIDIA TensorRT through Torch-TensorRT";
  f.worker_module = "graphs.worker.tensorrt_backend";
  f.probe_modules = {"torch", "torch_tensorrt", "tensorrt"};
  return f;
}

GRAPHS_REGISTER_BACKEND_FAMILY(tensorrt_family());

ConversionInfo torch_tensorrt() {
  ConversionInfo c;
  c.name = "TORCH_TENSORRT";
  c.family = "tensorrt";
  c.devices = {Device::kCuda};
  c.precision = "fp16";
  c.requires_modules = {{"torch", "torch", std::nullopt, std::nullopt},
                        {"torch_tensorrt", "torch-tensorrt", std::nullopt, std::nullopt},
                        {"tensorrt", "tensorrt", std::nullopt, std::nullopt}};
  c.tier_cpu = 0;
  c.tier_cuda = 2;
  c.worker_function = "torch_tensorrt";
  c.description =
      "torch_tensorrt.compile(ir='dynamo') with fp32 and fp16 kernels enabled (engine built at "
      "conversion)";
  return c;
}

GRAPHS_REGISTER_CONVERSION(torch_tensorrt());

}  // namespace
}  // namespace graphs::bench
