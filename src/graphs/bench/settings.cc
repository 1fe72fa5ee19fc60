#include "graphs/bench/settings.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "graphs/common/suggest.h"
#include "graphs/zoo/zoo.h"

namespace graphs::bench {

namespace fs = std::filesystem;

double PhaseTimeouts::for_phase(const std::string& phase) const {
  if (phase == "load") return load_s;
  if (phase == "convert") return convert_s;
  if (phase == "first_call") return first_call_s;
  if (phase == "warmup") return warmup_s;
  if (phase == "measure") return measure_s;
  return start_s;
}

namespace {

const std::vector<std::string>& setting_keys() {
  static const std::vector<std::string> keys = {
      "model", "conversions", "tier", "device", "batch", "seq_len", "input_shapes",
      "input_dtypes", "min_time_s", "max_time_s", "n_samples", "min_samples", "target_rel_ci",
      "warmup_min_time_s", "warmup_max_time_s", "warmup_tolerance", "chunk_min_time_s",
      "timeout_s", "timeouts_s", "threads", "seed", "python", "worker_command", "remote",
      "jsonl_path", "work_dir", "keep_outputs", "keep_samples", "profile_ops"};
  return keys;
}

template <typename T>
Status get(const nlohmann::json& j, const char* key, T& out) {
  if (!j.contains(key) || j.at(key).is_null()) return ok_status();
  try {
    out = j.at(key).get<T>();
  } catch (const nlohmann::json::exception&) {
    return make_error(ErrorCode::kInvalidArgument, "setting '", key, "' has the wrong type: ",
                      j.at(key).dump());
  }
  return ok_status();
}

}  // namespace

Result<BenchSettings> settings_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return Error(ErrorCode::kInvalidArgument, "bench settings must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    const auto& keys = setting_keys();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      return Error(ErrorCode::kInvalidArgument, unknown_name_message("bench setting", key, keys));
    }
  }
  BenchSettings s;
  GRAPHS_RETURN_IF_ERROR(get(j, "model", s.model));
  if (j.contains("conversions") && j.at("conversions").is_string()) {
    s.conversions = {j.at("conversions").get<std::string>()};
  } else {
    GRAPHS_RETURN_IF_ERROR(get(j, "conversions", s.conversions));
  }
  GRAPHS_RETURN_IF_ERROR(get(j, "tier", s.tier));
  GRAPHS_RETURN_IF_ERROR(get(j, "device", s.device));
  GRAPHS_RETURN_IF_ERROR(get(j, "batch", s.batch));
  GRAPHS_RETURN_IF_ERROR(get(j, "seq_len", s.seq_len));
  GRAPHS_RETURN_IF_ERROR(get(j, "input_shapes", s.input_shapes));
  GRAPHS_RETURN_IF_ERROR(get(j, "input_dtypes", s.input_dtypes));
  GRAPHS_RETURN_IF_ERROR(get(j, "min_time_s", s.min_time_s));
  GRAPHS_RETURN_IF_ERROR(get(j, "max_time_s", s.max_time_s));
  GRAPHS_RETURN_IF_ERROR(get(j, "n_samples", s.n_samples));
  GRAPHS_RETURN_IF_ERROR(get(j, "min_samples", s.min_samples));
  GRAPHS_RETURN_IF_ERROR(get(j, "target_rel_ci", s.target_rel_ci));
  GRAPHS_RETURN_IF_ERROR(get(j, "warmup_min_time_s", s.warmup_min_time_s));
  GRAPHS_RETURN_IF_ERROR(get(j, "warmup_max_time_s", s.warmup_max_time_s));
  GRAPHS_RETURN_IF_ERROR(get(j, "warmup_tolerance", s.warmup_tolerance));
  GRAPHS_RETURN_IF_ERROR(get(j, "chunk_min_time_s", s.chunk_min_time_s));
  if (j.contains("timeout_s") && !j.at("timeout_s").is_null()) {
    double t = 0;
    GRAPHS_RETURN_IF_ERROR(get(j, "timeout_s", t));
    s.timeout_s = t;
  }
  if (j.contains("timeouts_s") && j.at("timeouts_s").is_object()) {
    const auto& t = j.at("timeouts_s");
    static const std::vector<std::string> phases = {"start", "load", "convert", "first_call",
                                                    "warmup", "measure"};
    for (const auto& [k, v] : t.items()) {
      if (std::find(phases.begin(), phases.end(), k) == phases.end()) {
        return Error(ErrorCode::kInvalidArgument, unknown_name_message("phase", k, phases));
      }
    }
    GRAPHS_RETURN_IF_ERROR(get(t, "start", s.timeouts.start_s));
    GRAPHS_RETURN_IF_ERROR(get(t, "load", s.timeouts.load_s));
    GRAPHS_RETURN_IF_ERROR(get(t, "convert", s.timeouts.convert_s));
    GRAPHS_RETURN_IF_ERROR(get(t, "first_call", s.timeouts.first_call_s));
    GRAPHS_RETURN_IF_ERROR(get(t, "warmup", s.timeouts.warmup_s));
    GRAPHS_RETURN_IF_ERROR(get(t, "measure", s.timeouts.measure_s));
  }
  GRAPHS_RETURN_IF_ERROR(get(j, "threads", s.threads));
  GRAPHS_RETURN_IF_ERROR(get(j, "seed", s.seed));
  GRAPHS_RETURN_IF_ERROR(get(j, "python", s.python));
  GRAPHS_RETURN_IF_ERROR(get(j, "worker_command", s.worker_command));
  GRAPHS_RETURN_IF_ERROR(get(j, "remote", s.remote));
  GRAPHS_RETURN_IF_ERROR(get(j, "jsonl_path", s.jsonl_path));
  GRAPHS_RETURN_IF_ERROR(get(j, "work_dir", s.work_dir));
  GRAPHS_RETURN_IF_ERROR(get(j, "keep_outputs", s.keep_outputs));
  GRAPHS_RETURN_IF_ERROR(get(j, "keep_samples", s.keep_samples));
  GRAPHS_RETURN_IF_ERROR(get(j, "profile_ops", s.profile_ops));
  return s;
}

