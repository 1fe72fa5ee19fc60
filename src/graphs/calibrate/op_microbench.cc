#include "graphs/calibrate/op_microbench.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "graphs/backends/backend_family.h"
#include "graphs/bench/worker_process.h"
#include "graphs/estimate/kernel_work.h"

namespace graphs {
namespace {

using nlohmann::json;
constexpr double kF32 = 4;  // bytes per fp32 element

}  // namespace

MicroCase matmul_case(int64_t m, int64_t k, int64_t n) {
  MicroCase c;
  c.id = fmt::format("matmul/{}x{}x{}", m, k, n);
  c.request = {{"id", c.id}, {"op", "matmul"}, {"m", m}, {"k", k}, {"n", n}};
  c.op_class = "matmul";
  c.flops = 2.0 * m * k * n;
  c.bytes = kF32 * (double(m) * k + double(k) * n + double(m) * n);
  return c;
}

MicroCase conv2d_case(int64_t n, int64_t c, int64_t hw, int64_t k, int64_t r, int64_t stride,
                      int64_t pad, int64_t groups) {
  MicroCase mc;
  mc.id = fmt::format("conv2d/{}x{}x{}x{}-k{}-r{}-s{}-g{}", n, c, hw, hw, k, r, stride, groups);
  mc.request = {{"id", mc.id}, {"op", "conv2d"}, {"n", n},         {"c", c},
                {"h", hw},     {"w", hw},        {"k", k},         {"r", r},
                {"s", r},      {"stride", stride}, {"pad", pad},   {"groups", groups}};
  mc.op_class = groups == 1                   ? (r == 1 ? "pointwise_conv" : "conv")
                : double(k) / groups >= kMinGemmN ? "grouped_conv"
                                                  : "depthwise_conv";
  const double o = double((hw + 2 * pad - r) / stride + 1);
  const double cg = double(c) / double(groups);
  mc.flops = 2.0 * n * k * o * o * cg * r * r;
  mc.bytes = kF32 * (double(n) * c * hw * hw + k * cg * r * r + k + double(n) * k * o * o);
  return mc;
}

MicroCase add_case(int64_t numel) {
  MicroCase c;
  c.id = fmt::format("add/{}", numel);
  c.request = {{"id", c.id}, {"op", "add"}, {"numel", numel}};
  c.op_class = "elementwise";
  c.flops = double(numel);
  c.bytes = 3 * kF32 * double(numel);
  return c;
}

MicroCase softmax_case(int64_t rows, int64_t cols) {
  MicroCase c;
  c.id = fmt::format("softmax/{}x{}", rows, cols);
  c.request = {{"id", c.id}, {"op", "softmax"}, {"rows", rows}, {"cols", cols}};
  c.op_class = "reduction";
  c.flops = 5.0 * rows * cols;
  c.bytes = 2 * kF32 * double(rows) * cols;
  return c;
}

MicroCase transpose_case(int64_t a, int64_t b, int64_t c) {
  MicroCase mc;
  mc.id = fmt::format("transpose/{}x{}x{}", a, b, c);
  mc.request = {{"id", mc.id}, {"op", "transpose"}, {"a", a}, {"b", b}, {"c", c}};
  mc.op_class = "data_movement";
  mc.bytes = 2 * kF32 * double(a) * b * c;
  return mc;
}

MicroCase maxpool2d_case(int64_t n, int64_t c, int64_t hw, int64_t r, int64_t stride, int64_t pad) {
  MicroCase mc;
  mc.id = fmt::format("maxpool2d/{}x{}x{}x{}-r{}-s{}", n, c, hw, hw, r, stride);
  mc.request = {{"id", mc.id}, {"op", "maxpool2d"}, {"n", n}, {"c", c}, {"h", hw},
                {"w", hw},     {"r", r},           {"stride", stride}, {"pad", pad}};
  mc.op_class = "pooling";
  const double o = double((hw + 2 * pad - r) / stride + 1);
  mc.flops = double(n) * c * o * o * r * r;
  mc.bytes = kF32 * (double(n) * c * hw * hw + double(n) * c * o * o);
  return mc;
}

MicroCase noop_case() {
  MicroCase c;
  c.id = "noop";
  c.request = {{"id", c.id}, {"op", "noop"}};
  return c;
}

MicroCase chain_case(int64_t length) {
  MicroCase c;
  c.id = fmt::format("chain/{}", length);
  c.request = {{"id", c.id}, {"op", "chain"}, {"length", length}};
  return c;
}

std::vector<MicroCase> microbench_suite(const std::string& backend, bool quick) {
  std::vector<MicroCase> s;
  s.push_back(noop_case());
  const BackendFamily* family = BackendFamilyRegistry::global().find_calibration_backend(backend);
  if (family == nullptr || family->calibration_method != DispatchCalibration::kPerOpCall) {
    // Per-kernel cost inside one call: a chain against a one-node call.
    s.push_back(chain_case(1));
    s.push_back(chain_case(33));
  }
  {
    // GEMMs of the shapes transformer and classifier layers run: token rows × hidden sizes.
    for (auto [m, k, n] : std::vector<std::array<int64_t, 3>>{
             {1, 768, 768}, {1, 768, 3072}, {8, 768, 768}, {64, 768, 768}, {128, 768, 3072},
             {128, 3072, 768}, {256, 256, 256}, {1024, 768, 768}, {1, 2048, 1000}}) {
      s.push_back(matmul_case(m, k, n));
    }
    if (!quick) {
      for (auto [m, k, n] : std::vector<std::array<int64_t, 3>>{
               {16, 768, 768}, {512, 768, 3072}, {1024, 3072, 768}, {8, 512, 1000},
               {197, 768, 2304}, {1024, 1024, 1024}, {4096, 256, 256}}) {
        s.push_back(matmul_case(m, k, n));
      }
    }
    // Convolutions (n, c, hw, k, r, stride, pad): the stem, 3×3 and 1×1 stages of CNNs.
    using Conv = std::array<int64_t, 7>;
    std::vector<Conv> convs = {{1, 3, 224, 64, 7, 2, 3},   {1, 64, 56, 64, 3, 1, 1},
                               {1, 128, 28, 128, 3, 1, 1}, {1, 256, 14, 256, 3, 1, 1},
                               {1, 512, 7, 512, 3, 1, 1},  {8, 64, 56, 64, 3, 1, 1},
                               // 1×1 (pointwise): expansions, projections, bottlenecks
                               {1, 64, 56, 256, 1, 1, 0},  {1, 256, 56, 64, 1, 1, 0},
                               {1, 32, 112, 16, 1, 1, 0},  {1, 96, 28, 32, 1, 1, 0},
                               {1, 160, 7, 960, 1, 1, 0},  {8, 128, 28, 512, 1, 1, 0}};
    if (!quick) {
      convs.insert(convs.end(), {{1, 128, 56, 128, 3, 2, 1}, {1, 1024, 14, 256, 1, 1, 0},
                                 {1, 16, 112, 96, 1, 1, 0},  {8, 256, 14, 256, 3, 1, 1},
                                 {1, 512, 28, 1024, 1, 2, 0}, {1, 3, 224, 32, 3, 2, 1},
                                 {1, 40, 28, 240, 1, 1, 0},  {1, 960, 7, 160, 1, 1, 0}});
    }
    for (const auto& v : convs) s.push_back(conv2d_case(v[0], v[1], v[2], v[3], v[4], v[5], v[6], 1));
    // Depthwise (n, c, hw, r, stride): MobileNet / EfficientNet stages.
    using Dw = std::array<int64_t, 5>;
    std::vector<Dw> dws = {{1, 32, 112, 3, 1}, {1, 144, 56, 3, 1}, {1, 192, 28, 3, 1},
                           {1, 384, 14, 3, 1}, {1, 960, 7, 3, 1},  {8, 144, 56, 3, 1},
                           {1, 672, 14, 5, 1}, {8, 32, 112, 3, 1}, {8, 384, 14, 3, 1}};
    if (!quick) dws.insert(dws.end(), {{1, 96, 112, 3, 2}, {8, 672, 14, 5, 1}, {1, 240, 28, 5, 1}});
    // Grouped (n, c, hw, groups): RegNet's group width 8–16, ResNeXt's 32 groups.
    using Grouped = std::array<int64_t, 4>;
    std::vector<Grouped> grouped = {{1, 48, 56, 6},  {1, 104, 28, 13}, {1, 208, 14, 26},
                                    {1, 440, 7, 55}, {8, 104, 28, 13}, {1, 128, 56, 32}};
    if (!quick) grouped.insert(grouped.end(), {{8, 208, 14, 26}, {1, 256, 28, 32}});
    for (const auto& v : grouped) s.push_back(conv2d_case(v[0], v[1], v[2], v[1], 3, 1, 1, v[3]));
    for (const auto& v : dws) {
      s.push_back(conv2d_case(v[0], v[1], v[2], v[1], v[3], v[4], v[3] / 2, v[1]));
    }
  }
  {
    const int64_t top = quick ? (int64_t{1} << 22) : (int64_t{1} << 24);
    for (int64_t n = 4096; n <= top; n *= quick ? 8 : 4) s.push_back(add_case(n));
    // Max pooling (n, c, hw, r, stride): CNN stems (3×3/2 after the 7×7 conv) and stage ends.
    for (auto [n, c, hw, r, st] : std::vector<std::array<int64_t, 5>>{
             {1, 64, 112, 3, 2}, {8, 64, 112, 3, 2}, {1, 192, 56, 3, 2}, {1, 96, 55, 3, 2},
             {1, 480, 28, 3, 2}, {1, 256, 14, 2, 2}}) {
      s.push_back(maxpool2d_case(n, c, hw, r, st, r == 3 ? 1 : 0));
    }
    // Copies of a transpose: channel shuffles (groups × channels/group × spatial) and head splits
    // (tokens × heads × head size).
    for (auto [a, b, c] : std::vector<std::array<int64_t, 3>>{
             {2, 58, 784}, {2, 116, 196}, {128, 12, 64}, {16, 116, 784}, {1024, 12, 64}}) {
      s.push_back(transpose_case(a, b, c));
    }
    for (auto [r, c] : std::vector<std::array<int64_t, 2>>{
             {1, 1000}, {12 * 128, 128}, {64, 4096}, {8 * 12 * 128, 128}, {1024, 1024}}) {
      s.push_back(softmax_case(r, c));
    }
  }
  return s;
}

std::string calibration_backend_key(const std::string& backend) {
  const BackendFamily* family = BackendFamilyRegistry::global().find_calibration_backend(backend);
  return family != nullptr ? family->dispatch_overhead_key : backend;
}

MicroRun run_op_microbench(const std::string& backend, const std::vector<MicroCase>& cases,
                           const MicroRunOptions& o,
                           const std::function<void(const MicroResult&)>& on_result) {
  using bench::Clock;
  using bench::WorkerProcess;
  MicroRun run;
  run.backend = backend;
  std::map<std::string, std::size_t> index;
  for (const auto& c : cases) {
    index[c.id] = run.results.size();
    run.results.push_back({c.id, {}, {}, 0, {}, "not measured: the worker ended first"});
  }
  auto spawned = WorkerProcess::spawn(o.worker_argv, o.worker_env);
  if (!spawned.ok()) {
    run.error = "the worker did not start: " + spawned.error().message();
    return run;
  }
  WorkerProcess& w = *spawned;
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout_s));
  auto fail = [&](const std::string& why) {
    w.kill_group();
    const bench::ExitInfo e = w.wait(Clock::now() + std::chrono::seconds(5));
    const std::string tail = bench::last_lines(w.stderr_tail());
    run.error = why + (e.exited || e.signal ? " (" + e.describe() + ")" : "") +
                (tail.empty() ? "" : ": " + tail);
    return run;
  };
  json req = {{"type", "microbench"},
              {"backend", backend},
              {"threads", o.threads ? json(*o.threads) : json(nullptr)},
              {"min_time_s", o.min_time_s},
              {"repeats", o.repeats},
              {"cases", json::array()}};
  for (const auto& c : cases) req["cases"].push_back(c.request);

  bool sent = false;
  std::string line;
  for (;;) {
    const auto st = w.read_line(line, deadline);
    if (st == WorkerProcess::ReadStatus::kTimeout) {
      return fail(fmt::format("the {} microbenchmarks passed their {:g} s limit", backend, o.timeout_s));
    }
    if (st == WorkerProcess::ReadStatus::kInterrupted) return fail("interrupted");
    if (st != WorkerProcess::ReadStatus::kLine) return fail("the worker ended before microbench_done");
    json m = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (m.is_discarded() || !m.is_object() || !m.contains("type")) continue;  // stray output
    const std::string type = m.value("type", "");
    if (type == "hello") {
      if (!sent) {
        if (!w.write_line(req.dump()).ok()) return fail("the worker closed its stdin");
        sent = true;
      }
    } else if (type == "micro_sample") {
      const std::string id = m.value("id", "");
      auto it = index.find(id);
      if (it == index.end()) continue;
      MicroResult& r = run.results[it->second];
      r.error.clear();
      if (m.contains("error") && m["error"].is_string()) {
        r.error = m["error"].get<std::string>();
      } else if (m.contains("median_s") && m["median_s"].is_number() && m["median_s"].get<double>() > 0) {
        r.median_s = m["median_s"].get<double>();
        if (m.contains("min_s") && m["min_s"].is_number()) r.min_s = m["min_s"].get<double>();
        r.calls = m.value("calls", 0);
        if (m.contains("kernels") && m["kernels"].is_number_integer()) r.kernels = m["kernels"].get<int>();
      } else {
        r.error = "the worker reported no positive median_s";
      }
      if (on_result) on_result(r);
    } else if (type == "microbench_done") {
      if (m.contains("versions")) run.versions = m["versions"];
      if (m.contains("threads") && m["threads"].is_number_integer()) run.threads = m["threads"].get<int>();
      w.close_stdin();
      w.wait(Clock::now() + std::chrono::seconds(10));
      return run;
    } else if (type == "error") {
      return fail(m.value("message", "(no message)"));
    }
  }
}

