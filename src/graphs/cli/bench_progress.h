// Progress of a bench run on stderr, shared by `graphs bench` and `graphs validate`.
#pragma once

#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "graphs/bench/orchestrator.h"
#include "graphs/report/table.h"

namespace graphs::cli {

// Progress on stderr: on a terminal one line redrawn in place (and every 0.5 s while a phase
// runs, so elapsed time moves); otherwise a plain line per phase.
class BenchProgress {
  using Clock = std::chrono::steady_clock;

 public:
  explicit BenchProgress(bool enabled) : enabled_(enabled), tty_(::isatty(2) == 1) {
    if (enabled_ && tty_) ticker_ = std::thread([this] { tick(); });
  }
  ~BenchProgress() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (ticker_.joinable()) ticker_.join();
  }

  void on_event(const bench::ProgressEvent& e) {
    if (!enabled_) return;
    std::lock_guard<std::mutex> lock(mu_);
    if (e.result != nullptr) {
      const bench::ConversionResult& r = *e.result;
      std::string what = std::string(bench::to_string(r.status));
      if (r.ok() && r.latency) {
        what += fmt::format("  median {}", report::seconds(r.latency->median_s));
        if (r.latency->median_ci_rel) what += fmt::format(" ±{:.1f}%", 100 * *r.latency->median_ci_rel);
        what += fmt::format("  n={}", r.latency->count);
      } else if (!r.ok()) {
        std::string reason = r.reason;
        if (reason.size() > 120) reason = reason.substr(0, 117) + "...";
        what += ": " + reason;
      }
      clear_line();
      std::fprintf(stderr, "[%zu/%zu] %s %s\n", e.index, e.total, e.conversion.c_str(), what.c_str());
      std::fflush(stderr);
      active_ = false;
      return;
    }
    const bool new_phase = !active_ || e.phase != last_.phase || e.conversion != last_.conversion;
    last_ = e;
    active_ = true;
    since_ = Clock::now() - std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(e.elapsed_s));
    if (tty_) {
      draw();
    } else if (new_phase) {
      std::fprintf(stderr, "[%zu/%zu] %s %s (%.1f s)\n", e.index, e.total, e.conversion.c_str(),
                   e.phase.c_str(), e.elapsed_s);
      std::fflush(stderr);
    }
  }

 private:
  void clear_line() {
    if (tty_) std::fprintf(stderr, "\r\033[K");
  }
  void draw() {
    const double elapsed = std::chrono::duration<double>(Clock::now() - since_).count();
    std::string extra;
    if (last_.phase == "measure" && last_.samples > 0) {
      extra = fmt::format("  n={}", last_.samples);
      if (last_.median_ci_rel) extra += fmt::format("  CI ±{:.1f}%", 100 * *last_.median_ci_rel);
    }
    clear_line();
    std::fprintf(stderr, "[%zu/%zu] %s  %s  %.1f s%s", last_.index, last_.total,
                 last_.conversion.c_str(), last_.phase.c_str(), elapsed, extra.c_str());
    std::fflush(stderr);
  }
  void tick() {
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(500));
      if (!stop_ && active_) draw();
    }
    if (active_) {
      clear_line();
      std::fflush(stderr);
    }
  }

  bool enabled_, tty_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::thread ticker_;
  bool stop_ = false;
  bool active_ = false;
  bench::ProgressEvent last_;
  Clock::time_point since_;
};

}  // namespace graphs::cli
