// The conversion registry: every way `graphs bench` can run a model ("conversions": EAGER,
// COMPILE_INDUCTOR_DEFAULT, ONNX_CPU, ...). Names are exact and upper case; `+` means "then"
// (EXPORT+AOT_INDUCTOR: torch.export, then AOTInductor), following Alma's names where the meaning
// is the same.
//
// Each family registers itself (backends/backend_family.h: worker module, estimator backend,
// calibration key) and its conversions in its own file (conversions_torch.cc, _onnx.cc,
// _openvino.cc, _tensorrt.cc, _test.cc) with GRAPHS_REGISTER_BACKEND_FAMILY and
// GRAPHS_REGISTER_CONVERSION; nothing keeps a central list. The orchestrator asks the registry
// (`find`, `availability`); it never switches on names. The worker learns where a conversion's
// code is from the run request (`worker_conversion`), so Python keeps no table of its own to
// drift from this one.
//
// Device: a conversion that exists on one device only (ONNX_CPU, ONNX_GPU, COMPILE_CUDAGRAPHS)
// always runs there; every other conversion runs on the device of the run (`--device cpu|cuda`).
//
// Test-only conversions (TEST_HANG, TEST_SEGFAULT, TEST_EXIT, TEST_SLEEP) are visible only when
// the environment holds GRAPHS_TEST_CONVERSIONS=1.
//
// Thread safety: registration happens during static initialisation; afterwards the registry is
// read-only and safe to read from any thread.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/backends/backend_family.h"
#include "graphs/common/status.h"

namespace graphs::bench {

enum class Device { kCpu, kCuda };
std::string_view to_string(Device device);
/// "cpu" or "cuda"; kInvalidArgument otherwise.
Result<Device> parse_device(std::string_view text);

/// What kind of model a conversion starts from.
enum class SourceKind { kTorch, kOnnx };

/// A Python module a conversion imports, the pip package that provides it, and when it is
/// needed (only on one device / only for one source kind; nullopt = always).
struct PythonRequirement {
  std::string module;  // import name: "onnxruntime"
  std::string pip;     // pip name: "onnxruntime"
  std::optional<Device> only_on_device;
  std::optional<SourceKind> only_for_source;
};

struct ConversionInfo {
  std::string name;         // "COMPILE_INDUCTOR_DEFAULT"
  std::string family;       // a registered BackendFamily: "eager", "inductor", "onnxruntime", ...
  std::vector<Device> devices;  // where it can run; one entry = pinned to that device
  std::string precision;    // "fp32", "bf16", "fp16", "int8" (selects the output tolerance)
  std::vector<PythonRequirement> requires_modules;
  bool torch_source = true;  // applies to torch models (torchvision, hf, factory, exported)
  bool onnx_source = false;  // applies to .onnx files
  /// The smallest tier that includes it, per device run (0 = not in any tier on that device).
  /// 1 = EAGER + COMPILE_INDUCTOR_DEFAULT; 2 = the deployment set; 3 = everything.
  int tier_cpu = 3;
  int tier_cuda = 3;
  /// An onnxruntime execution provider it needs ("CUDAExecutionProvider"), "" for none.
  std::string ort_provider;
  /// An OpenVINO device it needs ("CPU"), "" for none.
  std::string openvino_device;
  std::string description;  // one line
  bool test_only = false;
  /// The worker's convert function in the family's worker module (graphs.worker.<module>), and
  /// the keyword arguments it is called with: "inductor", {"mode": "default"}.
  std::string worker_function = "convert";
  nlohmann::json worker_options = nlohmann::json::object();

  bool runs_on(Device d) const;
  bool applies_to(SourceKind s) const { return s == SourceKind::kTorch ? torch_source : onnx_source; }
  /// The device it runs on in a run on `run_device`: its only device when pinned, else run_device.
  Device device_for(Device run_device) const;
  int tier_on(Device run_device) const { return run_device == Device::kCpu ? tier_cpu : tier_cuda; }
};

class ConversionRegistry {
 public:
  static ConversionRegistry& global();
  void add(ConversionInfo info);

  /// Visible conversions (test-only ones only with GRAPHS_TEST_CONVERSIONS=1), ordered by their
  /// smallest tier, then family, then name: the order of listings and suggestions.
  std::vector<const ConversionInfo*> all() const;
  std::vector<std::string> names() const;
  /// nullptr for an unknown or hidden name (exact, case-sensitive).
  const ConversionInfo* find(const std::string& name) const;
  /// The visible conversions of the family named `family`, in the order of all().
  std::vector<const ConversionInfo*> of_family(const std::string& family) const;

  /// Resolves user-typed names (a comma-separated list may be passed as several entries, each
  /// trimmed). Unknown names: kInvalidArgument naming every unknown one with its did-you-mean
  /// ("unknown conversion 'COMPILE_INDUCTOR'; did you mean COMPILE_INDUCTOR_DEFAULT, ...?").
  /// Duplicates are kept once. Empty list: kInvalidArgument.
  /// Other tools' names (alma-torch's; conversion_equivalents()) resolve to ours where the
  /// meaning is the same, with a line in `notes` naming ours; names of conversions graphs does
  /// not have are refused with the reason ("COMPILE_TVM: not supported: ...").
  Result<std::vector<const ConversionInfo*>> resolve(const std::vector<std::string>& names,
                                                     std::vector<std::string>* notes = nullptr) const;

  /// The conversions of a tier (1, 2 or 3) for a run on `device` from a source of `source` kind:
  /// every conversion whose tier on that device is ≤ `tier` and that applies to the source.
  /// Tier outside 1..3: kInvalidArgument.
  Result<std::vector<const ConversionInfo*>> tier(int tier, Device device, SourceKind source) const;

 private:
  std::map<std::string, ConversionInfo> entries_;
};

/// Names other tools (alma-torch) use for conversions graphs has under another name, with the
/// same meaning: {"COMPILE_TENSORRT", "TORCH_TENSORRT"}, ... (docs/migrating-from-alma.md).
const std::map<std::string, std::string>& conversion_equivalents();

/// Names of conversions other tools offer and graphs does not, with why and what to use instead.
const std::map<std::string, std::string>& unsupported_conversions();

/// True when GRAPHS_TEST_CONVERSIONS=1 is set (graphs::test_conversions_enabled).
bool test_conversions_enabled();

/// What the worker needs to run `c`, for the run request's `worker` field
/// (docs/worker-protocol.md): {"family", "module": the family's worker_module (an import name),
/// "function": c.worker_function, "options": c.worker_options, "device": the pinned device or
/// null, "torch_source", "onnx_source", "test_only"}. A conversion whose family is not
/// registered (a broken invariant) gets "module": "".
nlohmann::json worker_conversion(const ConversionInfo& c);

/// Every visible conversion as the worker and the bindings see it: worker_conversion plus name,
/// devices, sources and the Python modules it requires (conversion_table() in the bindings).
nlohmann::json conversion_table_json();

}  // namespace graphs::bench

/// Registers at static-initialisation time: `GRAPHS_REGISTER_CONVERSION(ConversionInfo{...});`
#define GRAPHS_REGISTER_CONVERSION(...)                                                          \
  [[maybe_unused]] static const bool GRAPHS_CONCAT_(graphs_conversion_registered_, __COUNTER__) = \
      (::graphs::bench::ConversionRegistry::global().add(__VA_ARGS__), true)
