// `graphs`: characterize neural-network graphs and predict how they run on hardware.
// Exit status: 0 ok, 1 the work ran but something failed, 2 bad input or usage.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "graphs/cli/commands.h"

namespace graphs::cli {

namespace {

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    // Continuation bytes that follow a lead byte: 0 (ASCII), 1, 2 or 3; -1 for an invalid lead.
    const int extra = c < 0x80          ? 0
                      : (c >> 5) == 0x6  ? 1
                      : (c >> 4) == 0xE  ? 2
                      : (c >> 3) == 0x1E ? 3
                                         : -1;
    if (extra < 0) return false;
    const auto n = static_cast<std::size_t>(extra);
    if (i + n >= s.size() && n > 0) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n + 1;
  }
  return true;
}

// One printable line: control characters (newlines included) become \xNN, and so does every
// byte >= 0x80 when the message is not valid UTF-8 (names read from a corrupt file).
std::string printable_line(const std::string& s) {
  const bool utf8 = valid_utf8(s);
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F || (!utf8 && c >= 0x80)) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += ch;
    }
  }
  return out;
}

}  // namespace

int report_error(const Error& error) {
  std::fprintf(stderr, "graphs: error: %s\n", printable_line(error.message()).c_str());
  return exit_status(error);
}

std::string format_for_output(const std::string& flag, const std::string& output,
                              const std::vector<std::string>& known, const std::string& fallback) {
  if (!flag.empty()) return flag;
  std::string ext = std::filesystem::path(output).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (ext.size() > 1) ext = ext.substr(1);
  if (ext == "txt") ext = "text";
  return std::find(known.begin(), known.end(), ext) != known.end() ? ext : fallback;
}

Result<HardwareRegistry> load_registry() {
  auto registry = HardwareRegistry::load_default();
  if (registry.ok()) {
    for (const auto& w : registry->warnings()) {
      std::fprintf(stderr, "graphs: warning: %s\n", printable_line(w).c_str());
    }
  }
  return registry;
}

Status write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    errno = 0;
    const bool written = std::fwrite(text.data(), 1, text.size(), stdout) == text.size() &&
                         std::fflush(stdout) == 0;
    if (written) return ok_status();
    // The reader went away (`| head`): what it wanted was read; end quietly, not by SIGPIPE.
    if (errno == EPIPE) std::exit(0);
    return make_error(ErrorCode::kRuntimeError, "cannot write to standard output: ",
                      std::strerror(errno != 0 ? errno : EIO));
  }
  // Written whole to a temporary file beside the target, then renamed: a failed write leaves
  // no half file and the previous one intact.
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return make_error(ErrorCode::kInvalidArgument, "cannot write '", path, "': it is a directory");
  }
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    return make_error(ErrorCode::kRuntimeError, "cannot write '", path, "': ", std::strerror(errno));
  }
  bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  ok = std::fflush(f) == 0 && ok;
  const int err = errno;
  ok = std::fclose(f) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int why = ok ? errno : err;
    std::remove(tmp.c_str());
    return make_error(ErrorCode::kRuntimeError, "failed writing '", path, "': ",
                      std::strerror(why != 0 ? why : EIO));
  }
  std::fprintf(stderr, "graphs: wrote %s\n", path.c_str());
  return ok_status();
}

void add_model_options(CLI::App& cmd, ModelOptions& o) {
  cmd.add_option("--batch", o.batch, "size bound to each input's symbolic leading dim")
      ->check(CLI::Range(int64_t{1}, kMaxDimFlag))
      ->capture_default_str();
  cmd.add_option("--seq-len", o.seq_len,
                 "size bound to symbolic sequence dims (token-id inputs' dim 1, names with 'seq')")
      ->check(CLI::Range(int64_t{1}, kMaxDimFlag))
      ->capture_default_str();
  cmd.add_option("--dim", o.dims,
                 "bind a named symbolic dim, or a data-dependent one that inspect lists "
                 "(nonzero_0, loop_0, ...): --dim NAME=N (repeatable)");
  cmd.add_option("--input-shape", o.input_shapes,
                 "give an input's whole shape when its dims have no name ('?') or its rank is "
                 "not declared: --input-shape NAME=1x3x48x192 (NAME= for a scalar; "
                 "repeatable)");
  cmd.add_option("--branch", o.branch,
                 "If nodes whose condition is unknown at analysis time: estimate the then or "
                 "else branch (default: the costlier)")
      ->check(CLI::IsMember({"then", "else"}));
}

