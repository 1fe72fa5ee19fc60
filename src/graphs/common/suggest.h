// "Did you mean" suggestions for unknown names (hardware IDs, zoo models, precisions, ops).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace graphs {

/// Levenshtein distance between two strings, case-insensitive.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// Up to `max_results` candidates closest to `name`: those containing `name` (or contained in it)
/// first, then the close ones, nearest first. A candidate is close when at most a third of the
/// name changes (edit distance ≤ max(1, |name|/3)), or when it differs by two edits but keeps the
/// name's first half, as typos in short ids do ("fp61" → "fp16", "EAGRE" → "EAGER"). Two edits
/// elsewhere in a short name are a different word, not a typo ("LSTM" is not "Sum").
std::vector<std::string> suggest(std::string_view name, const std::vector<std::string>& candidates,
                                 std::size_t max_results = 3);

/// "unknown <what> 'name'; did you mean a, b?" or "unknown <what> 'name'; known: a, b, c" when
/// nothing is close. `candidates` are listed in full only when nothing is close.
std::string unknown_name_message(std::string_view what, std::string_view name,
                                 const std::vector<std::string>& candidates);

}  // namespace graphs
