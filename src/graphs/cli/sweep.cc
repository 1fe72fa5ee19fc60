// graphs sweep MODEL[,MODEL...]|zoo --hardware ID,...|all [--batch N,...] [--precision P,...]
//              [--seq-len N] [--dim NAME=N] [--format auto|text|csv|json|md|html] [-o FILE]
//              [--timing]
// graphs compare MODEL [--hardware ID,...|all] [--batch N,...] [--precision P,...]
//              [--rank-by latency|energy|throughput-per-watt|throughput] [--format ...] [-o FILE]
//
// Both estimate every configuration (graphs/sweep/sweep.h) and write it in the chosen format;
// `compare` ranks one model's configurations. Unknown names exit 2 with a did-you-mean; a
// configuration the estimator refuses is a row with its reason (counted on stderr), not an error.
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "graphs/cli/commands.h"
#include "graphs/cli/sweep_cli.h"
#include "graphs/hardware/registry.h"
#include "graphs/report/html_report.h"
#include "graphs/sweep/sweep.h"
#include "graphs/sweep/sweep_html.h"
#include "graphs/sweep/sweep_report.h"
#include "graphs/zoo/zoo.h"

namespace graphs::cli {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Rows reordered by rank (compare writes every format in rank order).
SweepResult ranked(const SweepResult& res, RankBy by) {
  SweepResult out = res;
  out.rows.clear();
  for (std::size_t i : rank_rows(res, by)) out.rows.push_back(res.rows[i]);
  return out;
}

}  // namespace

int run_sweep_command(const SweepOptions& o, bool compare) {
  auto format = parse_sweep_format(o.format, o.output);
  if (!format.ok()) return report_error(format.error());
  RankBy rank_by = RankBy::kLatency;
  if (compare) {
    auto by = parse_rank_by(o.rank_by);
    if (!by.ok()) return report_error(by.error());
    rank_by = *by;
  }
  ModelOptions mo;
  mo.seq_len = o.seq_len;
  mo.dims = o.dims;
  auto dims = to_bindings(mo);
  if (!dims.ok()) return report_error(dims.error());
  auto registry = load_registry();
  if (!registry.ok()) return report_error(registry.error());
  SweepRequest request;
  request.models = o.models;
  request.hardware = o.hardware;
  request.batches = o.batches;
  request.precisions = o.precisions;
  request.dims = *dims;
  auto resolved = resolve_sweep(request, *registry);
  if (!resolved.ok()) return report_error(resolved.error());
  auto result = run_sweep(*resolved);
  if (!result.ok()) return report_error(result.error());

  const auto t0 = std::chrono::steady_clock::now();
  const SweepResult& res = compare ? ranked(*result, rank_by) : *result;
  std::string text;
  switch (*format) {
    case SweepFormat::kCsv: text = sweep_to_csv(res); break;
    case SweepFormat::kJson: {
      auto j = sweep_to_json(res);
      if (compare) j["rank_by"] = std::string(to_string(rank_by));
      text = j.dump(2) + "\n";
      break;
    }
    case SweepFormat::kText:
    case SweepFormat::kMarkdown: {
      const bool md = *format == SweepFormat::kMarkdown;
      text = compare ? compare_to_table(*result, rank_by, md) : sweep_to_table(res, md);
      break;
    }
    case SweepFormat::kHtml: {
      std::string models;
      for (const auto& m : res.models) models += (models.empty() ? "" : ", ") + m;
      text = render_sweep_html(res, compare ? "graphs compare: " + models : "graphs sweep");
      break;
    }
  }
  auto written = write_output(o.output, text);
  const double render_s = seconds_since(t0);
  if (!written.ok()) return report_error(written.error());
  std::size_t invalid = 0;
  for (const auto& row : res.rows) invalid += !row.valid;
  if (invalid) {
    std::fprintf(stderr,
                 "graphs: %zu of %zu configurations are invalid (see the reason column)\n",
                 invalid, res.rows.size());
  }
  if (o.timing) {
    const double n = static_cast<double>(res.rows.size());
    std::fprintf(stderr,
                 "{\"configs\": %zu, \"kernel_tables\": %lld, \"prepare_s\": %.6f, "
                 "\"estimate_s\": %.6f, \"render_s\": %.6f, \"estimate_configs_per_s\": %.1f}\n",
                 res.rows.size(), static_cast<long long>(res.kernel_tables), res.prepare_s,
                 res.estimate_s, render_s, res.estimate_s > 0 ? n / res.estimate_s : 0.0);
  }
  return 0;
}

void add_sweep_options(CLI::App& cmd, SweepOptions& o) {
  cmd.add_option("--batch", o.batches, "batch sizes, comma-separated")
      ->delimiter(',')
      ->capture_default_str();
  cmd.add_option("--precision", o.precisions,
                 "precisions, comma-separated: fp32|tf32|fp16|bf16|fp8|int8")
      ->delimiter(',')
      ->capture_default_str();
  cmd.add_option("--seq-len", o.seq_len,
                 "size bound to symbolic sequence dims (token-id inputs' dim 1, names with 'seq')")
      ->capture_default_str();
  cmd.add_option("--dim", o.dims, "bind a named symbolic dim: --dim NAME=N (repeatable)");
  cmd.add_option("--format", o.format,
                 "auto|text|csv|json|md|html (auto: from -o's extension, else text)")
      ->capture_default_str();
  cmd.add_option("-o,--output", o.output, "write to FILE instead of stdout");
  cmd.add_flag("--timing", o.timing,
               "print configs, prepare/estimate/render seconds and configs/s as one JSON line "
               "on stderr");
}

std::string zoo_list() {
  std::string zoo;
  for (const auto& name : zoo_names()) zoo += (zoo.empty() ? "" : ", ") + name;
  return zoo;
}

void add_sweep_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<SweepOptions>();
  auto* cmd = app.add_subcommand(
      "sweep", "estimate every configuration of models × hardware × batch × precision, with the "
               "Pareto front of latency vs energy per sample (CSV, JSON, text, Markdown, HTML)");
  cmd->add_option("models", opts->models,
                  "models, comma-separated: .onnx files, zoo names, or 'zoo' for all of: " +
                      zoo_list())
      ->required()
      ->delimiter(',');
  cmd->add_option("--hardware", opts->hardware,
                  "hardware IDs, comma-separated (graphs hardware list), or 'all'")
      ->required()
      ->delimiter(',');
  add_sweep_options(*cmd, *opts);
  cmd->callback([opts, &result] { result.exit_status = run_sweep_command(*opts, false); });
}

}  // namespace graphs::cli
