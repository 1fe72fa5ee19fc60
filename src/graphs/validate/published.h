// `graphs validate --published`: graphs' predictions against PUBLISHED measurements (MLPerf
// Inference results, vendor and runtime performance tables, papers) — the ground truth for the
// targets no machine here can run (GPUs, Jetson).
//
// The corpus (validation/published/, schema in validation/published/SCHEMA.md, version 1): one
// YAML record per published figure with its source (URL at a commit, the quoted line) and the
// exact conditions (hardware, engine, precision, batch, lengths, scenario, power mode). Records
// are grouped by source (one directory per group); `split.yaml` beside the groups assigns every
// group to the **fit** part (figures allowed to set efficiencies, floors and overheads in
// data/hardware and data/engines, each such number citing them as "fit: ...") or the
// **held-out** part (figures that set nothing and only score). A group in neither part, or in
// both, is an error.
//
// Prediction per record (the engine it assumes is the record's `engine`, an engine id or alias
// of data/engines; `inductor-cudagraphs` is Inductor with CUDA graphs):
//   latency_s, latency_p90_s, latency_p99_s (CNN, encoder): one inference at the batch, end to
//       end (estimate latency_s: timeline, per-inference overhead, input copies);
//   throughput_samples_per_s (offline): batch / period_s (inferences pipelined); with
//       `accelerators: gpu+2dla` plus two DLA cores (hardware `<id>-dla`) at `dla_batch` (else
//       the same batch). Published without its batch: the highest throughput over the batches
//       1, 2, 4, … 4096 whose memory fits (an Offline harness is tuned for throughput); the row
//       names the batch;
//   ttft_s: prefill of input_tokens at the batch;
//   tpot_s, tokens_per_s_per_user: the mean decode step over output_tokens after input_tokens
//       (static batch, the context growing), or the step at input_tokens when no output length;
//   output_tokens_per_s: scenario generate → batch × out / (ttft + Σ steps); scenario serve →
//       continuous batching at saturation, or at `request_rate_per_s` (pipeline/pipeline.h
//       ServingEstimate; `batch`, when given, caps the concurrency); tpot_s with scenario serve:
//       the serving time per output token at that rate.
// error_rel = (predicted − published) / published, for every metric (for a throughput, positive
// means graphs predicts faster than published; for a time, slower).
// Families: cnn, encoder, llm-prefill, llm-decode, serving (static-batch generation and continuous
// batching). Batch ranges: 1, 2-8, 9-64, >64.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "graphs/common/status.h"

namespace graphs {

class HardwareRegistry;

inline constexpr int kPublishedSchemaVersion = 1;

struct PublishedRecord {
  std::string id;
  std::string group;  // the directory it lies in (its source group)
  std::string file;
  // source
  std::string source_kind, title, url, quote;
  std::vector<std::string> conditions_from;
  // conditions
  std::string hardware;
  int devices = 1;
  std::string engine;
  std::string software;
  std::string precision;
  std::string weight_precision;
  std::string model;
  std::optional<int64_t> batch, seq_len, input_tokens, output_tokens, dla_batch;
  /// Tokens per sample when the runtime removes padding (MLPerf BERT): the mean length for a
  /// throughput, the 90th-percentile length for a p90 latency; predicted at it instead of seq_len.
  std::optional<int64_t> seq_len_effective;
  std::optional<double> request_rate_per_s;  // serve: arriving requests per second
  std::string scenario;
  std::string cuda_graphs = "unknown";  // "true" | "false" | "unknown"
  std::string power_mode;
  std::string accelerators = "gpu";     // "gpu" | "gpu+2dla" | "dla"
  std::string notes;
  // metric
  std::string metric;
  double value = 0;
  std::string unit, derivation;
  bool modelable = true;
  std::string reason;
};

struct PublishedCorpus {
  std::string root;                          // the directory holding split.yaml
  std::vector<PublishedRecord> records;      // sorted by group, then id
  std::map<std::string, std::string> split;  // group → "fit" | "held_out"
};

/// Metric, scenario, engine-independent vocabularies of the schema.
const std::vector<std::string>& published_metrics();
const std::vector<std::string>& published_scenarios();

/// Parses one record (file name for messages; `group` its directory). kParseError naming file,
/// line and field for anything wrong (unknown key with did-you-mean, missing field, id not the
/// file name, value not finite or ≤ 0).
Result<PublishedRecord> parse_published_record(std::string_view yaml, const std::string& file,
                                               const std::string& group);

/// Loads `path`: a corpus directory (every <group>/*.yaml and split.yaml), a group directory, or
/// one record file (split.yaml is looked for in the directories above). Errors: kNotFound for a
/// missing path or split.yaml, kParseError for a bad record or split (a group unassigned or in
/// both parts, a duplicate id).
Result<PublishedCorpus> load_published_corpus(const std::string& path);

struct PublishedRow {
  std::string id;
  std::string group;
  std::string part;          // "fit" | "held_out"
  std::string hardware;
  std::string model;
  std::string family;        // cnn | encoder | llm-prefill | llm-decode | serving
  std::string batch_range;   // "1" | "2-8" | "9-64" | ">64"
  int64_t batch = 1;
  std::string engine;        // the engine the prediction assumes
  bool cuda_graphs = false;
  std::string precision;
  std::string scenario;
  std::string metric;
  double published = 0;
  std::optional<double> predicted;
  std::optional<double> error_rel;
  std::string status = "ok";  // ok | not_modelable | prediction_failed
  std::string reason;
  nlohmann::json to_json() const;
};

struct PublishedReport {
  std::vector<PublishedRow> rows;
  int exit_status = 0;  // 1 when a record marked modelable could not be predicted
  /// {"schema_version", "rows", "summary": per part: all, by target, by family, by batch range}
  nlohmann::json to_json() const;
};

/// One record predicted (rules above); `part` is its group's part. Never fails: a record that
/// cannot be predicted is a row with status prediction_failed and the reason.
PublishedRow predict_published(const PublishedRecord& record, const std::string& part,
                               const HardwareRegistry& registry);

/// Predicts every record of `corpus` (rules above).
PublishedReport validate_published(const PublishedCorpus& corpus, const HardwareRegistry& registry);

/// Cases, median |error|, MAPE and share within ±15 % of `rows` with an error, grouped by
/// `key` ("part", "hardware", "family", "batch_range") within each part.
nlohmann::json summarize_published(const std::vector<PublishedRow>& rows);

std::string render_published_text(const PublishedReport& report);

/// Appends every predicted row to the history store at `path` ("" = default); conversion
/// "published:<engine>:<metric>", detail = the record id and part.
Status record_published_history(const PublishedReport& report, const std::string& path);

}  // namespace graphs