namespace {

// "1x3x48x192" → sizes, "" → a scalar; nullopt unless every item is an integer in
// [0, kMaxDimFlag].
std::optional<std::vector<int64_t>> parse_shape(const std::string& text) {
  std::vector<int64_t> dims;
  if (text.empty()) return dims;
  std::size_t start = 0;
  while (true) {
    const auto x = text.find('x', start);
    const std::string item = text.substr(start, x == std::string::npos ? x : x - start);
    if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos ||
        item.size() > 10) {
      return std::nullopt;
    }
    const int64_t d = std::stoll(item);
    if (d > kMaxDimFlag) return std::nullopt;
    dims.push_back(d);
    if (x == std::string::npos) return dims;
    start = x + 1;
  }
}

Status add_input_shape(const std::string& flag, DimBindings& b) {
  const auto eq = flag.rfind('=');
  if (eq == std::string::npos || eq == 0) {
    return make_error(ErrorCode::kInvalidArgument, "--input-shape expects NAME=D0xD1x... "
                      "(e.g. x=1x3x224x224), got '", flag, "'");
  }
  const std::string name = flag.substr(0, eq);
  auto dims = parse_shape(flag.substr(eq + 1));
  if (!dims) {
    return make_error(ErrorCode::kInvalidArgument, "--input-shape ", name, ": '",
                      flag.substr(eq + 1), "' is not a shape like 1x3x224x224 (sizes in [0, ",
                      kMaxDimFlag, "])");
  }
  if (!b.input_shapes.emplace(name, *dims).second) {
    return make_error(ErrorCode::kInvalidArgument, "--input-shape names input '", name,
                      "' twice");
  }
  return ok_status();
}

}  // namespace

Result<DimBindings> to_bindings(const ModelOptions& o) {
  DimBindings b;
  b.batch = o.batch;
  b.seq_len = o.seq_len;
  b.branch = o.branch;
  for (const auto& d : o.dims) {
    const auto eq = d.find('=');
    int64_t size = 0;
    bool ok = eq != std::string::npos && eq > 0 && eq + 1 < d.size();
    if (ok) {
      try {
        std::size_t used = 0;
        size = std::stoll(d.substr(eq + 1), &used);
        ok = used == d.size() - eq - 1;
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok) {
      return make_error(ErrorCode::kInvalidArgument, "--dim expects NAME=N, got '", d, "'");
    }
    // A data-dependent dim may be 0 (a NonZero that finds nothing).
    const int64_t lowest = graphs::names_data_dependent_dim(d.substr(0, eq)) ? 0 : 1;
    if (size < lowest || size > kMaxDimFlag) {
      return make_error(ErrorCode::kInvalidArgument, "--dim ", d.substr(0, eq), ": ", size,
                        " is outside [", lowest, ", ", kMaxDimFlag, "]");
    }
    b.named[d.substr(0, eq)] = size;
  }
  for (const auto& shape : o.input_shapes) GRAPHS_RETURN_IF_ERROR(add_input_shape(shape, b));
  return b;
}

}  // namespace graphs::cli

int main(int argc, char** argv) {
  using namespace graphs::cli;
  // A closed output pipe is seen as EPIPE by write_output, never as a signal.
  ::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"graphs: characterize neural-network graphs and predict how they run on hardware",
               "graphs"};
  app.set_version_flag("--version", std::string("graphs ") + GRAPHS_VERSION);
  app.require_subcommand(1);
  CommandResult result;
  add_analyze_command(app, result);
  add_inspect_command(app, result);
  add_hardware_command(app, result);
  add_ops_command(app, result);
  add_tp_command(app, result);
  add_sweep_command(app, result);
  add_compare_command(app, result);
  add_bench_command(app, result);
  add_calibrate_command(app, result);
  add_history_command(app, result);
  add_validate_command(app, result);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "graphs: error: %s (see graphs --help)\n", e.what());
    return 2;
  }
  return result.exit_status;
}
