// OpenVINO conversions: torch.compile with the OpenVINO backend (torch sources) and the OpenVINO
// runtime on the ONNX file (both sources; a torch source is exported to ONNX first).
// Family: openvino (worker module graphs.worker.openvino_backend).
#include "graphs/backends/backend_family.h"
#include "graphs/bench/conversion_registry.h"

namespace graphs::bench {
namespace {

BackendFamily openvino_family() {
  BackendFamily f;
  f.name = "openvino";
  f.description = "Intel OpenVINO: its runtime on the ONNX model, or its torch.compile backend";
  f.worker_module = "graphs.worker.openvino_backend";
  f.probe_modules = {"openvino", "torch", "onnx"};
  f.estimator_backend = "openvino";
  f.dispatch_overhead_key = "openvino";  // not measured by calibrate: kernel_launch_s applies
  return f;
}

GRAPHS_REGISTER_BACKEND_FAMILY(openvino_family());

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
  c.worker_function = "compile_openvino";
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
  c.worker_function = "convert";
  c.description =
      "OpenVINO runtime on the ONNX model (core.compile_model(..., 'CPU')), fp32 inference "
      "precision";
  return c;
}

GRAPHS_REGISTER_CONVERSION(compile_openvino());
GRAPHS_REGISTER_CONVERSION(openvino_cpu());

}  // namespace
}  // namespace graphs::bench
