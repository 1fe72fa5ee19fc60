// The benchmark orchestrator: probes the Python environment once, then runs every conversion in
// its own worker process through a WorkerSession (worker_session.h: the process, the protocol
// decoded into typed events, the phase clock; docs/worker-protocol.md), decides when warm-up is
// steady and when to stop measuring (statistics.h, measure_reply), checks outputs against the
// reference, and appends each result to a JSONL file as soon as the conversion finishes (write +
// fsync), so nothing measured is lost if the orchestrator itself dies.
//
// JSONL: line 1 is the run header {"type": "header", "schema_version": 1, "graphs_version",
// "time_utc", "host", "settings", "model", "probe", ...}; then one {"type": "result", ...} line
// per conversion in the order they ran (the reference first); the last line {"type": "end",
// "exit_status": N} is written only when the run completes.
//
// Not reentrant with itself in one process at the same time (the interrupt handler knows one
// current worker); call it from one thread at a time.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "graphs/bench/availability.h"
#include "graphs/bench/results.h"
#include "graphs/bench/settings.h"
#include "graphs/bench/worker_session.h"  // kWorkerProtocolVersion, parse_worker_line

namespace graphs::bench {

struct ProgressEvent {
  std::string conversion;
  std::size_t index = 0;  // 1-based position in the run
  std::size_t total = 0;
  std::string phase;      // start, load, convert, first_call, warmup, measure, done
  double elapsed_s = 0;   // since this conversion's worker started
  std::size_t samples = 0;
  std::optional<double> median_ci_rel;
  const ConversionResult* result = nullptr;  // set once, when the conversion has finished
};
using ProgressCallback = std::function<void(const ProgressEvent&)>;

/// The probe, or why it failed ("the worker did not start: ... (set --python ...)").
struct ProbeOutcome {
  std::optional<ProbeResult> probe;
  std::string error;
};

/// Starts one worker, asks `probe`, and ends it. Never throws; failures are in `error`.
ProbeOutcome run_probe(const std::vector<std::string>& worker_argv,
                       const std::vector<std::pair<std::string, std::string>>& worker_env,
                       double timeout_s);

/// Runs the whole benchmark. Errors only for what stops it from starting (the JSONL file or the
/// work directory cannot be created: kIoError); every conversion's failure is in its result.
Result<BenchReport> run_bench(const ResolvedBench& bench, const ProgressCallback& progress = {});

/// Host fingerprint for the header: hostname, os, kernel, machine, cpu_model, logical_cpus,
/// memory_bytes.
nlohmann::json host_fingerprint();

}  // namespace graphs::bench
