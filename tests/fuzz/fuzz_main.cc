// graphs_fuzz: a seeded mutation fuzzer for the two places graphs reads untrusted bytes.
//
//   graphs_fuzz protocol [--seconds S] [--seed N] [--crash-dir DIR]
//       lines a worker could write, mutated, through decode_worker_line (worker_session.h: the
//       events the orchestrator acts on, before and while measuring), parse_worker_line and, for
//       accepted `done` messages, read_done_message; and results lines through
//       ConversionResult::from_json.
//   graphs_fuzz importer SEED.onnx... [--seconds S] [--seed N] [--crash-dir DIR]
//       model files mutated byte-wise, through the importer, shape inference, characterization,
//       the fused partition and the estimator on a GPU and a CPU target.
//
// A failure is a crash (the process dies: the seed and iteration are printed first, so the case
// replays), or an answer given with success that holds a negative, NaN or infinite number. The
// offending input is written to --crash-dir (default ./fuzz-crashes) and the exit status is 1.
// Deterministic for a seed: iteration i's input depends only on (seed, i).
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <onnx/onnx_pb.h>

#include "graphs/analysis/characterize.h"
#include "graphs/analysis/fusion.h"
#include "graphs/analysis/shape_inference.h"
#include "graphs/bench/orchestrator.h"
#include "graphs/bench/results.h"
#include "graphs/bench/worker_session.h"
#include "graphs/estimate/roofline.h"
#include "graphs/hardware/registry.h"
#include "graphs/onnx/onnx_importer.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::string;

struct Options {
  std::string mode;
  std::vector<std::string> seeds;
  double seconds = 10;
  uint64_t seed = 1;
  std::string crash_dir = "fuzz-crashes";
};

volatile std::sig_atomic_t g_iteration = 0;
uint64_t g_seed = 0;

void on_crash(int sig) {
  std::fprintf(stderr, "graphs_fuzz: CRASH (signal %d) at seed %llu iteration %ld\n", sig,
               static_cast<unsigned long long>(g_seed), static_cast<long>(g_iteration));
  std::_Exit(1);
}

// One mutation of `in` (byte flips, inserts, deletes, duplicated chunks, truncation, and for
// text, numbers swapped for edge values and brackets repeated).
Bytes mutate(const Bytes& in, const std::vector<Bytes>& pool, std::mt19937_64& rng, bool text) {
  Bytes b = in;
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  const int rounds = 1 + static_cast<int>(rng() % 4);
  static const char* kEdges[] = {"-5", "0", "-0", "1e308", "-1e308", "1e-320", "NaN", "Infinity",
                                 "9223372036854775807", "-9223372036854775808",
                                 "18446744073709551616", "null", "\"\"", "[]", "{}", "true"};
  for (int r = 0; r < rounds; ++r) {
    switch (rng() % (text ? 9 : 6)) {
      case 0: if (!b.empty()) b[pick(b.size())] ^= static_cast<char>(1u << (rng() % 8)); break;
      case 1: if (!b.empty()) b[pick(b.size())] = static_cast<char>(rng()); break;
      case 2: b.insert(pick(b.size() + 1), 1, static_cast<char>(rng())); break;
      case 3: if (!b.empty()) { const auto at = pick(b.size()); b.erase(at, pick(b.size() - at) + 1); } break;
      case 4: if (!b.empty()) { const auto at = pick(b.size()); const auto n = pick(std::min<std::size_t>(64, b.size() - at)) + 1; b.insert(pick(b.size() + 1), b.substr(at, n)); } break;
      case 5: if (!pool.empty()) { const Bytes& o = pool[pick(pool.size())]; if (!o.empty()) { const auto at = pick(o.size()); b.insert(pick(b.size() + 1), o.substr(at, pick(o.size() - at) + 1)); } } break;
      case 6: {  // a number → an edge value
        const auto at = b.find_first_of("0123456789", pick(b.size() + 1));
        if (at == Bytes::npos) break;
        auto end = b.find_first_not_of("0123456789.eE+-", at);
        if (end == Bytes::npos) end = b.size();
        b.replace(at, end - at, kEdges[pick(sizeof kEdges / sizeof *kEdges)]);
        break;
      }
      case 7: b.insert(pick(b.size() + 1), std::string(pick(3000), rng() % 2 ? '[' : '{')); break;
      case 8: if (!b.empty()) b.resize(pick(b.size())); break;
    }
  }
  return b;
}