nlohmann::json settings_to_json(const BenchSettings& s) {
  nlohmann::json j;
  j["model"] = s.model;
  j["conversions"] = s.conversions;
  j["tier"] = s.tier == 0 ? nlohmann::json(nullptr) : nlohmann::json(s.tier);
  j["device"] = s.device;
  j["batch"] = s.batch;
  j["seq_len"] = s.seq_len;
  j["input_shapes"] = s.input_shapes;
  j["input_dtypes"] = s.input_dtypes;
  j["min_time_s"] = s.min_time_s;
  j["max_time_s"] = s.max_time_s;
  j["n_samples"] = s.n_samples > 0 ? nlohmann::json(s.n_samples) : nlohmann::json(nullptr);
  j["min_samples"] = s.min_samples;
  j["target_rel_ci"] = s.target_rel_ci;
  j["warmup_min_time_s"] = s.warmup_min_time_s;
  j["warmup_max_time_s"] = s.warmup_max_time_s;
  j["warmup_tolerance"] = s.warmup_tolerance;
  j["chunk_min_time_s"] = s.chunk_min_time_s;
  j["timeout_s"] = s.timeout_s ? nlohmann::json(*s.timeout_s) : nlohmann::json(nullptr);
  j["timeouts_s"] = {{"start", s.timeouts.start_s},       {"load", s.timeouts.load_s},
                     {"convert", s.timeouts.convert_s},   {"first_call", s.timeouts.first_call_s},
                     {"warmup", s.timeouts.warmup_s},     {"measure", s.timeouts.measure_s}};
  j["threads"] = s.threads > 0 ? nlohmann::json(s.threads) : nlohmann::json(nullptr);
  j["seed"] = s.seed;
  j["python"] = s.python;
  j["worker_command"] = s.worker_command;
  j["remote"] = s.remote.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.remote);
  j["jsonl_path"] = s.jsonl_path;
  j["work_dir"] = s.work_dir;
  j["keep_outputs"] = s.keep_outputs;
  j["keep_samples"] = s.keep_samples;
  j["profile_ops"] = s.profile_ops;
  return j;
}

