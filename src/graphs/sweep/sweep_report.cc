#include "graphs/sweep/sweep_report.h"

#include <algorithm>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "graphs/common/suggest.h"
#include "graphs/report/table.h"

namespace graphs {
namespace {

using nlohmann::json;
namespace r = report;

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string num(double v) { return fmt::format("{:.6g}", v); }

std::string pareto_mark(const SweepRow& row) { return row.pareto ? "*" : ""; }

}  // namespace

Result<SweepFormat> parse_sweep_format(const std::string& name, const std::string& output_path) {
  if (name == "auto") {
    if (ends_with(output_path, ".csv")) return SweepFormat::kCsv;
    if (ends_with(output_path, ".json")) return SweepFormat::kJson;
    if (ends_with(output_path, ".md")) return SweepFormat::kMarkdown;
    if (ends_with(output_path, ".html") || ends_with(output_path, ".htm")) return SweepFormat::kHtml;
    return SweepFormat::kText;
  }
  if (name == "text") return SweepFormat::kText;
  if (name == "csv") return SweepFormat::kCsv;
  if (name == "json") return SweepFormat::kJson;
  if (name == "md" || name == "markdown") return SweepFormat::kMarkdown;
  if (name == "html") return SweepFormat::kHtml;
  return Error(ErrorCode::kInvalidArgument,
               unknown_name_message("format", name, {"auto", "text", "csv", "json", "md", "html"}));
}

const std::vector<std::string>& sweep_columns() {
  static const std::vector<std::string> kColumns = {
      "model", "model_source", "hardware", "hardware_name", "batch", "precision", "valid",
      "reason", "latency_s", "throughput_samples_per_s", "energy_j", "energy_per_sample_j",
      "average_power_w", "throughput_samples_per_s_per_w", "compute_s", "memory_s", "overhead_s",
      "peak_memory_bytes", "memory_capacity_bytes", "fits", "kernels", "compute_bound_kernels",
      "flops", "bytes", "ridge_point_flop_per_byte", "pareto"};
  return kColumns;
}

std::string sweep_to_csv(const SweepResult& res) {
  std::string out;
  out.reserve(256 * (res.rows.size() + 1));
  const auto& cols = sweep_columns();
  for (std::size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + cols[i];
  out += "\n";
  for (const auto& row : res.rows) {
    const auto m = static_cast<std::size_t>(row.model);
    const auto h = static_cast<std::size_t>(row.hardware);
    out += fmt::format(
        "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
        csv_field(res.models[m]), csv_field(res.model_sources[m]), csv_field(res.hardware_ids[h]),
        csv_field(res.hardware_names[h]), row.batch,
        csv_field(res.precisions[static_cast<std::size_t>(row.precision)]),
        row.valid ? "true" : "false", csv_field(row.reason), num(row.latency_s),
        num(row.throughput_samples_per_s), num(row.energy_j), num(row.energy_per_sample_j),
        num(row.average_power_w), num(row.throughput_samples_per_s_per_w), num(row.compute_s),
        num(row.memory_s), num(row.overhead_s), num(row.peak_memory_bytes),
        num(row.memory_capacity_bytes), row.fits ? "true" : "false", row.kernels,
        row.compute_bound_kernels, num(row.flops), num(row.bytes),
        num(row.ridge_point_flop_per_byte), row.pareto ? "true" : "false");
  }
  return out;
}

json sweep_to_json(const SweepResult& res) {
  json rows = json::array();
  for (const auto& row : res.rows) {
    const auto m = static_cast<std::size_t>(row.model);
    const auto h = static_cast<std::size_t>(row.hardware);
    rows.push_back({{"model", res.models[m]},
                    {"model_source", res.model_sources[m]},
                    {"hardware", res.hardware_ids[h]},
                    {"hardware_name", res.hardware_names[h]},
                    {"batch", row.batch},
                    {"precision", res.precisions[static_cast<std::size_t>(row.precision)]},
                    {"valid", row.valid},
                    {"reason", row.reason},
                    {"latency_s", row.latency_s},
                    {"throughput_samples_per_s", row.throughput_samples_per_s},
                    {"energy_j", row.energy_j},
                    {"energy_per_sample_j", row.energy_per_sample_j},
                    {"average_power_w", row.average_power_w},
                    {"throughput_samples_per_s_per_w", row.throughput_samples_per_s_per_w},
                    {"compute_s", row.compute_s},
                    {"memory_s", row.memory_s},
                    {"overhead_s", row.overhead_s},
                    {"peak_memory_bytes", row.peak_memory_bytes},
                    {"memory_capacity_bytes", row.memory_capacity_bytes},
                    {"fits", row.fits},
                    {"kernels", row.kernels},
                    {"compute_bound_kernels", row.compute_bound_kernels},
                    {"flops", row.flops},
                    {"bytes", row.bytes},
                    {"ridge_point_flop_per_byte", row.ridge_point_flop_per_byte},
                    {"pareto", row.pareto}});
  }
  json hardware = json::array();
  for (std::size_t i = 0; i < res.hardware_ids.size(); ++i) {
    hardware.push_back({{"id", res.hardware_ids[i]}, {"name", res.hardware_names[i]}});
  }
  return {{"schema_version", kSweepSchemaVersion},
          {"kind", "sweep"},
          {"tool", {{"name", "graphs"}, {"version", GRAPHS_VERSION}}},
          {"seq_len", res.seq_len},
          {"models", res.models},
          {"hardware", hardware},
          {"precisions", res.precisions},
          {"rows", rows}};
}

Result<RankBy> parse_rank_by(const std::string& name) {
  if (name == "latency") return RankBy::kLatency;
  if (name == "energy") return RankBy::kEnergy;
  if (name == "throughput-per-watt") return RankBy::kThroughputPerWatt;
  if (name == "throughput") return RankBy::kThroughput;
  return Error(ErrorCode::kInvalidArgument,
               unknown_name_message("ranking", name,
                                    {"latency", "energy", "throughput-per-watt", "throughput"}));
}

std::string_view to_string(RankBy by) {
  switch (by) {
    case RankBy::kLatency: return "latency";
    case RankBy::kEnergy: return "energy per sample";
    case RankBy::kThroughputPerWatt: return "throughput per watt";
    case RankBy::kThroughput: return "throughput";
  }
  return "?";
}

std::vector<std::size_t> rank_rows(const SweepResult& res, RankBy by) {
  std::vector<std::size_t> valid, invalid;
  for (std::size_t i = 0; i < res.rows.size(); ++i) {
    (res.rows[i].valid ? valid : invalid).push_back(i);
  }
  auto key = [&](std::size_t i) {
    const auto& row = res.rows[i];
    switch (by) {
      case RankBy::kLatency: return row.latency_s;
      case RankBy::kEnergy: return row.energy_per_sample_j;
      case RankBy::kThroughputPerWatt: return -row.throughput_samples_per_s_per_w;
      case RankBy::kThroughput: return -row.throughput_samples_per_s;
    }
    return 0.0;
  };
  std::stable_sort(valid.begin(), valid.end(),
                   [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
  valid.insert(valid.end(), invalid.begin(), invalid.end());
  return valid;
}

namespace {

std::vector<std::string> row_cells(const SweepResult& res, const SweepRow& row) {
  const std::string hw = res.hardware_ids[static_cast<std::size_t>(row.hardware)];
  const std::string prec = res.precisions[static_cast<std::size_t>(row.precision)];
  if (!row.valid) {
    return {hw, std::to_string(row.batch), prec, "-", "-", "-", "-", "-", "-", "",
            "invalid: " + row.reason};
  }
  return {hw,
          std::to_string(row.batch),
          prec,
          r::seconds(row.latency_s),
          r::si(row.throughput_samples_per_s) + " samples/s",
          r::joules(row.energy_per_sample_j),
          r::number(row.throughput_samples_per_s_per_w) + " samples/s/W",
          r::number(row.average_power_w) + " W",
          r::bytes(row.peak_memory_bytes),
          row.fits ? "yes" : "NO",
          pareto_mark(row)};
}

const std::vector<std::string> kRowHeaders = {
    "hardware", ">batch", "precision", ">latency", ">throughput", ">energy/sample",
    ">throughput/W", ">avg power", ">peak memory", "fits", "pareto / note"};

std::string heading(const std::string& h, bool markdown) {
  return markdown ? "\n## " + h + "\n\n" : "\n" + h + "\n";
}

}  // namespace

std::string sweep_to_table(const SweepResult& res, bool markdown) {
  std::string out = markdown ? "# graphs sweep\n" : "graphs sweep\n";
  std::size_t invalid = 0;
  for (const auto& row : res.rows) invalid += !row.valid;
  out += fmt::format(
      "{}{} configurations: {} models × {} targets × batch × {} precisions (seq_len {}); {} "
      "invalid; * = on the model's Pareto front of latency vs energy per sample (fitting "
      "configurations only)\n",
      markdown ? "\n" : "", res.rows.size(), res.models.size(), res.hardware_ids.size(),
      res.precisions.size(), res.seq_len, invalid);
  for (std::size_t m = 0; m < res.models.size(); ++m) {
    r::Table all(kRowHeaders);
    r::Table front(kRowHeaders);
    // Best throughput per watt per target over batch and precision.
    std::map<int, const SweepRow*> best;
    for (const auto& row : res.rows) {
      if (row.model != static_cast<int>(m)) continue;
      all.add_row(row_cells(res, row));
      if (row.pareto) front.add_row(row_cells(res, row));
      if (row.valid && row.fits) {
        auto& b = best[row.hardware];
        if (!b || row.throughput_samples_per_s_per_w > b->throughput_samples_per_s_per_w) b = &row;
      }
    }
    out += heading(fmt::format("{}: every configuration", res.models[m]), markdown);
    out += markdown ? all.to_markdown() : all.to_text();
    out += heading(fmt::format("{}: Pareto front (latency vs energy per sample)", res.models[m]),
                   markdown);
    out += front.rows() ? (markdown ? front.to_markdown() : front.to_text())
                        : std::string("  no configuration is valid and fits in memory\n");
    std::vector<const SweepRow*> ranked;
    for (const auto& [h, row] : best) ranked.push_back(row);
    std::sort(ranked.begin(), ranked.end(), [](const SweepRow* a, const SweepRow* b) {
      return a->throughput_samples_per_s_per_w > b->throughput_samples_per_s_per_w;
    });
    r::Table tpw({">rank", "hardware", ">batch", "precision", ">throughput/W", ">throughput",
                  ">latency"});
    for (std::size_t i = 0; i < ranked.size(); ++i) {
      const auto* row = ranked[i];
      tpw.add_row({std::to_string(i + 1), res.hardware_ids[static_cast<std::size_t>(row->hardware)],
                   std::to_string(row->batch),
                   res.precisions[static_cast<std::size_t>(row->precision)],
                   r::number(row->throughput_samples_per_s_per_w) + " samples/s/W",
                   r::si(row->throughput_samples_per_s) + " samples/s",
                   r::seconds(row->latency_s)});
    }
    out += heading(fmt::format("{}: best throughput per watt per target", res.models[m]),
                   markdown);
    out += tpw.rows() ? (markdown ? tpw.to_markdown() : tpw.to_text())
                      : std::string("  no configuration is valid and fits in memory\n");
  }
  return out;
}

std::string compare_to_table(const SweepResult& res, RankBy by, bool markdown) {
  std::string models;
  for (const auto& m : res.models) models += (models.empty() ? "" : ", ") + m;
  std::string out = markdown ? "# graphs compare: " + models + "\n" : "graphs compare: " + models + "\n";
  out += fmt::format(
      "{}ranked by {} (best first); * = on the Pareto front of latency vs energy per sample; "
      "seq_len {}\n\n",
      markdown ? "\n" : "", to_string(by), res.seq_len);
  std::vector<std::string> headers = {">rank"};
  headers.insert(headers.end(), kRowHeaders.begin(), kRowHeaders.end());
  r::Table t(headers);
  int rank = 0;
  for (std::size_t i : rank_rows(res, by)) {
    const auto& row = res.rows[i];
    auto cells = row_cells(res, row);
    cells.insert(cells.begin(), row.valid ? std::to_string(++rank) : "-");
    t.add_row(std::move(cells));
  }
  out += markdown ? t.to_markdown() : t.to_text();
  return out;
}

}  // namespace graphs
