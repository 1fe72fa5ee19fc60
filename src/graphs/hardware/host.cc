#include "graphs/hardware/host.h"


#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <tuple>

namespace graphs {
namespace {

namespace fs = std::filesystem;

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::optional<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::optional<double> to_number(std::string_view s) {
  const std::string t = trim(s);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end != t.c_str() + t.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// "%.3g"-style text for sources and notes.
std::string num(double v) {
  std::ostringstream os;
  os.precision(4);
  os << v;
  return os.str();
}

std::string ghz(double hz) { return num(hz / 1e9) + " GHz"; }

std::string whole(double v) { return std::to_string(static_cast<long long>(std::llround(v))); }

// "32 KiB", "1.25 MiB".
std::string bytes_text(double bytes) {
  if (bytes >= 1024.0 * 1024) return num(bytes / (1024.0 * 1024)) + " MiB";
  if (bytes >= 1024.0) return num(bytes / 1024) + " KiB";
  return whole(bytes) + " B";
}

std::string vendor_from_arm_implementer(std::string_view hex) {
  static const std::map<std::string, std::string> kImplementers = {
      {"0x41", "ARM"},      {"0x42", "Broadcom"}, {"0x43", "Cavium"},   {"0x48", "HiSilicon"},
      {"0x4e", "NVIDIA"},   {"0x50", "APM"},      {"0x51", "Qualcomm"}, {"0x61", "Apple"},
      {"0xc0", "Ampere"}};
  const auto it = kImplementers.find(trim(hex));
  return it == kImplementers.end() ? "ARM implementer " + trim(hex) : it->second;
}

std::string vendor_name(const std::string& vendor_id) {
  if (vendor_id == "GenuineIntel") return "Intel";
  if (vendor_id == "AuthenticAMD") return "AMD";
  if (vendor_id.empty()) return "unknown";
  return vendor_id;
}

// Per-core, per-cycle throughput of this CPU's SIMD (vector) and matrix units.
struct CoreRates {
  std::map<std::string, double> vector;   // precision → FLOP (OP) per cycle per core
  std::map<std::string, double> matrix;   // matrix units (AMX) where they exist
  std::map<std::string, std::string> how; // precision → the facts behind the rate
  std::set<std::string> estimated;        // precisions whose rate is a guess, not a fact
  std::vector<std::string> assumptions;
};

CoreRates core_rates(const CpuInfoFacts& cpu) {
  CoreRates r;
  auto has = [&](const char* flag) { return cpu.flags.count(flag) > 0; };
  const bool arm = has("asimd") || has("neon") || cpu.vendor_id == "ARM" ||
                   (!has("sse2") && !has("avx") && cpu.flags.count("fp"));
  double lanes = 1;
  double units = 1;
  std::string isa = "scalar";
  bool fma = false;
  if (arm) {
    if (has("asimd") || has("neon")) {
      lanes = 4;
      units = 2;
      fma = true;
      isa = has("sve") ? "NEON/SVE, counted as 128-bit" : "NEON 128-bit";
      r.assumptions.push_back(
          "assumed two 128-bit FMA pipes per core (Cortex-A78/Neoverse N1 class; Neoverse V1/V2 "
          "have four)");
      if (has("sve")) {
        r.assumptions.push_back("SVE vector length is not in cpuinfo; counted as 128-bit");
      }
    }
  } else {
    fma = has("fma") || has("avx512f");
    if (has("avx512f")) {
      lanes = 16;
      isa = "AVX-512";
    } else if (has("avx2") || has("avx")) {
      lanes = 8;
      isa = has("avx2") ? "AVX2" : "AVX";
    } else if (has("sse2") || has("sse")) {
      lanes = 4;
      isa = "SSE";
    }
    if (fma) {
      units = 2;
      if (cpu.vendor_id == "AuthenticAMD" && has("avx512f")) {
        units = 1;
        r.assumptions.push_back(
            "AMD with AVX-512: assumed one 512-bit FMA per cycle (Zen 4 splits it over two 256-bit "
            "pipes; Zen 5 has two full 512-bit pipes and runs twice as fast)");
      } else {
        r.assumptions.push_back(
            "assumed two " + std::string(has("avx512f") ? "512" : "256") +
            "-bit FMA units per core, true of desktop/server cores with AVX2/AVX-512 (some Xeon "
            "Bronze/Silver parts have one 512-bit unit)");
      }
    }
  }
  const double fp32 = units * lanes * 2;
  const std::string fp32_how =
      fma ? num(units) + " FMA units × " + num(lanes) + " fp32 lanes (" + isa + ") × 2 FLOP per FMA"
          : num(lanes) + " fp32 lanes (" + isa + ") × 1 add + 1 multiply per cycle";
  r.vector["fp32"] = fp32;
  r.how["fp32"] = fp32_how;
  r.vector["fp64"] = fp32 / 2;
  r.how["fp64"] = fp32_how + " / 2 (fp64 lanes are half as many)";

  if (arm) {
    if (has("asimdhp")) {
      r.vector["fp16"] = 2 * fp32;
      r.how["fp16"] = fp32_how + " × 2 (asimdhp: fp16 arithmetic, twice the lanes)";
    }
    if (has("bf16")) {
      r.vector["bf16"] = 2 * fp32;
      r.how["bf16"] = fp32_how + " × 2 (bf16: BFDOT, two bf16 products per fp32 lane)";
    }
    if (has("i8mm")) {
      r.vector["int8"] = 8 * fp32;
      r.how["int8"] = fp32_how + " × 8 (i8mm: SMMLA, 32 int8 MACs per 128-bit instruction)";
    } else if (has("asimddp")) {
      r.vector["int8"] = 4 * fp32;
      r.how["int8"] = fp32_how + " × 4 (asimddp: SDOT, four int8 products per 32-bit lane)";
    }
    return r;
  }

  if (has("avx512_fp16")) {
    r.vector["fp16"] = 2 * fp32;
    r.how["fp16"] = fp32_how + " × 2 (avx512_fp16: twice the lanes)";
  }
  if (has("avx512_bf16")) {
    r.vector["bf16"] = 2 * fp32;
    r.how["bf16"] = fp32_how + " × 2 (avx512_bf16: VDPBF16PS, two bf16 products per fp32 lane)";
  }
  if (has("avx512_vnni") || has("avx_vnni")) {
    r.vector["int8"] = 4 * fp32;
    r.how["int8"] = fp32_how + " × 4 (" + std::string(has("avx512_vnni") ? "avx512_vnni" : "avx_vnni") +
                    ": VPDPBUSD, four u8×s8 products per 32-bit lane)";
  } else if (has("avx2")) {
    r.vector["int8"] = 2 * fp32;
    r.how["int8"] = fp32_how +
                    " × 2 (no VNNI; AVX2 int8 via VPMADDUBSW + VPMADDWD reaches about twice the "
                    "fp32 rate)";
    r.estimated.insert("int8");
  }
  if (has("amx_tile")) {
    // AMX TMUL: a 16×16×32 bf16 (16×16×64 int8) tile product every 16 cycles per core, i.e.
    // 512 bf16 / 1024 int8 MACs per cycle (Intel Architecture Day 2021; Intel optimization manual).
    if (has("amx_bf16")) {
      r.matrix["bf16"] = 1024;
      r.how["bf16"] = "amx_bf16: AMX TMUL 512 bf16 MACs per cycle × 2";
    }
    if (has("amx_fp16")) {
      r.matrix["fp16"] = 1024;
      r.how["fp16"] = "amx_fp16: AMX TMUL 512 fp16 MACs per cycle × 2";
    }
    if (has("amx_int8")) {
      r.matrix["int8"] = 2048;
      r.how["int8"] = "amx_int8: AMX TMUL 1024 int8 MACs per cycle × 2";
    }
  }
  return r;
}

Figure derived(double value, std::string source) { return Figure{value, std::move(source), 0}; }

}  // namespace

CpuInfoFacts parse_cpuinfo(std::string_view text) {
  CpuInfoFacts f;
  std::set<std::pair<std::string, std::string>> cores;
  std::set<std::string> sockets;
  std::string physical_id, core_id, implementer, part, hardware;
  bool all_have_topology = true;
  bool have_flags = false;
  int processors = 0;
  auto close_block = [&]() {
    if (processors == 0) return;
    if (physical_id.empty() || core_id.empty()) {
      all_have_topology = false;
    } else {
      cores.emplace(physical_id, core_id);
      sockets.insert(physical_id);
    }
    physical_id.clear();
    core_id.clear();
  };
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(std::string_view(line).substr(0, colon));
    const std::string value = trim(std::string_view(line).substr(colon + 1));
    if (key == "processor" && to_number(value)) {
      close_block();
      ++processors;
    } else if (key == "vendor_id" && f.vendor_id.empty()) {
      f.vendor_id = value;
    } else if (key == "model name" && f.model_name.empty()) {
      f.model_name = value;
    } else if (key == "Hardware" && hardware.empty()) {
      hardware = value;
    } else if (key == "CPU implementer" && implementer.empty()) {
      implementer = value;
    } else if (key == "CPU part" && part.empty()) {
      part = value;
    } else if (key == "physical id") {
      physical_id = value;
    } else if (key == "core id") {
      core_id = value;
    } else if (key == "cpu MHz") {
      if (auto mhz = to_number(value)) f.cpu_mhz = std::max(f.cpu_mhz, *mhz);
    } else if ((key == "flags" || key == "Features") && !have_flags) {
      have_flags = true;
      std::istringstream words(value);
      std::string w;
      while (words >> w) f.flags.insert(w);
    }
  }
  close_block();
  f.logical_cpus = processors;
  if (processors > 0 && all_have_topology) {
    f.physical_cores = static_cast<int>(cores.size());
    f.sockets = static_cast<int>(sockets.size());
  }
  if (f.vendor_id.empty() && !implementer.empty()) f.vendor_id = vendor_from_arm_implementer(implementer);
  if (f.model_name.empty()) {
    if (!hardware.empty()) {
      f.model_name = hardware;
    } else if (!implementer.empty()) {
      f.model_name = f.vendor_id + " CPU (part " + (part.empty() ? "unknown" : part) + ")";
    }
  }
  static const std::regex kGhz(R"(@\s*([0-9]+(\.[0-9]+)?)\s*GHz)");
  std::smatch match;
  if (std::regex_search(f.model_name, match, kGhz)) f.model_name_ghz = std::stod(match[1].str());
  return f;
}

std::optional<double> parse_meminfo_total_bytes(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("MemTotal:", 0) != 0) continue;
    std::istringstream fields(line.substr(9));
    double value = 0;
    std::string unit;
    if (!(fields >> value)) return std::nullopt;
    fields >> unit;
    if (unit == "kB" || unit == "KB" || unit.empty()) return value * (unit.empty() ? 1 : 1024);
    if (unit == "MB") return value * 1024 * 1024;
    return std::nullopt;
  }
  return std::nullopt;
}

