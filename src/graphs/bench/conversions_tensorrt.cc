// TensorRT through Torch-TensorRT (ONNX Runtime's TensorRT provider is ONNX_TENSORRT, registered
// with the ONNX Runtime conversions).
#include "graphs/bench/conversion_registry.h"

namespace graphs::bench {
namespace {

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
  c.description =
      "torch_tensorrt.compile(ir='dynamo') with fp32 and fp16 kernels enabled (engine built at "
      "conversion)";
  return c;
}

GRAPHS_REGISTER_CONVERSION(torch_tensorrt());

}  // namespace
}  // namespace graphs::bench
