// A minimal SVG writer for the HTML reports: XML escaping, linear and log axes, and the few
// primitives the charts need. Output is well-formed XML (every attribute quoted, every string
// escaped), meant to be inlined in an HTML page; no scripts, no external references.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace graphs::svg {

/// Escapes & < > " ' for XML/HTML text and attribute values. Bytes that XML 1.0 forbids (control
/// characters other than tab, newline, carriage return) become U+FFFD's UTF-8 form.
std::string escape(std::string_view text);

/// Maps data values to pixels along one axis. Log scales need lo > 0; values ≤ 0 map to `lo`.
class Scale {
 public:
  Scale(double lo, double hi, double px_lo, double px_hi, bool log);
  double operator()(double v) const;
  double lo() const { return lo_; }
  double hi() const { return hi_; }
  bool log() const { return log_; }
  /// Tick positions: powers of ten within [lo, hi] for log scales, 1/2/5 × 10^k steps (about 5)
  /// for linear ones.
  std::vector<double> ticks() const;

 private:
  double lo_, hi_, px_lo_, px_hi_;
  bool log_;
};

/// Range [lo, hi] covering `values` (non-positive ones ignored on log scales), widened to whole
/// decades (log) or by 5 % (linear, starting at 0 when all values are ≥ 0). Falls back to [1, 10]
/// (log) or [0, 1] (linear) when nothing is left.
std::pair<double, double> nice_range(const std::vector<double>& values, bool log);

/// A categorical colour for series i (10 colours, then repeats).
std::string_view color(std::size_t i);

/// Accumulates the elements of one <svg>. Numbers are written with two decimals.
class Canvas {
 public:
  Canvas(double width_px, double height_px, std::string_view css_class, std::string_view title);
  double width() const { return width_; }
  double height() const { return height_; }

  /// `extra` is inserted verbatim into the element's attributes (must be well-formed, e.g.
  /// `class="kernel"`; callers escape any user string in it). `tooltip`, when set, becomes an
  /// escaped <title> child.
  void rect(double x, double y, double w, double h, std::string_view fill,
            std::string_view extra = {}, std::string_view tooltip = {});
  void circle(double cx, double cy, double r, std::string_view fill, std::string_view extra = {},
              std::string_view tooltip = {});
  void line(double x1, double y1, double x2, double y2, std::string_view stroke,
            std::string_view extra = {});
  void polyline(const std::vector<std::pair<double, double>>& points, std::string_view stroke,
                std::string_view extra = {});
  void polygon(const std::vector<std::pair<double, double>>& points, std::string_view fill,
               std::string_view extra = {}, std::string_view tooltip = {});
  /// `anchor`: start, middle, end. Text is escaped.
  void text(double x, double y, std::string_view text, std::string_view anchor = "start",
            std::string_view extra = {});
  void raw(std::string_view xml) { body_ += xml; }

  /// Axes frame of the plot area [x0, x1] × [y0, y1] (pixels) with ticks and labels from the
  /// scales; `format` turns a tick value into its label.
  void axes(const Scale& x, const Scale& y, double x0, double y0, double x1, double y1,
            std::string_view x_label, std::string_view y_label,
            std::string (*format_x)(double), std::string (*format_y)(double));

  std::string str() const;

 private:
  double width_, height_;
  std::string css_class_, title_;
  std::string body_;
};

}  // namespace graphs::svg
