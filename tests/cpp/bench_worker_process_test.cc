// Worker process control with /bin/sh stand-ins: lines in and out, a stderr flood drained while
// stdout is read, timeouts, exit statuses, signals and an unrunnable program.
#include <gtest/gtest.h>

#include "graphs/bench/worker_process.h"

namespace graphs::bench {
namespace {

using std::chrono::seconds;

Result<WorkerProcess> sh(const std::string& script) {
  return WorkerProcess::spawn({"/bin/sh", "-c", script}, {{"GRAPHS_TEST_VALUE", "42"}});
}

TEST(BenchWorkerProcessTest, EchoesLinesAndSeesExtraEnvironment) {
  auto w = sh("echo \"v=$GRAPHS_TEST_VALUE\"; read line; echo \"got $line\"");
  ASSERT_TRUE(w.ok()) << w.error().message();
  std::string line;
  ASSERT_EQ(w->read_line(line, Clock::now() + seconds(60)), WorkerProcess::ReadStatus::kLine);
  EXPECT_EQ(line, "v=42");
  ASSERT_TRUE(w->write_line("hello").ok());
  ASSERT_EQ(w->read_line(line, Clock::now() + seconds(60)), WorkerProcess::ReadStatus::kLine);
  EXPECT_EQ(line, "got hello");
  EXPECT_EQ(w->read_line(line, Clock::now() + seconds(60)), WorkerProcess::ReadStatus::kEof);
  const ExitInfo e = w->wait(Clock::now() + seconds(60));
  EXPECT_TRUE(e.exited);
  EXPECT_EQ(e.exit_code, 0);
}

TEST(BenchWorkerProcessTest, StderrFloodIsDrainedAndItsTailKept) {
  // 1 MB on stderr before the stdout line: without draining, the worker would block forever.
  auto w = sh("head -c 1000000 /dev/zero | tr '\\0' 'x' >&2; echo END >&2; echo done");
  ASSERT_TRUE(w.ok());
  std::string line;
  ASSERT_EQ(w->read_line(line, Clock::now() + seconds(120)), WorkerProcess::ReadStatus::kLine);
  EXPECT_EQ(line, "done");
  w->wait(Clock::now() + seconds(60));
  const std::string tail = w->stderr_tail();
  EXPECT_LE(tail.size(), 4096u);
  EXPECT_NE(tail.find("END"), std::string::npos);
}

TEST(BenchWorkerProcessTest, SilentWorkerTimesOutAndIsKilledWithItsGroup) {
  auto w = sh("sleep 1000 & sleep 1000");
  ASSERT_TRUE(w.ok());
  std::string line;
  EXPECT_EQ(w->read_line(line, Clock::now() + std::chrono::milliseconds(200)),
            WorkerProcess::ReadStatus::kTimeout);
  w->kill_group();
  const ExitInfo e = w->wait(Clock::now() + seconds(60));
  EXPECT_FALSE(e.exited);
  EXPECT_EQ(e.signal, SIGKILL);
  EXPECT_EQ(e.describe(), "killed by SIGKILL (signal 9)");
}

TEST(BenchWorkerProcessTest, ExitStatusAndSignalsAreDescribed) {
  auto w = sh("exit 7");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->wait(Clock::now() + seconds(60)).describe(), "exit status 7");
  auto s = sh("kill -SEGV $$");
  ASSERT_TRUE(s.ok());
  const ExitInfo e = s->wait(Clock::now() + seconds(60));
  EXPECT_EQ(e.signal, SIGSEGV);
  EXPECT_NE(e.describe().find("SIGSEGV"), std::string::npos);
}

TEST(BenchWorkerProcessTest, UnrunnableProgramIsNotFound) {
  auto w = WorkerProcess::spawn({"/nonexistent/graphs-worker"}, {});
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(w.error().message().find("/nonexistent/graphs-worker"), std::string::npos);
}

TEST(BenchWorkerProcessTest, WritingToAGoneWorkerIsAnError) {
  ::signal(SIGPIPE, SIG_IGN);
  auto w = sh("exit 0");
  ASSERT_TRUE(w.ok());
  w->wait(Clock::now() + seconds(60));
  Status st = ok_status();
  for (int i = 0; i < 100 && st.ok(); ++i) st = w->write_line(std::string(4096, 'x'));
  EXPECT_FALSE(st.ok());
}

}  // namespace
}  // namespace graphs::bench
