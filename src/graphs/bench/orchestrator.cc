#include "graphs/bench/orchestrator.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "graphs/bench/worker_process.h"
#include "graphs/common/utc_time.h"

namespace graphs::bench {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

Clock::time_point after(double s) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

std::string clip(const std::string& s, std::size_t n = 200) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

// Appends lines to a file with write(2) + fsync(2) after each: a line is on disk before the next
// conversion starts.
class JsonlWriter {
 public:
  static Result<JsonlWriter> open(const fs::path& path) {
    std::error_code ec;
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      return make_error(ErrorCode::kIoError, "cannot write '", path.string(), "': ", std::strerror(errno));
    }
    JsonlWriter w;
    w.fd_ = fd;
    return w;
  }
  JsonlWriter(JsonlWriter&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  ~JsonlWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  void append(const json& j) {
    const std::string line = j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    std::size_t done = 0;
    while (done < line.size()) {
      const ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      done += static_cast<std::size_t>(n);
    }
    ::fsync(fd_);
  }

 private:
  JsonlWriter() = default;
  int fd_ = -1;
};

// Reads lines until a JSON object arrives; nullopt with `why` on timeout, EOF, bad JSON.
struct LineRead {
  std::optional<json> message;
  WorkerProcess::ReadStatus status = WorkerProcess::ReadStatus::kLine;
  std::string protocol_error;
};

// No protocol message nests deeper than a few levels; a deeper line is refused before the JSON
// parser (and the destructor of what it builds) recurses through it.
constexpr int kMaxJsonDepth = 64;

// The deepest nesting of [ and { in `text`, outside strings.
int json_depth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') deepest = std::max(deepest, ++depth);
    else if (c == ']' || c == '}') --depth;
  }
  return deepest;
}

// The worker's output files: names inside the run's own folder only (no absolute path, no
// "..", no symbolic link), regular files of at most kMaxOutputBytes — never /dev/zero or
// ../../etc/passwd.
constexpr uintmax_t kMaxOutputBytes = uintmax_t{4} << 30;

Result<NpyArray> read_worker_output(const fs::path& dir, const std::string& name) {
  const fs::path rel(name);
  if (name.empty() || rel.is_absolute() ||
      std::any_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == ".."; })) {
    return make_error(ErrorCode::kRuntimeError, "output '", name,
                      "' is not a file name inside the run's folder");
  }
  const fs::path p = dir / rel;
  const int fd = ::open(p.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return make_error(ErrorCode::kRuntimeError, "cannot open output '", name, "': ",
                      std::strerror(errno));
  }
  struct stat st {};
  const bool regular = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
  ::close(fd);
  if (!regular) return make_error(ErrorCode::kRuntimeError, "output '", name, "' is not a regular file");
  if (static_cast<uintmax_t>(st.st_size) > kMaxOutputBytes) {
    return make_error(ErrorCode::kRuntimeError, "output '", name, "' is ", st.st_size,
                      " bytes, above the ", kMaxOutputBytes, "-byte limit");
  }
  return read_npy(p.string());
}

LineRead read_message(WorkerProcess& w, Clock::time_point deadline) {
  LineRead r;
  std::string line;
  r.status = w.read_line(line, deadline);
  if (r.status == WorkerProcess::ReadStatus::kLineTooLong) {
    r.protocol_error = "the worker wrote a line longer than 256 MiB";
    return r;
  }
  if (r.status != WorkerProcess::ReadStatus::kLine) return r;
  auto j = parse_worker_line(line);
  if (!j.ok()) {
    r.protocol_error = j.error().message();
    return r;
  }
  r.message = std::move(j).value();
  return r;
}

std::string startup_hint(const std::vector<std::string>& argv) {
  return fmt::format("(worker command: {}; set --python or $GRAPHS_PYTHON to an interpreter with "
                     "the graphs package installed)",
                     fmt::join(argv, " "));
}

}  // namespace

