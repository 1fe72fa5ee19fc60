// `graphs tp verify`: runs `PYTHON -m graphs.tp.verify` (python/graphs/tp/verify.py: the
// TP-converted model against the unsharded one on N gloo processes), streaming its output.
#pragma once

#include <string>
#include <vector>

#include "graphs/common/status.h"

namespace graphs {

struct TpVerifyRequest {
  std::string python;        // the interpreter (resolved by the caller)
  std::string models;        // comma list
  std::string world_sizes;   // N or a comma list
  double timeout_s = 300;
  /// Exported as GRAPHS_BIN unless the environment has one: the `graphs` whose planner the
  /// verifier asks for plans ("": none).
  std::string graphs_bin;
};

/// The verifier's argv: {python, "-m", "graphs.tp.verify", "--model", models, "--world-size",
/// world_sizes, "--timeout", timeout}.
std::vector<std::string> tp_verify_argv(const TpVerifyRequest& request);

/// Runs the verifier with this process's stdout and stderr and waits for it. Returns its exit
/// status (0 all checks held, 1 a check failed, 2 bad usage); 1 with a line on stderr when it
/// was killed by a signal. Errors: kInvalidArgument for an empty model or world-size list,
/// kRuntimeError when it cannot be started ("cannot run PYTHON: ...") or waited for.
Result<int> run_tp_verify(const TpVerifyRequest& request);

}  // namespace graphs
