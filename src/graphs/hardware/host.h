// `host`: this machine's CPU as a hardware target, derived at run time from what the OS reports.
//
// Facts come from /proc/cpuinfo (model, flags, cores), /sys/devices/system/cpu (max frequency,
// caches, topology), /proc/meminfo (memory) and, where readable, the RAPL power limit. Peaks are
// derived from them (formulas in host.cc and docs/hardware-schema.md), every derived figure's
// source says "derived: <formula and facts>" and every guess says "estimate: <reasoning>". DRAM
// bandwidth has no OS source: it is an explicit estimate until `graphs calibrate` measures it.
// Missing sysfs files (containers, VMs, ARM boards) are not errors: the fallback taken is noted.
//
// The parse functions take file contents, so tests can feed any machine's text.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "graphs/common/status.h"
#include "graphs/hardware/hardware_model.h"
#include "graphs/hardware/hardware_spec.h"

namespace graphs {

/// What /proc/cpuinfo says.
struct CpuInfoFacts {
  std::string vendor_id;       // "GenuineIntel", "AuthenticAMD"; "ARM" for ARM implementers
  std::string model_name;      // "model name", else "Hardware", else implementer/part
  int logical_cpus = 0;        // "processor" entries
  int physical_cores = 0;      // distinct (physical id, core id); 0 when cpuinfo lacks them
  int sockets = 0;             // distinct "physical id"; 0 when absent
  double cpu_mhz = 0;          // highest "cpu MHz"; 0 when absent
  double model_name_ghz = 0;   // the "@ 2.40GHz" in an Intel model name; 0 when absent
  std::set<std::string> flags; // "flags" (x86) or "Features" (ARM) of the first processor
};

CpuInfoFacts parse_cpuinfo(std::string_view text);
/// MemTotal of /proc/meminfo, bytes.
std::optional<double> parse_meminfo_total_bytes(std::string_view text);
/// A sysfs cache size ("32K", "1024K", "8M", "512 KB"), bytes.
std::optional<double> parse_cache_size_bytes(std::string_view text);
/// Number of CPUs in a sysfs CPU list ("0-3,8,10-11" → 7); 0 when malformed.
int count_cpu_list(std::string_view list);

/// One cache level, totalled over the chip.
struct HostCache {
  int level = 0;
  std::string type;          // "Data", "Unified" (instruction caches are left out)
  double total_bytes = 0;    // sum over distinct instances
  int instances = 0;
  double instance_bytes = 0; // size of one instance (the largest, on hybrid parts)
};

/// Everything host detection knows about this machine, with how each fact was found.
struct HostFacts {
  CpuInfoFacts cpu;
  int logical_cpus = 0;
  int physical_cores = 0;
  std::string cores_source;
  double clock_hz = 0;           // max frequency used for the peaks
  std::string clock_source;
  std::vector<HostCache> caches; // ordered by level
  double memory_bytes = 0;
  std::string memory_source;
  std::optional<double> power_limit_w;  // RAPL package long-term limit, when readable
  std::vector<std::string> notes;       // fallbacks taken
};

/// Reads the facts under `root` ("" for this machine; a directory holding proc/ and sys/ in
/// tests). kIoError when /proc/cpuinfo cannot be read; missing sysfs files are noted, not errors.
Result<HostFacts> read_host_facts(const std::string& root = "");

/// The `host` spec derived from facts: peaks from cores × clock × SIMD width × FMA units, caches,
/// memory, estimates for bandwidth, power and efficiencies; id "host", derived.
HardwareSpec host_spec_from_facts(const HostFacts& facts);

/// `host_spec_from_facts` validated like any hardware file.
Result<HardwareModel> host_model_from_facts(const HostFacts& facts);

/// This machine as hardware target `host`, as derived from the OS (no calibration).
Result<HardwareModel> detect_host();

}  // namespace graphs
