#include "graphs/bench/orchestrator.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "graphs/bench/worker_session.h"
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

std::string startup_hint(const std::vector<std::string>& argv) {
  return fmt::format("(worker command: {}; set --python or $GRAPHS_PYTHON to an interpreter with "
                     "the graphs package installed)",
                     fmt::join(argv, " "));
}

}  // namespace

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
    WorkerLine r = read_worker_line(w, deadline);
    if (!r.protocol_error.empty()) return fail(r.protocol_error);
    if (r.status == WorkerProcess::ReadStatus::kTimeout) return fail(fmt::format("no hello within {:g} s", timeout_s));
    if (r.status != WorkerProcess::ReadStatus::kLine) return fail("it ended before its hello");
    if ((*r.message)["type"] == "hello") {
      hello = *r.message;
      break;
    }
    return fail("expected hello, got " + clip(r.message->dump()));
  }
  // The protocol check of a run's hello: "protocol mismatch: worker speaks 2, graphs speaks 1".
  const WorkerEvent checked = decode_worker_message(hello, ChunkExpectation{});
  if (const auto* e = std::get_if<ProtocolErrorEvent>(&checked)) return fail(e->reason);
  if (!w.write_line(R"({"type": "probe"})").ok()) return fail("it closed its stdin");
  WorkerLine r = read_worker_line(w, deadline);
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
              {"worker", worker_conversion(c)},
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

// One conversion's run, the orchestrator's side of the protocol: it answers chunks (warm-up by
// WarmupTracker, measurement by measure_reply) and records what the worker reports, then the
// exit, the status, the latency summary and the outputs.
class ConversionRun {
 public:
  ConversionRun(RunContext& ctx, const ConversionInfo& c, Device device, bool reference_only,
                fs::path out_dir)
      : ctx_(ctx), b_(ctx.bench), c_(c), device_(device), reference_only_(reference_only),
        out_dir_(std::move(out_dir)), warm_(ctx.bench.warmup) {}

  RunOutcome run();

 private:
  std::string phase() const { return session_ ? session_->phase() : "start"; }
  void notify(const std::string& phase, std::optional<double> ci = std::nullopt);
  void set(RunStatus s, std::string reason);

  void on(const HelloEvent&) { res_.startup_s = seconds_since(t0_); }
  void on(const PhaseEvent& e);
  void on(const ColdStartEvent& e);
  void on(const OutputsEvent& e);
  void on(const ChunkEvent& e);
  void on(const DoneEvent& e);
  void on(const WorkerErrorEvent& e);
  void on(const ProtocolErrorEvent& e) { set(RunStatus::kFailed, e.reason); }
  void on(const TimeoutEvent& e);
  void on(const InterruptedEvent& e);
  void on(const ExitedEvent&) { exited_ = true; }
  void on_warmup_chunk(const std::vector<double>& latency_s);
  void on_measure_chunk(const std::vector<double>& latency_s);

  void finish(const ExitInfo& exit);
  void summarize_samples();
  void read_outputs();

  RunContext& ctx_;
  const ResolvedBench& b_;
  const ConversionInfo& c_;
  const Device device_;
  const bool reference_only_;
  const fs::path out_dir_;
  RunOutcome out_;
  ConversionResult& res_ = out_.result;
  Clock::time_point t0_;
  std::optional<WorkerSession> session_;
  bool finished_ = false;  // done or error received
  bool set_status_ = false;
  bool exited_ = false;    // stdout ended
  WarmupTracker warm_;
  std::vector<double> samples_;
  std::optional<Clock::time_point> warm_start_, measure_start_;
  bool measuring_ = false;
  std::vector<std::string> output_files_;
};

RunOutcome ConversionRun::run() {
  res_.conversion = c_.name;
  res_.device = std::string(to_string(device_));
  res_.precision = c_.precision;
  res_.family = c_.family;
  res_.batch = b_.settings.batch;
  res_.reference_only = reference_only_;
  std::error_code ec;
  fs::remove_all(out_dir_, ec);
  fs::create_directories(out_dir_, ec);

  t0_ = Clock::now();
  notify("start");
  auto started = WorkerSession::start(b_.worker_argv, b_.worker_env, b_.timeouts,
                                      run_request(b_, c_, device_, out_dir_));
  if (!started.ok()) {
    res_.status = RunStatus::kFailed;
    res_.phase = "start";
    res_.reason = "the worker did not start: " + started.error().message();
    return std::move(out_);
  }
  session_.emplace(std::move(*started));
  while (!finished_ && !set_status_ && !exited_) {
    const WorkerEvent e = session_->next({measuring_, measure_start_.has_value()});
    std::visit([this](const auto& event) { on(event); }, e);
  }
  finish(session_->finish(finished_ ? 30 : 5));
  return std::move(out_);
}