const std::vector<std::pair<std::string, std::string>>& zoo_torch_sources() {
  static const std::vector<std::pair<std::string, std::string>> map = {
      {"resnet18", "torchvision:resnet18"},   {"resnet34", "torchvision:resnet34"},
      {"resnet50", "torchvision:resnet50"},   {"mobilenet_v2", "torchvision:mobilenet_v2"},
      {"vit_b_16", "torchvision:vit_b_16"},   {"bert-base", "hf:bert-base-uncased"},
      {"gpt2", "hf:gpt2"}};
  return map;
}

Result<ModelSource> parse_model(const std::string& text, const BenchSettings& settings) {
  ModelSource m;
  if (text.empty()) return Error(ErrorCode::kInvalidArgument, "no MODEL given");
  auto prefixed = [&](const char* prefix) { return text.rfind(prefix, 0) == 0; };
  if (text.ends_with(".onnx")) {
    std::error_code ec;
    if (!fs::is_regular_file(text, ec)) {
      return make_error(ErrorCode::kNotFound, "no ONNX file '", text, "'");
    }
    m.kind = SourceKind::kOnnx;
    m.request = {{"source", "onnx"}, {"path", fs::absolute(text).lexically_normal().string()}};
    m.display = text;
    return m;
  }
  if (text.ends_with(".pt2")) {
    std::error_code ec;
    if (!fs::is_regular_file(text, ec)) {
      return make_error(ErrorCode::kNotFound, "no torch.export program '", text, "'");
    }
    m.request = {{"source", "exported"}, {"path", fs::absolute(text).lexically_normal().string()}};
    m.display = text;
    return m;
  }
  for (const auto& [zoo, source] : zoo_torch_sources()) {
    if (text == zoo) return parse_model(source, settings);
  }
  if (prefixed("torchvision:") || prefixed("hf:")) {
    const auto colon = text.find(':');
    const std::string source = text.substr(0, colon), name = text.substr(colon + 1);
    if (name.empty()) return make_error(ErrorCode::kInvalidArgument, "'", text, "' names no model");
    m.request = {{"source", source == "hf" ? "hf" : "torchvision"}, {"name", name}};
    m.display = text;
    return m;
  }
  const auto colon = text.find(':');
  if (colon != std::string::npos && colon > 0 && colon + 1 < text.size()) {
    if (settings.input_shapes.empty()) {
      return make_error(ErrorCode::kInvalidArgument, "factory model '", text,
                        "' needs --input-shape (one per input, e.g. --input-shape 1,3,224,224)");
    }
    if (!settings.input_dtypes.empty() && settings.input_dtypes.size() != settings.input_shapes.size()) {
      return make_error(ErrorCode::kInvalidArgument, settings.input_dtypes.size(),
                        " --input-dtype for ", settings.input_shapes.size(), " --input-shape");
    }
    m.request = {{"source", "factory"}, {"spec", text}};
    m.display = text;
    return m;
  }
  std::vector<std::string> known;
  for (const auto& [zoo, source] : zoo_torch_sources()) known.push_back(zoo);
  if (is_zoo_name(text)) {
    return make_error(ErrorCode::kInvalidArgument, "zoo model '", text,
                      "' has no PyTorch twin to benchmark; name one as hf:NAME, "
                      "package.module:factory or an .onnx file");
  }
  if (text == "simple") {
    return Error(ErrorCode::kInvalidArgument,
                 "model 'simple' is the seed tool's toy Conv-BN-ReLU; graphs has none built in: "
                 "benchmark torchvision:resnet18, or your own as package.module:factory with "
                 "--input-shape");
  }
  return Error(ErrorCode::kInvalidArgument,
               unknown_name_message("model", text, known) +
                   " (MODEL is torchvision:NAME, hf:NAME, package.module:factory, a .onnx file "
                   "or one of those zoo names)");
}

