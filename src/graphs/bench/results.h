// Results of a `graphs bench` run and their renderings. Result schema version 1 (docs/bench.md):
// every field JSON-safe, times in seconds, bytes in bytes, the unit in the field name.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/bench/output_check.h"
#include "graphs/bench/statistics.h"
#include "graphs/common/status.h"

namespace graphs::bench {

inline constexpr int kResultSchemaVersion = 1;

/// ok: ran and passed; failed: the worker reported an error, broke the protocol or the output did
/// not match; timeout: killed at a phase limit; crashed: died without `done` (signal, exit status);
/// unavailable: cannot run here (package, device); not_applicable: does not apply to this source
/// or device; interrupted: the run was stopped by SIGINT/SIGTERM.
enum class RunStatus { kOk, kFailed, kTimeout, kCrashed, kUnavailable, kNotApplicable, kInterrupted };
std::string_view to_string(RunStatus s);
/// The inverse of to_string; nullopt for an unknown name.
std::optional<RunStatus> run_status_from_string(std::string_view s);

/// One PyTorch operator's share of a model call, from torch.profiler's key_averages() over a few
/// calls after the measurement (`profile_ops`). Self time excludes the op's children; it is CPU
/// (host) time, with the profiler's few microseconds per op included.
struct OpTime {
  std::string name;             // "aten::mkldnn_convolution"
  double self_s_per_call = 0;   // self CPU time per model call, seconds
  double count_per_call = 0;    // invocations per model call
};

struct ConversionResult {
  std::string conversion;
  RunStatus status = RunStatus::kOk;
  std::string reason;        // why it is not ok (one line), empty when ok
  std::string phase;         // the phase it was in when it stopped ("" when ok)
  std::string device;        // where it ran
  std::string precision;
  std::string family;
  bool reference_only = false;   // run only to produce the reference outputs
  bool counts_for_exit = true;   // false: a tier member that cannot run here (informative)

  // Cold start (from the worker's cold_start event) and the orchestrator's own clock.
  std::optional<double> startup_s;  // spawn → hello (interpreter and worker import)
  std::optional<double> load_s, convert_s, first_call_s;
  std::optional<double> wall_s;     // spawn → exit

  // Warm-up and measurement.
  std::size_t warmup_calls = 0;
  std::size_t warmup_chunks = 0;
  double warmup_s = 0;
  bool warmup_steady = false;
  std::optional<LatencyStats> latency;
  std::string stop_reason;   // converged | max_time | n_samples
  double measure_s = 0;
  int64_t batch = 1;
  std::vector<double> samples_s;  // only with keep_samples

  // Resources.
  std::optional<int64_t> peak_rss_bytes;        // the worker's own report
  std::optional<int64_t> peak_rss_wait4_bytes;  // ru_maxrss of the worker process from wait4
  std::optional<int64_t> peak_gpu_memory_bytes;
  std::optional<int> threads;
  nlohmann::json versions = nlohmann::json::object();

  // From the worker's `done` (docs/worker-protocol.md); absent where the backend or the platform
  // cannot tell.
  std::optional<int> generated_kernels;      // kernels Inductor generated while converting
  std::optional<double> energy_j_per_call;   // energy of the timed calls / their number, joules
  std::string energy_source;                 // counters summed: "rapl:intel-rapl:0+intel-rapl:1"
  std::string energy_unavailable_reason;     // why there is no energy figure
  std::vector<OpTime> op_times;              // profile_ops: by self time, descending (≤ 200)
  std::string op_times_unavailable;          // profile_ops: why there are none

  // Output check.
  std::string output_check_status = "not_checked";  // passed | failed | not_checked | reference
  std::string output_check_note;
  std::optional<OutputComparison> output_check;

  std::vector<std::string> warnings;
  std::string exit;          // "exit status 0", "killed by SIGSEGV (signal 11)"
  std::string stderr_tail;   // last 4 KiB, only when not ok

  bool ok() const { return status == RunStatus::kOk; }
  std::optional<double> cold_start_s() const;  // load + convert + first_call
  nlohmann::json to_json() const;
  /// Reads back a result line as to_json wrote it (a results JSONL, `graphs validate
  /// --measured`): from_json(r.to_json()).to_json() == r.to_json(). Absent or null fields keep
  /// their defaults (older files); kParseError for a value that is no object, a missing
  /// `conversion` or an unknown `status`.
  static Result<ConversionResult> from_json(const nlohmann::json& j);
};

struct BenchReport {
  nlohmann::json header;  // the JSONL's first line
  std::vector<ConversionResult> results;
  int exit_status = 0;
  std::string jsonl_path;
  nlohmann::json to_json() const;  // {"schema_version", "header", "results", "summary"}
};

/// Reads a worker's `done` message into `r`: memory, threads, versions, generated_kernels, energy,
/// op_times. Fields are optional (older workers omit the newer ones); a field of the wrong type
/// is ignored with a warning on `r`, never a failure of the measured run.
/// Throws std::runtime_error for a count out of range (negative or absurd RSS, GPU memory or
/// threads): the orchestrator reports it as a protocol error.
void read_done_message(const nlohmann::json& done, ConversionResult& r);

/// Exit status of a run: 0 when every counted conversion is ok, 1 otherwise, 130 interrupted.
/// 130 when interrupted; 1 when a requested conversion failed or when nothing was measured at
/// all (every conversion unavailable or failed, --tier included); else 0.
int exit_status_of(const std::vector<ConversionResult>& results);

/// "" when some conversion was measured; else one line saying that nothing was, by status.
std::string nothing_measured_reason(const std::vector<ConversionResult>& results);

/// Text summary table: ok rows by median latency with the speedup over EAGER, then the rest with
/// their reasons.
std::string render_text(const BenchReport& report);
std::string render_markdown(const BenchReport& report);
/// One row per conversion, fixed columns (docs/bench.md), RFC 4180 quoting.
std::string render_csv(const BenchReport& report);

}  // namespace graphs::bench
