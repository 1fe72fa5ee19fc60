#include "graphs/bench/availability.h"

#include <algorithm>

namespace graphs::bench {

std::string_view to_string(AvailabilityStatus s) {
  switch (s) {
    case AvailabilityStatus::kAvailable: return "available";
    case AvailabilityStatus::kUnavailable: return "unavailable";
    case AvailabilityStatus::kNotApplicable: return "not_applicable";
  }
  return "unavailable";
}

Result<ProbeResult> ProbeResult::from_json(const nlohmann::json& j) {
  ProbeResult p;
  p.raw = j;
  try {
    if (!j.is_object()) return Error(ErrorCode::kParseError, "probe_result is not an object");
    if (j.contains("modules")) {
      const auto& m = j.at("modules");
      if (!m.is_object()) return Error(ErrorCode::kParseError, "probe_result.modules is not an object");
      for (const auto& [name, v] : m.items()) {
        if (v.is_string()) {
          p.modules[name] = v.get<std::string>();
        } else if (v.is_null()) {
          p.modules[name] = std::nullopt;
        } else {
          p.modules[name] = v.dump();  // a version given as a number: still importable
        }
      }
    }
    if (j.contains("import_errors") && j.at("import_errors").is_object()) {
      for (const auto& [name, v] : j.at("import_errors").items()) {
        p.import_errors[name] = v.is_string() ? v.get<std::string>() : v.dump();
      }
    }
    p.cuda_available = j.value("cuda_available", false);
    p.cuda_device_count = j.value("cuda_device_count", 0);
    if (j.contains("cuda_device_name") && j.at("cuda_device_name").is_string()) {
      p.cuda_device_name = j.at("cuda_device_name").get<std::string>();
    }
    if (j.contains("ort_providers") && j.at("ort_providers").is_array()) {
      p.ort_providers = j.at("ort_providers").get<std::vector<std::string>>();
    }
    if (j.contains("openvino_devices") && j.at("openvino_devices").is_array()) {
      p.openvino_devices = j.at("openvino_devices").get<std::vector<std::string>>();
    }
    if (j.contains("torch_num_threads") && j.at("torch_num_threads").is_number_integer()) {
      p.torch_num_threads = j.at("torch_num_threads").get<int>();
    }
  } catch (const nlohmann::json::exception& e) {
    return make_error(ErrorCode::kParseError, "probe_result: ", e.what());
  }
  return p;
}

Availability unavailable(std::string reason) {
  return {AvailabilityStatus::kUnavailable, std::move(reason)};
}

Availability availability(const ConversionInfo& c, SourceKind source, Device run_device,
                          const ProbeResult& probe) {
  if (!c.applies_to(source)) {
    return {AvailabilityStatus::kNotApplicable,
            source == SourceKind::kOnnx ? "not applicable to an ONNX source (" + c.name +
                                              " needs a PyTorch model)"
                                        : "not applicable to a PyTorch source"};
  }
  const Device device = c.device_for(run_device);
  if (!c.runs_on(device)) {
    return {AvailabilityStatus::kNotApplicable,
            c.name + " does not run on " + std::string(to_string(device))};
  }
  std::vector<std::string> missing;
  for (const PythonRequirement& r : c.requires_modules) {
    if (r.only_on_device && *r.only_on_device != device) continue;
    if (r.only_for_source && *r.only_for_source != source) continue;
    auto it = probe.modules.find(r.module);
    if (it != probe.modules.end() && it->second.has_value()) continue;
    std::string why;
    auto err = probe.import_errors.find(r.module);
    if (err != probe.import_errors.end()) {
      why = "package " + r.module + " fails to import (" + err->second + ")";
    } else if (r.module == "triton") {
      why = "triton missing: Inductor on CUDA needs Triton, which has no wheel for every "
            "platform (pip install triton)";
    } else {
      why = "package " + r.module + " missing (pip install " + r.pip + ")";
    }
    missing.push_back(why);
  }
  if (!missing.empty()) {
    std::string reason;
    for (const auto& m : missing) reason += (reason.empty() ? "" : "; ") + m;
    return unavailable(reason);
  }
  if (device == Device::kCuda && !probe.cuda_available) {
    return unavailable("no CUDA device (torch.cuda.is_available() is False)");
  }
  if (!c.ort_provider.empty() &&
      std::find(probe.ort_providers.begin(), probe.ort_providers.end(), c.ort_provider) ==
          probe.ort_providers.end()) {
    std::string fix = c.ort_provider == "CPUExecutionProvider" ? "pip install onnxruntime"
                                                                 : "pip install onnxruntime-gpu";
    return unavailable("onnxruntime has no " + c.ort_provider + " (" + fix + ")");
  }
  if (!c.openvino_device.empty() &&
      std::find(probe.openvino_devices.begin(), probe.openvino_devices.end(),
                c.openvino_device) == probe.openvino_devices.end()) {
    return unavailable("OpenVINO reports no " + c.openvino_device + " device");
  }
  return {};
}

}  // namespace graphs::bench