bool bad_number(double v) { return !std::isfinite(v) || v < 0; }

void save(const Options& o, const std::string& what, const Bytes& data, uint64_t iteration) {
  fs::create_directories(o.crash_dir);
  const fs::path p = fs::path(o.crash_dir) /
                     (o.mode + "-" + std::to_string(o.seed) + "-" + std::to_string(iteration));
  std::ofstream(p, std::ios::binary) << data;
  std::fprintf(stderr, "graphs_fuzz: FAILURE at seed %llu iteration %llu: %s (input: %s)\n",
               static_cast<unsigned long long>(o.seed), static_cast<unsigned long long>(iteration),
               what.c_str(), p.c_str());
}

// "" when fine, else what a decoded event (worker_session.h) let through: a chunk latency or a
// cold-start time that is negative or not finite, or a chunk of a phase other than warmup/measure.
std::string check_decoded(const graphs::bench::WorkerEvent& event) {
  using namespace graphs::bench;
  if (const auto* c = std::get_if<ChunkEvent>(&event)) {
    if (c->phase != "warmup" && c->phase != "measure") return "a chunk of phase '" + c->phase + "'";
    for (double t : c->latency_s) {
      if (bad_number(t)) return "a chunk with a bad latency was accepted";
    }
  }
  if (const auto* c = std::get_if<ColdStartEvent>(&event)) {
    for (const auto& t : {c->load_s, c->convert_s, c->first_call_s}) {
      if (t && bad_number(*t)) return "a cold start with a bad time was accepted";
    }
  }
  return "";
}

// "" when fine, else what is wrong.
std::string check_protocol(const Bytes& line) {
  for (const auto& expect : {graphs::bench::ChunkExpectation{false, false},
                             graphs::bench::ChunkExpectation{true, true}}) {
    try {
      const std::string what = check_decoded(graphs::bench::decode_worker_line(line, expect));
      if (!what.empty()) return what;
    } catch (const std::exception& e) {
      return std::string("decode_worker_line threw: ") + e.what();
    }
  }
  auto m = graphs::bench::parse_worker_line(line);
  if (m.ok() && (*m)["type"] == "done") {
    graphs::bench::ConversionResult r;
    try {
      graphs::bench::read_done_message(*m, r);
    } catch (const std::exception&) {
      return "";  // refused as a protocol error: fine
    }
    if (r.peak_rss_bytes && *r.peak_rss_bytes < 0) return "a negative peak_rss_bytes was accepted";
    if (r.energy_j_per_call && bad_number(*r.energy_j_per_call)) return "a bad energy was accepted";
  }
  if (m.ok()) {
    try {
      auto res = graphs::bench::ConversionResult::from_json(*m);
      if (res.ok() && res->latency && bad_number(res->latency->median_s)) {
        return "a result line with a bad median was accepted";
      }
    } catch (const std::exception& e) {
      return std::string("from_json threw: ") + e.what();
    }
  }
  return "";
}

std::string check_model(const Bytes& bytes, const graphs::HardwareModel& gpu,
                        const graphs::HardwareModel& cpu) {
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) return "";
  auto g = graphs::import_onnx_model(model, ".");
  if (!g.ok()) return "";
  if (!graphs::bind_dims(*g, graphs::DimBindings{}).ok() || !graphs::infer_shapes(*g).ok()) return "";
  auto ch = graphs::characterize(*g, graphs::PrecisionMap{});
  if (!ch.ok()) return "";
  if (bad_number(ch->flops) || bad_number(ch->macs) || bad_number(ch->weight_bytes)) {
    return "characterization with a negative or non-finite total";
  }
  const graphs::Partition part = graphs::partition_fused(*g, *ch);
  for (const auto* hw : {&gpu, &cpu}) {
    graphs::EstimateOptions eo;
    auto e = graphs::estimate_roofline(*g, *ch, part, *hw, eo);
    if (!e.ok()) continue;
    if (bad_number(e->latency_s) || bad_number(e->energy_j) || bad_number(e->memory.peak_bytes)) {
      return "an estimate on " + hw->id + " with a negative or non-finite figure";
    }
  }
  return "";
}