std::vector<OpClassCalibration> fit_op_classes(const std::string& backend_key,
                                               const std::vector<MicroCase>& cases,
                                               const std::vector<MicroResult>& results,
                                               std::vector<std::string>& notes) {
  std::vector<std::string> order;
  std::map<std::string, OpClassCalibration> by_class;
  for (std::size_t i = 0; i < cases.size() && i < results.size(); ++i) {
    const MicroCase& c = cases[i];
    const MicroResult& r = results[i];
    if (c.op_class.empty()) continue;
    if (!by_class.count(c.op_class)) {
      order.push_back(c.op_class);
      OpClassCalibration oc;
      oc.op_class = c.op_class;
      oc.backend = backend_key;
      oc.work_unit = (c.op_class == "elementwise" || c.op_class == "reduction" ||
                      c.op_class == "data_movement" || c.op_class == "pooling")
                         ? "bytes"
                         : "flops";
      by_class[c.op_class] = oc;
    }
    if (!r.median_s) {
      notes.push_back(fmt::format("{} {}: {}", backend_key, c.id, r.error));
      continue;
    }
    MicroSample s;
    s.op = c.request.value("op", "");
    s.shape = c.id.substr(c.id.find('/') + 1);
    s.flops = c.flops;
    s.bytes = c.bytes;
    s.median_s = *r.median_s;
    s.best_s = r.min_s.value_or(*r.median_s);
    s.calls = r.calls;
    by_class[c.op_class].samples.push_back(s);
  }
  std::vector<OpClassCalibration> out;
  for (const auto& name : order) {
    OpClassCalibration& oc = by_class[name];
    std::vector<WorkSample> ws;
    for (const auto& s : oc.samples) ws.push_back({oc.work_unit == "bytes" ? s.bytes : s.flops, s.best_s});
    auto fit = fit_hockney(ws);
    if (!fit.ok()) {
      notes.push_back(fmt::format("{} {}: not fitted: {}", backend_key, name, fit.error().message()));
      continue;
    }
    oc.fit = *fit;
    if (oc.work_unit == "flops") {
      std::vector<ComputeMemorySample> cms;
      for (const auto& s : oc.samples) cms.push_back({s.flops, s.bytes, s.best_s});
      if (auto cm = fit_compute_memory(cms); cm.ok()) {
        oc.compute_memory = *cm;
      } else {
        notes.push_back(fmt::format("{} {}: no compute + memory fit ({}); the Hockney fit is used",
                                    backend_key, name, cm.error().message()));
      }
    }
    out.push_back(std::move(oc));
  }
  return out;
}

