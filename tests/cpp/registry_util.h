// The default hardware registry for tests, loaded once (embedded files + host), kept for the
// whole test run so that MapperTargets may point into its models.
#pragma once

#include <gtest/gtest.h>

#include "graphs/hardware/registry.h"

namespace graphs::testing_util {

inline const HardwareRegistry& default_registry() {
  static const HardwareRegistry* r = [] {
    auto loaded = HardwareRegistry::load_default();
    EXPECT_TRUE(loaded.ok()) << (loaded.ok() ? "" : loaded.error().message());
    return new HardwareRegistry(loaded.ok() ? std::move(loaded).value() : HardwareRegistry());
  }();
  return *r;
}

}  // namespace graphs::testing_util
