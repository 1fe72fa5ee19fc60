// Hardware files: YAML text → parsed `HardwareSpec` (as written, every number with its source)
// → validated, immutable `HardwareModel` (what the estimators consume).
//
// The schema is versioned (`schema_version: 1`) and documented field by field, with units, in
// docs/hardware-schema.md. Every number is written as `{value: <number>, source: "<text>"}`;
// a number without a source is an error. Errors are one line that names the file, the line where
// known, and the field: "h100-sxm5-80gb.yaml:12: matrix_peak_flops_per_s.bf16: missing source".
// Error codes: kParseError for anything wrong in a file, kUnsupported for a schema_version this
// build does not read. Thread safety: all functions are pure.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/hardware/hardware_model.h"

namespace graphs {

/// The hardware YAML schema version this build reads and writes.
inline constexpr int kHardwareSchemaVersion = 1;

/// A number as written in a hardware file, with where it comes from (datasheet and section,
/// paper, "measured: <how>", "derived: <formula and facts>" or "estimate: <reasoning>").
struct Figure {
  double value = 0;
  std::string source;
  int line = 0;  // 1-based line in the file; 0 when the figure was not read from a file
};

struct CacheSpec {
  std::string name;  // "L1", "L2", "L3", "SMEM", "CMEM"
  std::optional<Figure> capacity_bytes;
  std::optional<Figure> bandwidth_bytes_per_s;
  int line = 0;
};

struct EfficiencySpec {
  std::optional<Figure> matrix;
  std::optional<Figure> vector;
  std::optional<Figure> memory;
  std::map<std::string, Figure> matrix_by_precision;
  int line = 0;
};

struct InterconnectSpec {
  std::string name;
  std::optional<Figure> bandwidth_bytes_per_s;
  std::optional<Figure> latency_s;
  int line = 0;
};

struct SystolicArraySpec {
  std::optional<Figure> rows;
  std::optional<Figure> cols;
  std::optional<Figure> count;
  int line = 0;
};

struct PowerModeSpec {
  std::string name;
  std::optional<Figure> clock_hz;
  std::optional<Figure> compute_units;
  std::optional<Figure> power_w;
  std::map<std::string, Figure> matrix_peak_flops_per_s;
  std::map<std::string, Figure> vector_peak_flops_per_s;
  std::optional<Figure> memory_bandwidth_bytes_per_s;
  int line = 0;
};

/// A hardware target as written: nothing checked beyond the shape of the file (known keys,
/// figures with sources). `resolve_hardware_spec` checks the values.
struct HardwareSpec {
  std::string file_name;  // for error messages
  std::optional<int> schema_version;
  std::string id;
  std::string name;
  std::string vendor;
  std::string kind;
  std::string die;
  bool derived = false;

  std::optional<Figure> compute_units;
  std::optional<Figure> clock_hz;
  std::map<std::string, Figure> matrix_peak_flops_per_s;
  std::map<std::string, Figure> vector_peak_flops_per_s;
  std::optional<Figure> memory_bytes;
  std::optional<Figure> memory_bandwidth_bytes_per_s;
  std::vector<CacheSpec> caches;
  std::optional<EfficiencySpec> efficiency;
  std::optional<Figure> kernel_launch_s;
  std::optional<Figure> graph_kernel_launch_s;
  std::optional<Figure> min_kernel_s;
  std::optional<Figure> host_link_bytes_per_s;
  std::optional<Figure> host_cpu_scale;
  std::optional<SystolicArraySpec> systolic_array;
  std::map<std::string, Figure> energy_per_flop_j;
  std::optional<Figure> energy_per_dram_byte_j;
  std::optional<Figure> static_power_w;
  std::optional<Figure> tdp_w;
  std::optional<InterconnectSpec> interconnect;
  std::vector<PowerModeSpec> power_modes;
  std::vector<std::string> notes;
};

/// Precision keys allowed in peak and energy maps: fp64 fp32 tf32 fp16 bf16 fp8 int8 int4.
const std::vector<std::string>& hardware_precisions();

/// Reads the YAML text of one hardware file. Checks syntax, keys (unknown key → did-you-mean),
/// types, and that every number has a source.
Result<HardwareSpec> parse_hardware_spec(std::string_view yaml, const std::string& file_name);

/// Validates a spec into a model: schema_version, required fields, positive peaks, efficiencies
/// in (0, 1], consistent power modes. Fills `sources` ("matrix_peak_flops_per_s.bf16" → source).
Result<HardwareModel> resolve_hardware_spec(const HardwareSpec& spec);

/// `base` run in power mode `mode` (case-insensitive): clock, compute units, peaks, bandwidth and
/// power (`tdp_w` ← the mode's `power_w`) replaced by the mode's, with their sources;
/// id becomes "<id>:<mode>". kNotFound naming the modes when `mode` is not one of them.
Result<HardwareModel> apply_power_mode(const HardwareModel& base, std::string_view mode);

}  // namespace graphs