void fit_overheads(const std::string& backend_key, const std::vector<MicroCase>& cases,
                   const std::vector<MicroResult>& results, std::optional<double> eager_dispatch_s,
                   std::map<std::string, double>& dispatch_overhead_s,
                   std::map<std::string, double>& call_overhead_s, std::vector<std::string>& notes) {
  auto find = [&](const std::string& id) -> const MicroResult* {
    for (std::size_t i = 0; i < cases.size() && i < results.size(); ++i) {
      if (cases[i].id == id && results[i].median_s) return &results[i];
    }
    return nullptr;
  };
  auto length_of = [&](const std::string& prefix, const MicroResult** longest) {
    int64_t best = 0;
    for (std::size_t i = 0; i < cases.size() && i < results.size(); ++i) {
      if (cases[i].id.rfind(prefix, 0) == 0 && results[i].median_s) {
        const int64_t len = cases[i].request.value("length", int64_t{0});
        if (len > best) {
          best = len;
          *longest = &results[i];
        }
      }
    }
    return best;
  };
  const MicroResult* noop = find("noop");
  const BackendFamily* family = BackendFamilyRegistry::global().find_calibrated_key(backend_key);
  const DispatchCalibration method =
      family != nullptr ? family->calibration_method : DispatchCalibration::kPerCompiledKernel;
  if (method == DispatchCalibration::kPerOpCall) {
    if (noop) {
      dispatch_overhead_s[backend_key] = *noop->median_s;
      call_overhead_s[backend_key] = 0;
    } else {
      notes.push_back(backend_key + ": no dispatch overhead (noop not measured)");
    }
    return;
  }
  if (noop) call_overhead_s[backend_key] = *noop->median_s;
  const MicroResult* one = find("chain/1");
  const MicroResult* longest = nullptr;
  const int64_t len = length_of("chain/", &longest);
  if (method == DispatchCalibration::kPerKernelInCall) {
    if (one && longest && len > 1) {
      dispatch_overhead_s[backend_key] =
          std::max(0.0, (*longest->median_s - *one->median_s) / double(len - 1));
    } else {
      notes.push_back(backend_key + ": per-kernel overhead not measured (chain cases missing)");
    }
    return;
  }
  // A compiler (Inductor): per generated kernel when the chain compiled to more kernels than the
  // noop.
  if (noop && longest && noop->kernels && longest->kernels && *longest->kernels > *noop->kernels) {
    dispatch_overhead_s[backend_key] = std::max(
        0.0, (*longest->median_s - *noop->median_s) / double(*longest->kernels - *noop->kernels));
  } else if (eager_dispatch_s) {
    dispatch_overhead_s[backend_key] = *eager_dispatch_s;
    notes.push_back(backend_key +
                    ": the chain compiled to one kernel; per-kernel overhead taken from torch "
                    "eager's dispatch (extern kernels go through the aten dispatcher)");
  } else {
    notes.push_back(backend_key + ": per-kernel overhead not measured");
  }
}

}  // namespace graphs
