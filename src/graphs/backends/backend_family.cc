#include "graphs/backends/backend_family.h"

#include <algorithm>
#include <cstdlib>

#include "graphs/common/suggest.h"

namespace graphs {

bool test_conversions_enabled() {
  const char* v = std::getenv("GRAPHS_TEST_CONVERSIONS");
  return v != nullptr && std::string_view(v) == "1";
}

BackendFamilyRegistry& BackendFamilyRegistry::global() {
  static BackendFamilyRegistry registry;
  return registry;
}

void BackendFamilyRegistry::add(BackendFamily family) {
  auto it = std::find_if(entries_.begin(), entries_.end(),
                         [&](const BackendFamily& f) { return f.name == family.name; });
  if (it != entries_.end()) {
    *it = std::move(family);
  } else {
    entries_.push_back(std::move(family));
  }
}

std::vector<const BackendFamily*> BackendFamilyRegistry::all() const {
  const bool tests = test_conversions_enabled();
  std::vector<const BackendFamily*> out;
  for (const BackendFamily& f : entries_) {
    if (!f.test_only || tests) out.push_back(&f);
  }
  std::sort(out.begin(), out.end(),
            [](const BackendFamily* a, const BackendFamily* b) { return a->name < b->name; });
  return out;
}

const BackendFamily* BackendFamilyRegistry::find(const std::string& name) const {
  for (const BackendFamily* f : all()) {
    if (f->name == name) return f;
  }
  return nullptr;
}

const BackendFamily* BackendFamilyRegistry::find_calibration_backend(
    const std::string& calibration_backend) const {
  if (calibration_backend.empty()) return nullptr;
  for (const BackendFamily* f : all()) {
    if (f->calibration_backend == calibration_backend) return f;
  }
  return nullptr;
}

const BackendFamily* BackendFamilyRegistry::find_calibrated_key(const std::string& key) const {
  if (key.empty()) return nullptr;
  for (const BackendFamily* f : all()) {
    if (f->dispatch_overhead_key == key && !f->calibration_backend.empty()) return f;
  }
  return nullptr;
}

const BackendFamily* BackendFamilyRegistry::per_op_call_family() const {
  for (const BackendFamily* f : all()) {
    if (f->calibration_method == DispatchCalibration::kPerOpCall &&
        !f->calibration_backend.empty()) {
      return f;
    }
  }
  return nullptr;
}

Result<const BackendFamily*> find_backend_family(const std::string& name) {
  const auto& registry = BackendFamilyRegistry::global();
  if (const BackendFamily* f = registry.find(name)) return f;
  std::vector<std::string> names;
  for (const BackendFamily* f : registry.all()) names.push_back(f->name);
  return Error(ErrorCode::kInvalidArgument, unknown_name_message("backend family", name, names));
}

std::vector<std::string> calibration_backend_names() {
  std::vector<const BackendFamily*> calibrated;
  for (const BackendFamily* f : BackendFamilyRegistry::global().all()) {
    if (!f->calibration_backend.empty()) calibrated.push_back(f);
  }
  std::stable_sort(calibrated.begin(), calibrated.end(),
                   [](const BackendFamily* a, const BackendFamily* b) {
                     return a->calibration_order < b->calibration_order;
                   });
  std::vector<std::string> out;
  for (const BackendFamily* f : calibrated) out.push_back(f->calibration_backend);
  return out;
}

}  // namespace graphs