Result<json> parse_worker_line(const std::string& line) {
  if (json_depth(line) > kMaxJsonDepth) {
    return make_error(ErrorCode::kRuntimeError, "the worker wrote a message nested deeper than ",
                      kMaxJsonDepth, " levels");
  }
  json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return make_error(ErrorCode::kRuntimeError,
                      "the worker wrote a line that is not a protocol message: '", clip(line), "'");
  }
  return j;
}

json host_fingerprint() {
  json h;
  char name[256] = {0};
  if (::gethostname(name, sizeof name - 1) == 0) h["hostname"] = name;
  utsname u{};
  if (::uname(&u) == 0) {
    h["os"] = u.sysname;
    h["kernel"] = u.release;
    h["machine"] = u.machine;
  }
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0 || line.rfind("Model", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) h["cpu_model"] = line.substr(colon + 2);
      break;
    }
  }
  h["logical_cpus"] = ::sysconf(_SC_NPROCESSORS_ONLN);
  h["memory_bytes"] = static_cast<int64_t>(::sysconf(_SC_PHYS_PAGES)) * ::sysconf(_SC_PAGESIZE);
  return h;
}

ProbeOutcome run_probe(const std::vector<std::string>& argv,
                       const std::vector<std::pair<std::string, std::string>>& env,
                       double timeout_s) {
  ProbeOutcome out;
  auto spawned = WorkerProcess::spawn(argv, env);
  if (!spawned.ok()) {
    out.error = "the worker did not start: " + spawned.error().message() + " " + startup_hint(argv);
    return out;
  }
  WorkerProcess& w = *spawned;
  auto fail = [&](const std::string& what) {
    w.kill_group();
    const ExitInfo e = w.wait(after(5));
    std::string tail = last_lines(w.stderr_tail());
    out.error = "the worker did not answer the probe: " + what +
                (e.exited || e.signal ? " (" + e.describe() + ")" : "") +
                (tail.empty() ? "" : ": " + tail) + " " + startup_hint(argv);
    return out;
  };
  const auto deadline = after(timeout_s);
  json hello;
  for (;;) {
    LineRead r = read_message(w, deadline);
    if (!r.protocol_error.empty()) return fail(r.protocol_error);
    if (r.status == WorkerProcess::ReadStatus::kTimeout) return fail(fmt::format("no hello within {:g} s", timeout_s));
    if (r.status != WorkerProcess::ReadStatus::kLine) return fail("it ended before its hello");
    if ((*r.message)["type"] == "hello") {
      hello = *r.message;
      break;
    }
    return fail("expected hello, got " + clip(r.message->dump()));
  }
  if (hello.value("protocol", -1) != kWorkerProtocolVersion) {
    return fail(fmt::format("protocol mismatch: worker speaks {}, graphs speaks {}",
                            hello.contains("protocol") ? hello["protocol"].dump() : "?",
                            kWorkerProtocolVersion));
  }
  if (!w.write_line(R"({"type": "probe"})").ok()) return fail("it closed its stdin");
  LineRead r = read_message(w, deadline);
  if (!r.protocol_error.empty()) return fail(r.protocol_error);
  if (r.status == WorkerProcess::ReadStatus::kTimeout) return fail(fmt::format("no probe_result within {:g} s", timeout_s));
  if (r.status != WorkerProcess::ReadStatus::kLine) return fail("it ended before its probe_result");
  if ((*r.message)["type"] != "probe_result") return fail("expected probe_result, got " + clip(r.message->dump()));
  auto probe = ProbeResult::from_json(*r.message);
  if (!probe.ok()) return fail(probe.error().message());
  probe->platform = hello.value("platform", "");
  probe->python = hello.value("python", "");
  w.close_stdin();
  w.wait(after(5));
  out.probe = std::move(*probe);
  return out;
}

