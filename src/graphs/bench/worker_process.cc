#include "graphs/bench/worker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace graphs::bench {
namespace {

constexpr std::size_t kStderrTailBytes = 4096;
constexpr std::size_t kMaxLineBytes = std::size_t{256} << 20;

std::atomic<pid_t> g_current_pgid{0};
volatile sig_atomic_t g_interrupt_signal = 0;

void on_interrupt(int sig) {
  const pid_t pgid = g_current_pgid.load();
  if (pgid > 0) ::kill(-pgid, SIGKILL);
  g_interrupt_signal = sig;
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

std::string signal_name(int sig) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
  if (const char* abbrev = ::sigabbrev_np(sig)) return std::string("SIG") + abbrev;
#else
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGKILL: return "SIGKILL";
    case SIGABRT: return "SIGABRT";
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
  }
#endif
  return "signal " + std::to_string(sig);
}

std::string ExitInfo::describe() const {
  if (exited) return "exit status " + std::to_string(exit_code);
  if (signal != 0) return "killed by " + signal_name(signal) + " (signal " + std::to_string(signal) + ")";
  return "did not exit";
}

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll returns EINTR at once
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
}

int interrupt_signal() { return g_interrupt_signal; }
void reset_interrupt() { g_interrupt_signal = 0; }

Result<WorkerProcess> WorkerProcess::spawn(
    const std::vector<std::string>& argv,
    const std::vector<std::pair<std::string, std::string>>& extra_env) {
  if (argv.empty()) return Error(ErrorCode::kInvalidArgument, "empty worker command");
  // Everything the child needs is built before fork: after fork only async-signal-safe calls.
  std::vector<std::string> env_strings;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const std::string name = entry.substr(0, entry.find('='));
    bool replaced = false;
    for (const auto& [n, v] : extra_env) replaced = replaced || n == name;
    if (!replaced) env_strings.push_back(entry);
  }
  for (const auto& [n, v] : extra_env) env_strings.push_back(n + "=" + v);
  std::vector<char*> envp, args;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& s : argv_copy) args.push_back(s.data());
  args.push_back(nullptr);

  int in_pipe[2], out_pipe[2], err_pipe[2], exec_pipe[2];
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) return make_error(ErrorCode::kIoError, "pipe: ", std::strerror(errno));
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0 ||
      ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    return make_error(ErrorCode::kIoError, "pipe: ", std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1],
                   exec_pipe[0], exec_pipe[1]}) {
      ::close(fd);
    }
    return make_error(ErrorCode::kIoError, "fork: ", std::strerror(errno));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
#ifdef __linux__
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
#endif
    // Default dispositions for the worker (the orchestrator ignores SIGPIPE, catches SIGINT).
    ::signal(SIGPIPE, SIG_DFL);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    ::execvpe(args[0], args.data(), envp.data());
    const int err = errno;
    [[maybe_unused]] auto n = ::write(exec_pipe[1], &err, sizeof err);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also in the parent: no window where kill(-pid) misses the child
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  ::close(exec_pipe[1]);
  WorkerProcess w;
  w.pid_ = pid;
  w.stdin_fd_ = in_pipe[1];
  w.stdout_fd_ = out_pipe[0];
  w.stderr_fd_ = err_pipe[0];
  ::fcntl(w.stdout_fd_, F_SETFL, ::fcntl(w.stdout_fd_, F_GETFL) | O_NONBLOCK);
  ::fcntl(w.stderr_fd_, F_SETFL, ::fcntl(w.stderr_fd_, F_GETFL) | O_NONBLOCK);
  int exec_errno = 0;
  ssize_t got;
  do {
    got = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  ::close(exec_pipe[0]);
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    w.wait(Clock::now() + std::chrono::seconds(5));
    return make_error(ErrorCode::kNotFound, "cannot run '", argv[0], "': ", std::strerror(exec_errno));
  }
  g_current_pgid.store(pid);
  return w;
}

