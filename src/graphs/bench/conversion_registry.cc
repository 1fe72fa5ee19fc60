#include "graphs/bench/conversion_registry.h"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <tuple>

#include "graphs/common/suggest.h"

namespace graphs::bench {

std::string_view to_string(Device device) { return device == Device::kCpu ? "cpu" : "cuda"; }

Result<Device> parse_device(std::string_view text) {
  if (text == "cpu") return Device::kCpu;
  if (text == "cuda" || text == "gpu") return Device::kCuda;
  return Error(ErrorCode::kInvalidArgument,
               unknown_name_message("device", text, {"cpu", "cuda"}));
}

bool ConversionInfo::runs_on(Device d) const {
  return std::find(devices.begin(), devices.end(), d) != devices.end();
}

Device ConversionInfo::device_for(Device run_device) const {
  if (devices.size() == 1) return devices.front();
  return run_device;
}

bool test_conversions_enabled() { return graphs::test_conversions_enabled(); }

ConversionRegistry& ConversionRegistry::global() {
  static ConversionRegistry registry;
  return registry;
}

void ConversionRegistry::add(ConversionInfo info) {
  std::string name = info.name;
  entries_.insert_or_assign(std::move(name), std::move(info));
}

std::vector<const ConversionInfo*> ConversionRegistry::all() const {
  const bool tests = test_conversions_enabled();
  std::vector<const ConversionInfo*> out;
  for (const auto& [name, info] : entries_) {
    if (info.test_only && !tests) continue;
    out.push_back(&info);
  }
  auto key = [](const ConversionInfo* c) {
    auto t = [](int x) { return x == 0 ? 99 : x; };
    return std::make_tuple(c->test_only, std::min(t(c->tier_cpu), t(c->tier_cuda)), c->family,
                           c->name);
  };
  std::stable_sort(out.begin(), out.end(),
                   [&](const ConversionInfo* a, const ConversionInfo* b) { return key(a) < key(b); });
  return out;
}

std::vector<std::string> ConversionRegistry::names() const {
  std::vector<std::string> out;
  for (const ConversionInfo* c : all()) out.push_back(c->name);
  return out;
}

const ConversionInfo* ConversionRegistry::find(const std::string& name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) return nullptr;
  if (it->second.test_only && !test_conversions_enabled()) return nullptr;
  return &it->second;
}

std::vector<const ConversionInfo*> ConversionRegistry::of_family(const std::string& family) const {
  std::vector<const ConversionInfo*> out;
  for (const ConversionInfo* c : all()) {
    if (c->family == family) out.push_back(c);
  }
  return out;
}

nlohmann::json worker_conversion(const ConversionInfo& c) {
  const BackendFamily* family = BackendFamilyRegistry::global().find(c.family);
  return {{"family", c.family},
          {"module", family != nullptr ? family->worker_module : ""},
          {"function", c.worker_function},
          {"options", c.worker_options},
          {"device", c.devices.size() == 1 ? nlohmann::json(to_string(c.devices.front()))
                                           : nlohmann::json(nullptr)},
          {"torch_source", c.torch_source},
          {"onnx_source", c.onnx_source},
          {"test_only", c.test_only}};
}

nlohmann::json conversion_table_json() {
  nlohmann::json out = nlohmann::json::array();
  for (const ConversionInfo* c : ConversionRegistry::global().all()) {
    nlohmann::json j = worker_conversion(*c);
    nlohmann::json devices = nlohmann::json::array();
    for (Device d : c->devices) devices.push_back(to_string(d));
    nlohmann::json modules = nlohmann::json::array();
    for (const PythonRequirement& r : c->requires_modules) modules.push_back(r.module);
    j["name"] = c->name;
    j["devices"] = std::move(devices);
    j["requires_modules"] = std::move(modules);
    out.push_back(std::move(j));
  }
  return out;
}

namespace {

std::string trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return "";
  const auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}

}  // namespace

const std::map<std::string, std::string>& conversion_equivalents() {
  static const std::map<std::string, std::string> m = {
      // alma-torch runs torch_tensorrt through torch.compile(backend="tensorrt"): the same
      // TensorRT engines as torch_tensorrt.compile.
      {"COMPILE_TENSORRT", "TORCH_TENSORRT"},
  };
  return m;
}

const std::map<std::string, std::string>& unsupported_conversions() {
  static const std::map<std::string, std::string> m = {
      {"COMPILE_OPENXLA", "torch.compile with the OpenXLA backend needs torch_xla and an XLA "
                          "device, which graphs does not drive"},
      {"COMPILE_TVM", "Apache TVM's torch.compile backend has no wheel for this torch; "
                      "ONNX_CPU or OPENVINO_CPU compile the exported graph instead"},
      {"COMPILE_ONNXRT", "torch.compile's onnxrt backend is not a graphs conversion; ONNX_CPU "
                         "(ONNX_GPU on CUDA) runs the exported model in ONNX Runtime"},
      {"FP16+COMPILE_CUDAGRAPHS", "there is no fp16 CUDA-graphs conversion; COMPILE_CUDAGRAPHS "
                                  "runs fp32 and FP16+EAGER fp16"},
  };
  return m;
}

Result<std::vector<const ConversionInfo*>> ConversionRegistry::resolve(
    const std::vector<std::string>& raw, std::vector<std::string>* notes) const {
  std::vector<std::string> names;
  for (const std::string& r : raw) {
    std::size_t start = 0;
    while (start <= r.size()) {
      const std::size_t comma = r.find(',', start);
      const std::string part =
          trim(std::string_view(r).substr(start, comma == std::string::npos ? std::string::npos
                                                                             : comma - start));
      if (!part.empty()) names.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  if (names.empty()) {
    return Error(ErrorCode::kInvalidArgument, "no conversion named; see graphs bench --list-conversions");
  }
  const std::vector<std::string> known = this->names();
  std::vector<const ConversionInfo*> out;
  std::set<std::string> seen;
  std::string unknown;
  for (const std::string& typed : names) {
    std::string n = typed;
    if (auto eq = conversion_equivalents().find(typed); eq != conversion_equivalents().end()) {
      n = eq->second;
      if (notes) notes->push_back(typed + " is " + n + " in graphs");
    }
    if (auto no = unsupported_conversions().find(typed); no != unsupported_conversions().end()) {
      if (!unknown.empty()) unknown += "; ";
      unknown += typed + ": not supported: " + no->second;
      continue;
    }
    const ConversionInfo* c = find(n);
    if (c == nullptr) {
      if (!unknown.empty()) unknown += "; ";
      unknown += unknown_name_message("conversion", n, known);
      continue;
    }
    if (seen.insert(n).second) out.push_back(c);
  }
  if (!unknown.empty()) {
    return Error(ErrorCode::kInvalidArgument,
                 unknown + " (graphs bench --list-conversions lists them all)");
  }
  return out;
}

Result<std::vector<const ConversionInfo*>> ConversionRegistry::tier(int tier, Device device,
                                                                     SourceKind source) const {
  if (tier < 1 || tier > 3) {
    return make_error(ErrorCode::kInvalidArgument, "--tier must be 1, 2 or 3, got ", tier);
  }
  std::vector<const ConversionInfo*> out;
  for (const ConversionInfo* c : all()) {
    if (c->test_only) continue;
    const int t = c->tier_on(device);
    if (t == 0 || t > tier || !c->applies_to(source)) continue;
    out.push_back(c);
  }
  return out;
}

}  // namespace graphs::bench
