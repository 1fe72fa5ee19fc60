#include "graphs/report/table.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <fmt/format.h>

namespace graphs::report {

Table::Table(std::vector<std::string> headers) {
  for (auto& h : headers) {
    const bool right = !h.empty() && h[0] == '>';
    right_.push_back(right);
    headers_.push_back(right ? h.substr(1) : h);
  }
}

void Table::add_row(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  rows_.push_back(std::move(cells));
}

namespace {
// Display width in code points (UTF-8 continuation bytes do not count).
std::size_t width(const std::string& s) {
  std::size_t w = 0;
  for (unsigned char c : s) w += (c & 0xC0) != 0x80;
  return w;
}
}  // namespace

std::string Table::to_text(const std::string& indent) const {
  std::vector<std::size_t> w(headers_.size());
  for (std::size_t c = 0; c < headers_.size(); ++c) {
    w[c] = width(headers_[c]);
    for (const auto& r : rows_) w[c] = std::max(w[c], width(r[c]));
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out = indent;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::string pad(w[c] - width(cells[c]), ' ');
      if (c) out += "  ";
      out += right_[c] ? pad + cells[c] : (c + 1 == cells.size() ? cells[c] : cells[c] + pad);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers_);
  std::vector<std::string> rule;
  for (std::size_t c = 0; c < headers_.size(); ++c) rule.emplace_back(w[c], '-');
  out += line(rule);
  for (const auto& r : rows_) out += line(r);
  return out;
}

std::string Table::to_markdown() const {
  auto esc = [](const std::string& s) {
    std::string o;
    for (char ch : s) o += ch == '|' ? std::string("\\|") : std::string(1, ch);
    return o;
  };
  std::string out = "|";
  for (const auto& h : headers_) out += " " + esc(h) + " |";
  out += "\n|";
  for (std::size_t c = 0; c < headers_.size(); ++c) out += right_[c] ? " ---: |" : " --- |";
  out += "\n";
  for (const auto& r : rows_) {
    out += "|";
    for (const auto& cell : r) out += " " + esc(cell) + " |";
    out += "\n";
  }
  return out;
}

std::string number(double v, int digits) {
  if (v == 0) return "0";
  if (!std::isfinite(v)) return "-";
  const int mag = static_cast<int>(std::floor(std::log10(std::fabs(v))));
  const int decimals = std::max(0, digits - 1 - mag);
  return fmt::format("{:.{}f}", v, decimals);
}

std::string si(double value, bool no_small) {
  static constexpr std::array<const char*, 7> kBig = {"", "k", "M", "G", "T", "P", "E"};
  static constexpr std::array<const char*, 4> kSmall = {"", "m", "u", "n"};
  if (value == 0) return "0";
  double v = std::fabs(value);
  std::size_t i = 0;
  if (v >= 1) {
    while (v >= 999.5 && i + 1 < kBig.size()) { v /= 1000; ++i; }
    return (value < 0 ? "-" : "") + number(v) + (i ? std::string(" ") + kBig[i] : "");
  }
  if (no_small) return number(value);
  while (v < 0.9995 && i + 1 < kSmall.size()) { v *= 1000; ++i; }
  return (value < 0 ? "-" : "") + number(v) + " " + kSmall[i];
}

std::string bytes(double b) {
  static constexpr std::array<const char*, 6> kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  std::size_t i = 0;
  double v = b;
  while (std::fabs(v) >= 1023.5 && i + 1 < kUnits.size()) { v /= 1024; ++i; }
  return (i == 0 ? fmt::format("{:.0f}", v) : number(v)) + " " + kUnits[i];
}

std::string seconds(double s) {
  if (s == 0) return "0 s";
  if (s >= 1) return number(s) + " s";
  if (s >= 1e-3) return number(s * 1e3) + " ms";
  if (s >= 1e-6) return number(s * 1e6) + " us";
  return number(s * 1e9) + " ns";
}

std::string joules(double j) {
  if (j == 0) return "0 J";
  if (j >= 1) return number(j) + " J";
  if (j >= 1e-3) return number(j * 1e3) + " mJ";
  if (j >= 1e-6) return number(j * 1e6) + " uJ";
  return number(j * 1e9) + " nJ";
}

}  // namespace graphs::report