WorkerProcess::WorkerProcess(WorkerProcess&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      stdin_fd_(std::exchange(o.stdin_fd_, -1)),
      stdout_fd_(std::exchange(o.stdout_fd_, -1)),
      stderr_fd_(std::exchange(o.stderr_fd_, -1)),
      stdout_buf_(std::move(o.stdout_buf_)),
      stderr_tail_(std::move(o.stderr_tail_)),
      stdout_eof_(o.stdout_eof_),
      reaped_(std::exchange(o.reaped_, true)),
      exit_(o.exit_) {}

WorkerProcess::~WorkerProcess() {
  if (pid_ > 0) {
    kill_group();
    wait(Clock::now());
  }
  close_fd(stdin_fd_);
  close_fd(stdout_fd_);
  close_fd(stderr_fd_);
}

void WorkerProcess::append_stderr(const char* data, std::size_t n) {
  stderr_tail_.append(data, n);
  if (stderr_tail_.size() > kStderrTailBytes) {
    stderr_tail_.erase(0, stderr_tail_.size() - kStderrTailBytes);
  }
}

void WorkerProcess::pump_stderr() {
  if (stderr_fd_ < 0) return;
  char buf[8192];
  for (;;) {
    const ssize_t n = ::read(stderr_fd_, buf, sizeof buf);
    if (n > 0) {
      append_stderr(buf, static_cast<std::size_t>(n));
      continue;
    }
    if (n == 0) close_fd(stderr_fd_);
    if (n < 0 && errno == EINTR) continue;
    return;  // EAGAIN or error
  }
}

WorkerProcess::ReadStatus WorkerProcess::read_line(std::string& line, Clock::time_point deadline) {
  for (;;) {
    const auto nl = stdout_buf_.find('\n');
    if (nl != std::string::npos) {
      line = stdout_buf_.substr(0, nl);
      stdout_buf_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return ReadStatus::kLine;
    }
    if (stdout_buf_.size() > kMaxLineBytes) return ReadStatus::kLineTooLong;
    if (stdout_eof_) {
      pump_stderr();
      if (!stdout_buf_.empty()) {  // a last line without '\n'
        line = std::move(stdout_buf_);
        stdout_buf_.clear();
        return ReadStatus::kLine;
      }
      return ReadStatus::kEof;
    }
    if (g_interrupt_signal != 0) return ReadStatus::kInterrupted;
    const auto now = Clock::now();
    if (now >= deadline) return ReadStatus::kTimeout;
    // Wake at least every 100 ms to notice an interrupt even if poll restarts.
    const auto wait_ms = std::min<int64_t>(
        100, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1);
    pollfd fds[2];
    nfds_t nfds = 0;
    fds[nfds++] = {stdout_fd_, POLLIN, 0};
    if (stderr_fd_ >= 0) fds[nfds++] = {stderr_fd_, POLLIN, 0};
    const int r = ::poll(fds, nfds, static_cast<int>(wait_ms));
    if (r < 0) {
      if (errno == EINTR) continue;
      stdout_eof_ = true;
      continue;
    }
    if (r == 0 && exited_keeping_pipe()) continue;  // stdout_eof_ now set
    if (nfds == 2 && fds[1].revents != 0) pump_stderr();
    if (fds[0].revents != 0) {
      char buf[65536];
      for (;;) {
        const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
        if (n > 0) {
          stdout_buf_.append(buf, static_cast<std::size_t>(n));
          if (stdout_buf_.find('\n', stdout_buf_.size() - static_cast<std::size_t>(n)) !=
              std::string::npos) {
            break;
          }
          continue;
        }
        if (n == 0) stdout_eof_ = true;
        if (n < 0 && errno == EINTR) continue;
        break;
      }
    }
  }
}

bool WorkerProcess::exited_keeping_pipe() {
  if (reaped_ || pid_ <= 0) return false;
  siginfo_t info{};
  const int r = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
  if (r != 0 || info.si_pid != pid_) return false;
  // The worker is gone but its stdout is still open: a process it started holds it. Take what is
  // already in the pipe, then end the group (the holder with it) and read the end of the stream.
  for (;;) {
    pollfd fd{stdout_fd_, POLLIN, 0};
    if (::poll(&fd, 1, 0) <= 0 || (fd.revents & POLLIN) == 0) break;
    char buf[65536];
    const ssize_t n = ::read(stdout_fd_, buf, sizeof buf);
    if (n <= 0) break;
    stdout_buf_.append(buf, static_cast<std::size_t>(n));
  }
  ::kill(-pid_, SIGKILL);
  stdout_eof_ = true;
  return true;
}

Status WorkerProcess::write_line(const std::string& text) {
  if (stdin_fd_ < 0) return Error(ErrorCode::kIoError, "worker stdin is closed");
  const std::string data = text + "\n";
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(stdin_fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(ErrorCode::kIoError, "writing to the worker: ", std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  return ok_status();
}

void WorkerProcess::close_stdin() { close_fd(stdin_fd_); }

void WorkerProcess::kill_group() {
  if (pid_ > 0 && !reaped_) ::kill(-pid_, SIGKILL);
}

ExitInfo WorkerProcess::wait(Clock::time_point deadline) {
  if (reaped_ || pid_ <= 0) return exit_;
  // Wait without reaping (WNOWAIT): while the worker is a zombie its pid cannot be reused, so the
  // group kill below cannot hit a stranger. It ends what the worker left behind in its group.
  for (;;) {
    siginfo_t info{};
    const int r = ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && info.si_pid == pid_) break;
    if (r < 0 && errno != EINTR) break;
    pump_stderr();
    if (Clock::now() >= deadline) {
      ::kill(-pid_, SIGKILL);
      deadline = Clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(-pid_, SIGKILL);
  int status = 0;
  rusage usage{};
  pid_t k;
  do {
    k = ::wait4(pid_, &status, 0, &usage);
  } while (k < 0 && errno == EINTR);
  reaped_ = true;
  if (g_current_pgid.load() == pid_) g_current_pgid.store(0);
  pump_stderr();
  if (k == pid_) {
    exit_.exited = WIFEXITED(status);
    exit_.exit_code = exit_.exited ? WEXITSTATUS(status) : 0;
    exit_.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    exit_.max_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;  // KiB on Linux
  }
  return exit_;
}

std::string last_lines(const std::string& text, std::size_t max_chars) {
  std::string t = text;
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  if (t.size() > max_chars) t = "..." + t.substr(t.size() - max_chars);
  for (char& c : t) {
    if (c == '\n') c = ' ';
  }
  return t;
}

}  // namespace graphs::bench
