#include "graphs/calibrate/membench.h"

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cmath>
#include <memory>
#include <new>
#include <thread>

#include "graphs/bench/statistics.h"

namespace graphs {

namespace {

using Clock = std::chrono::steady_clock;

constexpr double kMinWorkingSetBytes = 4096;

// Arrays of one thread, 64-byte aligned, first touched by that thread (NUMA-local pages).
struct ThreadArrays {
  double* a = nullptr;
  double* b = nullptr;
  double* c = nullptr;
  std::size_t n = 0;
};

struct AlignedFree {
  void operator()(double* p) const { ::operator delete[](p, std::align_val_t(64)); }
};
using Buffer = std::unique_ptr<double[], AlignedFree>;

Buffer allocate(std::size_t n) {
  return Buffer(static_cast<double*>(::operator new[](n * sizeof(double), std::align_val_t(64))));
}

void run_pass(const std::string& kernel, ThreadArrays& t) {
  double* __restrict a = t.a;
  double* __restrict b = t.b;
  double* __restrict c = t.c;
  const std::size_t n = t.n;
  if (kernel == "copy") {
    for (std::size_t i = 0; i < n; ++i) c[i] = a[i];
  } else {
    const double s = 3.0;
    for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + s * c[i];
  }
}


}  // namespace

std::vector<double> log_spaced_bytes(double min_bytes, double max_bytes, int per_octave) {
  std::vector<double> out;
  if (!(min_bytes > 0) || max_bytes < min_bytes || per_octave < 1) return out;
  const double step = std::pow(2.0, 1.0 / per_octave);
  for (double b = min_bytes; b <= max_bytes * (1 + 1e-9); b *= step) out.push_back(std::round(b));
  return out;
}

Result<std::vector<BandwidthPoint>> measure_memory_bandwidth(const MemBenchOptions& o) {
  if (o.working_set_bytes.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no working sets to measure");
  }
  if (o.threads < 1) return make_error(ErrorCode::kInvalidArgument, "threads must be ≥ 1");
  if (o.repeats < 1) return make_error(ErrorCode::kInvalidArgument, "repeats must be ≥ 1");
  for (const auto& k : o.kernels) {
    if (k != "copy" && k != "triad") {
      return make_error(ErrorCode::kInvalidArgument, "unknown memory kernel '", k,
                        "'; known: copy, triad");
    }
  }
  for (double ws : o.working_set_bytes) {
    if (!(ws >= kMinWorkingSetBytes)) {
      return make_error(ErrorCode::kInvalidArgument, "working set ", ws,
                        " bytes is under the 4096-byte minimum");
    }
  }

  std::vector<BandwidthPoint> points;
  for (const auto& kernel : o.kernels) {
    const int arrays = kernel == "copy" ? 2 : 3;
    const double bytes_per_element = kernel == "copy" ? 16.0 : 24.0;
    for (double ws : o.working_set_bytes) {
      const auto n = static_cast<std::size_t>(
          std::max(1.0, std::floor(ws / (arrays * sizeof(double) * o.threads))));
      std::vector<ThreadArrays> per_thread(static_cast<std::size_t>(o.threads));
      std::vector<Buffer> buffers;
      try {
        for (auto& t : per_thread) {
          buffers.push_back(allocate(n));
          t.a = buffers.back().get();
          buffers.push_back(allocate(n));
          t.b = buffers.back().get();
          buffers.push_back(allocate(n));
          t.c = buffers.back().get();
          t.n = n;
        }
      } catch (const std::bad_alloc&) {
        return make_error(ErrorCode::kRuntimeError, "cannot allocate ",
                          3.0 * n * sizeof(double) * o.threads, " bytes for the ", kernel,
                          " working set");
      }

      // Threads run `passes` passes between two barrier phases; the main thread times them.
      long long passes = 1;
      bool stop = false;
      std::barrier sync(o.threads + 1);
      std::vector<std::thread> workers;
      for (int i = 0; i < o.threads; ++i) {
        workers.emplace_back([&, i] {
          auto& t = per_thread[static_cast<std::size_t>(i)];
          for (std::size_t k = 0; k < t.n; ++k) {  // first touch; defined contents
            t.a[k] = 1.0;
            t.b[k] = 2.0;
            t.c[k] = 0.5;
          }
          while (true) {
            sync.arrive_and_wait();  // start
            if (stop) break;
            for (long long p = 0; p < passes; ++p) run_pass(kernel, t);
            sync.arrive_and_wait();  // end
          }
        });
      }
      auto timed = [&](long long count) {
        passes = count;
        const auto t0 = Clock::now();
        sync.arrive_and_wait();
        sync.arrive_and_wait();
        return std::chrono::duration<double>(Clock::now() - t0).count();
      };
      timed(1);  // warm: brings the working set into the cache level it fits
      // Grow the pass count until one repeat lasts min_time_s.
      long long count = 1;
      double t = timed(count);
      while (t < o.min_time_s && count < (1LL << 40)) {
        const double scale = t > 0 ? std::min(16.0, 1.2 * o.min_time_s / t) : 16.0;
        count = std::max(count + 1, static_cast<long long>(std::ceil(count * scale)));
        t = timed(count);
      }
      std::vector<double> rates;
      for (int r = 0; r < o.repeats; ++r) {
        const double s = timed(count);
        rates.push_back(bytes_per_element * static_cast<double>(n) * o.threads *
                        static_cast<double>(count) / s);
      }
      stop = true;
      sync.arrive_and_wait();
      for (auto& w : workers) w.join();

      BandwidthPoint p;
      p.kernel = kernel;
      p.working_set_bytes = static_cast<double>(arrays * n * sizeof(double) * o.threads);
      p.threads = o.threads;
      p.best_bytes_per_s = *std::max_element(rates.begin(), rates.end());
      p.median_bytes_per_s = bench::median_of(rates);
      p.repeats = o.repeats;
      p.passes_per_repeat = count;
      points.push_back(p);
    }
  }
  return points;
}

}  // namespace graphs
