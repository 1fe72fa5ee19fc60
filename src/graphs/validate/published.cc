#include "graphs/validate/published.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "graphs/pipeline/pipeline.h"
#include "graphs/bench/statistics.h"
#include "graphs/common/suggest.h"
#include "graphs/common/utc_time.h"
#include "graphs/common/yaml_doc.h"
#include "graphs/estimate/engine.h"
#include "graphs/hardware/registry.h"
#include "graphs/history/history_store.h"
#include "graphs/report/table.h"
#include "graphs/validate/validate.h"

namespace graphs {

std::string_view build_git_commit();  // generated/git_commit.cc

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::vector<std::string> kTopKeys = {"schema_version", "id",         "source", "conditions",
                                           "metric",         "modelable", "reason"};
const std::vector<std::string> kSourceKeys = {"kind", "title", "url", "quote", "conditions_from"};
const std::vector<std::string> kConditionKeys = {
    "hardware",  "devices",       "engine",       "software",    "precision", "weight_precision",
    "model",     "batch",         "seq_len",      "seq_len_effective", "input_tokens", "output_tokens",
    "dla_batch", "request_rate_per_s",
    "scenario",  "cuda_graphs",   "power_mode",   "accelerators", "notes"};
const std::vector<std::string> kMetricKeys = {"name", "value", "unit", "derivation"};
const std::vector<std::string> kSourceKinds = {"mlperf", "vendor", "runtime-docs", "paper",
                                               "benchmark-page"};
const std::vector<std::string> kPrecisions = {"fp32", "tf32", "fp16", "bf16",
                                              "fp8",  "int8", "int4", "fp4"};
const std::vector<std::string> kAccelerators = {"gpu", "gpu+2dla", "dla"};

Result<int64_t> whole(const YamlDoc& doc, const YAML::Node& node, const std::string& field,
                      int64_t min = 1) {
  GRAPHS_ASSIGN_OR_RETURN(const double v, doc.number(node, field));
  if (v < static_cast<double>(min) || v != std::floor(v) || v > 1e12) {
    return doc.error(node, field, fmt::format("must be a whole number >= {}", min));
  }
  return static_cast<int64_t>(v);
}

Status one_of(const YamlDoc& doc, const YAML::Node& node, const std::string& field,
              const std::string& value, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) return ok_status();
  return doc.error(node, field, unknown_name_message(field, value, allowed));
}

std::string model_kind(const std::string& model) {
  static const std::vector<std::string> llm = {"llama", "mistral", "mixtral", "gpt2", "gpt-j"};
  for (const auto& p : llm) {
    if (model.rfind(p, 0) == 0) return "llm";
  }
  if (model.rfind("bert", 0) == 0 || model.rfind("vit", 0) == 0) return "encoder";
  return "cnn";
}

std::string family_of(const PublishedRecord& r) {
  const std::string kind = model_kind(r.model);
  if (kind != "llm") return kind;
  if (r.metric == "ttft_s" || r.scenario == "prefill") return "llm-prefill";
  if (r.metric == "output_tokens_per_s" || r.scenario == "serve") return "serving";
  return "llm-decode";
}

std::string batch_range(int64_t b) {
  if (b <= 1) return "1";
  if (b <= 8) return "2-8";
  if (b <= 64) return "9-64";
  return ">64";
}

// Where split.yaml lives for `path`: the directory itself, or up to two levels above.
std::optional<fs::path> find_root(const fs::path& path) {
  fs::path dir = fs::is_directory(path) ? path : path.parent_path();
  for (int i = 0; i < 3 && !dir.empty(); ++i) {
    if (fs::exists(dir / "split.yaml")) return dir;
    dir = dir.parent_path();
  }
  return std::nullopt;
}

Result<std::string> read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error(ErrorCode::kIoError, "cannot read '", p.string(), "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::map<std::string, std::string>> parse_split(const fs::path& file) {
  GRAPHS_ASSIGN_OR_RETURN(const std::string text, read_text(file));
  GRAPHS_ASSIGN_OR_RETURN(const YamlDoc doc, YamlDoc::load(text, file.string()));
  GRAPHS_ASSIGN_OR_RETURN(const YamlEntries top,
                          doc.mapping(doc.root(), "", {"schema_version", "fit", "held_out"}));
  std::map<std::string, std::string> split;
  for (const char* part : {"fit", "held_out"}) {
    const YAML::Node* node = top.find(part);
    if (!node) return doc.error(top.line, "", std::string("missing required field '") + part + "'");
    GRAPHS_ASSIGN_OR_RETURN(const std::vector<std::string> groups, doc.text_list(*node, part));
    for (const auto& g : groups) {
      if (!split.emplace(g, part).second) {
        return doc.error(*node, part, "group '" + g + "' is in both parts (or listed twice)");
      }
    }
  }
  return split;
}

}  // namespace