namespace {

struct RunContext {
  const ResolvedBench& bench;
  const ProgressCallback& progress;
  std::size_t index = 0;
  std::size_t total = 0;
};

struct RunOutcome {
  ConversionResult result;
  std::vector<NpyArray> outputs;
  bool has_outputs = false;
  std::string outputs_error;
};

json run_request(const ResolvedBench& b, const ConversionInfo& c, Device device,
                 const fs::path& out_dir) {
  const BenchSettings& s = b.settings;
  json req = {{"type", "run"},
              {"conversion", c.name},
              {"device", std::string(to_string(device))},
              {"model", b.model.request},
              {"batch", s.batch},
              {"seq_len", s.seq_len},
              {"threads", s.threads > 0 ? json(s.threads) : json(nullptr)},
              {"seed", s.seed},
              {"input_shapes", s.input_shapes.empty() ? json(nullptr) : json(s.input_shapes)},
              {"input_dtypes", s.input_dtypes.empty() ? json(nullptr) : json(s.input_dtypes)},
              {"output_dir", out_dir.string()},
              {"chunk_min_time_s", s.chunk_min_time_s},
              {"profile_ops", s.profile_ops}};
  return req;
}

RunOutcome run_conversion(RunContext& ctx, const ConversionInfo& c, Device device,
                          bool reference_only, const fs::path& out_dir) {
  const ResolvedBench& b = ctx.bench;
  RunOutcome out;
  ConversionResult& res = out.result;
  res.conversion = c.name;
  res.device = std::string(to_string(device));
  res.precision = c.precision;
  res.family = c.family;
  res.batch = b.settings.batch;
  res.reference_only = reference_only;

  std::error_code ec;
  fs::remove_all(out_dir, ec);
  fs::create_directories(out_dir, ec);

  const auto t0 = Clock::now();
  std::string phase = "start";
  std::size_t sample_count = 0;
  auto notify = [&](const std::string& p, std::optional<double> ci = std::nullopt) {
    if (!ctx.progress) return;
    ProgressEvent e;
    e.conversion = c.name;
    e.index = ctx.index;
    e.total = ctx.total;
    e.phase = p;
    e.elapsed_s = seconds_since(t0);
    e.samples = sample_count;
    e.median_ci_rel = ci;
    ctx.progress(e);
  };
  notify(phase);

  auto spawned = WorkerProcess::spawn(b.worker_argv, b.worker_env);
  if (!spawned.ok()) {
    res.status = RunStatus::kFailed;
    res.phase = phase;
    res.reason = "the worker did not start: " + spawned.error().message();
    return out;
  }
  WorkerProcess& w = *spawned;
  auto deadline = after(b.timeouts.start_s);
  double limit_s = b.timeouts.start_s;
  bool finished = false;  // done or error received
  bool set_status = false;
  auto set = [&](RunStatus s, std::string reason) {
    if (set_status) return;
    set_status = true;
    res.status = s;
    res.reason = std::move(reason);
    if (s != RunStatus::kOk) res.phase = phase;
  };

  WarmupTracker warm(b.warmup);
  std::vector<double> samples;
  std::optional<Clock::time_point> warm_start, measure_start;
  bool measuring = false;
  std::vector<std::string> output_files;
  const std::optional<std::size_t> fixed = b.stopping.n_samples;

  auto send = [&](const json& j) -> bool {
    if (w.write_line(j.dump()).ok()) return true;
    // The worker is gone; what it left on stdout/its exit status tells why.
    return false;
  };

  while (!finished && !set_status) {
    LineRead r = read_message(w, deadline);
    if (!r.protocol_error.empty()) {
      w.kill_group();
      set(RunStatus::kFailed, "protocol error: " + r.protocol_error);
      break;
    }
    if (r.status == WorkerProcess::ReadStatus::kTimeout) {
      w.kill_group();
      set(RunStatus::kTimeout,
          fmt::format("no event from the worker for {:g} s in phase {} (its limit); worker killed",
                      limit_s, phase));
      break;
    }
    if (r.status == WorkerProcess::ReadStatus::kInterrupted) {
      w.kill_group();
      set(RunStatus::kInterrupted,
          fmt::format("interrupted by {} in phase {}", signal_name(interrupt_signal()), phase));
      break;
    }
    if (r.status == WorkerProcess::ReadStatus::kEof) break;
    json& m = *r.message;
    const std::string type = m["type"].get<std::string>();
    deadline = after(limit_s);  // every event restarts the phase clock
    try {
      if (type == "hello") {
        const int protocol = m.value("protocol", -1);
        if (protocol != kWorkerProtocolVersion) {
          w.kill_group();
          set(RunStatus::kFailed, fmt::format("protocol mismatch: worker speaks {}, graphs speaks {}",
                                              m.contains("protocol") ? m["protocol"].dump() : "?",
                                              kWorkerProtocolVersion));
          break;
        }
        res.startup_s = seconds_since(t0);
        phase = "load";
        limit_s = b.timeouts.load_s;
        deadline = after(limit_s);
        if (!send(run_request(b, c, device, out_dir))) continue;  // EOF tells the rest
      } else if (type == "phase") {
        phase = m.at("phase").get<std::string>();
        limit_s = b.timeouts.for_phase(phase);
        deadline = after(limit_s);
        if (phase == "warmup" && !warm_start) warm_start = Clock::now();
        if (phase == "measure" && !measure_start) measure_start = Clock::now();
        notify(phase);
      } else if (type == "cold_start") {
        for (const char* key : {"load_s", "convert_s", "first_call_s"}) {
          if (m.contains(key) && !(m[key].is_number() && m[key].get<double>() >= 0 &&
                                   std::isfinite(m[key].get<double>()))) {
            throw std::runtime_error(std::string("cold_start.") + key + " is not a time: " +
                                     clip(m[key].dump()));
          }
        }
        if (m.contains("load_s") && m["load_s"].is_number()) res.load_s = m["load_s"].get<double>();
        if (m.contains("convert_s") && m["convert_s"].is_number()) res.convert_s = m["convert_s"].get<double>();
        if (m.contains("first_call_s") && m["first_call_s"].is_number()) {
          res.first_call_s = m["first_call_s"].get<double>();
        }
      } else if (type == "outputs") {
        output_files = m.at("files").get<std::vector<std::string>>();
        out.has_outputs = true;
      } else if (type == "chunk") {
        const std::vector<double> lat = m.at("latency_s").get<std::vector<double>>();
        for (double x : lat) {
          if (!(x >= 0) || !std::isfinite(x)) {
            throw std::runtime_error("chunk latency " + std::to_string(x) + " is not a time");
          }
        }
        const std::string chunk_phase = m.value("phase", measuring ? "measure" : "warmup");
        if (chunk_phase != "warmup" && chunk_phase != "measure") {
          throw std::runtime_error("chunk phase '" + clip(chunk_phase) + "' is neither warmup nor measure");
        }
        if (measuring && chunk_phase == "warmup") {
          throw std::runtime_error("a warm-up chunk after measuring began");
        }
        if (!measuring && chunk_phase == "measure" && !measure_start) {
          throw std::runtime_error("a measure chunk before the warm-up ended");
        }
        if (!measuring && chunk_phase == "warmup") {
          if (!warm_start) warm_start = Clock::now();
          const WarmupDecision d = reference_only && out.has_outputs
                                       ? WarmupDecision::kSteady
                                       : warm.add_chunk(lat, seconds_since(*warm_start));
          if (d == WarmupDecision::kContinue) {
            send({{"type", "continue"}, {"phase", "warmup"}});
            continue;
          }
          res.warmup_calls = warm.calls();
          res.warmup_chunks = warm.chunks();
          res.warmup_s = seconds_since(*warm_start);
          res.warmup_steady = d == WarmupDecision::kSteady;
          if (d == WarmupDecision::kCapped) {
            res.warnings.push_back(fmt::format(
                "warm-up not steady after {:.1f} s: successive chunk medians still differ by more "
                "than {:g} %",
                res.warmup_s, 100 * b.warmup.tolerance));
          }
          if (reference_only) {
            res.stop_reason = "reference";
            send({{"type", "stop"}});
            phase = "done";
            limit_s = b.timeouts.measure_s;
            deadline = after(limit_s);
            continue;
          }
          measuring = true;
          measure_start = Clock::now();
          json next = {{"type", "continue"}, {"phase", "measure"}};
          if (fixed) next["n_calls"] = *fixed;
          send(next);
          phase = "measure";
          limit_s = b.timeouts.measure_s;
          deadline = after(limit_s);
          notify(phase);
        } else {
          if (!measure_start) measure_start = Clock::now();
          measuring = true;
          samples.insert(samples.end(), lat.begin(), lat.end());
          sample_count = samples.size();
          const double elapsed = seconds_since(*measure_start);
          const StopDecision d = should_stop(b.stopping, samples, elapsed);
          std::optional<double> ci;
          if (ctx.progress && samples.size() >= 6) ci = summarize(samples).median_ci_rel;
          notify("measure", ci);
          if (d == StopDecision::kContinue) {
            json next = {{"type", "continue"}, {"phase", "measure"}};
            if (fixed) next["n_calls"] = *fixed - samples.size();
            send(next);
          } else {
            res.stop_reason = std::string(to_string(d));
            res.measure_s = elapsed;
            send({{"type", "stop"}});
          }
        }
      } else if (type == "done") {
        read_done_message(m, res);
        finished = true;
      } else if (type == "error") {
        const std::string kind = m.value("kind", "failed");
        const std::string message = m.value("message", "(no message)");
        if (m.contains("phase") && m["phase"].is_string()) phase = m["phase"].get<std::string>();
        RunStatus s = RunStatus::kFailed;
        std::string reason = message;
        if (kind == "not_applicable") s = RunStatus::kNotApplicable;
        else if (kind == "unavailable") s = RunStatus::kUnavailable;
        else if (kind == "unsupported") reason = "unsupported: " + message;
        set(s, reason);
        if (m.contains("traceback") && m["traceback"].is_string()) {
          res.stderr_tail = m["traceback"].get<std::string>();
        }
        finished = true;
      } else {
        w.kill_group();
        set(RunStatus::kFailed, "protocol error: unknown message type '" + clip(type) + "'");
      }
    } catch (const std::exception& e) {
      w.kill_group();
      set(RunStatus::kFailed, std::string("protocol error: bad '") + type + "' message (" +
                                  e.what() + "): " + clip(m.dump()));
    }
  }

  w.close_stdin();
  const ExitInfo exit = w.wait(after(finished ? 30 : 5));
  res.wall_s = seconds_since(t0);
  res.exit = exit.describe();
  if (exit.max_rss_bytes > 0) res.peak_rss_wait4_bytes = exit.max_rss_bytes;
  if (!set_status && !finished) {
    set(RunStatus::kCrashed, fmt::format("the worker died in phase {}: {}{}", phase, exit.describe(),
                                         exit.exited && exit.exit_code == 0 ? " without a result" : ""));
  }
  if (!set_status) set(RunStatus::kOk, "");
  if (!res.ok()) {
    std::string tail = w.stderr_tail();
    if (!res.stderr_tail.empty()) tail = res.stderr_tail;  // the worker's traceback
    res.stderr_tail = tail;
  } else {
    res.stderr_tail.clear();
  }

  if (!samples.empty()) {
    res.latency = summarize(samples);
    if (res.measure_s == 0 && measure_start) res.measure_s = seconds_since(*measure_start);
    const std::string noise = noise_level(res.latency->iqr_over_median);
    if (!noise.empty()) {
      res.warnings.push_back(fmt::format("{}: IQR/median = {:.2f}", noise, res.latency->iqr_over_median));
    }
    if (res.stop_reason == "max_time") {
      if (res.latency->median_ci_rel) {
        res.warnings.push_back(fmt::format(
            "stopped at --max-time: the median's CI is ±{:.1f} %, above the ±{:.1f} % target",
            100 * *res.latency->median_ci_rel, 100 * b.stopping.target_rel_ci));
      } else {
        res.warnings.push_back(fmt::format(
            "stopped at --max-time after {} calls: a 95 % CI of the median needs at least 6",
            res.latency->count));
      }
    }
    if (b.settings.keep_samples) res.samples_s = samples;
  } else if (res.ok() && !reference_only) {
    set_status = false;
    set(RunStatus::kFailed, "protocol error: the worker finished without measured samples");
  }

  if (out.has_outputs && res.ok()) {
    for (const std::string& f : output_files) {
      auto a = read_worker_output(out_dir, f);
      if (!a.ok()) {
        out.outputs_error = a.error().message();
        out.outputs.clear();
        break;
      }
      out.outputs.push_back(std::move(*a));
    }
  }
  return out;
}

}  // namespace

