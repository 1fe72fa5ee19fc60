// graphs analyze --models-file LIST: many models analyzed in one process, one JSON line each.
//
// LIST (a file, or "-" for standard input) holds one JSON object per line (blank lines and
// lines starting with '#' are skipped):
//   {"model": PATH or zoo name,                      required
//    "dims": {"NAME": N, ...},                       as --dim NAME=N
//    "input_shapes": {"NAME": [D0, D1, ...] or "D0xD1x...", ...},   as --input-shape
//    "batch": N, "seq_len": N}                       as --batch, --seq-len
// Every other setting (hardware, precision, backend, branch, ...) is the command line's.
//
// For each line, in order, one JSON line on standard output, flushed before the next model
// starts (a crash leaves the lines of the models before it):
//   {"line": N (1-based), "model": ..., "exit_status": 0 | 1 | 2,
//    "error": one-line message (exit_status ≠ 0 only),
//    "outputs": [{"name", "dtype", "shape": [...]}],       the graph's outputs, in order
//    "data_dependent_dims": [{"symbol", "value", "axis", "size", "source"}],
//    "macs", "flops", "bytes_read", "bytes_written", "latency_s": {hardware id: seconds}}
// exit_status is what `graphs analyze` with the same settings would return (0 analyzed, 2 bad
// input or refused, 1 another failure).
//
// Exit status of the run: 2 when LIST cannot be read or a line is not such an object (one line
// naming the line, nothing analyzed after it), else 0: per-model outcomes are in the lines.
#pragma once

#include <string>

#include "graphs/cli/commands.h"
#include "graphs/pipeline/pipeline.h"

namespace graphs::cli {

/// Runs LIST with `base` as the settings of every model (its model and dims are replaced per
/// line) and `base_dims` as the dim options each line adds to. Returns the exit status.
int run_models_file(const std::string& list, const AnalyzeRequest& base,
                    const ModelOptions& base_dims);

}  // namespace graphs::cli