void ConversionRun::notify(const std::string& phase, std::optional<double> ci) {
  if (!ctx_.progress) return;
  ProgressEvent e;
  e.conversion = c_.name;
  e.index = ctx_.index;
  e.total = ctx_.total;
  e.phase = phase;
  e.elapsed_s = seconds_since(t0_);
  e.samples = samples_.size();
  e.median_ci_rel = ci;
  ctx_.progress(e);
}

void ConversionRun::set(RunStatus s, std::string reason) {
  if (set_status_) return;
  set_status_ = true;
  res_.status = s;
  res_.reason = std::move(reason);
  if (s != RunStatus::kOk) res_.phase = phase();
}

void ConversionRun::on(const PhaseEvent& e) {
  if (e.phase == "warmup" && !warm_start_) warm_start_ = Clock::now();
  if (e.phase == "measure" && !measure_start_) measure_start_ = Clock::now();
  notify(e.phase);
}

void ConversionRun::on(const ColdStartEvent& e) {
  if (e.load_s) res_.load_s = *e.load_s;
  if (e.convert_s) res_.convert_s = *e.convert_s;
  if (e.first_call_s) res_.first_call_s = *e.first_call_s;
}

void ConversionRun::on(const OutputsEvent& e) {
  output_files_ = e.files;
  out_.has_outputs = true;
}

void ConversionRun::on(const ChunkEvent& e) {
  if (!measuring_ && e.phase == "warmup") {
    on_warmup_chunk(e.latency_s);
  } else {
    on_measure_chunk(e.latency_s);
  }
}

void ConversionRun::on(const DoneEvent& e) {
  read_done_message(e.message, res_);
  finished_ = true;
}

void ConversionRun::on(const WorkerErrorEvent& e) {
  RunStatus s = RunStatus::kFailed;
  std::string reason = e.message;
  if (e.kind == "not_applicable") s = RunStatus::kNotApplicable;
  else if (e.kind == "unavailable") s = RunStatus::kUnavailable;
  else if (e.kind == "unsupported") reason = "unsupported: " + e.message;
  set(s, reason);
  if (e.traceback) res_.stderr_tail = *e.traceback;
  finished_ = true;
}

void ConversionRun::on(const TimeoutEvent& e) {
  set(RunStatus::kTimeout,
      fmt::format("no event from the worker for {:g} s in phase {} (its limit); worker killed",
                  e.limit_s, e.phase));
}

void ConversionRun::on(const InterruptedEvent& e) {
  set(RunStatus::kInterrupted,
      fmt::format("interrupted by {} in phase {}", signal_name(e.signal), phase()));
}

void ConversionRun::on_warmup_chunk(const std::vector<double>& latency_s) {
  if (!warm_start_) warm_start_ = Clock::now();
  const WarmupDecision d = reference_only_ && out_.has_outputs
                               ? WarmupDecision::kSteady
                               : warm_.add_chunk(latency_s, seconds_since(*warm_start_));
  if (d == WarmupDecision::kContinue) {
    session_->send({{"type", "continue"}, {"phase", "warmup"}});
    return;
  }
  res_.warmup_calls = warm_.calls();
  res_.warmup_chunks = warm_.chunks();
  res_.warmup_s = seconds_since(*warm_start_);
  res_.warmup_steady = d == WarmupDecision::kSteady;
  if (d == WarmupDecision::kCapped) {
    res_.warnings.push_back(fmt::format(
        "warm-up not steady after {:.1f} s: successive chunk medians still differ by more "
        "than {:g} %",
        res_.warmup_s, 100 * b_.warmup.tolerance));
  }
  if (reference_only_) {
    res_.stop_reason = "reference";
    session_->send({{"type", "stop"}});
    session_->enter_phase("done", b_.timeouts.measure_s);
    return;
  }
  measuring_ = true;
  measure_start_ = Clock::now();
  json next = {{"type", "continue"}, {"phase", "measure"}};
  if (b_.stopping.n_samples) next["n_calls"] = *b_.stopping.n_samples;
  session_->send(next);
  session_->enter_phase("measure", b_.timeouts.measure_s);
  notify("measure");
}

