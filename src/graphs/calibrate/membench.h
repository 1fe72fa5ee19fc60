// Memory-bandwidth microbenchmarks of this machine, STREAM style, over working sets from L1 to DRAM.
//
// Kernels and byte counts follow STREAM (J. D. McCalpin, "Memory Bandwidth and Machine Balance in
// Current High Performance Computers", IEEE TCCA Newsletter, Dec 1995; stream.c v5.10):
//   copy:  c[i] = a[i]              16 bytes per element (one 8-byte read, one 8-byte write)
//   triad: a[i] = b[i] + s × c[i]   24 bytes per element (two reads, one write)
// Write-allocate traffic is not counted (as in STREAM), so the figure is what a kernel that reads
// and writes those bytes sees. The working set is the bytes of all arrays of the kernel (copy: 2
// arrays, triad: 3), split evenly over the threads; a working set that fits a cache level is
// served from it once the first pass has brought it in.
//
// Each point is timed with std::chrono::steady_clock around whole passes of all threads (a
// std::barrier starts and ends a pass), passes repeated until min_time_s; the point's figure is the
// best of `repeats` such measurements (STREAM reports the best), the median is kept beside it.
// Thread safety: runs its own threads; not re-entrant with other timing-sensitive work.
#pragma once

#include <string>
#include <vector>

#include "graphs/common/status.h"

namespace graphs {

struct MemBenchOptions {
  std::vector<double> working_set_bytes;  // total over threads; each ≥ 4 KiB
  std::vector<std::string> kernels = {"copy", "triad"};
  int threads = 1;                        // ≥ 1
  double min_time_s = 0.02;               // per repeat
  int repeats = 5;                        // ≥ 1
};

struct BandwidthPoint {
  std::string kernel;             // "copy" | "triad"
  double working_set_bytes = 0;   // as run (rounded to whole elements per thread)
  int threads = 0;
  double best_bytes_per_s = 0;    // STREAM-counted bytes / best repeat time
  double median_bytes_per_s = 0;  // over the repeats
  int repeats = 0;
  long long passes_per_repeat = 0;
};

/// Runs every kernel at every working set. Errors (kInvalidArgument): no working sets, a working
/// set under 4 KiB, threads < 1, repeats < 1, unknown kernel name; (kRuntimeError) when the
/// arrays cannot be allocated.
Result<std::vector<BandwidthPoint>> measure_memory_bandwidth(const MemBenchOptions& options);

/// Log-spaced working sets from `min_bytes` to `max_bytes`, `per_octave` points per doubling.
std::vector<double> log_spaced_bytes(double min_bytes, double max_bytes, int per_octave);

}  // namespace graphs
