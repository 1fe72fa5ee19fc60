#include "graphs/report/svg.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace graphs::svg {

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default:
        if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F) {
          out += "\xEF\xBF\xBD";  // U+FFFD: XML 1.0 forbids these characters
        } else {
          out += ch;
        }
    }
  }
  return out;
}

Scale::Scale(double lo, double hi, double px_lo, double px_hi, bool log)
    : lo_(lo), hi_(hi), px_lo_(px_lo), px_hi_(px_hi), log_(log) {
  if (log_) {
    if (!(lo_ > 0)) lo_ = 1e-30;
    if (!(hi_ > lo_)) hi_ = lo_ * 10;
  } else if (!(hi_ > lo_)) {
    hi_ = lo_ + 1;
  }
}

double Scale::operator()(double v) const {
  double t;
  if (log_) {
    const double x = v > lo_ ? v : lo_;
    t = (std::log10(x) - std::log10(lo_)) / (std::log10(hi_) - std::log10(lo_));
  } else {
    t = (v - lo_) / (hi_ - lo_);
  }
  return px_lo_ + t * (px_hi_ - px_lo_);
}

std::vector<double> Scale::ticks() const {
  std::vector<double> out;
  if (log_) {
    const int a = static_cast<int>(std::ceil(std::log10(lo_) - 1e-9));
    const int b = static_cast<int>(std::floor(std::log10(hi_) + 1e-9));
    const int step = std::max(1, (b - a + 7) / 8);  // at most ~8 labelled decades
    for (int k = a; k <= b; k += step) out.push_back(std::pow(10.0, k));
    return out;
  }
  const double span = hi_ - lo_;
  const double raw = span / 5;
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (span / step <= 6) break;
  }
  for (double v = std::ceil(lo_ / step) * step; v <= hi_ + step * 1e-9; v += step) {
    out.push_back(std::fabs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

std::pair<double, double> nice_range(const std::vector<double>& values, bool log) {
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double v : values) {
    if (!std::isfinite(v) || (log && v <= 0)) continue;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (log) {
    if (!std::isfinite(lo)) return {1, 10};
    lo = std::pow(10.0, std::floor(std::log10(lo)));
    hi = std::pow(10.0, std::ceil(std::log10(hi)));
    if (hi <= lo) hi = lo * 10;
    return {lo, hi};
  }
  if (!std::isfinite(lo)) return {0, 1};
  if (lo >= 0) lo = 0;
  const double pad = (hi - lo) * 0.05;
  hi += pad > 0 ? pad : 1;
  if (lo < 0) lo -= pad;
  return {lo, hi};
}

std::string_view color(std::size_t i) {
  // Tableau 10.
  static constexpr std::array<std::string_view, 10> kColors = {
      "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
      "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  return kColors[i % kColors.size()];
}

namespace {
std::string f2(double v) { return fmt::format("{:.2f}", std::isfinite(v) ? v : 0.0); }

std::string title_child(std::string_view tooltip) {
  return tooltip.empty() ? std::string() : "<title>" + escape(tooltip) + "</title>";
}
}  // namespace

Canvas::Canvas(double width_px, double height_px, std::string_view css_class,
               std::string_view title)
    : width_(width_px), height_(height_px), css_class_(css_class), title_(title) {}

void Canvas::rect(double x, double y, double w, double h, std::string_view fill,
                  std::string_view extra, std::string_view tooltip) {
  body_ += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" {}",
                       f2(x), f2(y), f2(std::max(0.0, w)), f2(std::max(0.0, h)), escape(fill),
                       extra);
  body_ += tooltip.empty() ? "/>" : ">" + title_child(tooltip) + "</rect>";
}

void Canvas::circle(double cx, double cy, double r, std::string_view fill, std::string_view extra,
                    std::string_view tooltip) {
  body_ += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" {}", f2(cx), f2(cy),
                       f2(r), escape(fill), extra);
  body_ += tooltip.empty() ? "/>" : ">" + title_child(tooltip) + "</circle>";
}

void Canvas::line(double x1, double y1, double x2, double y2, std::string_view stroke,
                  std::string_view extra) {
  body_ += fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" {}/>", f2(x1),
                       f2(y1), f2(x2), f2(y2), escape(stroke), extra);
}

namespace {
std::string points_attr(const std::vector<std::pair<double, double>>& pts) {
  std::string s;
  for (const auto& [x, y] : pts) s += (s.empty() ? "" : " ") + f2(x) + "," + f2(y);
  return s;
}
}  // namespace

void Canvas::polyline(const std::vector<std::pair<double, double>>& pts, std::string_view stroke,
                      std::string_view extra) {
  body_ += fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" {}/>",
                       points_attr(pts), escape(stroke), extra);
}

void Canvas::polygon(const std::vector<std::pair<double, double>>& pts, std::string_view fill,
                     std::string_view extra, std::string_view tooltip) {
  body_ += fmt::format("<polygon points=\"{}\" fill=\"{}\" {}", points_attr(pts), escape(fill),
                       extra);
  body_ += tooltip.empty() ? "/>" : ">" + title_child(tooltip) + "</polygon>";
}

void Canvas::text(double x, double y, std::string_view text, std::string_view anchor,
                  std::string_view extra) {
  body_ += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"{}\" {}>{}</text>", f2(x), f2(y),
                       escape(anchor), extra, escape(text));
}

void Canvas::axes(const Scale& x, const Scale& y, double x0, double y0, double x1, double y1,
                  std::string_view x_label, std::string_view y_label,
                  std::string (*format_x)(double), std::string (*format_y)(double)) {
  body_ += "<g class=\"axes\">";
  rect(x0, y0, x1 - x0, y1 - y0, "none", "stroke=\"#888\" class=\"frame\"");
  for (double t : x.ticks()) {
    const double px = x(t);
    line(px, y0, px, y1, "#e4e4e4", "class=\"grid\"");
    line(px, y1, px, y1 + 4, "#888");
    text(px, y1 + 16, format_x(t), "middle", "class=\"tick\"");
  }
  for (double t : y.ticks()) {
    const double py = y(t);
    line(x0, py, x1, py, "#e4e4e4", "class=\"grid\"");
    line(x0 - 4, py, x0, py, "#888");
    text(x0 - 6, py + 4, format_y(t), "end", "class=\"tick\"");
  }
  text((x0 + x1) / 2, y1 + 34, x_label, "middle", "class=\"axis-label\"");
  body_ += fmt::format(
      "<text x=\"0\" y=\"0\" text-anchor=\"middle\" class=\"axis-label\" "
      "transform=\"translate({},{}) rotate(-90)\">{}</text>",
      f2(12), f2((y0 + y1) / 2), escape(y_label));
  body_ += "</g>";
}

std::string Canvas::str() const {
  return fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"{}\" width=\"{}\" height=\"{}\" "
      "viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"11\">{}{}</svg>",
      escape(css_class_), f2(width_), f2(height_), f2(width_), f2(height_), escape(title_),
      title_child(title_), body_);
}

}  // namespace graphs::svg
