// `graphs`: characterize neural-network graphs and predict how they run on hardware.
// Exit status: 0 ok, 1 the work ran but something failed, 2 bad input or usage.
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "graphs/cli/commands.h"

namespace graphs::cli {

int report_error(const Error& error) {
  std::fprintf(stderr, "graphs: error: %s\n", error.message().c_str());
  return exit_status(error);
}

Status write_output(const std::string& path, const std::string& text) {
  if (path.empty() || path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
    return ok_status();
  }
  std::ofstream out(path, std::ios::binary);
  if (!out) return make_error(ErrorCode::kIoError, "cannot write '", path, "'");
  out << text;
  out.close();
  if (!out) return make_error(ErrorCode::kIoError, "failed writing '", path, "'");
  std::fprintf(stderr, "graphs: wrote %s\n", path.c_str());
  return ok_status();
}

void add_model_options(CLI::App& cmd, ModelOptions& o) {
  cmd.add_option("--batch", o.batch, "size bound to each input's symbolic leading dim")
      ->capture_default_str();
  cmd.add_option("--seq-len", o.seq_len,
                 "size bound to symbolic sequence dims (token-id inputs' dim 1, names with 'seq')")
      ->capture_default_str();
  cmd.add_option("--dim", o.dims, "bind a named symbolic dim: --dim NAME=N (repeatable)");
}

Result<DimBindings> to_bindings(const ModelOptions& o) {
  DimBindings b;
  b.batch = o.batch;
  b.seq_len = o.seq_len;
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
    b.named[d.substr(0, eq)] = size;
  }
  return b;
}

}  // namespace graphs::cli

int main(int argc, char** argv) {
  using namespace graphs::cli;
  CLI::App app{"graphs: characterize neural-network graphs and predict how they run on hardware",
               "graphs"};
  app.set_version_flag("--version", std::string("graphs ") + GRAPHS_VERSION);
  app.require_subcommand(1);
  CommandResult result;
  add_analyze_command(app, result);
  add_inspect_command(app, result);
  add_hardware_command(app, result);
  add_ops_command(app, result);
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
