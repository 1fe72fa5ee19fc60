// The worker session's pure parts: the reply to a measured chunk (the stopping rule), and the
// decoding of protocol lines into typed events, with the reasons the orchestrator records for
// malformed ones. Two small sessions drive /bin/sh as a worker: the run request follows hello,
// and a silent worker is a timeout at its phase limit (no timed assertion: only the event).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graphs/bench/worker_session.h"

namespace graphs::bench {
namespace {

using nlohmann::json;

std::vector<double> spread(std::size_t n, double median, double rel) {
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i) {
    v.push_back(median * (1 + rel * (static_cast<double>(i % 11) - 5) / 5));
  }
  return v;
}

StoppingRule rule() {
  StoppingRule r;
  r.min_time_s = 1.0;
  r.max_time_s = 10.0;
  r.min_samples = 10;
  r.target_rel_ci = 0.02;
  return r;
}

const json kContinueMeasure = {{"type", "continue"}, {"phase", "measure"}};
const json kStop = {{"type", "stop"}};

TEST(WorkerSessionTest, StopsWhenTheCiTargetIsReached) {
  const auto tight = spread(200, 1e-3, 0.001);
  const MeasureReply r = measure_reply(rule(), tight, 1.5);
  EXPECT_EQ(r.decision, StopDecision::kConverged);
  EXPECT_EQ(r.message, kStop);
  const MeasureReply early = measure_reply(rule(), tight, 0.5);  // below min_time_s
  EXPECT_EQ(early.decision, StopDecision::kContinue);
  EXPECT_EQ(early.message, kContinueMeasure);
}

TEST(WorkerSessionTest, NeverStopsBeforeTheMinimumSamples) {
  const std::vector<double> identical(9, 1e-3);  // a CI of zero width, but 9 < min_samples
  EXPECT_EQ(measure_reply(rule(), identical, 5.0).decision, StopDecision::kContinue);
  const std::vector<double> ten(10, 1e-3);
  EXPECT_EQ(measure_reply(rule(), ten, 5.0).decision, StopDecision::kConverged);
}

TEST(WorkerSessionTest, FixedCountAsksForTheRemainingCallsAndStopsAtIt) {
  StoppingRule r = rule();
  r.n_samples = 50;
  const MeasureReply part = measure_reply(r, spread(30, 1e-3, 0.5), 100.0);  // past max_time_s
  EXPECT_EQ(part.decision, StopDecision::kContinue);
  json expected = kContinueMeasure;
  expected["n_calls"] = 20;
  EXPECT_EQ(part.message, expected);
  const MeasureReply full = measure_reply(r, spread(50, 1e-3, 0.5), 0.0);
  EXPECT_EQ(full.decision, StopDecision::kFixedCount);
  EXPECT_EQ(full.message, kStop);
  EXPECT_EQ(to_string(full.decision), "n_samples");
}

TEST(WorkerSessionTest, StopsAtTheTimeBudget) {
  const auto wide = spread(40, 1e-3, 0.5);
  EXPECT_EQ(measure_reply(rule(), wide, 9.9).decision, StopDecision::kContinue);
  const MeasureReply r = measure_reply(rule(), wide, 10.0);
  EXPECT_EQ(r.decision, StopDecision::kMaxTime);
  EXPECT_EQ(r.message, kStop);
  EXPECT_EQ(to_string(r.decision), "max_time");
}

// ---- decoding ----

std::string reason_of(const WorkerEvent& e) {
  const auto* p = std::get_if<ProtocolErrorEvent>(&e);
  return p ? p->reason : "(not a protocol error)";
}

TEST(WorkerSessionTest, GoodLinesBecomeTheirEvents) {
  EXPECT_TRUE(std::holds_alternative<HelloEvent>(
      decode_worker_line(R"({"type": "hello", "protocol": 1, "pid": 7})", {})));

  const WorkerEvent phase = decode_worker_line(R"({"type": "phase", "phase": "convert"})", {});
  ASSERT_TRUE(std::holds_alternative<PhaseEvent>(phase)) << reason_of(phase);
  EXPECT_EQ(std::get<PhaseEvent>(phase).phase, "convert");

  const WorkerEvent cold = decode_worker_line(R"({"type": "cold_start", "load_s": 1.5, "first_call_s": 0})", {});
  ASSERT_TRUE(std::holds_alternative<ColdStartEvent>(cold)) << reason_of(cold);
  EXPECT_EQ(std::get<ColdStartEvent>(cold).load_s, 1.5);
  EXPECT_FALSE(std::get<ColdStartEvent>(cold).convert_s);
  EXPECT_EQ(std::get<ColdStartEvent>(cold).first_call_s, 0.0);

  const WorkerEvent outputs = decode_worker_line(R"({"type": "outputs", "files": ["out_0.npy"]})", {});
  ASSERT_TRUE(std::holds_alternative<OutputsEvent>(outputs)) << reason_of(outputs);
  EXPECT_EQ(std::get<OutputsEvent>(outputs).files, std::vector<std::string>{"out_0.npy"});

  const WorkerEvent done = decode_worker_line(R"({"type": "done", "peak_rss_bytes": 1000, "threads": 2})", {});
  ASSERT_TRUE(std::holds_alternative<DoneEvent>(done)) << reason_of(done);
  EXPECT_EQ(std::get<DoneEvent>(done).message["peak_rss_bytes"], 1000);

  const WorkerEvent error = decode_worker_line(
      R"({"type": "error", "kind": "unavailable", "message": "no cuda", "phase": "load", "traceback": "T"})", {});
  ASSERT_TRUE(std::holds_alternative<WorkerErrorEvent>(error)) << reason_of(error);
  const auto& err = std::get<WorkerErrorEvent>(error);
  EXPECT_EQ(err.kind, "unavailable");
  EXPECT_EQ(err.message, "no cuda");
  EXPECT_EQ(err.phase, "load");
  EXPECT_EQ(err.traceback, "T");

  const WorkerEvent bare = decode_worker_line(R"({"type": "error", "phase": 3})", {});
  ASSERT_TRUE(std::holds_alternative<WorkerErrorEvent>(bare)) << reason_of(bare);
  EXPECT_EQ(std::get<WorkerErrorEvent>(bare).kind, "failed");
  EXPECT_EQ(std::get<WorkerErrorEvent>(bare).message, "(no message)");
  EXPECT_FALSE(std::get<WorkerErrorEvent>(bare).phase);  // not a string: ignored
}

TEST(WorkerSessionTest, ChunkPhaseFollowsWhatTheOrchestratorAsked) {
  const std::string line = R"({"type": "chunk", "latency_s": [0.001, 0.002]})";
  const WorkerEvent warm = decode_worker_line(line, {});
  ASSERT_TRUE(std::holds_alternative<ChunkEvent>(warm)) << reason_of(warm);
  EXPECT_EQ(std::get<ChunkEvent>(warm).phase, "warmup");
  EXPECT_EQ(std::get<ChunkEvent>(warm).latency_s, (std::vector<double>{0.001, 0.002}));

  const WorkerEvent measured = decode_worker_line(line, {.measuring = true});
  ASSERT_TRUE(std::holds_alternative<ChunkEvent>(measured)) << reason_of(measured);
  EXPECT_EQ(std::get<ChunkEvent>(measured).phase, "measure");

  const WorkerEvent announced = decode_worker_line(
      R"({"type": "chunk", "phase": "measure", "latency_s": [0.001]})", {.measure_announced = true});
  ASSERT_TRUE(std::holds_alternative<ChunkEvent>(announced)) << reason_of(announced);
  EXPECT_EQ(std::get<ChunkEvent>(announced).phase, "measure");
}

TEST(WorkerSessionTest, ChunksOfTheWrongPhaseAreProtocolErrors) {
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type":"chunk","phase":"warmup","latency_s":[0.001]})",
                                         {.measuring = true})),
            R"(protocol error: bad 'chunk' message (a warm-up chunk after measuring began): )"
            R"({"latency_s":[0.001],"phase":"warmup","type":"chunk"})");
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type":"chunk","phase":"measure","latency_s":[0.001]})", {})),
            R"(protocol error: bad 'chunk' message (a measure chunk before the warm-up ended): )"
            R"({"latency_s":[0.001],"phase":"measure","type":"chunk"})");
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type":"chunk","phase":"cooldown","latency_s":[]})", {})),
            R"(protocol error: bad 'chunk' message (chunk phase 'cooldown' is neither warmup nor )"
            R"(measure): {"latency_s":[],"phase":"cooldown","type":"chunk"})");
}

