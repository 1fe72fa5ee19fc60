// graphs bench MODEL --conversions A,B | --tier 1|2|3 [--device cpu|cuda] [--batch N] [--seq-len N]
//              [--input-shape D,D,...]... [--input-dtype T]... [--min-time S] [--max-time S]
//              [--n-samples N] [--target-rel-ci X] [--timeout S] [--threads N] [--python PATH]
//              [-o FILE] [--format text|json|jsonl|csv|md] [--jsonl FILE] [--profile-ops]
//              [--remote USER@HOST]
// graphs bench --list-conversions [--device cpu|cuda] [--format text|json] [--remote USER@HOST]
//
// --remote runs every worker on USER@HOST over ssh (bench/settings.h, worker_command); the
// output check is then skipped, with a warning, because the outputs stay on that host.
//
// Exit status: 0 every requested conversion ran and passed; 1 one failed, timed out, crashed or
// could not run here; 2 bad input (unknown conversion, model, flag value); 130 interrupted.
#include <cctype>
#include <filesystem>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "graphs/bench/orchestrator.h"
#include "graphs/bench/worker_process.h"
#include "graphs/cli/bench_progress.h"
#include "graphs/cli/commands.h"
#include "graphs/report/table.h"

namespace graphs::cli {
namespace {

using namespace graphs::bench;

struct BenchOptions {
  BenchSettings settings;
  std::vector<std::string> input_shapes;  // "1,3,224,224"
  double timeout_s = 0;
  std::string output;
  std::string format;
  bool list = false;
  bool quiet = false;
  std::string hardware;  // the seed tool's --hardware GPU|CPU: where to run (--device)
};

Result<std::vector<int64_t>> parse_shape(const std::string& text) {
  std::vector<int64_t> dims;
  std::size_t start = 0;
  std::string t = text;
  for (char& c : t) {
    if (c == 'x' || c == 'X') c = ',';
  }
  while (start <= t.size()) {
    const auto comma = t.find(',', start);
    const std::string part = t.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    try {
      std::size_t used = 0;
      const long long d = std::stoll(part, &used);
      if (used != part.size()) throw std::invalid_argument(part);
      dims.push_back(d);
    } catch (const std::exception&) {
      return make_error(ErrorCode::kInvalidArgument, "--input-shape expects sizes like 1,3,224,224, got '",
                        text, "'");
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return dims;
}

// The format: --format, else -o's extension (case-insensitive); "" for an -o whose extension
// names no format (refused before any work).
std::string format_for(const BenchOptions& o) {
  if (!o.format.empty()) return o.format;
  if (o.output.empty() || o.output == "-") return "text";
  std::string ext = std::filesystem::path(o.output).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".jsonl") return "jsonl";
  if (ext == ".json") return "json";
  if (ext == ".csv") return "csv";
  if (ext == ".md") return "md";
  if (ext == ".txt") return "text";
  return "";
}

// A path results will be written to: refused now, before any worker runs, when it is a
// directory or its folder does not exist or cannot be written.
Status check_writable(const std::string& flag, const std::string& path) {
  if (path.empty() || path == "-") return ok_status();
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return make_error(ErrorCode::kInvalidArgument, flag, " '", path, "' is a directory");
  }
  const fs::path dir = fs::path(path).has_parent_path() ? fs::path(path).parent_path() : ".";
  if (!fs::is_directory(dir, ec)) {
    return make_error(ErrorCode::kInvalidArgument, flag, " '", path, "': folder '", dir.string(),
                      "' does not exist");
  }
  if (::access(dir.c_str(), W_OK) != 0 || (fs::exists(path, ec) && ::access(path.c_str(), W_OK) != 0)) {
    return make_error(ErrorCode::kInvalidArgument, flag, " '", path, "' cannot be written");
  }
  return ok_status();
}

int list_conversions(const BenchOptions& o, const std::string& format) {
  auto device = parse_device(o.settings.device);
  if (!device.ok()) return report_error(device.error());
  BenchSettings s = o.settings;
  auto command = worker_command(s);
  if (!command.ok()) return report_error(command.error());
  const std::vector<std::string>& argv = *command;
  const double timeout = o.timeout_s > 0 ? o.timeout_s : s.timeouts.start_s;
  const ProbeOutcome probe = run_probe(argv, {{"PYTHONUNBUFFERED", "1"}}, timeout);
  nlohmann::json list = nlohmann::json::array();
  report::Table t({"conversion", "runs on", "precision", "tier cpu", "tier cuda", "torch", "onnx",
                   "here", "why / what it is"});
  for (const ConversionInfo* c : ConversionRegistry::global().all()) {
    std::string devices;
    for (Device d : c->devices) devices += (devices.empty() ? "" : ",") + std::string(to_string(d));
    // Availability for the source kind it applies to (torch first).
    const SourceKind kind = c->torch_source ? SourceKind::kTorch : SourceKind::kOnnx;
    const Availability a = probe.probe ? availability(*c, kind, *device, *probe.probe) : unavailable(probe.error);
    auto tier = [](int v) { return v == 0 ? std::string("-") : std::to_string(v); };
    std::string pips;
    for (const auto& r : c->requires_modules) {
      if (pips.find(r.pip) == std::string::npos) pips += (pips.empty() ? "" : " ") + r.pip;
    }
    t.add_row({c->name, devices, c->precision, tier(c->tier_cpu), tier(c->tier_cuda),
               c->torch_source ? "yes" : "-", c->onnx_source ? "yes" : "-",
               a.available() ? "available" : std::string(to_string(a.status)),
               a.available() ? c->description : a.reason});
    list.push_back({{"conversion", c->name},
                    {"family", c->family},
                    {"devices", nlohmann::json::array()},
                    {"precision", c->precision},
                    {"tier_cpu", c->tier_cpu == 0 ? nlohmann::json(nullptr) : nlohmann::json(c->tier_cpu)},
                    {"tier_cuda", c->tier_cuda == 0 ? nlohmann::json(nullptr) : nlohmann::json(c->tier_cuda)},
                    {"torch_source", c->torch_source},
                    {"onnx_source", c->onnx_source},
                    {"pip", pips},
                    {"status", std::string(to_string(a.status))},
                    {"reason", a.reason.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.reason)},
                    {"description", c->description}});
    for (Device d : c->devices) list.back()["devices"].push_back(std::string(to_string(d)));
  }
  if (format == "json") {
    nlohmann::json j = {{"device", o.settings.device},
                        {"probe", probe.probe ? probe.probe->raw : nlohmann::json(nullptr)},
                        {"probe_error", probe.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(probe.error)},
                        {"conversions", list}};
    auto st = write_output(o.output, j.dump(2) + "\n");
    if (!st.ok()) return report_error(st.error());
    return 0;
  }
  std::string text = fmt::format("Conversions for a run on {} (availability from {}):\n\n", o.settings.device,
                                 probe.probe ? "the worker's probe" : "no probe: " + probe.error);
  text += t.to_text();
  text += "\nNames are exact; '+' means 'then'. Tiers: 1 = EAGER + COMPILE_INDUCTOR_DEFAULT, 2 = the "
          "deployment set for the device, 3 = everything available.\n";
  auto st = write_output(o.output, text);
  if (!st.ok()) return report_error(st.error());
  return 0;
}

int run(BenchOptions& o) {
  const std::string format = format_for(o);
  if (format.empty()) {
    return report_error(make_error(ErrorCode::kInvalidArgument, "-o '", o.output,
                                   "': the extension names no format; use .jsonl, .json, .csv, "
                                   ".md or .txt, or give --format"));
  }
  static const std::vector<std::string> formats = {"text", "json", "jsonl", "csv", "md"};
  if (std::find(formats.begin(), formats.end(), format) == formats.end()) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "--format must be text, json, jsonl, csv or md, got '" + format + "'"));
  }
  for (const auto& [flag, path] : {std::pair<std::string, std::string>{"-o", o.output},
                                   {"--jsonl", o.settings.jsonl_path}}) {
    if (auto st = check_writable(flag, path); !st.ok()) return report_error(st.error());
  }
  if (!o.hardware.empty()) {
    std::string h = o.hardware;
    for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (h != "gpu" && h != "cpu" && h != "cuda") {
      return report_error(make_error(ErrorCode::kInvalidArgument, "bench --hardware takes GPU or CPU (where to run, as --device cuda|cpu), got '",
                                     o.hardware, "'; prediction targets (",
                                     o.hardware, ") are graphs analyze --hardware's"));
    }
    o.settings.device = h == "cpu" ? "cpu" : "cuda";
  }
  if (o.list) return list_conversions(o, format == "json" ? "json" : "text");
  for (const std::string& s : o.input_shapes) {
    auto shape = parse_shape(s);
    if (!shape.ok()) return report_error(shape.error());
    o.settings.input_shapes.push_back(*shape);
  }
  if (o.timeout_s > 0) o.settings.timeout_s = o.timeout_s;
  if (format == "jsonl" && !o.output.empty() && o.output != "-") o.settings.jsonl_path = o.output;
  auto resolved = resolve(o.settings);
  if (!resolved.ok()) return report_error(resolved.error());
  for (const auto& note : resolved->notes) std::fprintf(stderr, "graphs: note: %s\n", note.c_str());
  if (const std::string remote = remote_note(resolved->settings); !remote.empty()) {
    std::fprintf(stderr, "graphs: warning: %s\n", remote.c_str());
  }
  std::fprintf(stderr, "graphs: results are appended to %s\n", resolved->jsonl_path.c_str());
  install_interrupt_handlers();
  BenchReport report;
  {
    BenchProgress progress(!o.quiet);
    auto r = run_bench(*resolved, [&](const ProgressEvent& e) { progress.on_event(e); });
    if (!r.ok()) return report_error(r.error());
    report = std::move(*r);
  }
  // The summary table goes to stdout unless stdout carries the requested format instead.
  const bool to_stdout = o.output.empty() || o.output == "-";
  Status st = ok_status();
  if (format == "text" || !to_stdout) st = write_output("", render_text(report));
  if (!st.ok()) return report_error(st.error());
  if (format == "jsonl" && to_stdout) {
    std::ifstream in(report.jsonl_path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    st = write_output("", ss.str());
  } else if (format == "json") st = write_output(o.output, report.to_json().dump(2) + "\n");
  else if (format == "csv") st = write_output(o.output, render_csv(report));
  else if (format == "md") st = write_output(o.output, render_markdown(report));
  if (!st.ok()) return report_error(st.error());
  if (report.exit_status == 130) std::fprintf(stderr, "graphs: interrupted\n");
  if (const std::string why = nothing_measured_reason(report.results); !why.empty()) {
    std::fprintf(stderr, "graphs: error: %s\n", why.c_str());
  }
  return report.exit_status;
}

}  // namespace

