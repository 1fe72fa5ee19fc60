// One error vocabulary for the whole core.
//
// Every fallible function returns `Result<T>` (or `Status` = `Result<void>`), never throws.
// Errors carry context as they travel up (`Error::with_context`): file, node name, op type,
// opset, so the message a user reads names the thing that was wrong. Exceptions are made only at
// the Python boundary. The command line maps an Error to exit status 2 (bad input) or 1 (the work
// ran but something failed), see `exit_status`.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace graphs {

/// Error categories. Keep `to_string` in sync.
enum class ErrorCode {
  kInvalidArgument,  // a user-supplied value is wrong (bad flag value, unknown name)
  kNotFound,         // a file, model, hardware ID or value does not exist
  kParseError,       // a file exists but cannot be decoded (protobuf, YAML, JSON)
  kUnsupported,      // well-formed input that this version cannot handle (unknown op, subgraph)
  kShapeError,       // shapes or types that do not fit an op's contract
  kIoError,          // reading or writing failed
  kRuntimeError,     // the work ran and something in it failed (exit status 1)
  kInternal,         // a broken invariant: a bug in graphs
};

std::string_view to_string(ErrorCode code);

/// An error: a category and a one-line, human-readable message.
class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  /// Prefixes context: `Error(kShapeError, "rank 3").with_context("Conv node 'c1'")` reads
  /// "Conv node 'c1': rank 3".
  Error& with_context(std::string_view context) & {
    message_ = std::string(context) + ": " + message_;
    return *this;
  }
  Error&& with_context(std::string_view context) && {
    message_ = std::string(context) + ": " + message_;
    return std::move(*this);
  }

 private:
  ErrorCode code_;
  std::string message_;
};

/// Exit status of the command line for an error: 1 for kRuntimeError and kInternal, else 2.
int exit_status(const Error& error);

/// A value or an error. Minimal `std::expected`-like type (C++20 has none).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)

  bool ok() const { return data_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(data_); }
  Error&& error() && { return std::get<1>(std::move(data_)); }

 private:
  std::variant<T, Error> data_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}  // NOLINT(implicit)

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const& { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::optional<Error> error_;
};

using Status = Result<void>;

inline Status ok_status() { return Status(); }

/// Builds an Error with a formatted message: `make_error(ErrorCode::kNotFound, "no file '", p, "'")`.
template <typename... Args>
Error make_error(ErrorCode code, Args&&... parts) {
  std::string message;
  ((message += [](auto&& part) {
     if constexpr (std::is_convertible_v<decltype(part), std::string_view>) {
       return std::string(std::string_view(part));
     } else {
       return std::to_string(part);
     }
   }(std::forward<Args>(parts))),
   ...);
  return Error(code, std::move(message));
}

}  // namespace graphs

#define GRAPHS_CONCAT_INNER_(a, b) a##b
#define GRAPHS_CONCAT_(a, b) GRAPHS_CONCAT_INNER_(a, b)

/// Returns the error of a Status-returning expression from the enclosing function.
#define GRAPHS_RETURN_IF_ERROR(expr)                          \
  do {                                                        \
    auto graphs_status_ = (expr);                             \
    if (!graphs_status_.ok()) return std::move(graphs_status_).error(); \
  } while (0)

/// `GRAPHS_ASSIGN_OR_RETURN(auto x, f());` unwraps a Result or returns its error.
#define GRAPHS_ASSIGN_OR_RETURN(lhs, expr)                                    \
  auto GRAPHS_CONCAT_(graphs_result_, __LINE__) = (expr);                     \
  if (!GRAPHS_CONCAT_(graphs_result_, __LINE__).ok())                         \
    return std::move(GRAPHS_CONCAT_(graphs_result_, __LINE__)).error();       \
  lhs = std::move(GRAPHS_CONCAT_(graphs_result_, __LINE__)).value()

/// Returns an error from the enclosing function unless `cond` holds.
#define GRAPHS_CHECK_OR_RETURN(cond, code, ...) \
  do {                                          \
    if (!(cond)) return ::graphs::make_error(code, __VA_ARGS__); \
  } while (0)
