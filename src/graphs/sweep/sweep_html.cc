#include "graphs/sweep/sweep_html.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "graphs/report/html_charts.h"
#include "graphs/report/html_page.h"
#include "graphs/report/svg.h"
#include "graphs/report/table.h"

namespace graphs {

namespace r = report;
using html::figure;
using html::html_table;
using html::page;
using svg::escape;

std::string render_sweep_html(const SweepResult& res, const std::string& title) {
  std::string body;
  std::size_t invalid = 0;
  for (const auto& row : res.rows) invalid += !row.valid;
  body += fmt::format(
      "<p>{} configurations: {} model(s) × {} target(s) × batch sizes × {} precision(s); "
      "sequence length {}; {} invalid (listed with their reason).</p>\n",
      res.rows.size(), res.models.size(), res.hardware_ids.size(), res.precisions.size(),
      res.seq_len, invalid);
  for (std::size_t m = 0; m < res.models.size(); ++m) {
    body += "<h2>" + escape(res.models[m]) + "</h2>\n";
    std::vector<html::ScatterPoint> pts;
    std::map<int, const SweepRow*> best;
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> classes;
    for (const auto& row : res.rows) {
      if (row.model != static_cast<int>(m)) continue;
      const auto& hw = res.hardware_ids[static_cast<std::size_t>(row.hardware)];
      const auto& prec = res.precisions[static_cast<std::size_t>(row.precision)];
      if (row.valid) {
        pts.push_back({fmt::format("{}, batch {}, {}", hw, row.batch, prec), hw, row.latency_s,
                       row.energy_per_sample_j, row.pareto});
        if (row.fits) {
          auto& b = best[row.hardware];
          if (!b || row.throughput_samples_per_s_per_w > b->throughput_samples_per_s_per_w) b = &row;
        }
        rows.push_back({hw, std::to_string(row.batch), prec, r::seconds(row.latency_s),
                        r::si(row.throughput_samples_per_s) + " samples/s",
                        r::joules(row.energy_per_sample_j),
                        r::number(row.throughput_samples_per_s_per_w) + " samples/s/W",
                        r::bytes(row.peak_memory_bytes), row.fits ? "yes" : "NO",
                        row.pareto ? "yes" : ""});
        classes.push_back(row.pareto ? "pareto" : "");
      } else {
        rows.push_back({hw, std::to_string(row.batch), prec, "-", "-", "-", "-", "-", "-",
                        "invalid: " + row.reason});
        classes.push_back("invalid");
      }
    }
    body += figure(html::pareto_scatter_svg(
                       fmt::format("{}: latency vs energy per sample", res.models[m]), pts),
                   "Each point is one valid configuration (target, batch, precision), coloured by "
                   "target; outlined points joined by the staircase are the Pareto front: no "
                   "other configuration that fits in memory is both faster and more frugal.");
    std::vector<const SweepRow*> ranked;
    for (const auto& [h, row] : best) ranked.push_back(row);
    std::sort(ranked.begin(), ranked.end(), [](const SweepRow* x, const SweepRow* y) {
      return x->throughput_samples_per_s_per_w > y->throughput_samples_per_s_per_w;
    });
    std::vector<html::Bar> bars;
    for (const auto* row : ranked) {
      const auto& hw = res.hardware_ids[static_cast<std::size_t>(row->hardware)];
      bars.push_back({hw, row->throughput_samples_per_s_per_w,
                      r::number(row->throughput_samples_per_s_per_w) + " samples/s/W",
                      fmt::format("{}: batch {}, {}: {} samples/s at {} W", hw, row->batch,
                                  res.precisions[static_cast<std::size_t>(row->precision)],
                                  r::si(row->throughput_samples_per_s),
                                  r::number(row->average_power_w))});
    }
    body += figure(html::bar_chart_svg(
                       fmt::format("{}: best throughput per watt per target", res.models[m]),
                       "samples/s per W (= samples per joule)", "", bars),
                   "For each target, the configuration (batch, precision) with the most samples "
                   "per second per watt of predicted average power, among those that fit.");
    body += html_table({"hardware", ">batch", "precision", ">latency", ">throughput",
                        ">energy/sample", ">throughput/W", ">peak memory", "fits",
                        "Pareto / note"},
                       rows, classes);
  }
  return page(title, body);
}

}  // namespace graphs
