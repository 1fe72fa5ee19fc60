// One worker process for one conversion, seen as a stream of typed events (docs/worker-protocol.md).
//
// The protocol is decoded in one place: `parse_worker_line` turns a stdout line into a JSON
// message (depth limit, object with a string "type"), `decode_worker_message` validates its fields
// and yields a `WorkerEvent`; every malformed message becomes a `ProtocolErrorEvent` whose `reason`
// is the text the result records ("protocol error: ...", "protocol mismatch: ..."). Both are pure.
//
// `WorkerSession` owns the process: it starts it, sends the run request when the worker says
// hello, keeps the phase clock (each phase's limit from `PhaseTimeouts`, restarted by every event)
// and returns one event per call of `next`. It decides nothing about measuring: the orchestrator
// answers chunks (`measure_reply` for the stopping rule) and records results.
//
// Not thread-safe: one thread drives one session.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/bench/npy.h"
#include "graphs/bench/settings.h"
#include "graphs/bench/statistics.h"
#include "graphs/bench/worker_process.h"
#include "graphs/common/status.h"

namespace graphs::bench {

inline constexpr int kWorkerProtocolVersion = 1;

/// One line a worker wrote, as a protocol message: a JSON object with a string "type", nested at
/// most 64 levels (deeper lines are refused before parsing). kRuntimeError naming what is wrong
/// (the line clipped) otherwise. Pure; the orchestrator's only way in for worker output.
Result<nlohmann::json> parse_worker_line(const std::string& line);

/// The next stdout line of `w` by `deadline`, parsed by `parse_worker_line`. `message` is set only
/// for kLine without a protocol error; `protocol_error` says what is wrong with a line (too long,
/// not a protocol message), without the "protocol error: " prefix.
struct WorkerLine {
  WorkerProcess::ReadStatus status = WorkerProcess::ReadStatus::kLine;
  std::optional<nlohmann::json> message;
  std::string protocol_error;
};
WorkerLine read_worker_line(WorkerProcess& w, Clock::time_point deadline);

/// Reads the worker's output files named in `outputs`: names inside `dir` only (no absolute path,
/// no "..", no symbolic link), regular files of at most 4 GiB, each a .npy array (npy.h) — never
/// /dev/zero or ../../etc/passwd. kRuntimeError naming the first file that is refused.
Result<std::vector<NpyArray>> read_worker_outputs(const std::filesystem::path& dir,
                                                  const std::vector<std::string>& files);

// ---- events --------------------------------------------------------------------------------

/// `hello` with this orchestrator's protocol version.
struct HelloEvent {};
/// `phase`: the worker entered `phase` (load, convert, first_call, warmup, measure, ...).
struct PhaseEvent {
  std::string phase;
};
/// `cold_start`: the times the worker reported, seconds, each finite and ≥ 0 when present.
struct ColdStartEvent {
  std::optional<double> load_s, convert_s, first_call_s;
};
/// `outputs`: .npy file names inside the run's output folder (not yet checked or read).
struct OutputsEvent {
  std::vector<std::string> files;
};
/// `chunk`: per-call latencies, seconds, each finite and ≥ 0; `phase` is warmup or measure.
struct ChunkEvent {
  std::string phase;
  std::vector<double> latency_s;
};
/// `done`: the message as sent, already accepted by `read_done_message` (which applies it).
struct DoneEvent {
  nlohmann::json message;
};
/// `error` from the worker: `kind` (failed, not_applicable, unavailable, unsupported, ...),
/// `message`, and the phase and traceback when it gave them as strings.
struct WorkerErrorEvent {
  std::string kind;
  std::string message;
  std::optional<std::string> phase;
  std::optional<std::string> traceback;
};
/// A line or message the protocol does not allow; `reason` is the result's text. The session
/// has killed the worker's process group.
struct ProtocolErrorEvent {
  std::string reason;
};
/// No event within the phase's limit; the session has killed the worker's process group.
struct TimeoutEvent {
  double limit_s = 0;
  std::string phase;
};
/// SIGINT/SIGTERM reached the orchestrator (interrupt_signal()); the group has been killed.
struct InterruptedEvent {
  int signal = 0;
};
/// The worker's stdout ended (it exited, or closed it).
struct ExitedEvent {};

using WorkerEvent = std::variant<HelloEvent, PhaseEvent, ColdStartEvent, OutputsEvent, ChunkEvent,
                                 DoneEvent, WorkerErrorEvent, ProtocolErrorEvent, TimeoutEvent,
                                 InterruptedEvent, ExitedEvent>;

/// What the orchestrator has told the worker, as far as a chunk needs: `measuring` once it sent
/// `continue` with phase measure; `measure_announced` once the worker sent `phase: measure`.
/// A chunk without a phase is a measure chunk when measuring, else a warm-up chunk; a warm-up chunk
/// while measuring, or a measure chunk before either, is a protocol error.
struct ChunkExpectation {
  bool measuring = false;
  bool measure_announced = false;
};

/// Decodes one parsed message (from `parse_worker_line`). Never throws: a missing or mistyped
/// field, a negative or non-finite time, a chunk of the wrong phase, an out-of-range count in
/// `done`, a protocol version other than kWorkerProtocolVersion and an unknown type are each a
/// ProtocolErrorEvent. Pure.
WorkerEvent decode_worker_message(const nlohmann::json& message, const ChunkExpectation& expect);

/// `parse_worker_line` then `decode_worker_message`; a refused line is a ProtocolErrorEvent.
WorkerEvent decode_worker_line(const std::string& line, const ChunkExpectation& expect);

// ---- stopping ------------------------------------------------------------------------------

/// The orchestrator's reply to a measured chunk, from `should_stop` (statistics.h): `message` is
/// {"type": "continue", "phase": "measure"} (with "n_calls": the calls still owed when
/// `rule.n_samples` is set) while `decision` is kContinue, else {"type": "stop"}.
struct MeasureReply {
  StopDecision decision = StopDecision::kContinue;
  nlohmann::json message;
};
/// `samples`: every measured latency so far, seconds; `elapsed_s`: measurement wall time so far.
/// Pure.
MeasureReply measure_reply(const StoppingRule& rule, const std::vector<double>& samples,
                           double elapsed_s);

// ---- the session ---------------------------------------------------------------------------

class WorkerSession {
 public:
  /// Starts the worker (WorkerProcess::spawn's errors: kNotFound, kIoError). Phase "start" with
  /// `timeouts.start_s` to say hello; on hello the session sends `run_request` and enters "load".
  static Result<WorkerSession> start(const std::vector<std::string>& argv,
                                     const std::vector<std::pair<std::string, std::string>>& env,
                                     const PhaseTimeouts& timeouts, nlohmann::json run_request);