namespace {

bool is_executable(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

}  // namespace

Result<std::string> find_python(const std::string& flag) {
  if (!flag.empty()) {
    if (is_executable(flag)) return flag;
    return make_error(ErrorCode::kInvalidArgument, "--python '", flag, "' is not an executable file");
  }
  if (const char* env = std::getenv("GRAPHS_PYTHON"); env != nullptr && *env != '\0') {
    if (is_executable(env)) return std::string(env);
    return make_error(ErrorCode::kInvalidArgument, "GRAPHS_PYTHON '", env,
                      "' is not an executable file");
  }
  std::vector<std::string> tried;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (const char* name : {"python", "python3"}) {
      const fs::path candidate = self.parent_path() / name;
      if (is_executable(candidate)) return candidate.string();
      tried.push_back(candidate.string());
    }
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::stringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (dir.empty()) continue;
      const fs::path candidate = fs::path(dir) / "python3";
      if (is_executable(candidate)) return candidate.string();
    }
  }
  tried.push_back("python3 on PATH");
  std::string list;
  for (const auto& t : tried) list += (list.empty() ? "" : ", ") + t;
  return make_error(ErrorCode::kNotFound, "no Python interpreter (tried ", list,
                    "); pass --python PATH or set GRAPHS_PYTHON to a Python with the graphs "
                    "package and the backends");
}

namespace {

fs::path default_work_dir() {
  fs::path base;
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    base = xdg;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    base = fs::path(home) / ".cache";
  } else {
    base = fs::temp_directory_path();
  }
  const auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
  return base / "graphs" / "bench" / (std::string(stamp) + "-" + std::to_string(::getpid()));
}

std::vector<std::string> split_words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

}  // namespace

namespace {

Result<std::vector<std::string>> remote_worker_command(const BenchSettings& s) {
  const std::string& host = s.remote;
  const bool blank = std::any_of(host.begin(), host.end(), [](unsigned char c) { return std::isspace(c); });
  if (host.empty() || blank || host.front() == '-') {
    return make_error(ErrorCode::kInvalidArgument, "--remote '", host,
                      "' is not an ssh destination; give user@host or a host alias from "
                      "~/.ssh/config");
  }
  std::vector<std::string> argv = {"ssh", "-T", "-o", "BatchMode=yes", host};
  std::vector<std::string> command = s.worker_command;
  if (command.empty()) {
    if (const char* env = std::getenv("GRAPHS_WORKER_COMMAND"); env != nullptr && *env != '\0') {
      command = split_words(env);
    }
  }
  if (command.empty()) command = {s.python.empty() ? "python3" : s.python, "-m", "graphs.worker"};
  argv.insert(argv.end(), command.begin(), command.end());
  argv.push_back("--no-outputs");
  return argv;
}

}  // namespace

Result<std::vector<std::string>> worker_command(const BenchSettings& s) {
  if (!s.remote.empty()) return remote_worker_command(s);
  if (!s.worker_command.empty()) return s.worker_command;
  if (const char* env = std::getenv("GRAPHS_WORKER_COMMAND"); env != nullptr && *env != '\0') {
    return split_words(env);
  }
  GRAPHS_ASSIGN_OR_RETURN(std::string python, find_python(s.python));
  return std::vector<std::string>{std::move(python), "-m", "graphs.worker"};
}

std::string remote_note(const BenchSettings& s) {
  if (s.remote.empty()) return "";
  return "the workers run on " + s.remote +
         " over ssh; their outputs stay there and cannot be read back, so the output check "
         "against the reference is skipped (each result says 'output not checked')";
}