Bytes slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int usage() {
  std::fprintf(stderr, "usage: graphs_fuzz protocol|importer [SEED.onnx ...] [--seconds S] "
                       "[--seed N] [--crash-dir DIR]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (argc < 2) return usage();
  o.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) o.seconds = std::atof(argv[++i]);
    else if (a == "--seed" && i + 1 < argc) o.seed = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--crash-dir" && i + 1 < argc) o.crash_dir = argv[++i];
    else o.seeds.push_back(a);
  }
  if (o.mode != "protocol" && o.mode != "importer") return usage();
  g_seed = o.seed;
  std::signal(SIGSEGV, on_crash);
  std::signal(SIGABRT, on_crash);
  std::signal(SIGFPE, on_crash);
  std::signal(SIGBUS, on_crash);

  std::vector<Bytes> pool;
  graphs::HardwareModel gpu, cpu;
  if (o.mode == "protocol") {
    pool = {
        R"({"type": "hello", "protocol": 1, "pid": 4242})",
        R"({"type": "phase", "phase": "warmup"})",
        R"({"type": "cold_start", "load_s": 0.5, "convert_s": 1.25, "first_call_s": 0.01})",
        R"({"type": "outputs", "files": ["out_0.npy"], "dtypes": ["float32"], "shapes": [[2, 5]]})",
        R"({"type": "chunk", "phase": "measure", "latency_s": [0.001, 0.0011, 0.00098]})",
        R"({"type": "done", "peak_rss_bytes": 123456789, "peak_gpu_memory_bytes": null, "threads": 2, "versions": {"torch": "2.14"}, "energy": {"j_per_call": 0.5, "source": "rapl"}, "generated_kernels": 17, "op_times": [{"name": "aten::conv2d", "self_s_per_call": 0.001, "count_per_call": 20}]})",
        R"({"type": "error", "phase": "convert", "kind": "failed", "message": "boom", "traceback": "T"})",
        R"({"type": "result", "conversion": "EAGER", "status": "ok", "latency": {"median_s": 0.001, "count": 10}})",
    };
  } else {
    for (const auto& s : o.seeds) pool.push_back(slurp(s));
    if (pool.empty()) return usage();
    auto reg = graphs::HardwareRegistry::load_default();
    if (!reg.ok()) return 2;
    gpu = *reg->get("h100-sxm5-80gb");
    cpu = *reg->get("i7-12700k");
  }
  std::mt19937_64 rng(o.seed);
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t n = 0, accepted = 0;
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < o.seconds) {
    g_iteration = static_cast<long>(n);
    std::mt19937_64 case_rng(o.seed * 0x9E3779B97F4A7C15ull + n);
    const Bytes& base = pool[case_rng() % pool.size()];
    const Bytes input = mutate(base, pool, case_rng, o.mode == "protocol");
    const std::string why = o.mode == "protocol" ? check_protocol(input) : check_model(input, gpu, cpu);
    if (!why.empty()) {
      save(o, why, input, n);
      return 1;
    }
    if (o.mode == "protocol" && graphs::bench::parse_worker_line(input).ok()) ++accepted;
    ++n;
  }
  std::printf("graphs_fuzz %s: %llu inputs in %.0f s (seed %llu), 0 failures%s\n", o.mode.c_str(),
              static_cast<unsigned long long>(n), o.seconds, static_cast<unsigned long long>(o.seed),
              o.mode == "protocol" ? (", " + std::to_string(accepted) + " parsed as messages").c_str() : "");
  return 0;
}
