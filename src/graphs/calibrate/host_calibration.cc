#include "graphs/calibrate/host_calibration.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include "graphs/calibrate/profile.h"
#include "graphs/hardware/registry.h"

namespace graphs {

std::string overlay_calibration(const HostFacts& facts, const std::string& directory,
                                HardwareModel& host) {
  namespace fs = std::filesystem;
  const std::string fingerprint = hardware_fingerprint(facts);
  const fs::path path = fs::path(directory) / (fingerprint + ".json");
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    std::vector<std::string> others;
    for (const auto& entry : fs::directory_iterator(directory, ec)) {
      if (entry.path().extension() == ".json") others.push_back(entry.path().filename().string());
    }
    std::sort(others.begin(), others.end());
    std::string listed;
    for (const auto& o : others) listed += (listed.empty() ? "" : ", ") + o;
    host.notes.push_back(
        others.empty()
            ? "not calibrated: no profile for this machine (" + fingerprint + ") in " + directory +
                  "; run graphs calibrate"
            : "not calibrated: the profiles in " + directory + " (" + listed +
                  ") are for other machines; this machine is " + fingerprint +
                  "; run graphs calibrate");
    return "";
  }
  auto profile = load_profile(path.string());
  if (!profile.ok()) {
    const std::string why = "ignoring calibration profile: " + profile.error().message();
    host.notes.push_back(why);
    return why;
  }
  if (auto applied = apply_profile(*profile, fingerprint, host); !applied.ok()) {
    const std::string why = "ignoring calibration profile " + path.string() + ": " +
                            applied.error().message();
    host.notes.push_back(why);
    return why;
  }
  host.notes.push_back("calibration profile applied: " + path.string());
  return "";
}

Result<HardwareModel> detect_calibrated_host(std::string* warning) {
  GRAPHS_ASSIGN_OR_RETURN(HostFacts facts, read_host_facts(""));
  GRAPHS_ASSIGN_OR_RETURN(HardwareModel host, host_model_from_facts(facts));
  std::string why = overlay_calibration(facts, calibration_dir(), host);
  if (warning) *warning = std::move(why);
  return host;
}

namespace {

// Every registry loaded in this program gets the calibrated host.
[[maybe_unused]] const bool kInstalled = [] {
  set_host_provider([](std::vector<std::string>* warnings) -> Result<HardwareModel> {
    std::string warning;
    auto host = detect_calibrated_host(&warning);
    if (!warning.empty() && warnings) warnings->push_back(warning);
    return host;
  });
  return true;
}();

}  // namespace

}  // namespace graphs