TEST(WorkerSessionTest, NegativeTimesAndCountsAreProtocolErrors) {
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type":"chunk","latency_s":[0.001,-0.001]})", {})),
            R"(protocol error: bad 'chunk' message (chunk latency -0.001000 is not a time): )"
            R"({"latency_s":[0.001,-0.001],"type":"chunk"})");
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type":"cold_start","load_s":1,"convert_s":-2})", {})),
            R"(protocol error: bad 'cold_start' message (cold_start.convert_s is not a time: -2): )"
            R"({"convert_s":-2,"load_s":1,"type":"cold_start"})");
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type":"done","peak_rss_bytes":-5})", {})),
            R"(protocol error: bad 'done' message (done.peak_rss_bytes = -5 is not a count in )"
            R"([0, 1125899906842624]): {"peak_rss_bytes":-5,"type":"done"})");
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type":"done","threads":-1})", {})),
            R"(protocol error: bad 'done' message (done.threads = -1 is not a count in [0, 65536]): )"
            R"({"threads":-1,"type":"done"})");
}

TEST(WorkerSessionTest, MalformedLinesAreProtocolErrors) {
  EXPECT_EQ(reason_of(decode_worker_line("Loading weights...", {})),
            "protocol error: the worker wrote a line that is not a protocol message: 'Loading weights...'");
  EXPECT_EQ(reason_of(decode_worker_line(R"(["type", "hello"])", {})),
            R"(protocol error: the worker wrote a line that is not a protocol message: '["type", "hello"]')");
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type": 1})", {})),
            R"(protocol error: the worker wrote a line that is not a protocol message: '{"type": 1}')");
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type": "bogus"})", {})),
            "protocol error: unknown message type 'bogus'");
  const std::string missing = reason_of(decode_worker_line(R"({"type": "phase"})", {}));
  EXPECT_EQ(missing.rfind("protocol error: bad 'phase' message (", 0), 0u) << missing;
  EXPECT_NE(missing.find(R"(): {"type":"phase"})"), std::string::npos) << missing;
  const std::string mistyped = reason_of(decode_worker_line(R"({"type": "outputs", "files": [1]})", {}));
  EXPECT_EQ(mistyped.rfind("protocol error: bad 'outputs' message (", 0), 0u) << mistyped;
}

