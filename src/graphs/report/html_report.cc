#include "graphs/report/html_report.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "graphs/report/html_charts.h"
#include "graphs/report/html_page.h"
#include "graphs/report/svg.h"
#include "graphs/report/table.h"

namespace graphs {
namespace {

namespace r = report;
using svg::escape;
using html::figure;
using html::html_table;
using html::page;

// Ceilings at every precision the target runs; equal peaks share one ceiling ("fp16/bf16").
std::vector<html::RooflineCeiling> ceilings_for(const Estimate& e, const HardwareRegistry& reg,
                                                const std::string& precision) {
  std::vector<html::RooflineCeiling> out;
  auto hw = reg.get(e.hardware_id);
  if (!hw.ok()) {
    out.push_back({precision + " matrix", e.matrix_peak_flops_per_s * 0.7, true});
    return out;
  }
  std::vector<std::pair<double, std::string>> groups;  // effective peak → "fp16/bf16"
  std::string highlighted_label;
  for (const auto& p : precision_names()) {
    const auto peak = hw->matrix_peak(p);
    if (!peak) continue;
    const double eff = *peak * hw->efficiency.matrix_at(p);
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.first == eff; });
    if (it == groups.end()) {
      groups.emplace_back(eff, p);
    } else {
      it->second += "/" + p;
    }
  }
  std::sort(groups.begin(), groups.end());
  const double own = e.matrix_peak_flops_per_s * hw->efficiency.matrix_at(precision);
  for (const auto& [eff, label] : groups) {
    out.push_back({label + " matrix", eff, eff == own});
  }
  if (e.vector_peak_flops_per_s > 0) {
    out.push_back({precision + " vector", e.vector_peak_flops_per_s * hw->efficiency.vector,
                   false});
  }
  return out;
}

double memory_efficiency(const Estimate& e, const HardwareRegistry& reg) {
  auto hw = reg.get(e.hardware_id);
  return hw.ok() ? hw->efficiency.memory : 1.0;
}

}  // namespace

