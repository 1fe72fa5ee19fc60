// graphs compare MODEL [--hardware ID,...|all] [--batch N,...] [--precision P,...]
//                [--rank-by latency|energy|throughput-per-watt|throughput]
//                [--format auto|text|csv|json|md|html] [-o FILE]
// Ranks one model's configurations across hardware targets (best first), marking the Pareto
// front of latency vs energy per sample. Shares the sweep machinery (cli/sweep.cc).
#include "graphs/cli/commands.h"
#include "graphs/cli/sweep_cli.h"

namespace graphs::cli {

void add_compare_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<SweepOptions>();
  opts->hardware = {"all"};
  auto* cmd = app.add_subcommand(
      "compare", "rank hardware targets for one MODEL by latency, energy or throughput per "
                 "watt, marking the Pareto front of latency vs energy per sample");
  auto* model = cmd->add_option("model", opts->models,
                                "an .onnx file or a built-in zoo name: " + zoo_list());
  model->required()->expected(1);
  cmd->add_option("--hardware", opts->hardware,
                  "hardware IDs, comma-separated (graphs hardware list), or 'all'")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--rank-by", opts->rank_by, "latency|energy|throughput-per-watt|throughput")
      ->capture_default_str();
  add_sweep_options(*cmd, *opts);
  cmd->callback([opts, &result] { result.exit_status = run_sweep_command(*opts, true); });
}

}  // namespace graphs::cli