const std::vector<std::string>& published_metrics() {
  static const std::vector<std::string> m = {
      "throughput_samples_per_s", "latency_s",  "latency_p90_s",       "latency_p99_s",
      "ttft_s",                   "tpot_s",     "output_tokens_per_s", "tokens_per_s_per_user"};
  return m;
}

const std::vector<std::string>& published_scenarios() {
  static const std::vector<std::string> s = {"offline", "single_stream", "multi_stream", "server",
                                             "latency", "prefill",       "decode",       "generate",
                                             "serve"};
  return s;
}

Result<PublishedRecord> parse_published_record(std::string_view yaml, const std::string& file,
                                               const std::string& group) {
  GRAPHS_ASSIGN_OR_RETURN(const YamlDoc doc, YamlDoc::load(yaml, file));
  GRAPHS_ASSIGN_OR_RETURN(const YamlEntries top, doc.mapping(doc.root(), "", kTopKeys));
  for (const char* required : {"schema_version", "id", "source", "conditions", "metric", "modelable"}) {
    if (!top.find(required)) {
      return doc.error(top.line, "", std::string("missing required field '") + required + "'");
    }
  }
  PublishedRecord r;
  r.file = file;
  r.group = group;
  GRAPHS_ASSIGN_OR_RETURN(const double version, doc.number(*top.find("schema_version"), "schema_version"));
  if (version != kPublishedSchemaVersion) {
    return doc.error(*top.find("schema_version"), "schema_version",
                     fmt::format("this build reads version {}", kPublishedSchemaVersion));
  }
  GRAPHS_ASSIGN_OR_RETURN(r.id, doc.text(*top.find("id"), "id"));
  if (fs::path(file).stem().string() != r.id) {
    return doc.error(*top.find("id"), "id", "'" + r.id + "' does not match the file name");
  }
  GRAPHS_ASSIGN_OR_RETURN(r.modelable, doc.boolean(*top.find("modelable"), "modelable"));
  if (const YAML::Node* n = top.find("reason"); n && !n->IsNull()) {
    GRAPHS_ASSIGN_OR_RETURN(r.reason, doc.text(*n, "reason"));
  }
  if (!r.modelable && r.reason.empty()) {
    return doc.error(top.line, "reason", "a record that is not modelable says why");
  }
  // source
  GRAPHS_ASSIGN_OR_RETURN(const YamlEntries src, doc.mapping(*top.find("source"), "source", kSourceKeys));
  for (const char* required : {"kind", "title", "url", "quote"}) {
    if (!src.find(required)) {
      return doc.error(src.line, "source", std::string("missing required field '") + required + "'");
    }
  }
  GRAPHS_ASSIGN_OR_RETURN(r.source_kind, doc.text(*src.find("kind"), "source.kind"));
  GRAPHS_RETURN_IF_ERROR(one_of(doc, *src.find("kind"), "source.kind", r.source_kind, kSourceKinds));
  GRAPHS_ASSIGN_OR_RETURN(r.title, doc.text(*src.find("title"), "source.title"));
  GRAPHS_ASSIGN_OR_RETURN(r.url, doc.text(*src.find("url"), "source.url"));
  GRAPHS_ASSIGN_OR_RETURN(r.quote, doc.text(*src.find("quote"), "source.quote"));
  if (r.quote.empty() || r.url.empty()) return doc.error(src.line, "source", "url and quote must not be empty");
  if (const YAML::Node* n = src.find("conditions_from")) {
    GRAPHS_ASSIGN_OR_RETURN(r.conditions_from, doc.text_list(*n, "source.conditions_from"));
  }
  // conditions
  GRAPHS_ASSIGN_OR_RETURN(const YamlEntries c,
                          doc.mapping(*top.find("conditions"), "conditions", kConditionKeys));
  for (const char* required : {"hardware", "engine", "precision", "model", "scenario"}) {
    if (!c.find(required)) {
      return doc.error(c.line, "conditions", std::string("missing required field '") + required + "'");
    }
  }
  for (const auto& [key, node] : c.items) {
    const std::string at = "conditions." + key;
    if (node.IsNull()) continue;
    if (key == "hardware") {
      GRAPHS_ASSIGN_OR_RETURN(r.hardware, doc.text(node, at));
    } else if (key == "devices") {
      GRAPHS_ASSIGN_OR_RETURN(const int64_t d, whole(doc, node, at));
      r.devices = static_cast<int>(d);
    } else if (key == "engine") {
      GRAPHS_ASSIGN_OR_RETURN(r.engine, doc.text(node, at));
    } else if (key == "software") {
      GRAPHS_ASSIGN_OR_RETURN(r.software, doc.text(node, at));
    } else if (key == "precision" || key == "weight_precision") {
      GRAPHS_ASSIGN_OR_RETURN(std::string p, doc.text(node, at));
      GRAPHS_RETURN_IF_ERROR(one_of(doc, node, at, p, kPrecisions));
      (key == "precision" ? r.precision : r.weight_precision) = std::move(p);
    } else if (key == "model") {
      GRAPHS_ASSIGN_OR_RETURN(r.model, doc.text(node, at));
    } else if (key == "batch") {
      GRAPHS_ASSIGN_OR_RETURN(r.batch, whole(doc, node, at));
    } else if (key == "seq_len") {
      GRAPHS_ASSIGN_OR_RETURN(r.seq_len, whole(doc, node, at));
    } else if (key == "seq_len_effective") {
      GRAPHS_ASSIGN_OR_RETURN(r.seq_len_effective, whole(doc, node, at));
    } else if (key == "input_tokens") {
      GRAPHS_ASSIGN_OR_RETURN(r.input_tokens, whole(doc, node, at, 0));
    } else if (key == "output_tokens") {
      GRAPHS_ASSIGN_OR_RETURN(r.output_tokens, whole(doc, node, at, 0));
    } else if (key == "request_rate_per_s") {
      GRAPHS_ASSIGN_OR_RETURN(const double rate, doc.number(node, at));
      if (!(rate > 0)) return doc.error(node, at, "must be > 0");
      r.request_rate_per_s = rate;
    } else if (key == "dla_batch") {
      GRAPHS_ASSIGN_OR_RETURN(r.dla_batch, whole(doc, node, at));
    } else if (key == "scenario") {
      GRAPHS_ASSIGN_OR_RETURN(r.scenario, doc.text(node, at));
      GRAPHS_RETURN_IF_ERROR(one_of(doc, node, at, r.scenario, published_scenarios()));
    } else if (key == "cuda_graphs") {
      GRAPHS_ASSIGN_OR_RETURN(r.cuda_graphs, doc.text(node, at));
      GRAPHS_RETURN_IF_ERROR(one_of(doc, node, at, r.cuda_graphs, {"true", "false", "unknown"}));
    } else if (key == "power_mode") {
      GRAPHS_ASSIGN_OR_RETURN(r.power_mode, doc.text(node, at));
    } else if (key == "accelerators") {
      GRAPHS_ASSIGN_OR_RETURN(r.accelerators, doc.text(node, at));
      GRAPHS_RETURN_IF_ERROR(one_of(doc, node, at, r.accelerators, kAccelerators));
    } else if (key == "notes") {
      GRAPHS_ASSIGN_OR_RETURN(r.notes, doc.text(node, at));
    }
  }
  // metric
  GRAPHS_ASSIGN_OR_RETURN(const YamlEntries m, doc.mapping(*top.find("metric"), "metric", kMetricKeys));
  for (const char* required : {"name", "value", "unit"}) {
    if (!m.find(required)) {
      return doc.error(m.line, "metric", std::string("missing required field '") + required + "'");
    }
  }
  GRAPHS_ASSIGN_OR_RETURN(r.metric, doc.text(*m.find("name"), "metric.name"));
  GRAPHS_RETURN_IF_ERROR(one_of(doc, *m.find("name"), "metric.name", r.metric, published_metrics()));
  GRAPHS_ASSIGN_OR_RETURN(r.value, doc.number(*m.find("value"), "metric.value"));
  if (!(r.value > 0)) return doc.error(*m.find("value"), "metric.value", "must be > 0");
  GRAPHS_ASSIGN_OR_RETURN(r.unit, doc.text(*m.find("unit"), "metric.unit"));
  if (const YAML::Node* n = m.find("derivation"); n && !n->IsNull()) {
    GRAPHS_ASSIGN_OR_RETURN(r.derivation, doc.text(*n, "metric.derivation"));
  }
  return r;
}

