// Shared by `graphs sweep` (cli/sweep.cc) and `graphs compare` (cli/compare.cc).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace graphs::cli {

struct SweepOptions {
  std::vector<std::string> models;
  std::vector<std::string> hardware;
  std::vector<int64_t> batches{1};
  std::vector<std::string> precisions{"fp32"};
  int64_t seq_len = 128;
  std::vector<std::string> dims;
  std::string format = "auto";
  std::string output;
  std::string rank_by = "latency";
  bool timing = false;
};

/// --batch, --precision, --seq-len, --dim, --format, -o, --timing.
void add_sweep_options(CLI::App& cmd, SweepOptions& options);

/// Runs a sweep (or, with `compare`, a ranking) and writes it; returns the exit status.
int run_sweep_command(const SweepOptions& options, bool compare);

/// The zoo's model names, comma-separated (for --help).
std::string zoo_list();

}  // namespace graphs::cli
