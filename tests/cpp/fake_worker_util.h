// The torch-free fake worker (tests/data/bench/fake_worker.py) shared by the tests that drive a
// real worker process: its path and the environment variables that steer it.
#pragma once

#include <cstdlib>
#include <string>

namespace graphs {

inline const std::string kFakeWorker = std::string(GRAPHS_TEST_DATA_DIR) + "/bench/fake_worker.py";

/// Unsets every FAKE_* variable fake_worker.py reads, so one test's settings never leak into the
/// next (the worker inherits the test process's environment).
inline void clear_fake_worker_env() {
  for (const char* v : {"FAKE_MISSING", "FAKE_MISMATCH", "FAKE_GARBAGE", "FAKE_ERROR",
                        "FAKE_PROTOCOL", "FAKE_STDERR_BYTES", "FAKE_CALL_S", "FAKE_ENERGY_J",
                        "FAKE_KERNELS"}) {
    ::unsetenv(v);
  }
}

}  // namespace graphs
