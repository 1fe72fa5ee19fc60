// graphs analyze MODEL [--hardware ID,...] [--batch N] [--seq-len N] [--dim NAME=N]
//                [--input-shape NAME=D0xD1x...]
//                [--precision P] [--weight-precision P] [--kv-precision P]
//                [--phase prefill|decode] [--cuda-graphs] [--mapper auto|roofline|cpu|gpu|systolic]
//                [--backend eager|inductor|onnxruntime|openvino]
//                [--per-kernel] [--per-node] [--format text|json|md] [-o FILE] [--timing]
//                [--validate [--conversions A,B,...]]
// graphs analyze --models-file LIST [the options above]: many models, one JSON line each
//                (analyze_batch.h)
//
// --validate: also measures MODEL on this machine through the bench orchestrator and prints
// predicted against measured per conversion (the `graphs validate` table, src/graphs/validate/
// validate.h; default conversions EAGER,COMPILE_INDUCTOR_DEFAULT,ONNX_CPU), appended to the
// history store. With --format json the output is {"analysis": ..., "validation": ...}.
//
// --branch then|else: the branch estimated through If nodes whose condition is unknown.
// Data-dependent dims (shape_inference.h) and the notes of shape inference follow the text and
// Markdown reports; with json and html they go to standard error.
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "graphs/pipeline/pipeline.h"
#include "graphs/bench/worker_process.h"
#include "graphs/cli/analyze_batch.h"
#include "graphs/cli/bench_progress.h"
#include "graphs/cli/commands.h"
#include "graphs/estimate/engine.h"
#include "graphs/hardware/registry.h"
#include "graphs/report/analysis_report.h"
#include "graphs/report/html_report.h"
#include "graphs/validate/validate.h"
#include "graphs/zoo/zoo.h"

namespace graphs::cli {
namespace {

struct AnalyzeOptions {
  std::string model;
  std::vector<std::string> hardware{"host"};
  ModelOptions model_options;
  std::string precision = "fp32";
  std::string weight_precision;
  std::string kv_precision;
  std::string phase;
  int64_t output_tokens = 0;
  double request_rate_per_s = 0;
  int64_t max_concurrency = 0;
  std::string mapper = "auto";
  std::string backend;
  bool cuda_graphs = false;
  std::string format;  // "" = from -o's extension, else text
  std::string output;
  bool per_kernel = false;
  bool per_node = false;
  bool timing = false;
  bool validate = false;
  std::vector<std::string> conversions;
  std::string models_file;  // --models-file LIST (analyze_batch.h)
};

// The validation half of --validate: measured on this machine, predicted for `host`.
Result<ValidationReport> validate_model(const AnalyzeOptions& o, const HardwareRegistry& registry) {
  ValidateSettings s;
  s.models = {o.model};
  s.conversions = o.conversions.empty()
                      ? std::vector<std::string>{"EAGER", "COMPILE_INDUCTOR_DEFAULT", "ONNX_CPU"}
                      : o.conversions;
  s.bench.batch = o.model_options.batch;
  s.bench.seq_len = o.model_options.seq_len;
  bench::install_interrupt_handlers();
  BenchProgress progress(true);
  return run_validation(s, registry, [&](const std::string&, const bench::ProgressEvent& e) {
    progress.on_event(e);
  });
}

int run(const AnalyzeOptions& options) {
  AnalyzeOptions o = options;
  o.format = format_for_output(o.format, o.output, {"text", "json", "md", "html"}, "text");
  const bool html = o.format == "html";  // graphs/report/html_report.h
  if (o.validate && html) {
    return report_error(make_error(ErrorCode::kInvalidArgument,
                                   "--validate prints text, json or md, not html"));
  }
  if (!o.conversions.empty() && !o.validate) {
    return report_error(make_error(ErrorCode::kInvalidArgument, "--conversions needs --validate"));
  }
  auto format = parse_report_format(html ? "text" : o.format);
  if (!format.ok()) return report_error(format.error());
  if (o.model.empty() == o.models_file.empty()) {
    return report_error(make_error(ErrorCode::kInvalidArgument,
                                   "give one MODEL or --models-file LIST, not ",
                                   o.model.empty() ? "neither" : "both"));
  }
  if (!o.models_file.empty() && (o.validate || !o.output.empty() || !o.phase.empty())) {
    return report_error(make_error(ErrorCode::kInvalidArgument,
                                   "--models-file prints JSON lines on stdout; it takes no "
                                   "--validate, -o or --phase"));
  }
  auto dims = to_bindings(o.model_options);
  if (!dims.ok()) return report_error(dims.error());
  AnalyzeRequest request;
  request.model = o.model;
  request.dims = *dims;
  request.precision = o.precision;
  request.weight_precision = o.weight_precision;
  request.kv_precision = o.kv_precision;
  request.phase = o.phase;
  request.output_tokens = o.output_tokens;
  request.request_rate_per_s = o.request_rate_per_s;
  request.max_concurrency = o.max_concurrency;
  request.mapper = o.mapper;
  request.backend = o.backend;
  request.cuda_graphs = o.cuda_graphs;
  request.hardware = o.hardware;
  if (!o.models_file.empty()) return run_models_file(o.models_file, request, o.model_options);
  auto registry = load_registry();
  if (!registry.ok()) return report_error(registry.error());
  auto analysis = analyze(request, *registry);
  if (!analysis.ok()) return report_error(analysis.error());
  const auto t0 = std::chrono::steady_clock::now();
  ReportOptions ro;
  ro.per_kernel = o.per_kernel;
  ro.per_node = o.per_node;
  std::string text = html ? render_analysis_html(*analysis, *registry)
                          : render_analysis(*analysis, *format, ro);
  // Data-dependent dims and shape-inference notes: after the report in text and Markdown, on
  // standard error beside JSON and HTML.
  const std::string notes = shape_inference_notes(analysis->model.graph);
  if (!notes.empty()) {
    if (o.format == "text") {
      text += notes;
    } else if (o.format == "md") {
      text += "\n```" + notes + "```\n";
    } else {
      std::fprintf(stderr, "graphs: shape inference:%s", notes.c_str());
    }
  }
  int exit_status = 0;
  if (o.validate) {
    auto report = validate_model(o, *registry);
    if (!report.ok()) return report_error(report.error());
    exit_status = report->exit_status;
    if (o.format == "json") {
      text = nlohmann::json{{"analysis", nlohmann::json::parse(text)},
                            {"validation", report->to_json()}}.dump(2) + "\n";
    } else if (o.format == "md") {
      text += "\n## Predicted against measured (this machine)\n\n```\n" +
              render_validation_text(*report) + "```\n";
    } else {
      text += "\n" + render_validation_text(*report);
    }
  }
  auto written = write_output(o.output, text);
  const double report_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!written.ok()) return report_error(written.error());
  if (o.timing) {
    std::fprintf(stderr, "{\"parse_s\": %.6f, \"analysis_s\": %.6f, \"report_s\": %.6f}\n",
                 analysis->model.parse_s, analysis->analysis_s, report_s);
  }
  return exit_status;
}

}  // namespace

