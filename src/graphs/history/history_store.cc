#include "graphs/history/history_store.h"

#include "graphs/bench/settings.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <tuple>
#include <utility>

#include "graphs/bench/settings.h"
#include "graphs/bench/statistics.h"

namespace graphs {

namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kCreateTable = R"sql(
CREATE TABLE IF NOT EXISTS validation_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  time_utc TEXT NOT NULL,
  git_commit TEXT NOT NULL,
  graphs_version TEXT NOT NULL,
  hardware_fingerprint TEXT NOT NULL,
  hardware_id TEXT NOT NULL,
  model TEXT NOT NULL,
  batch INTEGER NOT NULL,
  seq_len INTEGER NOT NULL,
  conversion TEXT NOT NULL,
  precision TEXT NOT NULL,
  predicted_latency_s REAL,
  measured_latency_s REAL,
  status TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS validation_runs_series
  ON validation_runs (hardware_fingerprint, model, batch, seq_len, conversion, precision);
)sql";

Error sqlite_error(sqlite3* db, const std::string& what) {
  return make_error(ErrorCode::kIoError, what, ": ", db ? sqlite3_errmsg(db) : "out of memory");
}

// Finalizes a statement on scope exit.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

void bind_optional(sqlite3_stmt* s, int i, const std::optional<double>& v) {
  if (v && std::isfinite(*v)) {
    sqlite3_bind_double(s, i, *v);
  } else {
    sqlite3_bind_null(s, i);
  }
}

std::string column_text(sqlite3_stmt* s, int i) {
  const auto* t = sqlite3_column_text(s, i);
  return t ? reinterpret_cast<const char*>(t) : "";
}

std::optional<double> column_optional(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_double(s, i);
}


}  // namespace

std::optional<double> HistoryRecord::error_rel() const {
  if (!predicted_latency_s || !measured_latency_s || !(*measured_latency_s > 0)) {
    return std::nullopt;
  }
  return (*predicted_latency_s - *measured_latency_s) / *measured_latency_s;
}

std::string HistoryStore::default_path() {
  if (const char* p = std::getenv("GRAPHS_HISTORY_PATH"); p && *p) return p;
  std::filesystem::path base;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x) {
    base = x;
  } else if (const char* h = std::getenv("HOME"); h && *h) {
    base = std::filesystem::path(h) / ".cache";
  } else {
    base = ".";
  }
  return (base / "graphs" / "history.sqlite").string();
}

Result<HistoryStore> HistoryStore::open(const std::string& path) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) {
    return make_error(ErrorCode::kIoError, "cannot create '", parent.string(), "': ",
                      ec.message());
  }
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Error e = sqlite_error(db, "cannot open history database '" + path + "'");
    sqlite3_close(db);
    return e;
  }
  HistoryStore store(db, path);
  sqlite3_busy_timeout(db, 5000);
  int version = 0;
  {
    Statement st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st.stmt, nullptr) != SQLITE_OK) {
      return make_error(ErrorCode::kParseError, "'", path,
                        "' is not a graphs history database: ", sqlite3_errmsg(db));
    }
    if (sqlite3_step(st.stmt) == SQLITE_ROW) version = sqlite3_column_int(st.stmt, 0);
  }
  if (version > kSchemaVersion) {
    return make_error(ErrorCode::kParseError, "history database '", path, "' has schema version ",
                      version, "; this graphs knows up to ", kSchemaVersion);
  }
  char* message = nullptr;
  if (sqlite3_exec(db, kCreateTable, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string m = message ? message : "unknown error";
    sqlite3_free(message);
    return make_error(ErrorCode::kParseError, "'", path, "' is not a graphs history database: ",
                      m);
  }
  const std::string set_version = "PRAGMA user_version = " + std::to_string(kSchemaVersion);
  sqlite3_exec(db, set_version.c_str(), nullptr, nullptr, nullptr);
  return store;
}

HistoryStore::HistoryStore(HistoryStore&& other) noexcept
    : db_(std::exchange(other.db_, nullptr)), path_(std::move(other.path_)) {}