void add_bench_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<BenchOptions>();
  BenchSettings& s = opts->settings;
  auto* cmd = app.add_subcommand(
      "bench", "Benchmark MODEL through several backends ('conversions'), each in its own worker "
               "process: latency statistics, cold start, memory, output check");
  cmd->add_option("model,--model", s.model,
                  "torchvision:NAME, hf:NAME, package.module:factory, an .onnx file, or a zoo name "
                  "(resnet18, resnet50, mobilenet_v2, vit_b_16, bert-base, gpt2)");
  cmd->add_option("--conversions,-c", s.conversions, "conversion names, comma-separated (see --list-conversions)")
      ->delimiter(',');
  cmd->add_option("--tier", s.tier, "1 = EAGER + COMPILE_INDUCTOR_DEFAULT, 2 = deployment set, 3 = everything");
  cmd->add_option("--device", s.device, "cpu or cuda: where device-neutral conversions run")->capture_default_str();
  cmd->add_option("--batch,--batch-size", s.batch, "batch size")
      ->check(CLI::Range(int64_t{1}, kMaxDimFlag))
      ->capture_default_str();
  cmd->add_option("--hardware", opts->hardware,
                  "GPU or CPU, as the seed tool's flag: the same as --device cuda|cpu (graphs bench "
                  "measures on this machine; prediction targets are graphs analyze's)");
  cmd->add_option("--seq-len", s.seq_len, "sequence length of token inputs")
      ->check(CLI::Range(int64_t{1}, kMaxDimFlag))
      ->capture_default_str();
  cmd->add_option("--input-shape", opts->input_shapes, "one input's shape, e.g. 1,3,224,224 (repeat per input)");
  cmd->add_option("--input-dtype", s.input_dtypes, "one input's dtype: float32, int64, ... (repeat per input)");
  cmd->add_option("--min-time", s.min_time_s, "measure at least this long (s)")
      ->check(CLI::Range(0.0, 86400.0))
      ->capture_default_str();
  cmd->add_option("--max-time", s.max_time_s, "measure at most this long (s)")
      ->check(CLI::Range(1e-3, 86400.0))
      ->capture_default_str();
  cmd->add_option("--n-samples", s.n_samples, "measure exactly N calls instead of the CI rule")
      ->check(CLI::Range(int64_t{1}, int64_t{100'000'000}));
  cmd->add_option("--target-rel-ci", s.target_rel_ci,
                  "stop when the 95% CI of the median is within this fraction of it")
      ->check(CLI::Range(1e-6, 1.0))
      ->capture_default_str();
  cmd->add_option("--timeout", opts->timeout_s,
                  "limit (s) for every phase: load, convert, first call, each warm-up/measure chunk")
      ->check(CLI::Range(1e-3, 86400.0));
  cmd->add_option("--threads", s.threads, "intra-op threads of each worker (default: the backend's)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--seed", s.seed, "seed of the generated inputs")->capture_default_str();
  cmd->add_option("--python", s.python, "Python interpreter of the workers (default $GRAPHS_PYTHON, the venv's, python3)");
  cmd->add_option("--remote", s.remote,
                  "USER@HOST: run the workers there over ssh (ssh HOST python3 -m graphs.worker; "
                  "--python names the interpreter on HOST); the output check is skipped");
  cmd->add_option("-o,--output", opts->output, "write results to FILE (.jsonl, .json, .csv, .md)");
  cmd->add_option("--format", opts->format, "text, json, jsonl, csv or md (default: from -o's extension)");
  cmd->add_option("--jsonl", s.jsonl_path, "append results to this JSONL file as they finish");
  cmd->add_option("--work-dir", s.work_dir, "folder for the run's files (default ~/.cache/graphs/bench/...)");
  cmd->add_flag("--keep-outputs", s.keep_outputs, "keep the workers' .npy outputs in the work dir");
  cmd->add_flag("--keep-samples", s.keep_samples, "every measured latency in the results");
  cmd->add_flag("--profile-ops", s.profile_ops,
                "after measuring, time each PyTorch op over 5 calls with torch.profiler (torch "
                "conversions; results' op_times)");
  cmd->add_flag("--list-conversions", opts->list, "list every conversion and whether it can run here");
  cmd->add_flag("-q,--quiet", opts->quiet, "no progress on stderr");
  cmd->callback([opts, &result] { result.exit_status = run(*opts); });
}

}  // namespace graphs::cli
