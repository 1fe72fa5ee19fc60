// graphs history [--model M] [--hardware H] [--conversion C] [--limit N] [--format text|json]
//                [--db PATH]
//
// Shows the validation history store (src/graphs/history/history_store.h): one row per series
// (machine, model, batch, sequence, conversion, precision) with its first and latest error and a
// flag on regressions. Exit status 1 when a series regressed, so CI can gate on it.
#include <cmath>
#include <cstdio>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "graphs/cli/commands.h"
#include "graphs/history/history_store.h"
#include "graphs/report/table.h"

namespace graphs::cli {
namespace {

struct HistoryOptions {
  HistoryQuery query;
  std::string db;
  std::string format = "text";
};

std::string pct(const std::optional<double>& v) {
  return v ? fmt::format("{:+.1f} %", 100 * *v) : "-";
}

nlohmann::json opt(const std::optional<double>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

int run(const HistoryOptions& o) {
  if (o.format != "text" && o.format != "json") {
    return report_error(make_error(ErrorCode::kInvalidArgument, "unknown --format '", o.format,
                                   "'; expected text or json"));
  }
  auto store = HistoryStore::open(o.db.empty() ? HistoryStore::default_path() : o.db);
  if (!store.ok()) return report_error(store.error());
  auto records = store->query(o.query);
  if (!records.ok()) return report_error(records.error());
  const auto trends = history_trends(*records);
  bool regressed = false;
  for (const auto& t : trends) regressed |= t.regression;
  std::string text;
  if (o.format == "json") {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& t : trends) {
      out.push_back({{"hardware_id", t.hardware_id},
                     {"model", t.model},
                     {"batch", t.batch},
                     {"seq_len", t.seq_len},
                     {"conversion", t.conversion},
                     {"precision", t.precision},
                     {"runs", t.runs},
                     {"first_error_rel", opt(t.first_error_rel)},
                     {"latest_error_rel", opt(t.latest_error_rel)},
                     {"best_abs_error_rel", opt(t.best_abs_error_rel)},
                     {"latest_measured_latency_s", opt(t.latest_measured_latency_s)},
                     {"regression", t.regression},
                     {"regression_reason", t.regression_reason}});
    }
    text = out.dump(2) + "\n";
  } else if (trends.empty()) {
    text = "no validation runs recorded in " + store->path() + " (graphs validate appends them)\n";
  } else {
    report::Table table({"hardware", "model", ">batch", "conversion", "precision", ">runs",
                         ">first error", ">latest error", ">latest measured", "regression"});
    for (const auto& t : trends) {
      table.add_row({t.hardware_id, t.model, std::to_string(t.batch), t.conversion, t.precision,
                     std::to_string(t.runs), pct(t.first_error_rel), pct(t.latest_error_rel),
                     t.latest_measured_latency_s ? report::seconds(*t.latest_measured_latency_s) : "-",
                     t.regression ? "YES: " + t.regression_reason : ""});
    }
    text = table.to_text();
  }
  if (auto st = write_output("", text); !st.ok()) return report_error(st.error());
  return regressed ? 1 : 0;
}

}  // namespace

void add_history_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<HistoryOptions>();
  auto* cmd = app.add_subcommand("history", "trend of predicted-versus-measured error, with regressions");
  cmd->add_option("--model", opts->query.model, "only this model");
  cmd->add_option("--hardware", opts->query.hardware_id, "only this hardware id");
  cmd->add_option("--conversion", opts->query.conversion, "only this conversion");
  cmd->add_option("--limit", opts->query.limit, "most recent N records (0: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--db,--history-db", opts->db, "history database (default: $GRAPHS_HISTORY_PATH or the cache)");
  cmd->add_option("--format", opts->format, "text or json")->capture_default_str();
  cmd->callback([opts, &result] { result.exit_status = run(*opts); });
}

}  // namespace graphs::cli
