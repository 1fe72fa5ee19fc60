// Wall-clock time stamps for result files, profiles and history rows.
// Thread safety: pure (gmtime_r).
#pragma once

#include <string>

namespace graphs {

/// The current UTC time as ISO 8601 to the second, e.g. "2026-12-04T15:10:06Z".
std::string utc_now();

}  // namespace graphs
