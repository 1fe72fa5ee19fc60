// Subcommands of the `graphs` program. Each file registers its subcommand on the CLI11 app and
// returns the exit status through `CommandResult` (0 ok, 1 work failed, 2 bad input).
#pragma once

#include "graphs/hardware/registry.h"

#include <functional>
#include <string>

#include <CLI/CLI.hpp>

#include "graphs/analysis/shape_inference.h"
#include "graphs/common/status.h"

namespace graphs::cli {

/// The largest size a --batch, --seq-len or --dim flag takes (2^31 − 1): larger ones overflow
/// element counts long before they describe a real run.
inline constexpr int64_t kMaxDimFlag = (int64_t{1} << 31) - 1;

/// Set by a subcommand's callback; main returns it.
struct CommandResult {
  int exit_status = 0;
};

/// Prints "graphs: error: <message>" on stderr and returns the error's exit status.
int report_error(const Error& error);

/// The output format: `flag` (--format) when given, else the one of `known` that -o's extension
/// names (case-insensitive; ".txt" is "text"), else `fallback`.
std::string format_for_output(const std::string& flag, const std::string& output,
                              const std::vector<std::string>& known, const std::string& fallback);

/// HardwareRegistry::load_default, with its warnings printed as "graphs: warning: ..." lines.
Result<HardwareRegistry> load_registry();

/// Writes `text` to `path` ("" or "-": stdout): a file through a temporary beside it, renamed
/// when complete; every write, flush and close checked. Failure: kRuntimeError naming the file
/// (exit status 1: the work ran, its output could not be kept); a directory as `path`:
/// kInvalidArgument. A closed pipe on stdout (EPIPE) ends the program quietly with status 0.
Status write_output(const std::string& path, const std::string& text);

void add_analyze_command(CLI::App& app, CommandResult& result);
void add_inspect_command(CLI::App& app, CommandResult& result);
void add_hardware_command(CLI::App& app, CommandResult& result);
void add_ops_command(CLI::App& app, CommandResult& result);
void add_tp_command(CLI::App& app, CommandResult& result);
void add_sweep_command(CLI::App& app, CommandResult& result);
void add_compare_command(CLI::App& app, CommandResult& result);
void add_bench_command(CLI::App& app, CommandResult& result);
void add_calibrate_command(CLI::App& app, CommandResult& result);
void add_history_command(CLI::App& app, CommandResult& result);
void add_validate_command(CLI::App& app, CommandResult& result);

/// Options shared by commands that load a model: --batch, --seq-len, --dim NAME=N,
/// --input-shape NAME=1x3x224x224.
struct ModelOptions {
  int64_t batch = 1;
  int64_t seq_len = 128;
  std::vector<std::string> dims;          // NAME=N
  std::vector<std::string> input_shapes;  // NAME=D0xD1x... (DimBindings::input_shapes)
  std::string branch;             // If with an unknown condition: then|else ("": costlier)
};
void add_model_options(CLI::App& cmd, ModelOptions& options);
/// Turns ModelOptions into DimBindings; error (kInvalidArgument) for a malformed NAME=N or
/// NAME=D0xD1x... (sizes in [0, kMaxDimFlag]; an input named twice).
Result<DimBindings> to_bindings(const ModelOptions& options);
/// The data-dependent dims and shape-inference notes of an inferred graph as text ("" when
/// none): printed by inspect after its table and by analyze on standard error.
std::string shape_inference_notes(const Graph& graph);

}  // namespace graphs::cli
