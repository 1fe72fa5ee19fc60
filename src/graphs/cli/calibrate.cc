// graphs calibrate [--quick] [--threads N] [--backends torch,onnxruntime,inductor] [--python P]
//                  [-o FILE] [--format text|json]
//
// Measures this machine (calibrate/calibration.h) and writes the calibration profile
// (calibrate/profile.h) that overlays `host`.
#include <cstdio>

#include "graphs/calibrate/calibration.h"
#include "graphs/calibrate/profile.h"
#include "graphs/cli/commands.h"

namespace graphs::cli {
namespace {

struct CalibrateOptions {
  CalibrateSettings settings;
  std::string output;
  std::string format = "text";
};

int run(const CalibrateOptions& o) {
  if (o.format != "text" && o.format != "json") {
    return report_error(make_error(ErrorCode::kInvalidArgument, "unknown --format '", o.format,
                                   "'; expected text or json"));
  }
  auto profile = run_calibration(o.settings, [](const std::string& line) {
    std::fprintf(stderr, "graphs: calibrate: %s\n", line.c_str());
  });
  if (!profile.ok()) return report_error(profile.error());
  const std::string path =
      o.output.empty() ? default_profile_path(profile->hardware_fingerprint) : o.output;
  if (auto s = save_profile(*profile, path); !s.ok()) return report_error(s.error());
  const std::string text = o.format == "json" ? to_json(*profile).dump(2) + "\n"
                                              : render_calibration_text(*profile, path);
  if (auto st = write_output("", text); !st.ok()) return report_error(st.error());
  // The profile is kept either way; a run where no requested backend measured anything failed.
  const std::size_t failed = failed_backends(*profile, o.settings.backends).size();
  if (!o.settings.backends.empty() && failed == o.settings.backends.size()) {
    std::fprintf(stderr, "graphs: error: no backend could be calibrated (%zu of %zu failed; the "
                         "notes say why)\n", failed, o.settings.backends.size());
    return 1;
  }
  return 0;
}

}  // namespace

void add_calibrate_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<CalibrateOptions>();
  auto* cmd = app.add_subcommand("calibrate", "measure this machine and write the host calibration profile");
  cmd->add_flag("--quick", opts->settings.quick, "fewer working sets and repeats");
  cmd->add_option("--threads", opts->settings.threads, "threads to measure with (default: every logical CPU)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-o,--output", opts->output, "profile path (default: the calibration cache)");
  cmd->add_option("--format", opts->format, "text or json")->capture_default_str();
  std::string backends;
  for (const auto& b : calibrate_backends()) backends += (backends.empty() ? "" : ", ") + b;
  cmd->add_option("--backends", opts->settings.backends,
                  "backends to measure op classes through: " + backends)
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--python", opts->settings.python, "Python interpreter of the workers (default $GRAPHS_PYTHON, the venv's, python3)");
  cmd->add_flag("--no-memory", opts->settings.no_memory, "skip the STREAM memory-bandwidth sweep");
  cmd->callback([opts, &result] { result.exit_status = run(*opts); });
}

}  // namespace graphs::cli