std::optional<double> parse_cache_size_bytes(std::string_view text) {
  std::string t = trim(text);
  if (t.empty()) return std::nullopt;
  std::size_t i = 0;
  while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
  const auto value = to_number(t.substr(0, i));
  if (!value) return std::nullopt;
  std::string unit = trim(t.substr(i));
  for (char& c : unit) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (unit.empty() || unit == "B") return *value;
  if (unit == "K" || unit == "KB" || unit == "KIB") return *value * 1024;
  if (unit == "M" || unit == "MB" || unit == "MIB") return *value * 1024 * 1024;
  if (unit == "G" || unit == "GB" || unit == "GIB") return *value * 1024 * 1024 * 1024;
  return std::nullopt;
}

int count_cpu_list(std::string_view list) {
  const std::string t = trim(list);
  if (t.empty()) return 0;
  int count = 0;
  std::istringstream in(t);
  std::string range;
  while (std::getline(in, range, ',')) {
    const auto dash = range.find('-');
    const auto lo = to_number(range.substr(0, dash));
    const auto hi = dash == std::string::npos ? lo : to_number(range.substr(dash + 1));
    if (!lo || !hi || *hi < *lo) return 0;
    count += static_cast<int>(*hi - *lo) + 1;
  }
  return count;
}

Result<HostFacts> read_host_facts(const std::string& root) {
  const fs::path base = root.empty() ? fs::path("/") : fs::path(root);
  HostFacts facts;
  const auto cpuinfo = read_text(base / "proc/cpuinfo");
  if (!cpuinfo) {
    return make_error(ErrorCode::kIoError, "cannot read ", (base / "proc/cpuinfo").string());
  }
  facts.cpu = parse_cpuinfo(*cpuinfo);

  const fs::path cpu_dir = base / "sys/devices/system/cpu";
  std::vector<std::pair<int, fs::path>> cpus;  // cpuN directories, by N
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cpu_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > 3 && name.rfind("cpu", 0) == 0 &&
        std::all_of(name.begin() + 3, name.end(), [](unsigned char c) { return std::isdigit(c); })) {
      cpus.emplace_back(std::stoi(name.substr(3)), entry.path());
    }
  }
  std::sort(cpus.begin(), cpus.end());

  // Logical CPUs and physical cores.
  facts.logical_cpus = facts.cpu.logical_cpus;
  if (facts.logical_cpus == 0) {
    if (auto online = read_text(cpu_dir / "online")) facts.logical_cpus = count_cpu_list(*online);
  }
  if (facts.logical_cpus == 0) facts.logical_cpus = static_cast<int>(cpus.size());
  if (facts.logical_cpus == 0) {
    facts.logical_cpus = 1;
    facts.notes.push_back("no processor count in /proc/cpuinfo or sysfs; assumed 1 CPU");
  }
  if (facts.cpu.physical_cores > 0) {
    facts.physical_cores = facts.cpu.physical_cores;
    facts.cores_source = "derived: /proc/cpuinfo, " + std::to_string(facts.physical_cores) +
                         " distinct (physical id, core id) pairs over " +
                         std::to_string(facts.logical_cpus) + " logical CPUs";
  } else {
    std::set<std::string> siblings;
    for (const auto& [n, dir] : cpus) {
      auto list = read_text(dir / "topology/core_cpus_list");
      if (!list) list = read_text(dir / "topology/thread_siblings_list");
      if (list) siblings.insert(trim(*list));
    }
    if (!siblings.empty()) {
      facts.physical_cores = static_cast<int>(siblings.size());
      facts.cores_source = "derived: sysfs topology, " + std::to_string(facts.physical_cores) +
                           " distinct core_cpus_list over " + std::to_string(facts.logical_cpus) +
                           " logical CPUs";
    } else {
      facts.physical_cores = facts.logical_cpus;
      facts.cores_source = "estimate: no core topology in /proc/cpuinfo or sysfs; assumed one "
                           "thread per core (" + std::to_string(facts.logical_cpus) +
                           " logical CPUs)";
      facts.notes.push_back("core topology unavailable; physical cores = logical CPUs");
    }
  }

  // Max frequency: cpufreq, else what /proc/cpuinfo says.
  double max_khz = 0;
  for (const auto& [n, dir] : cpus) {
    if (auto text = read_text(dir / "cpufreq/cpuinfo_max_freq")) {
      if (auto khz = to_number(*text)) max_khz = std::max(max_khz, *khz);
    }
  }
  if (max_khz > 0) {
    facts.clock_hz = max_khz * 1e3;
    facts.clock_source = "derived: /sys/devices/system/cpu/cpu*/cpufreq/cpuinfo_max_freq, highest = " +
                         whole(max_khz) + " kHz";
  } else {
    const double from_name = facts.cpu.model_name_ghz * 1e9;
    const double from_mhz = facts.cpu.cpu_mhz * 1e6;
    facts.notes.push_back("no cpufreq in sysfs (VM or container?); clock taken from /proc/cpuinfo, "
                          "which may be below the turbo clock");
    if (from_name > 0 || from_mhz > 0) {
      facts.clock_hz = std::max(from_name, from_mhz);
      facts.clock_source = from_mhz >= from_name
                               ? "derived: /proc/cpuinfo 'cpu MHz' = " + num(facts.cpu.cpu_mhz) +
                                     " (no cpufreq in sysfs; may be below the turbo clock)"
                               : "derived: model name '@ " + num(facts.cpu.model_name_ghz) +
                                     "GHz' (no cpufreq in sysfs; base clock, below turbo)";
    } else {
      facts.clock_hz = 2e9;
      facts.clock_source = "estimate: no frequency in cpufreq or /proc/cpuinfo; assumed 2 GHz";
    }
  }

  // Caches: distinct instances (level, type, shared_cpu_list) over all CPUs, totalled per level.
  struct Instance {
    int level;
    std::string type;
    double bytes;
  };
  std::map<std::tuple<int, std::string, std::string>, Instance> instances;
  for (const auto& [n, dir] : cpus) {
    for (const auto& entry : fs::directory_iterator(dir / "cache", ec)) {
      const fs::path& index = entry.path();
      if (index.filename().string().rfind("index", 0) != 0) continue;
      const auto level = read_text(index / "level");
      const auto type = read_text(index / "type");
      const auto size = read_text(index / "size");
      const auto shared = read_text(index / "shared_cpu_list");
      if (!level || !type || !size) continue;
      const auto lv = to_number(*level);
      const auto bytes = parse_cache_size_bytes(*size);
      const std::string kind = trim(*type);
      if (!lv || !bytes || kind == "Instruction") continue;
      // Without shared_cpu_list each CPU's cache counts as its own instance.
      const std::string owner = shared ? trim(*shared) : "cpu" + std::to_string(n);
      instances.try_emplace({static_cast<int>(*lv), kind, owner},
                            Instance{static_cast<int>(*lv), kind, *bytes});
    }
  }
  std::map<std::pair<int, std::string>, HostCache> levels;
  for (const auto& [key, inst] : instances) {
    HostCache& c = levels[{inst.level, inst.type}];
    c.level = inst.level;
    c.type = inst.type;
    c.total_bytes += inst.bytes;
    c.instances += 1;
    c.instance_bytes = std::max(c.instance_bytes, inst.bytes);
  }
  for (const auto& [key, c] : levels) facts.caches.push_back(c);
  if (facts.caches.empty()) {
    facts.notes.push_back("no cache information in /sys/devices/system/cpu/cpu*/cache; caches left "
                          "out of the model");
  }

  // Memory.
  if (auto meminfo = read_text(base / "proc/meminfo")) {
    if (auto bytes = parse_meminfo_total_bytes(*meminfo)) {
      facts.memory_bytes = *bytes;
      facts.memory_source = "derived: /proc/meminfo MemTotal = " + whole(*bytes / 1024) + " kB";
    }
  }
  if (facts.memory_bytes <= 0 && root.empty()) {
    const long pages = sysconf(_SC_PHYS_PAGES);
    const long page_size = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page_size > 0) {
      facts.memory_bytes = static_cast<double>(pages) * static_cast<double>(page_size);
      facts.memory_source = "derived: sysconf(_SC_PHYS_PAGES) × _SC_PAGESIZE (no /proc/meminfo)";
    }
  }
  if (facts.memory_bytes <= 0) {
    return make_error(ErrorCode::kIoError, "cannot find the memory size: no MemTotal in ",
                      (base / "proc/meminfo").string());
  }

  // Package power limit (RAPL PL1), where the kernel exposes it.
  if (auto uw = read_text(base / "sys/class/powercap/intel-rapl:0/constraint_0_power_limit_uw")) {
    if (auto v = to_number(*uw); v && *v > 0) facts.power_limit_w = *v / 1e6;
  }
  return facts;
}

