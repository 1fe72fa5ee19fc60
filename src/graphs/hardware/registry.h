// The hardware registry: every target the estimators can run on, by ID.
//
// Sources, in order (a later one replaces an earlier one with the same ID, with a note saying so):
//   1. the files of data/hardware/*.yaml, embedded into the binary at build time;
//   2. `host`, this machine, from the host provider: detect_host (host.h) unless a layer above
//      installs another — calibrate/ installs one that overlays this machine's calibration
//      profile (calibrate/host_calibration.h); its warning lines are kept in warnings(), never
//      printed here;
//   3. every *.yaml file in the directories of $GRAPHS_HARDWARE_PATH (colon-separated), e.g. a
//      calibrated profile for `host` or a new target. Two such files with the same ID are an error.
// IDs are lower case ("h100-sxm5-80gb"); a power mode is asked for as "ID:MODE"
// ("jetson-orin-agx-64gb:30w"). Lookups are case-insensitive.
//
// Thread safety: a loaded registry is immutable through its const methods.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/hardware/hardware_model.h"

namespace graphs {

/// Makes the `host` target; may append one-line warnings for the user to `warnings`.
using HostProvider = std::function<Result<HardwareModel>(std::vector<std::string>* warnings)>;

/// Installs the provider load_default uses for `host` (default: detect_host). For layers above
/// hardware/ that refine `host` (the calibration overlay); call it during static initialisation.
void set_host_provider(HostProvider provider);

class HardwareRegistry {
 public:
  /// An empty registry (for tests and tools); `load_default` is what programs use.
  HardwareRegistry() = default;

  /// Embedded files + `host` + $GRAPHS_HARDWARE_PATH. Fails on any invalid file (naming file and
  /// field) or a directory in $GRAPHS_HARDWARE_PATH that does not exist. A failed host detection
  /// does not fail the load: `get("host")` returns that error instead.
  static Result<HardwareRegistry> load_default();

  /// Parses and validates the YAML text of one hardware file (schema: docs/hardware-schema.md).
  /// `file_name` is used in error messages.
  static Result<HardwareModel> parse_yaml(std::string_view yaml, const std::string& file_name);

  /// Adds the target in `yaml`. With `replace` false, an ID already present is an error.
  Status add_yaml(std::string_view yaml, const std::string& file_name, bool replace = false);
  /// Adds every *.yaml file in `directory` (sorted by name). The file name must be "<id>.yaml".
  Status add_directory(const std::string& directory, bool replace = false);
  /// Adds or replaces a validated model.
  void add(HardwareModel model);

  /// The model for `id` ("h100-sxm5-80gb", "jetson-orin-agx-64gb:30w", "host"). kNotFound with a
  /// did-you-mean for an unknown ID, or the list of modes for an unknown power mode.
  Result<HardwareModel> get(const std::string& id) const;

  /// Every ID, sorted, power modes included as "ID:MODE".
  std::vector<std::string> ids() const;

  /// One-line warnings gathered while loading (a malformed calibration profile); the program
  /// decides where they go.
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Status add_model(HardwareModel model, bool replace);

  std::map<std::string, HardwareModel> models_;
  std::optional<Error> host_error_;  // why `host` could not be detected
  std::vector<std::string> warnings_;
};

namespace detail {
/// The files of data/hardware/*.yaml as (file name, YAML text); generated at build time by
/// cmake/embed_files.cmake.
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_hardware_files();
}  // namespace detail

}  // namespace graphs
