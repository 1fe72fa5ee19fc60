// History of validation runs: every predicted-versus-measured figure `graphs validate` produces,
// appended to an SQLite database so a user can see how the error moves across commits, machines
// and backends, and which series regressed.
//
// Database: one table `validation_runs` (schema version in `PRAGMA user_version`, currently 1);
// columns are the fields of HistoryRecord. Default location: $GRAPHS_HISTORY_PATH, else
// ${XDG_CACHE_HOME:-~/.cache}/graphs/history.sqlite. Writes are single transactions, so a killed
// process leaves either the whole record or none. Not thread-safe: one HistoryStore per thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "graphs/common/status.h"

struct sqlite3;

namespace graphs {

/// One model × conversion × setting of one validation run.
struct HistoryRecord {
  long long id = 0;                  // assigned on append
  std::string time_utc;              // ISO 8601, "2026-11-23T17:05:00Z"
  std::string git_commit;            // of the graphs build ("" when unknown)
  std::string graphs_version;
  std::string hardware_fingerprint;  // stable hash of the measured machine's facts
  std::string hardware_id;           // "host", "h100-sxm5-80gb"
  std::string model;
  long long batch = 1;
  long long seq_len = 0;             // 0 when the model has no sequence dim
  std::string conversion;            // "EAGER", "COMPILE_INDUCTOR_DEFAULT"
  std::string precision = "fp32";
  std::optional<double> predicted_latency_s;
  std::optional<double> measured_latency_s;  // median
  std::string status = "ok";         // "ok", "failed", "unavailable", "timeout", ...
  std::string detail;                // reason when not ok
  /// (predicted − measured) / measured; nullopt when either side is missing.
  std::optional<double> error_rel() const;
};

struct HistoryQuery {
  std::string model;        // "" = any; a zoo name or its PyTorch source finds both
  std::string hardware_id;  // "" = any
  std::string conversion;   // "" = any
  int limit = 0;            // most recent N records (0 = all), returned oldest first
};

/// A series is one (hardware fingerprint, model, batch, seq_len, conversion, precision).
struct HistoryTrend {
  std::string hardware_id;
  std::string model;
  long long batch = 1;
  long long seq_len = 0;
  std::string conversion;
  std::string precision;
  int runs = 0;
  std::optional<double> first_error_rel;
  std::optional<double> latest_error_rel;
  std::optional<double> best_abs_error_rel;  // smallest |error| of the earlier runs
  std::optional<double> latest_measured_latency_s;
  std::optional<double> previous_median_measured_latency_s;  // median over the earlier runs
  /// Set when the latest |error| exceeds the best earlier |error| by more than
  /// `error_regression_points` (absolute, e.g. 0.05 = 5 points), or the latest measured latency
  /// exceeds the median of the earlier ones by more than `latency_regression_rel`.
  bool regression = false;
  std::string regression_reason;
};

struct TrendOptions {
  double error_regression_points = 0.05;
  double latency_regression_rel = 0.10;
};

class HistoryStore {
 public:
  /// Opens (creating when missing, with its parent directories) the database at `path`.
  /// Errors: kIoError (cannot create or open), kParseError (not an SQLite database, or a newer
  /// schema version than this build knows).
  static Result<HistoryStore> open(const std::string& path);
  /// The default path described above.
  static std::string default_path();

  HistoryStore(HistoryStore&&) noexcept;
  HistoryStore& operator=(HistoryStore&&) noexcept;
  ~HistoryStore();

  /// Appends one record; returns its id. Error kIoError with SQLite's message.
  Result<long long> append(const HistoryRecord& record);
  /// Records matching `query`, oldest first.
  Result<std::vector<HistoryRecord>> query(const HistoryQuery& query) const;
  const std::string& path() const { return path_; }

 private:
  HistoryStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// The key a model's runs share: a PyTorch source with a zoo twin ("torchvision:resnet18") is
/// its zoo name ("resnet18"); any other name is itself.
std::string canonical_model(const std::string& model);
/// The other spelling of the same model (zoo name ↔ PyTorch source); the name itself when none.
/// HistoryQuery::model matches both.
std::string model_twin(const std::string& model);

/// Groups `records` (oldest first) into series (a model's zoo name and source are one series) and flags regressions of the latest run.
std::vector<HistoryTrend> history_trends(const std::vector<HistoryRecord>& records,
                                         const TrendOptions& options = {});

}  // namespace graphs
