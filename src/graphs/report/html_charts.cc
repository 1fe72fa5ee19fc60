#include "graphs/report/html_charts.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <set>

#include <fmt/format.h>

#include "graphs/estimate/roofline.h"
#include "graphs/ir/dtype.h"
#include "graphs/report/svg.h"
#include "graphs/report/table.h"

namespace graphs::html {
namespace {

namespace r = report;

std::string fmt_flops(double v) { return r::si(v) + "FLOP/s"; }
std::string fmt_ai(double v) { return r::number(v, 2); }
std::string fmt_seconds(double v) { return r::seconds(v); }
std::string fmt_joules(double v) { return r::joules(v); }
std::string fmt_bytes(double v) { return r::bytes(v); }
std::string fmt_step(double v) { return fmt::format("{:.0f}", v); }

// Plot area margins (pixels).
constexpr double kLeft = 90, kRight = 170, kTop = 30, kBottom = 46;

}  // namespace

// ---- roofline -------------------------------------------------------------------------------

std::vector<double> roofline_ranges(const RooflineChart& c) {
  std::vector<double> xs, ys;
  for (const auto& p : c.points) {
    xs.push_back(p.arithmetic_intensity);
    ys.push_back(p.attained_flops_per_s);
  }
  for (const auto& ceil : c.ceilings) {
    ys.push_back(ceil.flops_per_s);
    if (c.bandwidth_bytes_per_s > 0) xs.push_back(ceil.flops_per_s / c.bandwidth_bytes_per_s);
  }
  const auto [x_lo, x_hi] = svg::nice_range(xs, true);
  const auto [y_lo, y_hi] = svg::nice_range(ys, true);
  return {x_lo, x_hi, y_lo, y_hi};
}

std::string roofline_svg(const RooflineChart& c) {
  const double w = 820, h = 420;
  const double x0 = kLeft, x1 = w - kRight - 40, y0 = kTop, y1 = h - kBottom;
  const auto range = roofline_ranges(c);
  const svg::Scale xs(range[0], range[1], x0, x1, true);
  const svg::Scale ys(range[2], range[3], y1, y0, true);
  svg::Canvas cv(w, h, "chart roofline", c.title);
  cv.text(x0, 18, c.title, "start", "class=\"chart-title\" font-weight=\"bold\"");
  cv.axes(xs, ys, x0, y0, x1, y1, "arithmetic intensity (FLOP/byte)", "attained FLOP/s",
          fmt_ai, fmt_flops);
  // Memory roof: y = bandwidth × AI, clipped to the plot.
  if (c.bandwidth_bytes_per_s > 0) {
    double top = c.ceilings.empty() ? ys.hi() : 0;  // the roof meets the highest ceiling
    for (const auto& ceil : c.ceilings) top = std::max(top, ceil.flops_per_s);
    const double ax = xs.lo(), bx = std::min(xs.hi(), top / c.bandwidth_bytes_per_s);
    const double ay = std::max(ys.lo(), ax * c.bandwidth_bytes_per_s);
    const double ax_clipped = ay / c.bandwidth_bytes_per_s;
    cv.line(xs(ax_clipped), ys(ay), xs(bx), ys(bx * c.bandwidth_bytes_per_s), "#333",
            "class=\"roof-memory\" stroke-width=\"2\"");
    cv.text(xs(ax_clipped) + 4, ys(ay) - 6,
            r::bytes(c.bandwidth_bytes_per_s) + "/s", "start", "class=\"roof-label\"");
  }
  for (std::size_t i = 0; i < c.ceilings.size(); ++i) {
    const auto& ceil = c.ceilings[i];
    const double ridge = c.bandwidth_bytes_per_s > 0 ? ceil.flops_per_s / c.bandwidth_bytes_per_s : 0;
    const double py = ys(ceil.flops_per_s);
    const std::string stroke = ceil.highlighted ? "#333" : "#999";
    cv.line(xs(std::max(ridge, xs.lo())), py, x1, py, stroke,
            fmt::format("class=\"ceiling\" stroke-width=\"{}\"{}", ceil.highlighted ? 2 : 1,
                        ceil.highlighted ? "" : " stroke-dasharray=\"4 3\""));
    cv.circle(xs(ridge), py, 3.5, stroke, "class=\"ridge\"",
              fmt::format("{}: ridge point {} FLOP/B, ceiling {}", ceil.label, r::number(ridge),
                          fmt_flops(ceil.flops_per_s)));
    cv.text(x1 + 4, py + 4,
            fmt::format("{} (ridge {})", ceil.label, r::number(ridge)), "start",
            ceil.highlighted ? "class=\"ceiling-label\" font-weight=\"bold\""
                             : "class=\"ceiling-label\"");
  }
  // Points, coloured by op class.
  std::map<std::string, std::size_t> classes;
  for (const auto& p : c.points) classes.emplace(p.op_class, classes.size());
  std::size_t zero_flop = 0;
  for (const auto& p : c.points) {
    const bool flat = p.arithmetic_intensity <= 0 || p.attained_flops_per_s <= 0;
    zero_flop += flat;
    const auto col = svg::color(classes[p.op_class]);
    const std::string extra = flat ? fmt::format("class=\"kernel zero-flop\" fill-opacity=\"0\" "
                                                 "stroke=\"{}\"", col)
                                   : std::string("class=\"kernel\" fill-opacity=\"0.75\"");
    cv.circle(xs(p.arithmetic_intensity), ys(p.attained_flops_per_s), 3, col, extra,
              fmt::format("{} ({}): {} FLOP/B, {}", p.label, p.op_class,
                          r::number(p.arithmetic_intensity), fmt_flops(p.attained_flops_per_s)));
  }
  // Legend: op classes.
  double ly = y0 + 8 + 16.0 * static_cast<double>(c.ceilings.size());
  ly = std::max(ly, y1 - 16.0 * static_cast<double>(classes.size() + (zero_flop ? 1 : 0)));
  for (const auto& [name, idx] : classes) {
    cv.circle(x1 + 10, ly - 4, 4, svg::color(idx), "class=\"legend\"");
    cv.text(x1 + 18, ly, name, "start", "class=\"legend\"");
    ly += 16;
  }
  if (zero_flop) {
    cv.text(x1 + 4, ly, fmt::format("{} zero-FLOP kernels at the edge", zero_flop), "start",
            "class=\"legend\"");
  }
  return cv.str();
}

// ---- bars -----------------------------------------------------------------------------------

std::string bar_chart_svg(const std::string& title, const std::string& x_label,
                          const std::string& unit, const std::vector<Bar>& bars) {
  const double row_h = 20, left = 190, right = 110;
  const double w = 760, h = kTop + 24 + row_h * static_cast<double>(std::max<std::size_t>(1, bars.size())) + 40;
  const double x0 = left, x1 = w - right, y0 = kTop + 10, y1 = h - 40;
  std::vector<double> values;
  for (const auto& b : bars) values.push_back(b.value);
  const auto [lo, hi] = svg::nice_range(values, false);
  const svg::Scale xs(lo, hi, x0, x1, false);
  svg::Canvas cv(w, h, "chart bars", title);
  cv.text(8, 18, title, "start", "class=\"chart-title\" font-weight=\"bold\"");
  cv.rect(x0, y0, x1 - x0, y1 - y0, "none", "stroke=\"#888\" class=\"frame\"");
  for (double t : xs.ticks()) {
    cv.line(xs(t), y0, xs(t), y1, "#e4e4e4", "class=\"grid\"");
    const std::string label = r::si(t, false);
    cv.text(xs(t), y1 + 14,
            unit.empty() ? label : (label.find(' ') == std::string::npos ? label + " " + unit
                                                                         : label + unit),
            "middle", "class=\"tick\"");
  }
  cv.text((x0 + x1) / 2, y1 + 30, x_label, "middle", "class=\"axis-label\"");
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& b = bars[i];
    const double y = y0 + 6 + row_h * static_cast<double>(i);
    cv.text(x0 - 6, y + row_h * 0.6, b.label, "end", "class=\"bar-label\"");
    cv.rect(x0, y, xs(std::max(0.0, b.value)) - x0, row_h - 6, svg::color(0), "class=\"bar\"",
            b.tooltip.empty() ? b.label + ": " + b.value_label : b.tooltip);
    cv.text(xs(std::max(0.0, b.value)) + 4, y + row_h * 0.6, b.value_label, "start",
            "class=\"bar-value\"");
  }
  return cv.str();
}