HardwareSpec host_spec_from_facts(const HostFacts& facts) {
  HardwareSpec spec;
  spec.file_name = "host (detected)";
  spec.schema_version = kHardwareSchemaVersion;
  spec.id = "host";
  spec.name = facts.cpu.model_name.empty() ? "unknown CPU" : facts.cpu.model_name;
  spec.vendor = vendor_name(facts.cpu.vendor_id);
  spec.kind = "cpu";
  spec.derived = true;

  const int cores = std::max(1, facts.physical_cores);
  const double clock = facts.clock_hz > 0 ? facts.clock_hz : 2e9;
  spec.compute_units = derived(cores, facts.cores_source.empty()
                                          ? "derived: physical cores"
                                          : facts.cores_source);
  spec.clock_hz = derived(clock, facts.clock_source.empty() ? "estimate: assumed 2 GHz"
                                                            : facts.clock_source);

  const CoreRates rates = core_rates(facts.cpu);
  const std::string per_chip = std::to_string(cores) + " physical cores × " + ghz(clock) + " × ";
  auto peak_source = [&](const std::string& precision) {
    return (rates.estimated.count(precision) ? "estimate: " : "derived: ") + per_chip +
           rates.how.at(precision);
  };
  for (const auto& [precision, per_cycle] : rates.vector) {
    spec.vector_peak_flops_per_s[precision] =
        derived(cores * clock * per_cycle, peak_source(precision));
  }
  // Matrix peaks: the matrix unit (AMX) where there is one, else the SIMD FMA peak.
  spec.matrix_peak_flops_per_s = spec.vector_peak_flops_per_s;
  for (const auto& [precision, per_cycle] : rates.matrix) {
    const double peak = cores * clock * per_cycle;
    auto& slot = spec.matrix_peak_flops_per_s[precision];
    if (peak > slot.value) slot = derived(peak, "derived: " + per_chip + rates.how.at(precision));
  }

  spec.memory_bytes = derived(facts.memory_bytes, facts.memory_source);
  const int channels = std::clamp(cores / 4, 2, 12);
  spec.memory_bandwidth_bytes_per_s = derived(
      channels * 25.6e9,
      "estimate: no OS source for DRAM bandwidth; assumed " + std::to_string(channels) +
          " channels (physical cores / 4, clamped to 2..12) × 25.6 GB/s (one 64-bit DDR4-3200 "
          "channel); `graphs calibrate` measures it");

  static const std::map<int, std::string> kLevelNames = {{1, "L1"}, {2, "L2"}, {3, "L3"}, {4, "L4"}};
  for (const auto& c : facts.caches) {
    CacheSpec cache;
    const auto name = kLevelNames.find(c.level);
    cache.name = name != kLevelNames.end() ? name->second : "L" + std::to_string(c.level);
    if (std::any_of(spec.caches.begin(), spec.caches.end(),
                    [&](const CacheSpec& s) { return s.name == cache.name; })) {
      continue;  // a second (unified) cache at the same level: keep the data cache
    }
    cache.capacity_bytes = derived(
        c.total_bytes, "derived: sysfs cache index (level " + std::to_string(c.level) + ", " +
                           c.type + "): " + std::to_string(c.instances) +
                           " distinct instance(s) by shared_cpu_list, largest " +
                           bytes_text(c.instance_bytes));
    spec.caches.push_back(std::move(cache));
  }

  EfficiencySpec eff;
  eff.matrix = derived(0.7, "estimate: tuned SGEMM (oneDNN, OpenBLAS, MKL) commonly reaches "
                            "70-90% of the FMA peak on one socket; 0.7 until calibrated");
  eff.vector = derived(0.5, "estimate: elementwise/reduction kernels rarely keep both FMA "
                            "pipes busy; 0.5 until calibrated");
  eff.memory = derived(0.7, "estimate: STREAM-like kernels typically reach 70-85% of DRAM peak; "
                            "0.7 until calibrated");
  spec.efficiency = eff;
  spec.kernel_launch_s = derived(2e-6, "estimate: per-op dispatch overhead of CPU runtimes "
                                       "(ONNX Runtime, PyTorch eager) is about 1-10 us");

  double tdp = 10.0 * cores;
  std::string tdp_source = "estimate: no package power limit readable (no RAPL powercap); "
                           "assumed 10 W per physical core";
  if (facts.power_limit_w && *facts.power_limit_w > 0) {
    tdp = *facts.power_limit_w;
    tdp_source = "derived: /sys/class/powercap/intel-rapl:0/constraint_0_power_limit_uw "
                 "(package long-term limit)";
  }
  spec.tdp_w = derived(tdp, tdp_source);
  const double idle = 0.2 * tdp;
  spec.static_power_w = derived(idle, "estimate: 20% of tdp_w (package idle + uncore + leakage)");
  for (const auto& [precision, peak] : spec.matrix_peak_flops_per_s) {
    spec.energy_per_flop_j[precision] =
        derived((tdp - idle) / peak.value,
                "estimate: (tdp_w - static_power_w) / matrix peak = (" + num(tdp) + " - " +
                    num(idle) + ") W / " + num(peak.value) +
                    " FLOP/s; assumes the dynamic power budget is spent at the peak");
  }
  spec.energy_per_dram_byte_j = derived(
      15e-12 * 8, "estimate: DDR4/DDR5 access + I/O energy of about 15 pJ/bit (commonly quoted "
                  "10-20 pJ/bit) × 8 bits");

  spec.notes = facts.notes;
  for (const auto& a : rates.assumptions) spec.notes.push_back(a);
  if (facts.cpu.flags.count("hybrid_cpu")) {
    spec.notes.push_back("hybrid CPU: performance and efficiency cores are counted at the same "
                         "per-core rate and the highest clock, so the peaks are an upper bound");
  }
  spec.notes.push_back("figures derived from what the OS reports, not a datasheet; bandwidth, "
                       "power and efficiencies are estimates until `graphs calibrate` measures "
                       "them");
  return spec;
}

Result<HardwareModel> host_model_from_facts(const HostFacts& facts) {
  GRAPHS_ASSIGN_OR_RETURN(HardwareModel model, resolve_hardware_spec(host_spec_from_facts(facts)));
  model.origin = "detected";
  return model;
}

Result<HardwareModel> detect_host() {
  GRAPHS_ASSIGN_OR_RETURN(HostFacts facts, read_host_facts(""));
  return host_model_from_facts(facts);
}

}  // namespace graphs
