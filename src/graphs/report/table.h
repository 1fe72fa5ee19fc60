// A small table with text (aligned columns) and Markdown renderers, and human-readable units.
#pragma once

#include <string>
#include <vector>

namespace graphs::report {

class Table {
 public:
  /// Column headers; a header starting with '>' right-aligns its column (the '>' is dropped).
  explicit Table(std::vector<std::string> headers);
  void add_row(std::vector<std::string> cells);
  std::size_t rows() const { return rows_.size(); }

  /// Columns padded to their widest cell, two spaces apart, a rule under the header.
  std::string to_text(const std::string& indent = "  ") const;
  /// GitHub-flavoured Markdown table.
  std::string to_markdown() const;

 private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

/// 3 significant digits with an SI prefix: 25557032 → "25.6 M", 0.5 → "500 m" (prefix ≥ k only
/// when `no_small` is true: 0.5 → "0.5").
std::string si(double value, bool no_small = true);
/// Bytes with binary units: 102.2 MiB.
std::string bytes(double b);
/// Seconds with the unit that keeps 3 significant digits: "1.23 ms", "45.6 us", "2.05 s".
std::string seconds(double s);
/// Joules: "1.23 mJ".
std::string joules(double j);
/// Plain number with `digits` significant digits.
std::string number(double v, int digits = 3);

}  // namespace graphs::report