void ConversionRun::on_measure_chunk(const std::vector<double>& latency_s) {
  if (!measure_start_) measure_start_ = Clock::now();
  measuring_ = true;
  samples_.insert(samples_.end(), latency_s.begin(), latency_s.end());
  const double elapsed = seconds_since(*measure_start_);
  const MeasureReply reply = measure_reply(b_.stopping, samples_, elapsed);
  std::optional<double> ci;
  if (ctx_.progress && samples_.size() >= 6) ci = summarize(samples_).median_ci_rel;
  notify("measure", ci);
  if (reply.decision != StopDecision::kContinue) {
    res_.stop_reason = std::string(to_string(reply.decision));
    res_.measure_s = elapsed;
  }
  session_->send(reply.message);
}

void ConversionRun::finish(const ExitInfo& exit) {
  res_.wall_s = seconds_since(t0_);
  res_.exit = exit.describe();
  if (exit.max_rss_bytes > 0) res_.peak_rss_wait4_bytes = exit.max_rss_bytes;
  if (!set_status_ && !finished_) {
    set(RunStatus::kCrashed,
        fmt::format("the worker died in phase {}: {}{}", phase(), exit.describe(),
                    exit.exited && exit.exit_code == 0 ? " without a result" : ""));
  }
  if (!set_status_) set(RunStatus::kOk, "");
  if (!res_.ok()) {
    if (res_.stderr_tail.empty()) res_.stderr_tail = session_->stderr_tail();  // else its traceback
  } else {
    res_.stderr_tail.clear();
  }
  summarize_samples();
  read_outputs();
}

void ConversionRun::summarize_samples() {
  if (samples_.empty()) {
    if (res_.ok() && !reference_only_) {
      set_status_ = false;
      set(RunStatus::kFailed, "protocol error: the worker finished without measured samples");
    }
    return;
  }
  res_.latency = summarize(samples_);
  if (res_.measure_s == 0 && measure_start_) res_.measure_s = seconds_since(*measure_start_);
  const std::string noise = noise_level(res_.latency->iqr_over_median);
  if (!noise.empty()) {
    res_.warnings.push_back(fmt::format("{}: IQR/median = {:.2f}", noise, res_.latency->iqr_over_median));
  }
  if (res_.stop_reason == "max_time") {
    if (res_.latency->median_ci_rel) {
      res_.warnings.push_back(fmt::format(
          "stopped at --max-time: the median's CI is ±{:.1f} %, above the ±{:.1f} % target",
          100 * *res_.latency->median_ci_rel, 100 * b_.stopping.target_rel_ci));
    } else {
      res_.warnings.push_back(fmt::format(
          "stopped at --max-time after {} calls: a 95 % CI of the median needs at least 6",
          res_.latency->count));
    }
  }
  if (b_.settings.keep_samples) res_.samples_s = samples_;
}

void ConversionRun::read_outputs() {
  if (!out_.has_outputs || !res_.ok()) return;
  auto outputs = read_worker_outputs(out_dir_, output_files_);
  if (outputs.ok()) {
    out_.outputs = std::move(*outputs);
  } else {
    out_.outputs_error = outputs.error().message();
  }
}

// ---- run_bench -----------------------------------------------------------------------------

json run_header(const ResolvedBench& b, const ProbeOutcome& probe) {
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
  return header;
}

struct Planned {
  const ConversionInfo* c;
  Availability avail;
  bool reference_only;
};