// ---- memory timeline ------------------------------------------------------------------------

std::vector<double> live_activation_timeline(const Graph& g, const Characterization& ch,
                                             const Partition& part) {
  auto live = live_activation_bytes(g, ch, part);  // estimate/roofline.h: the estimator's rule
  live.resize(part.kernels.size());                // one point per kernel
  return live;
}

std::string memory_timeline_svg(const MemoryTimeline& t) {
  const double w = 760, h = 340;
  const double x0 = kLeft, x1 = w - kRight, y0 = kTop, y1 = h - kBottom;
  const std::size_t n = t.live_activation_bytes.size();
  double peak = 0;
  std::size_t peak_at = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (t.live_activation_bytes[i] > peak) {
      peak = t.live_activation_bytes[i];
      peak_at = i;
    }
  }
  const auto [lo, hi] = svg::nice_range({0.0, t.weight_bytes + peak}, false);
  const svg::Scale xs(0, std::max<double>(1, static_cast<double>(n)), x0, x1, false);
  const svg::Scale ys(lo, hi, y1, y0, false);
  svg::Canvas cv(w, h, "chart memory-timeline", t.title);
  cv.text(x0, 18, t.title, "start", "class=\"chart-title\" font-weight=\"bold\"");
  cv.axes(xs, ys, x0, y0, x1, y1, "fused kernel (execution order)", "bytes", fmt_step, fmt_bytes);
  // Weights: a constant band from 0 to weight_bytes.
  cv.rect(x0, ys(t.weight_bytes), x1 - x0, y1 - ys(t.weight_bytes), "#bab0ac",
          "class=\"weights\" fill-opacity=\"0.7\"", "weights: " + r::bytes(t.weight_bytes));
  // Activations stacked on the weights: a step polygon, one step per kernel.
  std::vector<std::pair<double, double>> pts;
  pts.emplace_back(xs(0), ys(t.weight_bytes));
  for (std::size_t i = 0; i < n; ++i) {
    const double y = ys(t.weight_bytes + t.live_activation_bytes[i]);
    pts.emplace_back(xs(static_cast<double>(i)), y);
    pts.emplace_back(xs(static_cast<double>(i + 1)), y);
  }
  pts.emplace_back(xs(static_cast<double>(n)), ys(t.weight_bytes));
  cv.polygon(pts, svg::color(0), "class=\"activations\" fill-opacity=\"0.6\"",
             "live activations, peak " + r::bytes(peak));
  const double py = ys(t.weight_bytes + peak);
  cv.line(x0, py, x1, py, "#e15759", "class=\"peak\" stroke-dasharray=\"4 3\"");
  cv.text(x1 + 4, py + 4,
          fmt::format("peak {} (kernel {})", r::bytes(t.weight_bytes + peak), peak_at), "start",
          "class=\"legend\"");
  cv.text(x1 + 4, ys(t.weight_bytes / 2) + 4, "weights " + r::bytes(t.weight_bytes), "start",
          "class=\"legend\"");
  return cv.str();
}

