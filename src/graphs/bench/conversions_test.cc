// Test-only conversions for the orchestrator's own tests; visible only with
// GRAPHS_TEST_CONVERSIONS=1 (docs/worker-protocol.md, "Test-only conversions"). They need no
// package and apply to every source. Their worker code is not in the shipped package: the
// worker imports tests/python/worker_test_conversions/graphs_test_conversions.py from
// $GRAPHS_TEST_CONVERSIONS_DIR.
#include <cctype>

#include "graphs/backends/backend_family.h"
#include "graphs/bench/conversion_registry.h"

namespace graphs::bench {
namespace {

BackendFamily test_family() {
  BackendFamily f;
  f.name = "test";
  f.description = "the orchestrator's own tests: hang, crash, exit, sleep";
  f.worker_module = "graphs_test_conversions";
  f.test_only = true;
  return f;
}

GRAPHS_REGISTER_BACKEND_FAMILY(test_family());

ConversionInfo test_conversion(std::string name, std::string description) {
  ConversionInfo c;
  c.name = std::move(name);
  c.family = "test";
  c.devices = {Device::kCpu, Device::kCuda};
  c.precision = "fp32";
  c.torch_source = true;
  c.onnx_source = true;
  c.tier_cpu = 0;
  c.tier_cuda = 0;
  c.worker_function = c.name.empty() ? "" : "test_" + c.name.substr(5);
  for (char& ch : c.worker_function) ch = static_cast<char>(std::tolower(ch));
  c.description = std::move(description);
  c.test_only = true;
  return c;
}

GRAPHS_REGISTER_CONVERSION(test_conversion("TEST_HANG", "the worker sleeps forever in convert"));
GRAPHS_REGISTER_CONVERSION(
    test_conversion("TEST_SEGFAULT", "the worker kills itself with SIGSEGV in convert"));
GRAPHS_REGISTER_CONVERSION(test_conversion("TEST_EXIT", "the worker exits 7 without a word"));
GRAPHS_REGISTER_CONVERSION(
    test_conversion("TEST_SLEEP", "times time.sleep(0.001): fast and torch-free"));

}  // namespace
}  // namespace graphs::bench
