// One worker process and the pipes to it (POSIX). The orchestrator writes JSON lines to the
// worker's stdin and reads JSON lines from its stdout; stderr is drained at the same time (poll),
// its last 4 KiB kept for reports, so neither pipe can fill and deadlock the worker.
//
// The worker runs in its own process group (setpgid), so `kill_group` (SIGKILL to −pgid) also ends
// whatever it started (compiler subprocesses, thread pools in children). On Linux the worker also
// gets SIGKILL when the orchestrator dies (PR_SET_PDEATHSIG). The destructor kills the group and
// reaps the worker: a WorkerProcess never leaks a process.
//
// Interrupts: `install_interrupt_handlers` makes SIGINT/SIGTERM kill the current worker's group
// (async-signal-safe: kill(2) only) and raise a flag that `read_line` reports as kInterrupted.
// Not thread-safe: one thread drives one WorkerProcess.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "graphs/common/status.h"

namespace graphs::bench {

using Clock = std::chrono::steady_clock;

/// How a worker ended.
struct ExitInfo {
  bool exited = false;      // exited normally (exit_code valid)
  int exit_code = 0;
  int signal = 0;           // terminating signal, 0 when exited
  int64_t max_rss_bytes = 0;  // from wait4's rusage (ru_maxrss)
  std::string describe() const;  // "exit status 7", "killed by SIGSEGV (signal 11)"
};

/// "SIGSEGV" for 11 (sigabbrev_np), "signal N" when unnamed.
std::string signal_name(int signal);

class WorkerProcess {
 public:
  enum class ReadStatus { kLine, kTimeout, kEof, kInterrupted, kLineTooLong };

  /// Starts argv[0] (searched in PATH) with argv, the current environment plus `extra_env`
  /// (NAME, VALUE pairs that replace existing ones). kNotFound when the program cannot be executed
  /// (the message names it and errno), kIoError when pipes or fork fail.
  static Result<WorkerProcess> spawn(const std::vector<std::string>& argv,
                                     const std::vector<std::pair<std::string, std::string>>& extra_env);

  WorkerProcess(WorkerProcess&& other) noexcept;
  WorkerProcess& operator=(WorkerProcess&&) = delete;
  WorkerProcess(const WorkerProcess&) = delete;
  ~WorkerProcess();

  /// Reads the next stdout line (without '\n') or returns why not by `deadline`. Lines longer than
  /// 256 MiB are kLineTooLong. kEof when stdout ends — or when the worker has exited even though a
  /// process it started still holds the pipe (that process is killed with the group).
  ReadStatus read_line(std::string& line, Clock::time_point deadline);
  /// Writes `line` + '\n' to the worker's stdin; kIoError when the worker is gone (EPIPE).
  Status write_line(const std::string& line);
  void close_stdin();
  /// SIGKILL to the worker's process group.
  void kill_group();
  /// Waits for the worker to exit until `deadline`, then kills its group and waits. Idempotent.
  ExitInfo wait(Clock::time_point deadline);

  /// The last 4 KiB of the worker's stderr (decoded as is; may cut a UTF-8 sequence at the start).
  std::string stderr_tail() const { return stderr_tail_; }
  pid_t pid() const { return pid_; }

 private:
  WorkerProcess() = default;
  void pump_stderr();
  void append_stderr(const char* data, std::size_t n);
  /// True (stdout then treated as ended) when the worker has exited while a process it started
  /// still holds its stdout open; that process group is killed.
  bool exited_keeping_pipe();

  pid_t pid_ = -1;
  int stdin_fd_ = -1, stdout_fd_ = -1, stderr_fd_ = -1;
  std::string stdout_buf_;
  std::string stderr_tail_;
  bool stdout_eof_ = false;
  bool reaped_ = false;
  ExitInfo exit_;
};

/// The end of a worker's stderr as one line for a report: trailing blanks trimmed, the last
/// `max_chars` characters kept ("..." in front when cut), newlines turned into spaces.
std::string last_lines(const std::string& text, std::size_t max_chars = 300);

/// SIGINT/SIGTERM → kill the current worker group and raise the interrupt flag; SIGPIPE ignored.
/// For the command line; the Python binding leaves Python's handlers alone.
void install_interrupt_handlers();
/// The signal that interrupted the run (0 when none).
int interrupt_signal();
/// Clears the flag (tests).
void reset_interrupt();

}  // namespace graphs::bench
