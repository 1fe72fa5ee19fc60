// `host` with this machine's calibration profile overlaid (graphs calibrate wrote it):
// installed as the hardware registry's host provider (hardware/registry.h set_host_provider) at
// static initialisation, so every HardwareRegistry::load_default gets the calibrated host.
#pragma once

#include <string>

#include "graphs/common/status.h"
#include "graphs/hardware/hardware_model.h"
#include "graphs/hardware/host.h"

namespace graphs {

/// Overlays on `host` the calibration profile (calibrate/profile.h) that `graphs calibrate` wrote
/// for this machine: `directory`/<hardware_fingerprint(facts)>.json. Applied with apply_profile
/// (DRAM and cache bandwidths, efficiencies, kernel_launch_s) plus the per-backend dispatch
/// overheads (HardwareModel::dispatch_overhead_s); a note in host.notes names the file. Not an
/// error in any case: no profile, or only profiles of other machines (other fingerprints), leaves
/// `host` as derived with a note saying so; a malformed or mismatched profile is ignored with a
/// note, and the returned line (empty otherwise) is the one-line warning for the user.
std::string overlay_calibration(const HostFacts& facts, const std::string& directory,
                                HardwareModel& host);

/// `detect_host` with the calibration profile from calibration_dir() ($GRAPHS_CALIBRATION_DIR,
/// default ${XDG_CACHE_HOME:-~/.cache}/graphs/calibration) overlaid; `warning` receives
/// overlay_calibration's warning line.
Result<HardwareModel> detect_calibrated_host(std::string* warning = nullptr);

}  // namespace graphs
