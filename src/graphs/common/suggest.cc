#include "graphs/common/suggest.h"

#include <algorithm>
#include <cctype>
#include <numeric>

namespace graphs {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

}  // namespace

std::size_t edit_distance(std::string_view a_in, std::string_view b_in) {
  const std::string a = lower(a_in), b = lower(b_in);
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  std::iota(prev.begin(), prev.end(), 0);
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> suggest(std::string_view name, const std::vector<std::string>& candidates,
                                 std::size_t max_results) {
  const std::string key = lower(name);
  std::vector<std::pair<std::size_t, std::string>> scored;
  const std::size_t limit = std::max<std::size_t>(1, key.size() / 3);
  const std::size_t half = (key.size() + 1) / 2;
  for (const auto& c : candidates) {
    const std::string lc = lower(c);
    if (!key.empty() && (lc.find(key) != std::string::npos || key.find(lc) != std::string::npos)) {
      scored.emplace_back(0, c);
      continue;
    }
    const std::size_t d = edit_distance(key, lc);
    const bool keeps_first_half = lc.size() >= half && lc.compare(0, half, key, 0, half) == 0;
    if (d <= limit || (d <= 2 && keeps_first_half)) scored.emplace_back(d, c);
  }
  std::stable_sort(scored.begin(), scored.end(),
                   [](const auto& x, const auto& y) { return x.first < y.first; });
  std::vector<std::string> out;
  for (const auto& [d, c] : scored) {
    if (out.size() >= max_results) break;
    out.push_back(c);
  }
  return out;
}

std::string unknown_name_message(std::string_view what, std::string_view name,
                                 const std::vector<std::string>& candidates) {
  std::string msg = "unknown " + std::string(what) + " '" + std::string(name) + "'";
  const auto close = suggest(name, candidates);
  if (!close.empty()) return msg + "; did you mean " + join(close, ", ") + "?";
  if (!candidates.empty()) return msg + "; known: " + join(candidates, ", ");
  return msg;
}

}  // namespace graphs