Result<PublishedCorpus> load_published_corpus(const std::string& path) {
  std::error_code ec;
  const fs::path p(path);
  if (!fs::exists(p, ec)) return make_error(ErrorCode::kNotFound, "no published corpus at '", path, "'");
  const auto root = find_root(fs::absolute(p));
  if (!root) {
    return make_error(ErrorCode::kNotFound, "no split.yaml in or above '", path,
                      "' (the corpus root assigns every source group to fit or held_out)");
  }
  PublishedCorpus corpus;
  corpus.root = root->string();
  GRAPHS_ASSIGN_OR_RETURN(corpus.split, parse_split(*root / "split.yaml"));
  std::vector<fs::path> files;
  const fs::path abs = fs::absolute(p);
  if (fs::is_regular_file(abs)) {
    files.push_back(abs);
  } else {
    for (const auto& e : fs::recursive_directory_iterator(abs, ec)) {
      if (e.is_regular_file() && e.path().extension() == ".yaml" &&
          e.path().filename() != "split.yaml") {
        files.push_back(e.path());
      }
    }
  }
  std::sort(files.begin(), files.end());
  std::set<std::string> ids;
  std::set<std::string> groups_seen;
  for (const auto& f : files) {
    const std::string group = f.parent_path().filename().string();
    if (f.parent_path() == *root) {
      return make_error(ErrorCode::kParseError, f.string(),
                        ": records live in a group directory (one per source), not in the root");
    }
    GRAPHS_ASSIGN_OR_RETURN(const std::string text, read_text(f));
    GRAPHS_ASSIGN_OR_RETURN(PublishedRecord r, parse_published_record(text, f.string(), group));
    if (!corpus.split.count(group)) {
      return make_error(ErrorCode::kParseError, f.string(), ": group '", group,
                        "' is in neither part of split.yaml (add it to fit or held_out)");
    }
    if (!ids.insert(r.id).second) {
      return make_error(ErrorCode::kParseError, f.string(), ": id '", r.id, "' is used twice");
    }
    groups_seen.insert(group);
    corpus.records.push_back(std::move(r));
  }
  if (fs::is_directory(abs) && abs == *root) {
    for (const auto& [g, part] : corpus.split) {
      if (!groups_seen.count(g)) {
        return make_error(ErrorCode::kParseError, (*root / "split.yaml").string(), ": group '", g,
                          "' has no records (no directory ", g, "/ with *.yaml)");
      }
    }
  }
  std::sort(corpus.records.begin(), corpus.records.end(), [](const auto& a, const auto& b) {
    return std::tie(a.group, a.id) < std::tie(b.group, b.id);
  });
  return corpus;
}