TEST(WorkerSessionTest, DeepLinesAreRefusedBeforeParsing) {
  auto nested = [](int depth) {
    return R"({"type": "bogus", "x": )" + std::string(depth - 1, '[') + std::string(depth - 1, ']') + "}";
  };
  EXPECT_EQ(reason_of(decode_worker_line(nested(64), {})), "protocol error: unknown message type 'bogus'");
  EXPECT_EQ(reason_of(decode_worker_line(nested(65), {})),
            "protocol error: the worker wrote a message nested deeper than 64 levels");
  // Brackets inside strings do not count.
  EXPECT_TRUE(std::holds_alternative<PhaseEvent>(
      decode_worker_line(R"({"type": "phase", "phase": ")" + std::string(100, '[') + "\"}", {})));
}

TEST(WorkerSessionTest, OtherProtocolVersionsAreAMismatch) {
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type": "hello", "protocol": 2})", {})),
            "protocol mismatch: worker speaks 2, graphs speaks 1");
  EXPECT_EQ(reason_of(decode_worker_line(R"({"type": "hello"})", {})),
            "protocol mismatch: worker speaks ?, graphs speaks 1");
}

// ---- a session with a process ----

TEST(WorkerSessionTest, RunRequestFollowsHelloAndPhasesSetTheClock) {
  // The worker says hello, copies the request it gets to stderr, enters convert and exits.
  const std::string script =
      R"(echo '{"type": "hello", "protocol": 1}'; read line; echo "$line" >&2; )"
      R"(echo '{"type": "phase", "phase": "convert"}')";
  auto s = WorkerSession::start({"sh", "-c", script}, {}, PhaseTimeouts{},
                                json{{"type", "run"}, {"conversion", "EAGER"}});
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s->phase(), "start");
  const WorkerEvent hello = s->next({});
  EXPECT_TRUE(std::holds_alternative<HelloEvent>(hello)) << reason_of(hello);
  EXPECT_EQ(s->phase(), "load");
  const WorkerEvent phase = s->next({});
  ASSERT_TRUE(std::holds_alternative<PhaseEvent>(phase)) << reason_of(phase);
  EXPECT_EQ(s->phase(), "convert");
  EXPECT_TRUE(std::holds_alternative<ExitedEvent>(s->next({})));
  const ExitInfo exit = s->finish(30);
  EXPECT_TRUE(exit.exited);
  EXPECT_EQ(exit.exit_code, 0);
  EXPECT_NE(s->stderr_tail().find(R"({"conversion":"EAGER","type":"run"})"), std::string::npos)
      << s->stderr_tail();
}

TEST(WorkerSessionTest, SilentWorkerTimesOutAndIsKilled) {
  PhaseTimeouts t;
  t.start_s = 0.2;
  auto s = WorkerSession::start({"sh", "-c", "sleep 60"}, {}, t, json::object());
  ASSERT_TRUE(s.ok()) << s.error().message();
  const WorkerEvent e = s->next({});
  ASSERT_TRUE(std::holds_alternative<TimeoutEvent>(e));
  EXPECT_EQ(std::get<TimeoutEvent>(e).limit_s, 0.2);
  EXPECT_EQ(std::get<TimeoutEvent>(e).phase, "start");
  const ExitInfo exit = s->finish(5);
  EXPECT_EQ(exit.signal, 9) << exit.describe();  // SIGKILL to the group
}

TEST(WorkerSessionTest, MissingProgramIsAStartError) {
  auto s = WorkerSession::start({"/nonexistent/graphs-worker"}, {}, PhaseTimeouts{}, json::object());
  EXPECT_FALSE(s.ok());
}

}  // namespace
}  // namespace graphs::bench