// The conversions in run order: the reference first (moved to the front, or added as a
// reference-only run) when some available conversion needs it.
std::vector<Planned> plan_runs(const ResolvedBench& b, const ProbeOutcome& probe,
                               const ConversionInfo* ref) {
  auto avail = [&](const ConversionInfo& c) {
    return probe.probe ? availability(c, b.model.kind, b.device, *probe.probe) : unavailable(probe.error);
  };
  std::vector<Planned> plan;
  bool need_reference = false;
  bool reference_requested = false;
  for (const ConversionInfo* c : b.conversions) {
    Availability a = avail(*c);
    if (a.available() && !c->test_only) need_reference = true;
    if (c == ref) reference_requested = true;
    plan.push_back({c, a, false});
  }
  if (ref != nullptr && need_reference) {
    if (reference_requested) {
      std::stable_partition(plan.begin(), plan.end(), [&](const Planned& p) { return p.c == ref; });
    } else {
      plan.insert(plan.begin(), {ref, avail(*ref), true});
    }
  }
  return plan;
}

// One planned conversion: not run (interrupted before, unavailable) or run in its worker.
RunOutcome run_planned(RunContext& ctx, const Planned& p, bool interrupted) {
  const ResolvedBench& b = ctx.bench;
  const Device device = p.c->device_for(b.device);
  RunOutcome o;
  ConversionResult& res = o.result;
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
    o = ConversionRun(ctx, *p.c, device, p.reference_only, out_dir).run();
    if (b.from_tier && (res.status == RunStatus::kUnavailable || res.status == RunStatus::kNotApplicable)) {
      res.counts_for_exit = false;
    }
    std::error_code ec;
    if (!b.settings.keep_outputs) fs::remove_all(out_dir, ec);
  }
  res.device = std::string(to_string(device));
  res.precision = p.c->precision;
  res.family = p.c->family;
  res.batch = b.settings.batch;
  res.reference_only = p.reference_only;
  return o;
}

// The reference's outputs, or why there are none, as the run goes.
struct ReferenceState {
  const ConversionInfo* ref = nullptr;
  std::string name;
  std::optional<std::vector<NpyArray>> outputs;
  std::string no_reference_why = "no reference run";
};

void check_output(const ConversionInfo& c, const RunOutcome& o, ReferenceState& r,
                  ConversionResult& res) {
  if (&c == r.ref) {
    if (res.ok() && o.has_outputs && o.outputs_error.empty()) {
      r.outputs = o.outputs;
      res.output_check_status = "reference";
    } else {
      r.no_reference_why = fmt::format("the reference {} is {}{}", r.name, to_string(res.status),
                                       res.ok() ? (o.outputs_error.empty() ? ": it reported no outputs"
                                                                           : ": " + o.outputs_error)
                                                : "");
      if (res.ok()) res.output_check_status = "not_checked";
      res.output_check_note = r.no_reference_why;
    }
    return;
  }
  if (!res.ok()) return;
  if (!o.has_outputs) {
    res.output_check_note = "the worker reported no outputs";
    if (!c.test_only) res.warnings.push_back("output not checked: the worker reported no outputs");
  } else if (!o.outputs_error.empty()) {
    res.status = RunStatus::kFailed;
    res.reason = "outputs unreadable: " + o.outputs_error;
  } else if (!r.outputs) {
    res.output_check_note = r.no_reference_why;
    if (!c.test_only) res.warnings.push_back("output not checked: " + r.no_reference_why);
  } else {
    OutputComparison cmp = compare_outputs(o.outputs, *r.outputs, tolerance_for(c.precision));
    res.output_check_status = cmp.passed ? "passed" : "failed";
    if (!cmp.passed) {
      res.status = RunStatus::kFailed;
      res.reason = cmp.reason;
      res.phase = "output_check";
    }
    res.output_check = std::move(cmp);
  }
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
  report.header = run_header(b, probe);
  jsonl.append(report.header);

  // The reference: EAGER for torch sources, ONNX_CPU for .onnx files, fp32.
  ReferenceState reference;
  reference.name = b.model.kind == SourceKind::kOnnx ? "ONNX_CPU" : "EAGER";
  reference.ref = ConversionRegistry::global().find(reference.name);
  const std::vector<Planned> plan = plan_runs(b, probe, reference.ref);

  RunContext ctx{b, progress, 0, plan.size()};
  bool interrupted = interrupt_signal() != 0;  // during the probe
  for (const Planned& p : plan) {
    ++ctx.index;
    RunOutcome o = run_planned(ctx, p, interrupted);
    ConversionResult& res = o.result;
    if (res.status == RunStatus::kInterrupted) interrupted = true;
    check_output(*p.c, o, reference, res);
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
