#include "graphs/bench/worker_session.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "graphs/bench/results.h"

namespace graphs::bench {

using nlohmann::json;

namespace {

Clock::time_point after(double s) {
  return Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

std::string clip(const std::string& s, std::size_t n = 200) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

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

// The worker's output files: see read_worker_outputs.
constexpr uintmax_t kMaxOutputBytes = uintmax_t{4} << 30;

Result<NpyArray> read_worker_output(const std::filesystem::path& dir, const std::string& name) {
  const std::filesystem::path rel(name);
  if (name.empty() || rel.is_absolute() ||
      std::any_of(rel.begin(), rel.end(), [](const std::filesystem::path& part) { return part == ".."; })) {
    return make_error(ErrorCode::kRuntimeError, "output '", name,
                      "' is not a file name inside the run's folder");
  }
  const std::filesystem::path p = dir / rel;
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

// The decoders below throw std::exception for a field of the wrong type or value;
// decode_worker_message turns that into the "bad '<type>' message" protocol error.

WorkerEvent decode_hello(const json& m) {
  if (m.value("protocol", -1) != kWorkerProtocolVersion) {
    return ProtocolErrorEvent{fmt::format("protocol mismatch: worker speaks {}, graphs speaks {}",
                                          m.contains("protocol") ? m.at("protocol").dump() : "?",
                                          kWorkerProtocolVersion)};
  }
  return HelloEvent{};
}

ColdStartEvent decode_cold_start(const json& m) {
  ColdStartEvent e;
  for (auto [key, field] : {std::pair{"load_s", &e.load_s}, std::pair{"convert_s", &e.convert_s},
                            std::pair{"first_call_s", &e.first_call_s}}) {
    if (!m.contains(key)) continue;
    const json& v = m.at(key);
    if (!(v.is_number() && v.get<double>() >= 0 && std::isfinite(v.get<double>()))) {
      throw std::runtime_error(std::string("cold_start.") + key + " is not a time: " + clip(v.dump()));
    }
    *field = v.get<double>();
  }
  return e;
}

ChunkEvent decode_chunk(const json& m, const ChunkExpectation& expect) {
  ChunkEvent e;
  e.latency_s = m.at("latency_s").get<std::vector<double>>();
  for (double x : e.latency_s) {
    if (!(x >= 0) || !std::isfinite(x)) {
      throw std::runtime_error("chunk latency " + std::to_string(x) + " is not a time");
    }
  }
  e.phase = m.value("phase", expect.measuring ? "measure" : "warmup");
  if (e.phase != "warmup" && e.phase != "measure") {
    throw std::runtime_error("chunk phase '" + clip(e.phase) + "' is neither warmup nor measure");
  }
  if (expect.measuring && e.phase == "warmup") {
    throw std::runtime_error("a warm-up chunk after measuring began");
  }
  if (!expect.measuring && e.phase == "measure" && !expect.measure_announced) {
    throw std::runtime_error("a measure chunk before the warm-up ended");
  }
  return e;
}

DoneEvent decode_done(const json& m) {
  ConversionResult scratch;
  read_done_message(m, scratch);  // throws for an out-of-range count
  return DoneEvent{m};
}

WorkerErrorEvent decode_error(const json& m) {
  WorkerErrorEvent e;
  e.kind = m.value("kind", "failed");
  e.message = m.value("message", "(no message)");
  if (m.contains("phase") && m.at("phase").is_string()) e.phase = m.at("phase").get<std::string>();
  if (m.contains("traceback") && m.at("traceback").is_string()) {
    e.traceback = m.at("traceback").get<std::string>();
  }
  return e;
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

WorkerLine read_worker_line(WorkerProcess& w, Clock::time_point deadline) {
  WorkerLine r;
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

Result<std::vector<NpyArray>> read_worker_outputs(const std::filesystem::path& dir,
                                                  const std::vector<std::string>& files) {
  std::vector<NpyArray> outputs;
  for (const std::string& f : files) {
    GRAPHS_ASSIGN_OR_RETURN(NpyArray a, read_worker_output(dir, f));
    outputs.push_back(std::move(a));
  }
  return outputs;
}

WorkerEvent decode_worker_message(const json& m, const ChunkExpectation& expect) {
  if (!m.is_object() || !m.contains("type") || !m.at("type").is_string()) {
    return ProtocolErrorEvent{"protocol error: the worker wrote a line that is not a protocol message: '" +
                              clip(m.dump()) + "'"};
  }
  const std::string type = m.at("type").get<std::string>();
  try {
    if (type == "hello") return decode_hello(m);
    if (type == "phase") return PhaseEvent{m.at("phase").get<std::string>()};
    if (type == "cold_start") return decode_cold_start(m);
    if (type == "outputs") return OutputsEvent{m.at("files").get<std::vector<std::string>>()};
    if (type == "chunk") return decode_chunk(m, expect);
    if (type == "done") return decode_done(m);
    if (type == "error") return decode_error(m);
    return ProtocolErrorEvent{"protocol error: unknown message type '" + clip(type) + "'"};
  } catch (const std::exception& e) {
    return ProtocolErrorEvent{std::string("protocol error: bad '") + type + "' message (" +
                              e.what() + "): " + clip(m.dump())};
  }
}

WorkerEvent decode_worker_line(const std::string& line, const ChunkExpectation& expect) {
  auto m = parse_worker_line(line);
  if (!m.ok()) return ProtocolErrorEvent{"protocol error: " + m.error().message()};
  return decode_worker_message(*m, expect);
}

MeasureReply measure_reply(const StoppingRule& rule, const std::vector<double>& samples,
                           double elapsed_s) {
  MeasureReply r;
  r.decision = should_stop(rule, samples, elapsed_s);
  if (r.decision != StopDecision::kContinue) {
    r.message = {{"type", "stop"}};
    return r;
  }
  r.message = {{"type", "continue"}, {"phase", "measure"}};
  if (rule.n_samples) r.message["n_calls"] = *rule.n_samples - samples.size();
  return r;
}

Result<WorkerSession> WorkerSession::start(const std::vector<std::string>& argv,
                                           const std::vector<std::pair<std::string, std::string>>& env,
                                           const PhaseTimeouts& timeouts, json run_request) {
  GRAPHS_ASSIGN_OR_RETURN(WorkerProcess process, WorkerProcess::spawn(argv, env));
  return WorkerSession(std::move(process), timeouts, std::move(run_request));
}

WorkerSession::WorkerSession(WorkerProcess process, const PhaseTimeouts& timeouts, json run_request)
    : process_(std::move(process)), timeouts_(timeouts), run_request_(std::move(run_request)) {
  enter_phase("start", timeouts_.start_s);
}

WorkerEvent WorkerSession::next(const ChunkExpectation& expect) {
  WorkerLine r = read_worker_line(process_, deadline_);
  WorkerEvent e;
  if (!r.protocol_error.empty()) {
    e = ProtocolErrorEvent{"protocol error: " + r.protocol_error};
  } else if (r.status == WorkerProcess::ReadStatus::kTimeout) {
    e = TimeoutEvent{limit_s_, phase_};
  } else if (r.status == WorkerProcess::ReadStatus::kInterrupted) {
    e = InterruptedEvent{interrupt_signal()};
  } else if (r.status != WorkerProcess::ReadStatus::kLine) {
    e = ExitedEvent{};
  } else {
    deadline_ = after(limit_s_);  // every event restarts the phase clock
    e = decode_worker_message(*r.message, expect);
  }
  apply(e);
  return e;
}

void WorkerSession::apply(const WorkerEvent& e) {
  if (std::holds_alternative<ProtocolErrorEvent>(e) || std::holds_alternative<TimeoutEvent>(e) ||
      std::holds_alternative<InterruptedEvent>(e)) {
    process_.kill_group();
  } else if (std::holds_alternative<HelloEvent>(e)) {
    enter_phase("load", timeouts_.load_s);
    send(run_request_);  // a worker gone by now is seen at the next read
  } else if (const auto* p = std::get_if<PhaseEvent>(&e)) {
    enter_phase(p->phase, timeouts_.for_phase(p->phase));
  } else if (const auto* err = std::get_if<WorkerErrorEvent>(&e); err && err->phase) {
    phase_ = *err->phase;
  }
}

bool WorkerSession::send(const json& message) {
  return process_.write_line(message.dump()).ok();
}

void WorkerSession::enter_phase(std::string phase, double limit_s) {
  phase_ = std::move(phase);
  limit_s_ = limit_s;
  deadline_ = after(limit_s_);
}

ExitInfo WorkerSession::finish(double wait_s) {
  process_.close_stdin();
  return process_.wait(after(wait_s));
}

}  // namespace graphs::bench