std::string render_analysis_html(const Analysis& a, const HardwareRegistry& registry) {
  const auto& ch = a.characterization;
  const auto& part = a.partition;
  std::string body;
  std::string inputs;
  for (ValueId v : a.model.graph.inputs) {
    const auto& val = a.model.graph.value(v);
    inputs += (inputs.empty() ? "" : ", ") + val.name + " " + val.type.to_string();
  }
  body += fmt::format("<p>{} model <b>{}</b> ({}); inputs: {}; precision <b>{}</b>; batch {}.</p>\n",
                      escape(a.model.format), escape(a.model.name), escape(a.model.source),
                      escape(inputs), escape(a.precision.name), a.dims.batch);
  body += "<h2>Model</h2>\n";
  body += html_table(
      {"quantity", ">value"},
      {{"parameters", r::si(static_cast<double>(ch.params))},
       {"MACs", r::si(ch.macs)},
       {"FLOPs", r::si(ch.flops)},
       {"weight bytes", r::bytes(ch.weight_bytes)},
       {"activation bytes", r::bytes(ch.activation_bytes)},
       {"arithmetic intensity, unfused", r::number(ch.arithmetic_intensity()) + " FLOP/B"},
       {"nodes (compute / total)",
        fmt::format("{} / {}", ch.compute_nodes, a.model.graph.nodes.size())},
       {"fused kernels", std::to_string(part.kernels.size())}});
  if (a.estimates.empty()) {
    body += "<p class=\"note\">No hardware target given: characterization only.</p>\n";
    return page("graphs analyze: " + a.model.name, body);
  }
  body += "<h2>Estimates</h2>\n";
  std::vector<std::vector<std::string>> est_rows;
  for (const auto& e : a.estimates) {
    const double batch = static_cast<double>(a.dims.batch);
    est_rows.push_back({e.hardware_id, e.hardware_name, r::seconds(e.latency_s),
                        r::si(e.latency_s > 0 ? batch / e.latency_s : 0) + " samples/s",
                        r::joules(e.energy_j), r::bytes(e.memory.peak_bytes),
                        e.memory.fits ? "yes" : "NO",
                        fmt::format("{} / {}", e.compute_bound_kernels, e.memory_bound_kernels),
                        r::number(e.ridge_point_flop_per_byte) + " FLOP/B"});
  }
  body += html_table({"hardware", "name", ">latency", ">throughput", ">energy per batch",
                      ">peak memory", "fits", "kernels compute/memory-bound", ">ridge point"},
                     est_rows);
  const auto timeline = html::live_activation_timeline(a.model.graph, ch, part);
  for (const auto& e : a.estimates) {
    body += fmt::format("<h2>{} — {}</h2>\n<p class=\"note\">mapper: {}{}</p>\n",
                        escape(e.hardware_id), escape(e.hardware_name), escape(e.mapper),
                        e.notes.empty() ? std::string() : "; " + escape(fmt::format("{}", fmt::join(e.notes, "; "))));
    // Roofline.
    html::RooflineChart rc;
    rc.title = fmt::format("Roofline: {} on {} ({})", a.model.name, e.hardware_id, e.precision);
    rc.bandwidth_bytes_per_s = e.memory_bandwidth_bytes_per_s * memory_efficiency(e, registry);
    rc.ceilings = ceilings_for(e, registry, a.precision.name);
    for (std::size_t i = 0; i < part.kernels.size() && i < e.kernels.size(); ++i) {
      const auto& k = part.kernels[i];
      const auto& ke = e.kernels[i];
      rc.points.push_back({k.name, std::string(to_string(k.op_class)), k.arithmetic_intensity(),
                           ke.latency_s > 0 ? k.flops / ke.latency_s : 0});
    }
    body += figure(html::roofline_svg(rc),
                   fmt::format("Each point is one of the {} fused kernels: its arithmetic "
                               "intensity (FLOPs per byte crossing the kernel boundary) against "
                               "the FLOP/s it attains at its predicted latency (launch overhead "
                               "included). Ceilings are peak × efficiency for each precision {} "
                               "runs (bold: {}); each dot on a ceiling is its ridge point. "
                               "Memory roof: DRAM bandwidth × efficiency.",
                               part.kernels.size(), e.hardware_id, e.precision));
    // Latency by op class.
    std::map<std::string, std::pair<double, int>> by_class;
    for (std::size_t i = 0; i < part.kernels.size() && i < e.kernels.size(); ++i) {
      auto& slot = by_class[std::string(to_string(part.kernels[i].op_class))];
      slot.first += e.kernels[i].latency_s;
      slot.second += 1;
    }
    std::vector<html::Bar> bars;
    for (const auto& [cls, v] : by_class) {
      bars.push_back({cls, v.first,
                      fmt::format("{} ({:.1f} %)", r::seconds(v.first),
                                  e.latency_s > 0 ? 100.0 * v.first / e.latency_s : 0.0),
                      fmt::format("{}: {} kernels, {}", cls, v.second, r::seconds(v.first))});
    }
    std::sort(bars.begin(), bars.end(),
              [](const html::Bar& x, const html::Bar& y) { return x.value > y.value; });
    body += figure(html::bar_chart_svg(
                       fmt::format("Predicted latency by op class on {}", e.hardware_id),
                       "seconds", "s", bars),
                   fmt::format("Sum of the predicted latencies of the fused kernels anchored by "
                               "each op class; total {}.",
                               r::seconds(e.latency_s)));
    // Memory timeline.
    html::MemoryTimeline mt;
    mt.title = fmt::format("Memory over the kernel order on {} (device memory {})", e.hardware_id,
                           e.memory.capacity_bytes > 0 ? r::bytes(e.memory.capacity_bytes)
                                                       : std::string("unknown"));
    mt.live_activation_bytes = timeline;
    mt.weight_bytes = e.memory.weight_bytes;
    mt.capacity_bytes = e.memory.capacity_bytes;
    body += figure(html::memory_timeline_svg(mt),
                   fmt::format("Live activation bytes at each fused kernel (a tensor lives from "
                               "the kernel producing it to its last consumer) stacked on the "
                               "weights ({}); peak {} of {} device memory{}.",
                               r::bytes(e.memory.weight_bytes), r::bytes(e.memory.peak_bytes),
                               r::bytes(e.memory.capacity_bytes),
                               e.memory.fits ? "" : " — does NOT fit"));
  }
  return page("graphs analyze: " + a.model.name, body);
}

}  // namespace graphs