  /// Waits for the next event until the phase's deadline. Every message restarts the phase clock;
  /// `phase` events set the phase and its limit (PhaseTimeouts::for_phase), an `error` with a
  /// phase sets the phase. After a ProtocolErrorEvent, TimeoutEvent or InterruptedEvent the
  /// worker's group is killed and only `finish` is left to call.
  WorkerEvent next(const ChunkExpectation& expect);

  /// Writes one message to the worker; false when it is gone (its exit then tells why).
  bool send(const nlohmann::json& message);
  /// Enters a phase the orchestrator chose (measure after warm-up, done after a reference stop),
  /// restarting the clock with `limit_s` seconds.
  void enter_phase(std::string phase, double limit_s);
  const std::string& phase() const { return phase_; }

  /// Closes the worker's stdin and waits up to `wait_s` seconds for it to exit, then kills its
  /// group. Idempotent.
  ExitInfo finish(double wait_s);
  /// The last 4 KiB of the worker's stderr.
  std::string stderr_tail() const { return process_.stderr_tail(); }

 private:
  WorkerSession(WorkerProcess process, const PhaseTimeouts& timeouts, nlohmann::json run_request);
  void apply(const WorkerEvent& event);

  WorkerProcess process_;
  PhaseTimeouts timeouts_;
  nlohmann::json run_request_;
  std::string phase_ = "start";
  double limit_s_ = 0;
  Clock::time_point deadline_;
};

}  // namespace graphs::bench
