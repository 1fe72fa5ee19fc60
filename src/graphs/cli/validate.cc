// graphs validate MODEL,... --conversions A,B,... [--hardware ID] [--batch N] [--seq-len N]
// graphs validate --measured RESULTS.jsonl,... [--graph SOURCE=GRAPH ...] [--hardware ID]
//                 [--min-time S] [--max-time S] [--n-samples N] [--timeout S] [--threads N]
//                 [--python PATH] [--format text|json] [-o FILE] [--no-history] [--history-db PATH]
//
// Predicts and measures every model × conversion on this machine and prints predicted, measured,
// error, speedups over EAGER, kernel counts and headroom (src/graphs/validate/validate.h). Every
// row is appended to the history store (`graphs history`). Exit status: 0 all ran, 1 any
// conversion or prediction failed, 2 bad input.
#include <cstdio>

#include "graphs/bench/worker_process.h"
#include "graphs/cli/bench_progress.h"
#include "graphs/cli/commands.h"
#include "graphs/hardware/registry.h"
#include "graphs/validate/published.h"
#include "graphs/validate/published_fit.h"
#include "graphs/validate/validate.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace graphs::cli {
namespace {

struct ValidateOptions {
  std::vector<std::string> models;
  ValidateSettings settings;
  double timeout_s = 0;
  std::string format;  // "" = from -o's extension, else text
  std::string output;
  bool no_history = false;
  bool quiet = false;
  std::vector<std::string> graph_pairs;
  std::optional<std::string> published;  // --published [PATH]
  bool fit = false;                      // --fit: the numbers the fit part sets
  std::vector<std::string> batches;      // --batch 1,8,32
};

// "1,8,32" (already split on commas) → batch sizes; kInvalidArgument naming a bad one.
Result<std::vector<int64_t>> parse_batches(const std::vector<std::string>& items) {
  std::vector<int64_t> out;
  for (const auto& item : items) {
    std::size_t used = 0;
    int64_t v = 0;
    try {
      v = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty() || v < 1 || v > kMaxDimFlag) {
      return make_error(ErrorCode::kInvalidArgument, "--batch takes sizes in [1, ", kMaxDimFlag,
                        "], comma-separated (1,8,32); got '", item, "'");
    }
    if (std::find(out.begin(), out.end(), v) == out.end()) out.push_back(v);
  }
  return out;
}

// graphs validate --published [PATH]: every record of the corpus predicted and scored.
int run_published(const ValidateOptions& o) {
  std::string path = o.published->empty() ? "validation/published" : *o.published;
  if (o.published->empty()) {
    if (const char* env = std::getenv("GRAPHS_PUBLISHED_DIR"); env && *env) path = env;
  }
  auto corpus = load_published_corpus(path);
  if (!corpus.ok()) return report_error(corpus.error());
  auto registry = load_registry();
  if (!registry.ok()) return report_error(registry.error());
  if (o.fit) {
    auto fitted = fit_published(*corpus, *registry);
    if (!fitted.ok()) return report_error(fitted.error());
    auto st = write_output(o.output, o.format == "json" ? fitted->to_json().dump(2) + "\n"
                                                        : render_fit_text(*fitted));
    if (!st.ok()) return report_error(st.error());
    return 0;
  }
  const PublishedReport report = validate_published(*corpus, *registry);
  if (!o.no_history) {
    auto st = record_published_history(report, o.settings.history_path);
    if (!st.ok()) return report_error(st.error());
  }
  const std::string text = o.format == "json" ? report.to_json().dump(2) + "\n"
                                              : render_published_text(report);
  auto st = write_output(o.output, text);
  if (!st.ok()) return report_error(st.error());
  return report.exit_status;
}

int run(ValidateOptions& o) {
  o.format = format_for_output(o.format, o.output, {"text", "json"}, "text");
  if (o.format != "text" && o.format != "json") {
    return report_error(make_error(ErrorCode::kInvalidArgument, "--format must be text or json, got '",
                                   o.format, "'"));
  }
  if (o.fit && !o.published) {
    return report_error(make_error(ErrorCode::kInvalidArgument, "--fit needs --published"));
  }
  if (o.published) {
    if (!o.models.empty() || !o.settings.measured_files.empty()) {
      return report_error(make_error(ErrorCode::kInvalidArgument,
                                     "--published scores the published corpus; give no models "
                                     "and no --measured with it"));
    }
    return run_published(o);
  }
  auto& s = o.settings;
  for (const auto& m : o.models) {
    std::size_t start = 0;
    while (start <= m.size()) {
      const auto comma = m.find(',', start);
      std::string name = m.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!name.empty()) s.models.push_back(name);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  for (const auto& pair : o.graph_pairs) {
    const auto eq = pair.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == pair.size()) {
      return report_error(make_error(ErrorCode::kInvalidArgument, "--graph '", pair,
                                     "' is not SOURCE=GRAPH"));
    }
    s.graphs[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  for (const auto& m : s.models) {
    if (m == "simple" || m == "batch") {
      return report_error(make_error(
          ErrorCode::kInvalidArgument, "model '", m, "' is the seed tool's ",
          m == "simple" ? "toy Conv-BN-ReLU; graphs validates resnet18 (or any zoo model with a "
                          "PyTorch twin)"
                        : "batch-size sweep; graphs runs it as graphs validate MODEL --batch 1,8,32"));
    }
  }
  if (!o.batches.empty()) {
    auto batches = parse_batches(o.batches);
    if (!batches.ok()) return report_error(batches.error());
    s.batches = *batches;
  }
  if (s.models.empty() && s.measured_files.empty()) {
    return report_error(make_error(ErrorCode::kInvalidArgument,
                                   "name the models to validate, or --measured RESULTS.jsonl"));
  }
  if (!s.models.empty() && !s.measured_files.empty()) {
    return report_error(make_error(ErrorCode::kInvalidArgument,
                                   "give models to measure or --measured results, not both"));
  }
  if (s.conversions.empty()) s.conversions = {"EAGER", "COMPILE_INDUCTOR_DEFAULT", "ONNX_CPU"};
  if (o.timeout_s != 0) s.bench.timeout_s = o.timeout_s;
  s.record_history = !o.no_history;
  auto registry = load_registry();
  if (!registry.ok()) return report_error(registry.error());
  bench::install_interrupt_handlers();
  ValidationReport report;
  {
    BenchProgress progress(!o.quiet);
    auto r = run_validation(s, *registry, [&](const std::string&, const bench::ProgressEvent& e) {
      progress.on_event(e);
    });
    if (!r.ok()) return report_error(r.error());
    report = std::move(*r);
  }
  Status st = ok_status();
  if (o.format == "json") {
    st = write_output(o.output, report.to_json().dump(2) + "\n");
  } else {
    st = write_output(o.output, render_validation_text(report));
  }
  if (!st.ok()) return report_error(st.error());
  return report.exit_status;
}

}  // namespace

void add_validate_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<ValidateOptions>();
  auto& b = opts->settings.bench;
  auto* cmd = app.add_subcommand(
      "validate", "predict and measure MODEL,... per conversion on this machine: error, speedups, "
                  "headroom; appends to the history");
  cmd->add_option("models,--model", opts->models,
                  "zoo names with a PyTorch twin (resnet18, bert-base, ...), .onnx files, or "
                  "SOURCE=GRAPH (torchvision:densenet121=densenet121.onnx), comma-separated");
  cmd->add_option("--measured", opts->settings.measured_files,
                  "score earlier `graphs bench` results (JSONL) instead of measuring")
      ->delimiter(',');
  cmd->add_option("--published", opts->published,
                  "score graphs against published measurements (MLPerf, vendor tables): a corpus "
                  "directory, group or record (default validation/published or "
                  "$GRAPHS_PUBLISHED_DIR); fit and held-out parts reported apart")
      ->expected(0, 1);
  cmd->add_flag("--fit", opts->fit,
                "with --published: fit efficiencies, kernel floors and engine overheads on the "
                "fit part only and print them (nothing is written)");
  cmd->add_option("--graph", opts->graph_pairs,
                  "SOURCE=GRAPH: the graph (.onnx or zoo name) to predict a measured source from");
  cmd->add_option("--conversions,-c", opts->settings.conversions,
                  "conversion names (default EAGER,COMPILE_INDUCTOR_DEFAULT,ONNX_CPU)")
      ->delimiter(',');
  cmd->add_option("--hardware", opts->settings.hardware, "prediction target")->capture_default_str();
  cmd->add_option("--batch,--batch-size", opts->batches,
                  "batch size, or several comma-separated (1,8,32): each model at each")
      ->delimiter(',');
  cmd->add_option("--seq-len", b.seq_len, "sequence length of token inputs")->capture_default_str();
  cmd->add_option("--min-time", b.min_time_s, "measure at least this long (s)")->capture_default_str();
  cmd->add_option("--max-time", b.max_time_s, "measure at most this long (s)")->capture_default_str();
  cmd->add_option("--n-samples", b.n_samples, "measure exactly N calls instead of the CI rule");
  cmd->add_option("--timeout", opts->timeout_s, "limit of every worker phase (s)");
  cmd->add_option("--threads", b.threads, "intra-op threads of each worker");
  cmd->add_option("--python", b.python, "Python interpreter of the workers");
  cmd->add_option("--format", opts->format, "text or json (default: from -o's extension, else text)");
  cmd->add_option("-o,--output", opts->output, "write the report to FILE");
  cmd->add_flag("--explain", opts->settings.explain,
                "profile EAGER with the PyTorch profiler and break errors down by op class");
  cmd->add_flag("--no-history", opts->no_history, "do not append to the history store");
  cmd->add_option("--history-db,--db", opts->settings.history_path, "history database path");
  cmd->add_flag("-q,--quiet", opts->quiet, "no progress on stderr");
  cmd->callback([opts, &result] { result.exit_status = run(*opts); });
}

}  // namespace graphs::cli