namespace {

struct Assumption {
  std::string engine;
  bool cuda_graphs = false;
};

Result<Assumption> engine_for(const PublishedRecord& r) {
  Assumption a;
  std::string name = r.engine;
  if (name == "inductor-cudagraphs") {
    name = "inductor";
    a.cuda_graphs = true;
  }
  if (name.rfind("other:", 0) == 0) {
    return make_error(ErrorCode::kInvalidArgument, "engine '", r.engine,
                      "' has no model in data/engines");
  }
  GRAPHS_ASSIGN_OR_RETURN(const Engine* e, find_engine(name));
  a.engine = e->id;
  a.cuda_graphs = a.cuda_graphs || r.cuda_graphs == "true" || e->cuda_graphs;
  return a;
}

// The largest batch tried for an Offline figure published without its batch.
constexpr int64_t kMaxOfflineBatch = 4096;

Result<double> predict(const PublishedRecord& r, const Assumption& eng,
                       const HardwareRegistry& registry, int64_t* chosen_batch, std::string* note) {
  GRAPHS_CHECK_OR_RETURN(r.devices == 1, ErrorCode::kUnsupported, r.devices,
                         " devices: graphs predicts one device per record");
  AnalyzeRequest q;
  q.model = r.model;
  q.precision = r.precision;
  q.weight_precision = r.weight_precision;
  q.backend = eng.engine;
  q.cuda_graphs = eng.cuda_graphs;
  q.hardware = {r.hardware};
  const int64_t batch = r.batch.value_or(1);
  q.dims.batch = batch;
  const std::string family = family_of(r);
  if (family == "cnn" || family == "encoder") {
    if (r.seq_len) q.dims.seq_len = *r.seq_len;
    if (r.seq_len_effective) q.dims.seq_len = *r.seq_len_effective;  // padding removed by the runtime
    GRAPHS_CHECK_OR_RETURN(r.metric == "throughput_samples_per_s" || r.metric.rfind("latency", 0) == 0,
                           ErrorCode::kUnsupported, "metric ", r.metric, " for a ", family, " model");
    GRAPHS_CHECK_OR_RETURN(r.scenario != "server", ErrorCode::kUnsupported,
                           "the Server scenario (throughput under a latency bound) is not modelled");
    if (r.metric != "throughput_samples_per_s") {
      GRAPHS_ASSIGN_OR_RETURN(const Analysis a, analyze(q, registry));
      return a.estimates.front().latency_s;
    }
    // Offline without a published batch: the harness is tuned for the highest throughput, so
    // the batch that gives it among the powers of two whose memory fits.
    double throughput = 0;
    for (int64_t b = r.batch ? batch : 1; b <= (r.batch ? batch : kMaxOfflineBatch); b *= 2) {
      q.dims.batch = b;
      GRAPHS_ASSIGN_OR_RETURN(const Analysis a, analyze(q, registry));
      const Estimate& e = a.estimates.front();
      if (!r.batch && !e.memory.fits) break;
      const double t = static_cast<double>(b) / e.period_s;
      if (t > throughput) {
        throughput = t;
        if (chosen_batch) *chosen_batch = b;
      }
    }
    if (r.accelerators != "gpu") {
      AnalyzeRequest d = q;
      d.hardware = {r.hardware + "-dla"};
      d.dims.batch = r.dla_batch.value_or(batch);
      d.cuda_graphs = false;
      GRAPHS_ASSIGN_OR_RETURN(const Analysis da, analyze(d, registry));
      const double per_dla = static_cast<double>(d.dims.batch) / da.estimates.front().period_s;
      throughput = (r.accelerators == "dla" ? 0 : throughput) + 2 * per_dla;
    }
    return throughput;
  }
  // LLMs. A batch-1 decode figure whose context was not published is predicted at a context of
  // one token (a lower bound: the row says so); every other LLM figure needs its lengths.
  const bool decode_metric = r.metric == "tpot_s" || r.metric == "tokens_per_s_per_user";
  GRAPHS_CHECK_OR_RETURN(r.input_tokens.has_value() || decode_metric, ErrorCode::kUnsupported,
                         "an LLM record needs input_tokens");
  if (!r.input_tokens && note) *note = "context not published: predicted at 1 token of context";
  q.dims.seq_len = std::max<int64_t>(1, r.input_tokens.value_or(1));  // from an empty prompt too
  if (r.metric == "ttft_s") {
    q.phase = "prefill";
    GRAPHS_ASSIGN_OR_RETURN(const Analysis a, analyze(q, registry));
    return a.phases.front().ttft_s;
  }
  if (r.metric == "tpot_s" || r.metric == "tokens_per_s_per_user") {
    double tpot = 0;
    if (r.scenario == "serve") {
      GRAPHS_CHECK_OR_RETURN(r.output_tokens.has_value(), ErrorCode::kUnsupported,
                             "a serving figure needs output_tokens");
      q.phase = "serve";
      q.output_tokens = *r.output_tokens;
      q.request_rate_per_s = r.request_rate_per_s.value_or(0);
      q.max_concurrency = r.batch.value_or(0);
      q.dims.batch = 1;
      GRAPHS_ASSIGN_OR_RETURN(const ServingEstimate s, estimate_serving(q, r.hardware, registry));
      tpot = s.tpot_s;
    } else if (r.output_tokens && *r.output_tokens > 1) {
      q.phase = "generate";
      q.output_tokens = *r.output_tokens;
      GRAPHS_ASSIGN_OR_RETURN(const Analysis a, analyze(q, registry));
      tpot = a.phases.front().mean_tpot_s;
    } else {
      q.phase = "decode";
      GRAPHS_ASSIGN_OR_RETURN(const Analysis a, analyze(q, registry));
      tpot = a.phases.front().tpot_s;
    }
    return r.metric == "tpot_s" ? tpot : 1.0 / tpot;
  }
  if (r.metric == "output_tokens_per_s") {
    GRAPHS_CHECK_OR_RETURN(r.output_tokens.has_value(), ErrorCode::kUnsupported,
                           "output_tokens_per_s needs output_tokens");
    q.output_tokens = *r.output_tokens;
    if (r.scenario == "serve" || r.scenario == "offline") {
      q.phase = "serve";
      q.dims.batch = 1;
      q.max_concurrency = r.batch.value_or(0);
      q.request_rate_per_s = r.request_rate_per_s.value_or(0);
      GRAPHS_ASSIGN_OR_RETURN(const ServingEstimate s, estimate_serving(q, r.hardware, registry));
      return s.output_tokens_per_s;
    }
    q.phase = "generate";
    GRAPHS_ASSIGN_OR_RETURN(const Analysis a, analyze(q, registry));
    return a.phases.front().output_tokens_per_s;
  }
  return make_error(ErrorCode::kUnsupported, "metric ", r.metric, " for an LLM");
}

json opt(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json summary_entry(const std::string& key, const std::string& value, const std::vector<double>& e) {
  json j = error_summary(e);
  j[key] = value;
  return j;
}

}  // namespace

json PublishedRow::to_json() const {
  return {{"id", id},
          {"group", group},
          {"part", part},
          {"hardware", hardware},
          {"model", model},
          {"family", family},
          {"batch", batch},
          {"batch_range", batch_range},
          {"engine", engine},
          {"cuda_graphs", cuda_graphs},
          {"precision", precision},
          {"scenario", scenario},
          {"metric", metric},
          {"published", published},
          {"predicted", opt(predicted)},
          {"error_rel", opt(error_rel)},
          {"status", status},
          {"reason", reason}};
}

json summarize_published(const std::vector<PublishedRow>& rows) {
  json out = json::object();
  for (const char* part : {"fit", "held_out"}) {
    std::vector<double> all;
    std::map<std::string, std::map<std::string, std::vector<double>>> by;
    for (const auto& r : rows) {
      if (r.part != part || !r.error_rel) continue;
      const double e = std::abs(*r.error_rel);
      all.push_back(e);
      by["hardware"][r.hardware.substr(0, r.hardware.find(':'))].push_back(e);
      by["family"][r.family].push_back(e);
      by["batch_range"][r.batch_range].push_back(e);
    }
    json p = json::object();
    p["all"] = all.empty() ? json(nullptr) : summary_entry("part", part, all);
    for (const auto& [key, groups] : by) {
      json arr = json::array();
      for (const auto& [value, errors] : groups) arr.push_back(summary_entry(key, value, errors));
      p["by_" + key] = arr;
    }
    out[part] = p;
  }
  return out;
}

json PublishedReport::to_json() const {
  json rs = json::array();
  for (const auto& r : rows) rs.push_back(r.to_json());
  return {{"schema_version", kPublishedSchemaVersion},
          {"time_utc", utc_now()},
          {"git_commit", std::string(build_git_commit())},
          {"rows", rs},
          {"summary", summarize_published(rows)}};
}

PublishedRow predict_published(const PublishedRecord& r, const std::string& part,
                               const HardwareRegistry& registry) {
  PublishedRow row;
  row.id = r.id;
  row.group = r.group;
  row.part = part;
  row.hardware = r.hardware;
  row.model = r.model;
  row.family = family_of(r);
  row.batch = r.batch.value_or(1);
  row.batch_range = batch_range(row.batch);
  row.precision = r.precision;
  row.scenario = r.scenario;
  row.metric = r.metric;
  row.published = r.value;
  row.engine = r.engine;
  if (!r.modelable) {
    row.status = "not_modelable";
    row.reason = r.reason;
    return row;
  }
  auto eng = engine_for(r);
  int64_t chosen_batch = 0;
  Result<double> predicted =
      eng.ok() ? predict(r, *eng, registry, &chosen_batch, &row.reason)
               : Result<double>(eng.error());
  if (!r.batch && chosen_batch > 0) {
    row.batch = chosen_batch;
    row.batch_range = batch_range(chosen_batch);
    row.reason = fmt::format("batch not published: the highest-throughput batch, {}", chosen_batch);
  }
  if (eng.ok()) {
    row.engine = eng->engine;
    row.cuda_graphs = eng->cuda_graphs;
  }
  if (!predicted.ok()) {
    row.status = "prediction_failed";
    row.reason = predicted.error().message();
  } else {
    row.predicted = *predicted;
    row.error_rel = (*predicted - r.value) / r.value;
  }
  return row;
}

PublishedReport validate_published(const PublishedCorpus& corpus, const HardwareRegistry& registry) {
  PublishedReport report;
  for (const auto& r : corpus.records) {
    report.rows.push_back(predict_published(r, corpus.split.at(r.group), registry));
    if (report.rows.back().status == "prediction_failed") report.exit_status = 1;
  }
  return report;
}

std::string render_published_text(const PublishedReport& report) {
  namespace r = report;
  std::string out;
  for (const char* part : {"fit", "held_out"}) {
    r::Table t({"record", "hardware", "model", ">batch", "engine", "metric", ">published",
                ">predicted", ">error"});
    int n = 0;
    for (const auto& row : report.rows) {
      if (row.part != part || row.status != "ok") continue;
      ++n;
      t.add_row({row.id, row.hardware, row.model, std::to_string(row.batch),
                 row.engine + (row.cuda_graphs ? " +graphs" : ""), row.metric,
                 fmt::format("{:.4g}", row.published), fmt::format("{:.4g}", *row.predicted),
                 fmt::format("{:+.1f} %", 100 * *row.error_rel)});
    }
    out += fmt::format("{} part: {} predicted figures\n", part == std::string("fit") ? "Fit" : "Held-out", n);
    if (n > 0) out += t.to_text();
    out += "\n";
  }
  const json summary = summarize_published(report.rows);
  r::Table s({"part", "by", "group", ">cases", ">median |error|", ">MAPE", ">within ±15 %"});
  for (const char* part : {"fit", "held_out"}) {
    const json& p = summary[part];
    auto add = [&](const std::string& by, const json& e, const std::string& key) {
      s.add_row({part, by, e[key].get<std::string>(), std::to_string(e["cases"].get<int>()),
                 fmt::format("{:.1f} %", 100 * e["median_abs_error_rel"].get<double>()),
                 fmt::format("{:.1f} %", 100 * e["mape"].get<double>()),
                 fmt::format("{:.0f} %", 100 * e["share_within_15_percent"].get<double>())});
    };
    if (p["all"].is_null()) continue;
    add("all", p["all"], "part");
    for (const char* key : {"hardware", "family", "batch_range"}) {
      for (const auto& e : p[std::string("by_") + key]) add(key, e, key);
    }
  }
  out += "Summary (error = (predicted − published) / published)\n" + s.to_text();
  std::string skipped;
  for (const auto& row : report.rows) {
    if (row.status == "ok") continue;
    skipped += fmt::format("  {} [{}] {}: {}\n", row.id, row.part,
                           row.status == "not_modelable" ? "not modelable" : "PREDICTION FAILED",
                           row.reason);
  }
  if (!skipped.empty()) out += "\nFigures graphs does not predict:\n" + skipped;
  return out;
}

Status record_published_history(const PublishedReport& report, const std::string& path) {
  GRAPHS_ASSIGN_OR_RETURN(HistoryStore store,
                          HistoryStore::open(path.empty() ? HistoryStore::default_path() : path));
  const std::string now = utc_now();
  for (const auto& row : report.rows) {
    if (row.status == "not_modelable") continue;
    HistoryRecord h;
    h.time_utc = now;
    h.git_commit = std::string(build_git_commit());
    h.graphs_version = GRAPHS_VERSION;
    h.hardware_fingerprint = row.hardware;
    h.hardware_id = row.hardware;
    h.model = row.model;
    h.batch = row.batch;
    h.conversion = "published:" + row.engine + ":" + row.metric;
    h.precision = row.precision;
    h.predicted_latency_s = row.predicted;
    h.measured_latency_s = row.published;
    h.status = row.status == "ok" ? "ok" : "failed";
    h.detail = row.id + " (" + row.part + ")" + (row.reason.empty() ? "" : ": " + row.reason);
    GRAPHS_RETURN_IF_ERROR(store.append(h));
  }
  return ok_status();
}

}  // namespace graphs
