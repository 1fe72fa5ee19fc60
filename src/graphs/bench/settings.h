// Settings of a `graphs bench` run: what the user asked for (`BenchSettings`, plain values with
// in-class defaults, units in names) and the validated form the orchestrator runs
// (`ResolvedBench`), LoadGen's TestSettings → TestSettingsInternal.
//
// The same settings arrive from the command line (cli/bench.cc) and, as a JSON object, from the
// Python binding `graphs._graphs.bench(config_json)`. The JSON keys are the field names below;
// unknown keys are errors with a did-you-mean. Example:
//
//   {"model": "torchvision:resnet18", "conversions": ["EAGER", "ONNX_CPU"], "device": "cpu",
//    "batch": 1, "min_time_s": 1.0, "max_time_s": 10.0, "target_rel_ci": 0.02,
//    "timeout_s": 600, "threads": 2, "jsonl_path": "runs/r18.jsonl"}
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/bench/conversion_registry.h"
#include "graphs/bench/output_check.h"
#include "graphs/bench/statistics.h"
#include "graphs/common/status.h"

namespace graphs::bench {

/// Longest wait, in seconds, for the worker's next event in each phase. `start`: from spawn to
/// `hello`; `warmup`/`measure`: for each chunk (and `done` after `stop`).
struct PhaseTimeouts {
  double start_s = 120;
  double load_s = 600;
  double convert_s = 900;
  double first_call_s = 300;
  double warmup_s = 300;
  double measure_s = 300;
  /// The limit of a protocol phase name ("load", "convert", ...); start_s for unknown names.
  double for_phase(const std::string& phase) const;
};

struct BenchSettings {
  std::string model;                     // torchvision:NAME, hf:NAME, pkg.mod:factory, x.onnx, zoo name
  std::vector<std::string> conversions;  // names (comma lists allowed); or tier
  int tier = 0;                          // 1..3; 0 = use `conversions`
  std::string device = "cpu";            // cpu | cuda
  int64_t batch = 1;
  int64_t seq_len = 128;
  std::vector<std::vector<int64_t>> input_shapes;  // factory models: one shape per input
  std::vector<std::string> input_dtypes;           // factory models: one dtype per input
  double min_time_s = 1.0;
  double max_time_s = 10.0;
  int64_t n_samples = 0;  // > 0: exactly this many measured calls
  int64_t min_samples = 10;
  double target_rel_ci = 0.02;
  double warmup_min_time_s = 0.2;
  double warmup_max_time_s = 10.0;
  double warmup_tolerance = 0.05;
  double chunk_min_time_s = 0.05;
  std::optional<double> timeout_s;  // sets every phase limit
  PhaseTimeouts timeouts;
  int threads = 0;  // 0: the worker's default (torch.get_num_threads())
  int64_t seed = 0;
  std::string python;                       // interpreter; "" = $GRAPHS_PYTHON, venv, python3
  std::vector<std::string> worker_command;  // replaces `PYTHON -m graphs.worker` (tests)
  /// user@host (or an ssh config alias): run every worker there, `ssh -T -o BatchMode=yes HOST
  /// PYTHON -m graphs.worker --no-outputs`, PYTHON being `python` (a path on that host, not
  /// checked here) or python3. The worker's .npy outputs stay on that host, so the output check
  /// is skipped (worker_command below). "" = workers run here.
  std::string remote;
  std::string jsonl_path;                   // "" = <work_dir>/results.jsonl
  std::string work_dir;                     // "" = ~/.cache/graphs/bench/<time>-<pid>
  bool keep_outputs = false;                // keep the workers' .npy outputs
  bool keep_samples = false;                // every latency in the results
  bool profile_ops = false;                 // per-op time from torch.profiler after measuring
};

/// Parses the JSON form; kInvalidArgument for unknown keys (with did-you-mean) and wrong types.
Result<BenchSettings> settings_from_json(const nlohmann::json& j);
nlohmann::json settings_to_json(const BenchSettings& s);

/// The model as the worker protocol's `model` object.
struct ModelSource {
  SourceKind kind = SourceKind::kTorch;
  nlohmann::json request;  // {"source": "torchvision", "name": "resnet18"}, ...
  std::string display;     // "torchvision:resnet18"
};

/// torchvision:NAME, hf:NAME, an .onnx path (must exist), a .pt2 path (torch.export program),
/// package.module:factory (needs input_shapes), or a zoo name with a PyTorch twin (resnet18 →
/// torchvision:resnet18, bert-base → hf:bert-base-uncased, gpt2 → hf:gpt2). kInvalidArgument /
/// kNotFound with what would be right.
Result<ModelSource> parse_model(const std::string& text, const BenchSettings& settings);

/// Zoo names that map to a PyTorch source, and what they map to.
const std::vector<std::pair<std::string, std::string>>& zoo_torch_sources();

struct ResolvedBench {
  BenchSettings settings;
  ModelSource model;
  Device device = Device::kCpu;
  std::vector<const ConversionInfo*> conversions;
  bool from_tier = false;
  std::vector<std::string> worker_argv;
  std::vector<std::pair<std::string, std::string>> worker_env;
  StoppingRule stopping;
  WarmupRule warmup;
  PhaseTimeouts timeouts;
  std::filesystem::path work_dir;
  std::filesystem::path jsonl_path;
  std::vector<std::string> notes;  // for the user: another tool's conversion name resolved to ours
};

/// The one interpreter finder of every subprocess graphs starts (bench and validate workers,
/// calibrate, tp verify): `flag` (--python) if set, else $GRAPHS_PYTHON, else python or python3
/// next to the running executable (a venv's bin/), else python3 on PATH. kInvalidArgument when
/// --python or $GRAPHS_PYTHON names no executable file; kNotFound (with what was tried) when
/// nothing is found.
Result<std::string> find_python(const std::string& flag);

/// The worker's argv: settings.worker_command if set, else $GRAPHS_WORKER_COMMAND split on
/// spaces, else {find_python(settings.python), "-m", "graphs.worker"}; find_python's errors.
/// With settings.remote: {"ssh", "-T", "-o", "BatchMode=yes", remote} + (worker_command or
/// $GRAPHS_WORKER_COMMAND if set, else {python or "python3", "-m", "graphs.worker"}) +
/// {"--no-outputs"} — the remote worker writes no output files (they would land on the remote
/// host, where the orchestrator cannot read them back) and works in a temporary folder of its
/// own. BatchMode: ssh fails instead of prompting for a password (stdin carries the protocol).
/// kInvalidArgument for a remote that holds whitespace or starts with '-' (it would be read as
/// an ssh option).
Result<std::vector<std::string>> worker_command(const BenchSettings& settings);

/// The note for a remote run: the output check is skipped and why ("" when not remote).
std::string remote_note(const BenchSettings& settings);

/// Validates everything that can be checked before a worker starts: model, names (did-you-mean),
/// tier, device, sizes, times. Errors are bad input (exit status 2).
Result<ResolvedBench> resolve(const BenchSettings& settings);

}  // namespace graphs::bench