HistoryStore& HistoryStore::operator=(HistoryStore&& other) noexcept {
  if (this != &other) {
    sqlite3_close(db_);
    db_ = std::exchange(other.db_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

HistoryStore::~HistoryStore() { sqlite3_close(db_); }

Result<long long> HistoryStore::append(const HistoryRecord& r) {
  Statement st;
  const char* sql =
      "INSERT INTO validation_runs (time_utc, git_commit, graphs_version, hardware_fingerprint, "
      "hardware_id, model, batch, seq_len, conversion, precision, predicted_latency_s, "
      "measured_latency_s, status, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
  if (sqlite3_prepare_v2(db_, sql, -1, &st.stmt, nullptr) != SQLITE_OK) {
    return sqlite_error(db_, "cannot append to '" + path_ + "'");
  }
  bind_text(st.stmt, 1, r.time_utc);
  bind_text(st.stmt, 2, r.git_commit);
  bind_text(st.stmt, 3, r.graphs_version);
  bind_text(st.stmt, 4, r.hardware_fingerprint);
  bind_text(st.stmt, 5, r.hardware_id);
  bind_text(st.stmt, 6, r.model);
  sqlite3_bind_int64(st.stmt, 7, r.batch);
  sqlite3_bind_int64(st.stmt, 8, r.seq_len);
  bind_text(st.stmt, 9, r.conversion);
  bind_text(st.stmt, 10, r.precision);
  bind_optional(st.stmt, 11, r.predicted_latency_s);
  bind_optional(st.stmt, 12, r.measured_latency_s);
  bind_text(st.stmt, 13, r.status);
  bind_text(st.stmt, 14, r.detail);
  if (sqlite3_step(st.stmt) != SQLITE_DONE) {
    return sqlite_error(db_, "cannot append to '" + path_ + "'");
  }
  return static_cast<long long>(sqlite3_last_insert_rowid(db_));
}

std::string canonical_model(const std::string& model) {
  for (const auto& [zoo, source] : bench::zoo_torch_sources()) {
    if (model == source) return zoo;
  }
  return model;
}

std::string model_twin(const std::string& model) {
  for (const auto& [zoo, source] : bench::zoo_torch_sources()) {
    if (model == zoo) return source;
    if (model == source) return zoo;
  }
  return model;
}

Result<std::vector<HistoryRecord>> HistoryStore::query(const HistoryQuery& q) const {
  std::string sql =
      "SELECT id, time_utc, git_commit, graphs_version, hardware_fingerprint, hardware_id, model, "
      "batch, seq_len, conversion, precision, predicted_latency_s, measured_latency_s, status, "
      "detail FROM validation_runs WHERE (?1 = '' OR model = ?1 OR model = ?4) AND (?2 = '' OR "
      "hardware_id = ?2) AND (?3 = '' OR conversion = ?3) ORDER BY id DESC";
  if (q.limit > 0) sql += " LIMIT " + std::to_string(q.limit);
  Statement st;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &st.stmt, nullptr) != SQLITE_OK) {
    return sqlite_error(db_, "cannot read '" + path_ + "'");
  }
  bind_text(st.stmt, 1, q.model);
  bind_text(st.stmt, 2, q.hardware_id);
  bind_text(st.stmt, 3, q.conversion);
  bind_text(st.stmt, 4, model_twin(q.model));
  std::vector<HistoryRecord> out;
  int rc = 0;
  while ((rc = sqlite3_step(st.stmt)) == SQLITE_ROW) {
    HistoryRecord r;
    r.id = sqlite3_column_int64(st.stmt, 0);
    r.time_utc = column_text(st.stmt, 1);
    r.git_commit = column_text(st.stmt, 2);
    r.graphs_version = column_text(st.stmt, 3);
    r.hardware_fingerprint = column_text(st.stmt, 4);
    r.hardware_id = column_text(st.stmt, 5);
    r.model = column_text(st.stmt, 6);
    r.batch = sqlite3_column_int64(st.stmt, 7);
    r.seq_len = sqlite3_column_int64(st.stmt, 8);
    r.conversion = column_text(st.stmt, 9);
    r.precision = column_text(st.stmt, 10);
    r.predicted_latency_s = column_optional(st.stmt, 11);
    r.measured_latency_s = column_optional(st.stmt, 12);
    r.status = column_text(st.stmt, 13);
    r.detail = column_text(st.stmt, 14);
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) return sqlite_error(db_, "cannot read '" + path_ + "'");
  std::reverse(out.begin(), out.end());
  return out;
}

std::vector<HistoryTrend> history_trends(const std::vector<HistoryRecord>& records,
                                         const TrendOptions& options) {
  using Key = std::tuple<std::string, std::string, long long, long long, std::string, std::string>;
  std::map<Key, std::vector<const HistoryRecord*>> series;
  std::vector<Key> order;
  for (const auto& r : records) {
    Key k{r.hardware_fingerprint, canonical_model(r.model), r.batch, r.seq_len, r.conversion,
          r.precision};
    auto [it, inserted] = series.try_emplace(k);
    if (inserted) order.push_back(k);
    it->second.push_back(&r);
  }
  std::vector<HistoryTrend> out;
  for (const auto& k : order) {
    const auto& runs = series[k];
    const HistoryRecord& latest = *runs.back();
    HistoryTrend t;
    t.hardware_id = latest.hardware_id;
    t.model = latest.model;
    t.batch = latest.batch;
    t.seq_len = latest.seq_len;
    t.conversion = latest.conversion;
    t.precision = latest.precision;
    t.runs = static_cast<int>(runs.size());
    for (const auto* r : runs) {
      if (auto e = r->error_rel()) {
        t.first_error_rel = e;
        break;
      }
    }
    t.latest_error_rel = latest.error_rel();
    t.latest_measured_latency_s = latest.measured_latency_s;
    std::vector<double> earlier_latency;
    for (std::size_t i = 0; i + 1 < runs.size(); ++i) {
      if (auto e = runs[i]->error_rel()) {
        const double a = std::abs(*e);
        if (!t.best_abs_error_rel || a < *t.best_abs_error_rel) t.best_abs_error_rel = a;
      }
      if (runs[i]->measured_latency_s) earlier_latency.push_back(*runs[i]->measured_latency_s);
    }
    if (!earlier_latency.empty()) t.previous_median_measured_latency_s = bench::median_of(earlier_latency);
    if (t.latest_error_rel && t.best_abs_error_rel &&
        std::abs(*t.latest_error_rel) > *t.best_abs_error_rel + options.error_regression_points) {
      t.regression = true;
      t.regression_reason = "|error| " + std::to_string(std::lround(100 * std::abs(*t.latest_error_rel))) +
                            " % against a best of " +
                            std::to_string(std::lround(100 * *t.best_abs_error_rel)) + " %";
    }
    if (t.latest_measured_latency_s && t.previous_median_measured_latency_s &&
        *t.latest_measured_latency_s >
            *t.previous_median_measured_latency_s * (1 + options.latency_regression_rel)) {
      if (!t.regression_reason.empty()) t.regression_reason += "; ";
      t.regression = true;
      t.regression_reason +=
          "measured latency " +
          std::to_string(std::lround(100 * (*t.latest_measured_latency_s /
                                                *t.previous_median_measured_latency_s -
                                            1))) +
          " % above the median of earlier runs";
    }
    if (latest.status != "ok" && !runs.empty()) {
      bool earlier_ok = false;
      for (std::size_t i = 0; i + 1 < runs.size(); ++i) earlier_ok |= runs[i]->status == "ok";
      if (earlier_ok) {
        if (!t.regression_reason.empty()) t.regression_reason += "; ";
        t.regression = true;
        t.regression_reason += "latest run " + latest.status + " where earlier runs were ok";
      }
    }
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace graphs