Result<ResolvedBench> resolve(const BenchSettings& s) {
  ResolvedBench r;
  r.settings = s;
  GRAPHS_ASSIGN_OR_RETURN(r.device, parse_device(s.device));
  GRAPHS_ASSIGN_OR_RETURN(r.model, parse_model(s.model, s));
  auto positive = [](double v, const char* what) -> Status {
    if (!(v > 0)) return make_error(ErrorCode::kInvalidArgument, what, " must be > 0, got ", fmt::format("{:g}", v));
    return ok_status();
  };
  if (s.batch < 1) return make_error(ErrorCode::kInvalidArgument, "--batch must be >= 1, got ", s.batch);
  if (s.seq_len < 1) return make_error(ErrorCode::kInvalidArgument, "--seq-len must be >= 1, got ", s.seq_len);
  if (s.min_time_s < 0) return Error(ErrorCode::kInvalidArgument, "--min-time must be >= 0");
  GRAPHS_RETURN_IF_ERROR(positive(s.max_time_s, "--max-time"));
  if (s.max_time_s < s.min_time_s) {
    return Error(ErrorCode::kInvalidArgument,
                 fmt::format("--max-time ({:g} s) is below --min-time ({:g} s)", s.max_time_s, s.min_time_s));
  }
  if (s.n_samples < 0) return make_error(ErrorCode::kInvalidArgument, "--n-samples must be >= 1, got ", s.n_samples);
  if (s.min_samples < 1) return make_error(ErrorCode::kInvalidArgument, "min_samples must be >= 1, got ", s.min_samples);
  GRAPHS_RETURN_IF_ERROR(positive(s.target_rel_ci, "--target-rel-ci"));
  GRAPHS_RETURN_IF_ERROR(positive(s.chunk_min_time_s, "chunk_min_time_s"));
  GRAPHS_RETURN_IF_ERROR(positive(s.warmup_max_time_s, "warmup_max_time_s"));
  if (s.threads < 0) return make_error(ErrorCode::kInvalidArgument, "--threads must be >= 1, got ", s.threads);
  for (const auto& shape : s.input_shapes) {
    if (shape.empty()) return Error(ErrorCode::kInvalidArgument, "--input-shape needs at least one dim");
    for (int64_t d : shape) {
      if (d < 1) return make_error(ErrorCode::kInvalidArgument, "--input-shape dims must be >= 1, got ", d);
    }
  }
  static const std::vector<std::string> dtypes = {"float32", "float16", "bfloat16", "float64",
                                                  "int64",   "int32",   "int8",     "uint8", "bool"};
  for (const auto& d : s.input_dtypes) {
    if (std::find(dtypes.begin(), dtypes.end(), d) == dtypes.end()) {
      return Error(ErrorCode::kInvalidArgument, unknown_name_message("input dtype", d, dtypes));
    }
  }

  const ConversionRegistry& reg = ConversionRegistry::global();
  if (s.tier != 0 && !s.conversions.empty()) {
    return Error(ErrorCode::kInvalidArgument, "give --conversions or --tier, not both");
  }
  if (s.tier != 0) {
    GRAPHS_ASSIGN_OR_RETURN(r.conversions, reg.tier(s.tier, r.device, r.model.kind));
    r.from_tier = true;
  } else {
    if (s.conversions.empty()) {
      return Error(ErrorCode::kInvalidArgument,
                   "name the conversions (--conversions EAGER,ONNX_CPU) or a tier (--tier 1|2|3)");
    }
    GRAPHS_ASSIGN_OR_RETURN(r.conversions, reg.resolve(s.conversions, &r.notes));
  }

  GRAPHS_ASSIGN_OR_RETURN(r.worker_argv, worker_command(s));
  if (!s.remote.empty() && r.model.request.contains("path")) {
    r.notes.push_back("MODEL is a file: the workers on " + s.remote + " open " +
                      r.model.request["path"].get<std::string>() +
                      ", which must exist at that path there (copy it with scp first)");
  }
  r.worker_env = {{"PYTHONUNBUFFERED", "1"}};

  r.stopping.min_time_s = s.min_time_s;
  r.stopping.max_time_s = s.max_time_s;
  r.stopping.min_samples = static_cast<std::size_t>(s.min_samples);
  r.stopping.target_rel_ci = s.target_rel_ci;
  if (s.n_samples > 0) r.stopping.n_samples = static_cast<std::size_t>(s.n_samples);
  r.warmup.min_time_s = s.warmup_min_time_s;
  r.warmup.max_time_s = s.warmup_max_time_s;
  r.warmup.tolerance = s.warmup_tolerance;
  r.timeouts = s.timeouts;
  if (s.timeout_s) {
    GRAPHS_RETURN_IF_ERROR(positive(*s.timeout_s, "--timeout"));
    const double t = *s.timeout_s;
    r.timeouts = {t, t, t, t, t, t};
  }
  r.work_dir = s.work_dir.empty() ? default_work_dir() : fs::path(s.work_dir);
  r.jsonl_path = s.jsonl_path.empty() ? r.work_dir / "results.jsonl" : fs::path(s.jsonl_path);
  return r;
}

}  // namespace graphs::bench