void add_analyze_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<AnalyzeOptions>();
  auto* cmd = app.add_subcommand(
      "analyze", "characterize MODEL (.onnx file or zoo name) and predict latency, energy and "
                 "memory on each --hardware target");
  std::string zoo;
  for (const auto& name : zoo_names()) zoo += (zoo.empty() ? "" : ", ") + name;
  cmd->add_option("model", opts->model, "an .onnx file or a built-in zoo name: " + zoo);
  cmd->add_option("--models-file", opts->models_file,
                  "analyze every model LIST names (JSON lines: model, dims, input_shapes, "
                  "batch, seq_len; '-' for stdin) in one process: one JSON line per model on "
                  "stdout");
  cmd->add_option("--hardware", opts->hardware,
                  "hardware IDs, comma-separated (graphs hardware list); default: this machine")
      ->delimiter(',')
      ->capture_default_str();
  add_model_options(*cmd, opts->model_options);
  cmd->add_option("--precision", opts->precision,
                  "compute and activation precision: fp32|tf32|fp16|bf16|fp8|int8")
      ->capture_default_str();
  cmd->add_option("--weight-precision", opts->weight_precision,
                  "weight precision (default: --precision): fp32|tf32|fp16|bf16|fp8|int8|int4 "
                  "(int4: weight-only)");
  cmd->add_option("--kv-precision", opts->kv_precision,
                  "KV-cache precision for --phase (default: --precision): "
                  "fp32|fp16|bf16|fp8|int8|int4");
  cmd->add_option("--phase", opts->phase,
                  "LLM phase: prefill (time to first token of --seq-len tokens), decode (time "
                  "per output token with --seq-len tokens in the KV cache), generate (a static "
                  "batch generating --output-tokens after a --seq-len prompt) or serve "
                  "(continuous batching of --seq-len-token requests)");
  cmd->add_option("--output-tokens", opts->output_tokens,
                  "generate/serve: tokens generated per sequence")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_option("--request-rate", opts->request_rate_per_s,
                  "serve: arriving requests per second (default: the highest sustained rate)")
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--max-concurrency", opts->max_concurrency,
                  "serve: most sequences in flight (default: as many as the KV cache holds)")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 24));
  cmd->add_flag("--cuda-graphs", opts->cuda_graphs,
                "kernels replayed from a CUDA graph: per-kernel overhead without host launches");
  cmd->add_option("--mapper", opts->mapper,
                  "auto (from the hardware kind)|roofline|cpu|gpu|systolic")
      ->capture_default_str();
  std::string engines;
  for (const auto& id : engine_ids()) engines += (engines.empty() ? "" : "|") + id;
  cmd->add_option("--backend", opts->backend,
                  "predict for an engine (data/engines): " + engines +
                      "; eager runs one kernel per op, the others fused kernels; default: fused "
                      "kernels with no engine overheads");
  cmd->add_flag("--per-kernel", opts->per_kernel, "list every fused kernel");
  cmd->add_flag("--per-node", opts->per_node, "list every node");
  cmd->add_option("--format", opts->format, "text|json|md|html (default: from -o's extension, else text)");
  cmd->add_option("-o,--output", opts->output, "write the report to FILE instead of stdout");
  cmd->add_flag("--validate", opts->validate,
                "also measure MODEL here (EAGER, COMPILE_INDUCTOR_DEFAULT, ONNX_CPU) and print "
                "predicted against measured");
  cmd->add_option("--conversions", opts->conversions, "conversions for --validate")->delimiter(',');
  cmd->add_flag("--timing", opts->timing,
                "print parse/analysis/report seconds as one JSON line on stderr");
  cmd->callback([opts, &result] { result.exit_status = run(*opts); });
}

}  // namespace graphs::cli