// ---- Pareto scatter -------------------------------------------------------------------------

std::string pareto_scatter_svg(const std::string& title, const std::vector<ScatterPoint>& points) {
  const double w = 760, h = 420;
  const double x0 = kLeft, x1 = w - kRight, y0 = kTop, y1 = h - kBottom;
  std::vector<double> xv, yv;
  std::vector<const ScatterPoint*> shown;
  for (const auto& p : points) {
    if (!(p.latency_s > 0) || !(p.energy_per_sample_j > 0)) continue;
    shown.push_back(&p);
    xv.push_back(p.latency_s);
    yv.push_back(p.energy_per_sample_j);
  }
  const auto [xlo, xhi] = svg::nice_range(xv, true);
  const auto [ylo, yhi] = svg::nice_range(yv, true);
  const svg::Scale xs(xlo, xhi, x0, x1, true);
  const svg::Scale ys(ylo, yhi, y1, y0, true);
  svg::Canvas cv(w, h, "chart pareto", title);
  cv.text(x0, 18, title, "start", "class=\"chart-title\" font-weight=\"bold\"");
  cv.axes(xs, ys, x0, y0, x1, y1, "latency per batch", "energy per sample", fmt_seconds,
          fmt_joules);
  std::map<std::string, std::size_t> groups;
  for (const auto* p : shown) groups.emplace(p->group, groups.size());
  // Front: Pareto points by latency, joined as a staircase (each step holds until the next).
  std::vector<const ScatterPoint*> front;
  for (const auto* p : shown) {
    if (p->pareto) front.push_back(p);
  }
  std::sort(front.begin(), front.end(), [](const ScatterPoint* a, const ScatterPoint* b) {
    return a->latency_s < b->latency_s;
  });
  std::vector<std::pair<double, double>> stairs;
  for (std::size_t i = 0; i < front.size(); ++i) {
    const double x = xs(front[i]->latency_s), y = ys(front[i]->energy_per_sample_j);
    if (i) stairs.emplace_back(x, stairs.back().second);
    stairs.emplace_back(x, y);
  }
  if (!stairs.empty()) {
    cv.polyline(stairs, "#222", "class=\"pareto-front\" stroke-width=\"1.5\"");
  }
  for (const auto* p : shown) {
    const auto col = svg::color(groups[p->group]);
    cv.circle(xs(p->latency_s), ys(p->energy_per_sample_j), p->pareto ? 4.5 : 3, col,
              p->pareto ? "class=\"config pareto\" stroke=\"#000\" stroke-width=\"1.2\""
                        : "class=\"config\" fill-opacity=\"0.6\"",
              fmt::format("{}: latency {}, {} per sample{}", p->label, r::seconds(p->latency_s),
                          r::joules(p->energy_per_sample_j), p->pareto ? " (Pareto)" : ""));
  }
  double ly = y0 + 8;
  const std::size_t max_legend = static_cast<std::size_t>((y1 - y0) / 15) - 1;
  std::size_t shown_legend = 0;
  for (const auto& [name, idx] : groups) {
    if (shown_legend++ >= max_legend) {
      cv.text(x1 + 10, ly, fmt::format("… {} more", groups.size() - max_legend), "start",
              "class=\"legend\"");
      break;
    }
    cv.circle(x1 + 12, ly - 4, 4, svg::color(idx), "class=\"legend\"");
    cv.text(x1 + 20, ly, name, "start", "class=\"legend\"");
    ly += 15;
  }
  return cv.str();
}

}  // namespace graphs::html
