#include "graphs/parallel/tp_verify.h"

#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

namespace graphs {

std::vector<std::string> tp_verify_argv(const TpVerifyRequest& r) {
  return {r.python,        "-m",        "graphs.tp.verify",
          "--model",       r.models,    "--world-size",
          r.world_sizes,   "--timeout", fmt::format("{:g}", r.timeout_s)};
}

Result<int> run_tp_verify(const TpVerifyRequest& r) {
  if (r.models.empty() || r.world_sizes.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "graphs tp verify needs --model NAME and --world-size N");
  }
  std::vector<std::string> args = tp_verify_argv(r);
  // A pipe closed on exec tells the parent whether exec failed, and why.
  int fds[2];
  if (::pipe(fds) != 0) return make_error(ErrorCode::kRuntimeError, "graphs tp verify: pipe failed");
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return make_error(ErrorCode::kRuntimeError, "graphs tp verify: fork failed");
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    if (!r.graphs_bin.empty() && std::getenv("GRAPHS_BIN") == nullptr) {
      ::setenv("GRAPHS_BIN", r.graphs_bin.c_str(), 1);
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    const int err = errno;
    [[maybe_unused]] auto n = ::write(fds[1], &err, sizeof err);
    ::_exit(127);
  }
  ::close(fds[1]);
  int exec_errno = 0;
  ssize_t got;
  do {
    got = ::read(fds[0], &exec_errno, sizeof exec_errno);
  } while (got < 0 && errno == EINTR);
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return make_error(ErrorCode::kRuntimeError, "graphs tp verify: waitpid failed");
  }
  if (got == static_cast<ssize_t>(sizeof exec_errno)) {
    return make_error(ErrorCode::kRuntimeError, "cannot run ", r.python, ": ",
                      std::strerror(exec_errno));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::fprintf(stderr, "graphs: error: %s -m graphs.tp.verify killed by signal %d\n",
               r.python.c_str(), WTERMSIG(status));
  return 1;
}

}  // namespace graphs
