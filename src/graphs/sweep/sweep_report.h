// Renderers of a SweepResult: CSV and JSON for machines, text and Markdown tables for people, and
// the ranking `graphs compare` prints. HTML lives in graphs/report/html_report.h.
//
// CSV (RFC 4180; one header line, one line per configuration, invalid ones included) and JSON rows
// carry the same fields, units in their names (kSweepColumns, in order):
//   model, model_source, hardware, hardware_name, batch, precision, valid, reason,
//   latency_s, throughput_samples_per_s, energy_j, energy_per_sample_j, average_power_w,
//   throughput_samples_per_s_per_w, compute_s, memory_s, overhead_s, peak_memory_bytes,
//   memory_capacity_bytes, fits, kernels, compute_bound_kernels, flops, bytes,
//   ridge_point_flop_per_byte, pareto
// energy_j is one forward pass over the batch; throughput per watt is samples per joule.
// JSON: {"schema_version":1,"kind":"sweep","tool":{...},"seq_len":N,"models":[...],
//        "hardware":[{"id","name"}],"precisions":[...],"rows":[{...}]}
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/common/status.h"
#include "graphs/sweep/sweep.h"

namespace graphs {

inline constexpr int kSweepSchemaVersion = 1;

enum class SweepFormat { kText, kCsv, kJson, kMarkdown, kHtml };

/// "text", "csv", "json", "md"/"markdown", "html"; "auto" picks by `output_path`'s extension
/// (.csv, .json, .md, .html/.htm), else text. Error kInvalidArgument with a did-you-mean.
Result<SweepFormat> parse_sweep_format(const std::string& name, const std::string& output_path);

/// The CSV/JSON column names, in order.
const std::vector<std::string>& sweep_columns();

std::string sweep_to_csv(const SweepResult& result);
nlohmann::json sweep_to_json(const SweepResult& result);

/// What a ranking orders by (best first): latency (lowest), energy per sample (lowest),
/// throughput per watt (highest), throughput (highest).
enum class RankBy { kLatency, kEnergy, kThroughputPerWatt, kThroughput };
Result<RankBy> parse_rank_by(const std::string& name);
std::string_view to_string(RankBy by);

/// Row indices ranked by `by`; valid rows first (best first), invalid rows last in input order.
std::vector<std::size_t> rank_rows(const SweepResult& result, RankBy by);

/// Text or Markdown: every configuration (in row order), then per model the Pareto front
/// (latency vs energy per sample) and the best throughput per watt per target.
std::string sweep_to_table(const SweepResult& result, bool markdown);

/// `graphs compare`: the rows ranked by `by`, Pareto rows marked, invalid rows with reasons.
std::string compare_to_table(const SweepResult& result, RankBy by, bool markdown);

}  // namespace graphs
