// Overflow-checked int64 arithmetic for counts: elements, bytes, parameters, MACs.
//
// Signed overflow is undefined behaviour in C++; a count that does not fit must become an error
// that names what overflowed, never a wrapped (negative) number. These wrap GCC's and Clang's
// __builtin_*_overflow, which compute the exact result and report whether it fits.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

namespace graphs {

inline constexpr int64_t kMaxInt64 = std::numeric_limits<int64_t>::max();

/// a × b, or nullopt when the product does not fit int64.
[[nodiscard]] inline std::optional<int64_t> checked_mul(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r)) return std::nullopt;
  return r;
}

/// a + b, or nullopt when the sum does not fit int64.
[[nodiscard]] inline std::optional<int64_t> checked_add(int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

/// The product of `values` (1 for none), or nullopt when it, or a partial product, does not
/// fit int64. A zero anywhere makes the product 0 even if other factors are huge.
template <typename Range>
[[nodiscard]] std::optional<int64_t> checked_product(const Range& values) {
  bool zero = false;
  for (int64_t v : values) zero = zero || v == 0;
  if (zero) return 0;
  int64_t p = 1;
  for (int64_t v : values) {
    const auto next = checked_mul(p, v);
    if (!next) return std::nullopt;
    p = *next;
  }
  return p;
}

/// a × b for non-negative a and b, kMaxInt64 when the product does not fit. Only for figures
/// that a size check refuses before anyone reads them (TensorType::numel, ir/graph.h).
[[nodiscard]] inline int64_t saturating_mul(int64_t a, int64_t b) {
  const auto r = checked_mul(a, b);
  return r ? *r : kMaxInt64;
}

}  // namespace graphs
