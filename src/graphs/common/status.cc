#include "graphs/common/status.h"

namespace graphs {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kParseError: return "parse error";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kShapeError: return "shape error";
    case ErrorCode::kIoError: return "I/O error";
    case ErrorCode::kRuntimeError: return "runtime error";
    case ErrorCode::kInternal: return "internal error";
  }
  return "unknown error";
}

int exit_status(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kRuntimeError:
    case ErrorCode::kInternal:
      return 1;
    default:
      return 2;
  }
}

}  // namespace graphs
