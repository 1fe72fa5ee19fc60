// Backend families: one record per family of conversions ("eager", "inductor", "onnxruntime",
// "openvino", ...), holding every name the family goes by elsewhere, so that no layer keeps a
// switch that translates one spelling into another:
//
//   family (ConversionInfo::family)  the conversions `graphs bench` runs (bench/conversions_*.cc)
//   worker_module                   graphs.worker.<module>: the Python module of its conversions
//   probe_modules                   Python modules its conversions import (`probe` reports them)
//   estimator_backend               the engine id (data/engines) `graphs validate` predicts with
//   calibration_backend             its name in `graphs calibrate --backends`
//   dispatch_overhead_key           its key in CalibrationProfile / HardwareModel
//                                   ::dispatch_overhead_s and op_class fits (calibrate/profile.h)
//   calibration_method              how calibrate measures its per-kernel dispatch cost
//
// Where it lives: estimate (engine → family), calibrate (backend names and keys), bench
// (conversions), validate and the bindings all read it, so the record sits just above common/,
// below every one of them (docs/architecture.md). The registrations are each family's own file,
// next to its conversions (bench/conversions_torch.cc registers eager, torchscript, export,
// inductor, cudagraphs, aot_inductor, pt2e; conversions_onnx.cc onnxruntime;
// conversions_openvino.cc openvino; conversions_tensorrt.cc tensorrt; conversions_test.cc
// test): they run at static initialisation, so every layer finds them at run time without
// including bench/ (the core is one OBJECT library: every registration is linked), as the host
// provider is installed from above (hardware/registry.h set_host_provider). A family's conversions are found from the
// other side: ConversionRegistry::of_family (bench/conversion_registry.h).
//
// Adding a family: docs/adding-a-backend.md.
// Thread safety: registration happens during static initialisation; afterwards the registry is
// read-only and safe to read from any thread.
#pragma once

#include <string>
#include <vector>

#include "graphs/common/status.h"

namespace graphs {

/// How `graphs calibrate` measures a family's per-kernel dispatch overhead
/// (calibrate/op_microbench.h fit_overheads).
enum class DispatchCalibration {
  kNone,             // not calibrated
  kPerOpCall,        // eager: one op is one call; the noop call's time is the dispatch cost
  kPerKernelInCall,  // a runtime (ONNX Runtime): (chain of N kernels − chain of 1) / (N − 1)
  kPerCompiledKernel,  // a compiler (Inductor): per generated kernel of a chain over the noop's
};

struct BackendFamily {
  std::string name;                        // "openvino": ConversionInfo::family
  std::string description;                 // one line
  std::string worker_module;               // "openvino_backend": graphs.worker.<module>
  std::vector<std::string> probe_modules;  // import names: {"openvino"}; probe.py reports each
  std::string estimator_backend;           // engine id: "openvino"; "" = not predicted
  std::string calibration_backend;         // `graphs calibrate --backends` name; "" = none
  std::string dispatch_overhead_key;       // "torch_eager"; "" = kernel_launch_s only
  DispatchCalibration calibration_method = DispatchCalibration::kNone;
  /// Order of calibration (smaller first): a family whose fit falls back on another's dispatch
  /// figure calibrates after it (Inductor after torch eager).
  int calibration_order = 0;
  /// The dispatch_overhead_key whose measured figures stand in where this family's are missing:
  /// "torch_eager" for the Inductor families, whose extern kernels (GEMMs, convolutions) go
  /// through the ATen dispatcher; "" for none.
  std::string fallback_dispatch_key;
  bool test_only = false;  // visible only with GRAPHS_TEST_CONVERSIONS=1
};

class BackendFamilyRegistry {
 public:
  static BackendFamilyRegistry& global();
  /// A second family of the same name replaces the first.
  void add(BackendFamily family);

  /// Every family, test-only ones only with GRAPHS_TEST_CONVERSIONS=1, sorted by name.
  std::vector<const BackendFamily*> all() const;
  /// nullptr for an unknown or hidden name.
  const BackendFamily* find(const std::string& name) const;
  /// The family that `graphs calibrate --backends NAME` means; nullptr for none.
  const BackendFamily* find_calibration_backend(const std::string& calibration_backend) const;
  /// The family whose dispatch_overhead_key is `key` and which calibrate measures; nullptr for
  /// none.
  const BackendFamily* find_calibrated_key(const std::string& key) const;
  /// The calibrated family measured per op call (DispatchCalibration::kPerOpCall: torch eager),
  /// whose dispatch figure is the host's kernel_launch_s and whose matmul fit its matrix
  /// efficiency; nullptr for none.
  const BackendFamily* per_op_call_family() const;

 private:
  std::vector<BackendFamily> entries_;
};

/// The family named `name`; kInvalidArgument with a did-you-mean for an unknown one.
Result<const BackendFamily*> find_backend_family(const std::string& name);

/// `graphs calibrate --backends` names, in calibration order: {"torch", "onnxruntime",
/// "inductor"} today.
std::vector<std::string> calibration_backend_names();

/// True when GRAPHS_TEST_CONVERSIONS=1 is set.
bool test_conversions_enabled();

}  // namespace graphs

/// Registers at static-initialisation time: `GRAPHS_REGISTER_BACKEND_FAMILY(BackendFamily{...});`
#define GRAPHS_REGISTER_BACKEND_FAMILY(...)                                                   \
  [[maybe_unused]] static const bool GRAPHS_CONCAT_(graphs_family_registered_, __COUNTER__) = \
      (::graphs::BackendFamilyRegistry::global().add(__VA_ARGS__), true)
