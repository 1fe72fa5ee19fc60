// Availability of conversions on this machine, from a worker's `probe_result`
// (docs/worker-protocol.md, "Probe"): which Python modules import, whether CUDA is there, which
// ONNX Runtime providers and OpenVINO devices exist.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/bench/conversion_registry.h"
#include "graphs/common/status.h"

namespace graphs::bench {

struct ProbeResult {
  std::map<std::string, std::optional<std::string>> modules;  // name → version, nullopt = missing
  std::map<std::string, std::string> import_errors;           // name → message
  bool cuda_available = false;
  int cuda_device_count = 0;
  std::optional<std::string> cuda_device_name;
  std::vector<std::string> ort_providers;
  std::vector<std::string> openvino_devices;
  std::optional<int> torch_num_threads;
  std::string platform;  // from `hello`
  std::string python;    // from `hello`
  nlohmann::json raw;    // the probe_result line as received

  /// Parses a `probe_result` object; kParseError naming the field that does not fit.
  static Result<ProbeResult> from_json(const nlohmann::json& j);
};

enum class AvailabilityStatus { kAvailable, kUnavailable, kNotApplicable };
std::string_view to_string(AvailabilityStatus s);

struct Availability {
  AvailabilityStatus status = AvailabilityStatus::kAvailable;
  std::string reason;  // empty when available; else what is missing and how to get it
  bool available() const { return status == AvailabilityStatus::kAvailable; }
};

/// Whether `c` can run here from a source of kind `source` in a run on `run_device`, and if not,
/// why: "not applicable to an ONNX source", "package onnxruntime missing (pip install
/// onnxruntime)", "no CUDA device (torch.cuda.is_available() is False)", "triton missing: no
/// Triton on this platform? (pip install triton)", "onnxruntime has no CUDAExecutionProvider (pip
/// install onnxruntime-gpu)". Missing packages are checked before devices.
Availability availability(const ConversionInfo& c, SourceKind source, Device run_device,
                          const ProbeResult& probe);

/// Availability without a probe (the worker could not be started): "unavailable: <why>".
Availability unavailable(std::string reason);

}  // namespace graphs::bench
