// OpenVINO conversions: torch.compile with the OpenVINO backend (torch sources) and the OpenVINO
// runtime on the ONNX file (both sources; a torch source is exported to ONNX first).
#include "graphs/bench/conversion_registry.h"

namespace graphs::bench {
namespace {

ConversionInfo compile_openvino() {
  ConversionInfo c;
  c.name = "COMPILE_OPENVINO";
  c.family = "openvino";
  c.devices = {Device::kCpu};
  c.precision = "fp32";
  c.requires_modules = {{"torch", "torch", std::nullopt, std::nullopt},
                        {"openvino", "openvino", std::nullopt, std::nullopt}};
  c.tier_cpu = 2;
  c.tier_cuda = 0;
  c.openvino_device = "CPU";
  c.description =
      "torch.compile(backend='openvino') (import openvino.torch), OpenVINO CPU plugin, fp32 "
      "inference precision";
  return c;
}

ConversionInfo openvino_cpu() {
  ConversionInfo c;
  c.name = "OPENVINO_CPU";
  c.family = "openvino";
  c.devices = {Device::kCpu};
  c.precision = "fp32";
  c.requires_modules = {{"openvino", "openvino", std::nullopt, std::nullopt},
                        {"torch", "torch", std::nullopt, SourceKind::kTorch},
                        {"onnx", "onnx", std::nullopt, SourceKind::kTorch}};
  c.torch_source = true;
  c.onnx_source = true;
  c.tier_cpu = 2;
  c.tier_cuda = 0;
  c.openvino_device = "CPU";
  c.description =
      "OpenVINO runtime on the ONNX model (core.compile_model(..., 'CPU')), fp32 inference "
      "precision";
  return c;
}

GRAPHS_REGISTER_CONVERSION(compile_openvino());
GRAPHS_REGISTER_CONVERSION(openvino_cpu());

}  // namespace
}  // namespace graphs::bench