Result<BenchReport> run_bench(const ResolvedBench& b, const ProgressCallback& progress) {
  ::signal(SIGPIPE, SIG_IGN);
  std::error_code ec;
  fs::create_directories(b.work_dir, ec);
  if (ec) {
    return make_error(ErrorCode::kIoError, "cannot create '", b.work_dir.string(), "': ", ec.message());
  }
  GRAPHS_ASSIGN_OR_RETURN(JsonlWriter jsonl, JsonlWriter::open(b.jsonl_path));
  BenchReport report;
  report.jsonl_path = b.jsonl_path.string();

  const ProbeOutcome probe = run_probe(b.worker_argv, b.worker_env, b.timeouts.start_s);

  json header = {{"type", "header"},
                 {"schema_version", kResultSchemaVersion},
                 {"protocol", kWorkerProtocolVersion},
                 {"graphs_version", GRAPHS_VERSION},
                 {"time_utc", utc_now()},
                 {"host", host_fingerprint()},
                 {"model", b.model.display},
                 {"model_source", b.model.request},
                 {"device", std::string(to_string(b.device))},
                 {"threads", b.settings.threads > 0 ? json(b.settings.threads) : json(nullptr)},
                 {"worker_command", b.worker_argv},
                 {"settings", settings_to_json(b.settings)},
                 {"selection", b.from_tier ? fmt::format("tier {}", b.settings.tier) : "conversions"}};
  json names = json::array();
  for (const ConversionInfo* c : b.conversions) names.push_back(c->name);
  header["conversions"] = names;
  if (probe.probe) {
    header["probe"] = probe.probe->raw;
    header["python"] = probe.probe->python;
    header["platform"] = probe.probe->platform;
  } else {
    header["probe"] = nullptr;
    header["probe_error"] = probe.error;
  }
  jsonl.append(header);
  report.header = header;

  // The reference: EAGER for torch sources, ONNX_CPU for .onnx files, fp32.
  const std::string ref_name = b.model.kind == SourceKind::kOnnx ? "ONNX_CPU" : "EAGER";
  const ConversionInfo* ref = ConversionRegistry::global().find(ref_name);

  struct Planned {
    const ConversionInfo* c;
    Availability avail;
    bool reference_only;
  };
  std::vector<Planned> plan;
  bool need_reference = false;
  bool reference_requested = false;
  for (const ConversionInfo* c : b.conversions) {
    Availability a = probe.probe ? availability(*c, b.model.kind, b.device, *probe.probe)
                                 : unavailable(probe.error);
    if (a.available() && !c->test_only) need_reference = true;
    if (c == ref) reference_requested = true;
    plan.push_back({c, a, false});
  }
  // Reference first: move it to the front, or add a reference-only run.
  if (ref != nullptr && need_reference) {
    if (reference_requested) {
      std::stable_partition(plan.begin(), plan.end(), [&](const Planned& p) { return p.c == ref; });
    } else {
      Availability a = probe.probe ? availability(*ref, b.model.kind, b.device, *probe.probe)
                                   : unavailable(probe.error);
      plan.insert(plan.begin(), {ref, a, true});
    }
  }

  RunContext ctx{b, progress, 0, plan.size()};
  std::optional<std::vector<NpyArray>> reference_outputs;
  std::string no_reference_why = "no reference run";
  bool interrupted = interrupt_signal() != 0;  // during the probe
  for (const Planned& p : plan) {
    ++ctx.index;
    const Device device = p.c->device_for(b.device);
    ConversionResult res;
    std::vector<NpyArray> outputs;
    bool has_outputs = false;
    std::string outputs_error;
    if (interrupted) {
      res.conversion = p.c->name;
      res.status = RunStatus::kInterrupted;
      res.reason = "not run: the run was interrupted";
    } else if (!p.avail.available()) {
      res.conversion = p.c->name;
      res.status = p.avail.status == AvailabilityStatus::kNotApplicable ? RunStatus::kNotApplicable
                                                                        : RunStatus::kUnavailable;
      res.reason = p.avail.reason;
      res.counts_for_exit = !b.from_tier;
    } else {
      const fs::path out_dir = b.work_dir / "outputs" / p.c->name;
      RunOutcome o = run_conversion(ctx, *p.c, device, p.reference_only, out_dir);
      res = std::move(o.result);
      outputs = std::move(o.outputs);
      has_outputs = o.has_outputs;
      outputs_error = std::move(o.outputs_error);
      if (b.from_tier && (res.status == RunStatus::kUnavailable || res.status == RunStatus::kNotApplicable)) {
        res.counts_for_exit = false;
      }
      if (!b.settings.keep_outputs) fs::remove_all(out_dir, ec);
    }
    res.device = std::string(to_string(device));
    res.precision = p.c->precision;
    res.family = p.c->family;
    res.batch = b.settings.batch;
    res.reference_only = p.reference_only;
    if (res.status == RunStatus::kInterrupted) interrupted = true;

    // Output check.
    if (p.c == ref) {
      if (res.ok() && has_outputs && outputs_error.empty()) {
        reference_outputs = outputs;
        res.output_check_status = "reference";
      } else {
        no_reference_why = fmt::format("the reference {} is {}{}", ref_name, to_string(res.status),
                                       res.ok() ? (outputs_error.empty() ? ": it reported no outputs"
                                                                         : ": " + outputs_error)
                                                : "");
        if (res.ok()) res.output_check_status = "not_checked";
        res.output_check_note = no_reference_why;
      }
    } else if (res.ok()) {
      if (!has_outputs) {
        res.output_check_note = "the worker reported no outputs";
        if (!p.c->test_only) res.warnings.push_back("output not checked: the worker reported no outputs");
      } else if (!outputs_error.empty()) {
        res.status = RunStatus::kFailed;
        res.reason = "outputs unreadable: " + outputs_error;
      } else if (!reference_outputs) {
        res.output_check_note = no_reference_why;
        if (!p.c->test_only) res.warnings.push_back("output not checked: " + no_reference_why);
      } else {
        OutputComparison cmp = compare_outputs(outputs, *reference_outputs, tolerance_for(p.c->precision));
        res.output_check_status = cmp.passed ? "passed" : "failed";
        if (!cmp.passed) {
          res.status = RunStatus::kFailed;
          res.reason = cmp.reason;
          res.phase = "output_check";
        }
        res.output_check = std::move(cmp);
      }
    }
    jsonl.append(res.to_json());
    report.results.push_back(std::move(res));
    if (progress) {
      ProgressEvent e;
      e.conversion = p.c->name;
      e.index = ctx.index;
      e.total = ctx.total;
      e.phase = "done";
      e.result = &report.results.back();
      progress(e);
    }
  }
  if (!b.settings.keep_outputs) fs::remove_all(b.work_dir / "outputs", ec);
  report.exit_status = exit_status_of(report.results);
  jsonl.append({{"type", "end"}, {"exit_status", report.exit_status}, {"time_utc", utc_now()}});
  return report;
}

}  // namespace graphs::bench
