// Hardware registry: embedded files, validation errors, power modes, host detection.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "graphs/hardware/hardware_spec.h"
#include "graphs/hardware/host.h"
#include "graphs/hardware/registry.h"

namespace graphs {
namespace {

namespace fs = std::filesystem;

// Passes when `text` contains `part`; prints both otherwise.
::testing::AssertionResult HasText(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

// A small valid file; tests change one line to provoke one error.
const char* kMinimal = R"(schema_version: 1
id: test-gpu
name: Test GPU
vendor: Test
kind: gpu
compute_units: {value: 10, source: "test datasheet"}
clock_hz: {value: 1.0e9, source: "test datasheet"}
matrix_peak_flops_per_s:
  fp32: {value: 10e12, source: "test datasheet"}
  fp16: {value: 100e12, source: "test datasheet"}
memory_bytes: {value: 16e9, source: "test datasheet"}
memory_bandwidth_bytes_per_s: {value: 1e12, source: "test datasheet"}
efficiency:
  matrix: {value: 0.8, source: "estimate: test"}
  vector: {value: 0.5, source: "estimate: test"}
  memory: {value: 0.9, source: "estimate: test"}
kernel_launch_s: {value: 5e-6, source: "estimate: test"}
energy_per_flop_j:
  fp32: {value: 1e-11, source: "estimate: test"}
  fp16: {value: 1e-12, source: "estimate: test"}
energy_per_dram_byte_j: {value: 3e-11, source: "estimate: test"}
static_power_w: {value: 50, source: "estimate: test"}
tdp_w: {value: 300, source: "test datasheet"}
)";

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "test bug: '" << from << "' not in the fixture";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

Error parse_error(const std::string& yaml) {
  auto model = HardwareRegistry::parse_yaml(yaml, "test-gpu.yaml");
  EXPECT_FALSE(model.ok()) << "expected an error";
  if (model.ok()) return Error(ErrorCode::kInternal, "no error");
  return model.error();
}

const HardwareRegistry& registry() {
  static const HardwareRegistry* r = [] {
    auto loaded = HardwareRegistry::load_default();
    EXPECT_TRUE(loaded.ok()) << loaded.error().message();
    return new HardwareRegistry(loaded.ok() ? std::move(loaded).value() : HardwareRegistry());
  }();
  return *r;
}

HardwareModel get(const std::string& id) {
  auto model = registry().get(id);
  EXPECT_TRUE(model.ok()) << id << ": " << (model.ok() ? "" : model.error().message());
  return model.ok() ? model.value() : HardwareModel{};
}

TEST(HardwareRegistryTest, EveryEmbeddedFileParsesAndValidates) {
  const auto& files = detail::embedded_hardware_files();
  ASSERT_GE(files.size(), 5u);
  for (const auto& [name, yaml] : files) {
    auto model = HardwareRegistry::parse_yaml(yaml, std::string(name));
    ASSERT_TRUE(model.ok()) << model.error().message();
    EXPECT_EQ(std::string(name), model->id + ".yaml");
    EXPECT_FALSE(model->derived) << name;
  }
}

TEST(HardwareRegistryTest, LoadDefaultListsTargetsAndModes) {
  const auto ids = registry().ids();
  for (const char* id : {"h100-sxm5-80gb", "a100-sxm4-80gb", "jetson-orin-agx-64gb",
                         "jetson-orin-agx-64gb:15w", "jetson-orin-agx-64gb:30w",
                         "jetson-orin-agx-64gb:50w", "jetson-orin-agx-64gb:maxn", "i7-12700k",
                         "tpu-v4", "host"}) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end()) << id;
  }
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

// Rules every target must keep, power modes and `host` included.
TEST(HardwareRegistryTest, SanityRulesHoldForEveryTarget) {
  for (const auto& id : registry().ids()) {
    SCOPED_TRACE(id);
    const HardwareModel m = get(id);
    const auto& peaks = m.matrix_peak_flops_per_s;
    auto peak = [&](const char* p) { return peaks.count(p) ? peaks.at(p) : -1.0; };
    ASSERT_TRUE(peaks.count("fp32") || m.integer_only());  // int8-only: coral-edge-tpu
    if (peaks.count("fp16")) EXPECT_GE(peak("fp16"), peak("fp32"));
    if (peaks.count("bf16")) EXPECT_GE(peak("bf16"), peak("fp32"));
    if (peaks.count("tf32")) EXPECT_GE(peak("tf32"), peak("fp32"));
    if (peaks.count("int8") && peaks.count("fp16")) EXPECT_GE(peak("int8"), peak("fp16"));
    if (peaks.count("fp8") && peaks.count("fp16")) EXPECT_GE(peak("fp8"), peak("fp16"));
    if (peaks.count("fp64")) EXPECT_LE(peak("fp64"), peak("fp32") * 1.0001);
    EXPECT_GT(m.memory_bandwidth_bytes_per_s, 0);
    EXPECT_GT(m.memory_bytes, 0);
    EXPECT_GT(m.tdp_w, 0);
    EXPECT_LT(m.static_power_w, m.tdp_w);
    EXPECT_GT(m.clock_hz, 0);
    EXPECT_GT(m.compute_units, 0);
    for (double e : {m.efficiency.matrix, m.efficiency.vector, m.efficiency.memory}) {
      EXPECT_GT(e, 0);
      EXPECT_LE(e, 1);
    }
    // Every number has its source.
    std::vector<std::string> fields = {
        "compute_units",   "clock_hz",       "memory_bytes", "memory_bandwidth_bytes_per_s",
        "kernel_launch_s", "energy_per_dram_byte_j", "static_power_w", "tdp_w",
        "efficiency.matrix", "efficiency.vector", "efficiency.memory"};
    for (const auto& [p, v] : m.matrix_peak_flops_per_s) {
      fields.push_back("matrix_peak_flops_per_s." + p);
      fields.push_back("energy_per_flop_j." + p);
      EXPECT_GT(v, 0);
      ASSERT_TRUE(m.energy_per_flop(p).has_value()) << p;
    }
    for (const auto& [p, v] : m.vector_peak_flops_per_s) fields.push_back("vector_peak_flops_per_s." + p);
    for (const auto& c : m.caches) fields.push_back("caches." + c.name + ".capacity_bytes");
    if (m.interconnect) fields.push_back("interconnect.bandwidth_bytes_per_s");
    for (const auto& field : fields) {
      const auto s = m.sources.find(field);
      ASSERT_NE(s, m.sources.end()) << "no source for " << field;
      EXPECT_FALSE(s->second.empty()) << field;
    }
  }
}

TEST(HardwareRegistryTest, H100MatchesDatasheet) {
  const HardwareModel h = get("h100-sxm5-80gb");
  EXPECT_EQ(h.name, "NVIDIA H100 SXM5 80GB");
  EXPECT_EQ(h.kind, "gpu");
  EXPECT_EQ(h.compute_units, 132);
  EXPECT_DOUBLE_EQ(h.matrix_peak_flops_per_s.at("fp64"), 67e12);
  EXPECT_DOUBLE_EQ(h.vector_peak_flops_per_s.at("fp64"), 34e12);
  EXPECT_DOUBLE_EQ(h.matrix_peak_flops_per_s.at("fp32"), 67e12);
  EXPECT_DOUBLE_EQ(h.matrix_peak_flops_per_s.at("tf32"), 494.7e12);
  EXPECT_DOUBLE_EQ(h.matrix_peak_flops_per_s.at("bf16"), 989.4e12);
  EXPECT_DOUBLE_EQ(h.matrix_peak_flops_per_s.at("fp16"), 989.4e12);
  EXPECT_DOUBLE_EQ(h.matrix_peak_flops_per_s.at("fp8"), 1978.9e12);
  EXPECT_DOUBLE_EQ(h.matrix_peak_flops_per_s.at("int8"), 1978.9e12);
  EXPECT_DOUBLE_EQ(h.memory_bandwidth_bytes_per_s, 3.35e12);
  EXPECT_DOUBLE_EQ(h.tdp_w, 700);
  ASSERT_EQ(h.caches.size(), 2u);
  EXPECT_EQ(h.caches[1].name, "L2");
  EXPECT_DOUBLE_EQ(h.caches[1].capacity_bytes, 50.0 * 1024 * 1024);
  ASSERT_TRUE(h.interconnect.has_value());
  EXPECT_DOUBLE_EQ(h.interconnect->bandwidth_bytes_per_s * 2, 900e9);
  EXPECT_TRUE(HasText(h.sources.at("matrix_peak_flops_per_s.bf16"), "datasheet"));
  EXPECT_EQ(h.origin, "embedded:h100-sxm5-80gb.yaml");
  // The roofline the estimators read: peak × bf16 matrix efficiency / (bandwidth × memory
  // efficiency), the efficiencies as the file gives them.
  EXPECT_NEAR(*h.ridge_point("bf16"),
              989.4e12 * h.efficiency.matrix_at("bf16") / (3.35e12 * h.efficiency.memory), 1e-6);
}

TEST(HardwareRegistryTest, OtherTargetsMatchTheirDatasheets) {
  const HardwareModel a = get("a100-sxm4-80gb");
  EXPECT_EQ(a.compute_units, 108);
  EXPECT_DOUBLE_EQ(a.matrix_peak_flops_per_s.at("fp32"), 19.5e12);
  EXPECT_DOUBLE_EQ(a.matrix_peak_flops_per_s.at("tf32"), 156e12);
  EXPECT_DOUBLE_EQ(a.matrix_peak_flops_per_s.at("bf16"), 312e12);
  EXPECT_DOUBLE_EQ(a.matrix_peak_flops_per_s.at("int8"), 624e12);
  EXPECT_DOUBLE_EQ(a.memory_bandwidth_bytes_per_s, 2.039e12);
  EXPECT_DOUBLE_EQ(a.caches.back().capacity_bytes, 40.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(a.tdp_w, 400);

  const HardwareModel j = get("jetson-orin-agx-64gb");
  EXPECT_DOUBLE_EQ(j.memory_bandwidth_bytes_per_s, 204.8e9);
  EXPECT_NEAR(j.matrix_peak_flops_per_s.at("fp32"), 2048 * 2 * 1.3005e9, 1e9);
  EXPECT_NEAR(j.matrix_peak_flops_per_s.at("int8") * 2, 170e12, 1e12);  // 170 sparse TOPS

  const HardwareModel i7 = get("i7-12700k");
  EXPECT_EQ(i7.kind, "cpu");
  EXPECT_EQ(i7.compute_units, 12);
  EXPECT_DOUBLE_EQ(i7.memory_bandwidth_bytes_per_s, 76.8e9);
  EXPECT_DOUBLE_EQ(i7.caches.back().capacity_bytes, 25.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(i7.tdp_w, 125);

  const HardwareModel t = get("tpu-v4");
  EXPECT_EQ(t.kind, "tpu");
  EXPECT_DOUBLE_EQ(t.matrix_peak_flops_per_s.at("bf16"), 275e12);
  // 2 TensorCores × 4 MXUs × 128 × 128 MACs × 2 × 1.05 GHz.
  EXPECT_NEAR(t.matrix_peak_flops_per_s.at("bf16"), 2 * 4 * 128 * 128 * 2 * t.clock_hz, 0.5e12);
  EXPECT_DOUBLE_EQ(t.memory_bandwidth_bytes_per_s, 1.2e12);
  EXPECT_DOUBLE_EQ(t.tdp_w, 192);
}

TEST(HardwareRegistryTest, UnknownIdSuggestsTheClosest) {
  auto model = registry().get("h100");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(HasText(model.error().message(), "unknown hardware 'h100'; did you mean"));
  EXPECT_TRUE(HasText(model.error().message(), "h100-sxm5-80gb"));
  EXPECT_EQ(exit_status(model.error()), 2);
}

TEST(HardwareRegistryTest, LookupIsCaseInsensitive) {
  EXPECT_EQ(get("H100-SXM5-80GB").id, "h100-sxm5-80gb");
  EXPECT_EQ(get("Jetson-Orin-AGX-64GB:MAXN").id, "jetson-orin-agx-64gb:maxn");
}

TEST(HardwareRegistryTest, PowerModeChangesPeaksAndPower) {
  const HardwareModel base = get("jetson-orin-agx-64gb");
  const HardwareModel m30 = get("jetson-orin-agx-64gb:30w");
  const HardwareModel m15 = get("jetson-orin-agx-64gb:15w");
  EXPECT_EQ(m30.id, "jetson-orin-agx-64gb:30w");
  EXPECT_EQ(m30.active_power_mode, "30w");
  EXPECT_TRUE(base.active_power_mode.empty());
  EXPECT_DOUBLE_EQ(m30.tdp_w, 30);
  EXPECT_DOUBLE_EQ(m15.tdp_w, 15);
  EXPECT_DOUBLE_EQ(m30.clock_hz, 624.75e6);
  EXPECT_EQ(m30.compute_units, 8);
  for (const char* p : {"fp32", "fp16", "int8"}) {
    EXPECT_LT(m30.matrix_peak_flops_per_s.at(p), base.matrix_peak_flops_per_s.at(p)) << p;
    EXPECT_LT(m15.matrix_peak_flops_per_s.at(p), m30.matrix_peak_flops_per_s.at(p)) << p;
    // Scaled by clock and online SMs.
    EXPECT_NEAR(m30.matrix_peak_flops_per_s.at(p) / base.matrix_peak_flops_per_s.at(p),
                (8.0 / 16) * (624.75 / 1300.5), 1e-3)
        << p;
  }
  EXPECT_LT(m15.memory_bandwidth_bytes_per_s, base.memory_bandwidth_bytes_per_s);
  EXPECT_TRUE(HasText(m30.sources.at("clock_hz"), "MODE_30W"));
  EXPECT_TRUE(HasText(m30.sources.at("matrix_peak_flops_per_s.fp16"), "derived: scaled by clock"));
  EXPECT_TRUE(HasText(m30.sources.at("tdp_w"), "30 W"));
  // MAXN is the base.
  const HardwareModel maxn = get("jetson-orin-agx-64gb:maxn");
  EXPECT_EQ(maxn.matrix_peak_flops_per_s, base.matrix_peak_flops_per_s);
}

TEST(HardwareRegistryTest, UnknownPowerModeListsTheModes) {
  auto model = registry().get("jetson-orin-agx-64gb:99w");
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.error().code(), ErrorCode::kNotFound);
  for (const char* mode : {"'99w'", "15w", "30w", "50w", "maxn"}) {
    EXPECT_TRUE(HasText(model.error().message(), mode));
  }
  auto none = registry().get("h100-sxm5-80gb:30w");
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(HasText(none.error().message(), "has no power modes"));
}

TEST(HardwareRegistryTest, MinimalFixtureIsValid) {
  auto model = HardwareRegistry::parse_yaml(kMinimal, "test-gpu.yaml");
  ASSERT_TRUE(model.ok()) << model.error().message();
  EXPECT_EQ(model->id, "test-gpu");
  EXPECT_EQ(model->sources.at("tdp_w"), "test datasheet");
}

TEST(HardwareRegistryTest, MissingSourceNamesFileAndField) {
  const Error e = parse_error(replace(kMinimal, R"(tdp_w: {value: 300, source: "test datasheet"})",
                                      "tdp_w: {value: 300}"));
  EXPECT_EQ(e.code(), ErrorCode::kParseError);
  EXPECT_TRUE(HasText(e.message(), "test-gpu.yaml:23: tdp_w: missing source"));
  EXPECT_EQ(e.message().find('\n'), std::string::npos);

  // A bare number has no source either.
  const Error bare = parse_error(replace(
      kMinimal, R"(  fp16: {value: 100e12, source: "test datasheet"})", "  fp16: 100e12"));
  EXPECT_TRUE(HasText(bare.message(), "matrix_peak_flops_per_s.fp16: missing source"));

  const Error empty = parse_error(replace(kMinimal, R"(clock_hz: {value: 1.0e9, source: "test datasheet"})",
                                          R"(clock_hz: {value: 1.0e9, source: " "})"));
  EXPECT_TRUE(HasText(empty.message(), "clock_hz: source is empty"));
}

TEST(HardwareRegistryTest, UnknownKeyGetsSuggestion) {
  const Error top = parse_error(
      replace(kMinimal, "memory_bandwidth_bytes_per_s:", "memory_bandwith_bytes_per_s:"));
  EXPECT_TRUE(HasText(top.message(), "test-gpu.yaml:12"));
  EXPECT_TRUE(HasText(top.message(), "unknown key 'memory_bandwith_bytes_per_s'; did you mean "
                        "memory_bandwidth_bytes_per_s?"));

  const Error nested = parse_error(replace(kMinimal, "  matrix: {value: 0.8", "  matrx: {value: 0.8"));
  EXPECT_TRUE(HasText(nested.message(), "efficiency: unknown key 'matrx'; did you mean matrix"));

  const Error figure = parse_error(replace(kMinimal, R"(tdp_w: {value: 300, source: "test datasheet"})",
                                           R"(tdp_w: {value: 300, sorce: "test datasheet"})"));
  EXPECT_TRUE(HasText(figure.message(), "tdp_w: unknown key 'sorce'; did you mean source?"));
}

TEST(HardwareRegistryTest, UnknownPrecisionGetsSuggestion) {
  const Error e = parse_error(replace(kMinimal, "  fp16: {value: 100e12", "  fp61: {value: 100e12"));
  EXPECT_TRUE(HasText(e.message(), "matrix_peak_flops_per_s: unknown precision 'fp61'"));
  EXPECT_TRUE(HasText(e.message(), "fp16"));
}

TEST(HardwareRegistryTest, ValuesOutOfRangeAreRefused) {
  const Error negative = parse_error(replace(kMinimal, "fp32: {value: 10e12", "fp32: {value: -10e12"));
  EXPECT_TRUE(HasText(negative.message(), "test-gpu.yaml:9: matrix_peak_flops_per_s.fp32: must be > 0"));

  const Error zero = parse_error(replace(kMinimal, "memory_bandwidth_bytes_per_s: {value: 1e12",
                                         "memory_bandwidth_bytes_per_s: {value: 0"));
  EXPECT_TRUE(HasText(zero.message(), "memory_bandwidth_bytes_per_s: must be > 0"));

  const Error eff = parse_error(replace(kMinimal, "matrix: {value: 0.8", "matrix: {value: 1.3"));
  EXPECT_TRUE(HasText(eff.message(), "efficiency.matrix: efficiency must be in (0, 1], got 1.3"));
  const Error eff0 = parse_error(replace(kMinimal, "memory: {value: 0.9", "memory: {value: 0"));
  EXPECT_TRUE(HasText(eff0.message(), "efficiency.memory: efficiency must be in (0, 1]"));

  const Error units = parse_error(replace(kMinimal, "compute_units: {value: 10,", "compute_units: {value: 10.5,"));
  EXPECT_TRUE(HasText(units.message(), "compute_units: must be a whole number"));

  const Error text = parse_error(replace(kMinimal, "clock_hz: {value: 1.0e9", "clock_hz: {value: fast"));
  EXPECT_TRUE(HasText(text.message(), "clock_hz.value: 'fast' is not a finite number"));

  const Error kind = parse_error(replace(kMinimal, "kind: gpu", "kind: gpus"));
  EXPECT_TRUE(HasText(kind.message(), "kind: unknown kind 'gpus'; did you mean gpu"));

  const Error energy = parse_error(replace(kMinimal, R"(  fp16: {value: 1e-12, source: "estimate: test"})", ""));
  EXPECT_TRUE(HasText(energy.message(), "energy_per_flop_j: no entry for 'fp16'"));
}

TEST(HardwareRegistryTest, MissingRequiredFieldIsNamed) {
  const Error e = parse_error(replace(kMinimal, R"(tdp_w: {value: 300, source: "test datasheet"})", ""));
  EXPECT_TRUE(HasText(e.message(), "test-gpu.yaml: missing required field 'tdp_w'"));
  const Error eff = parse_error(replace(kMinimal, R"(  vector: {value: 0.5, source: "estimate: test"})", ""));
  EXPECT_TRUE(HasText(eff.message(), "missing required field 'efficiency.vector'"));
  const Error version = parse_error(replace(kMinimal, "schema_version: 1\n", ""));
  EXPECT_TRUE(HasText(version.message(), "missing required field 'schema_version'"));
}

TEST(HardwareRegistryTest, WrongSchemaVersionIsUnsupported) {
  const Error e = parse_error(replace(kMinimal, "schema_version: 1", "schema_version: 2"));
  EXPECT_EQ(e.code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(HasText(e.message(), "test-gpu.yaml:1: schema_version: version 2 is not supported"));
}

TEST(HardwareRegistryTest, BrokenYamlAndDuplicateKeysAreParseErrors) {
  const Error syntax = parse_error("schema_version: 1\nid: [unclosed\n");
  EXPECT_EQ(syntax.code(), ErrorCode::kParseError);
  EXPECT_TRUE(HasText(syntax.message(), "test-gpu.yaml:"));
  EXPECT_TRUE(HasText(syntax.message(), "invalid YAML"));

  const Error dup = parse_error(std::string(kMinimal) + "tdp_w: {value: 1, source: \"x\"}\n");
  EXPECT_TRUE(HasText(dup.message(), "duplicate key 'tdp_w'"));

  EXPECT_TRUE(HasText(parse_error("").message(), "empty hardware file"));
  EXPECT_TRUE(HasText(parse_error("- 1\n- 2\n").message(), "expected a mapping"));
}

TEST(HardwareRegistryTest, PowerModesMustListTheBasePrecisions) {
  const std::string with_mode = std::string(kMinimal) + R"(power_modes:
  low:
    power_w: {value: 100, source: "test"}
    matrix_peak_flops_per_s:
      fp32: {value: 5e12, source: "derived: test"}
)";
  const Error e = parse_error(with_mode);
  EXPECT_TRUE(HasText(e.message(), "power_modes.low.matrix_peak_flops_per_s: must list the same precisions"));

  const std::string good = std::string(kMinimal) + R"(power_modes:
  low:
    power_w: {value: 100, source: "test"}
    clock_hz: {value: 0.5e9, source: "test"}
)";
  auto model = HardwareRegistry::parse_yaml(good, "test-gpu.yaml");
  ASSERT_TRUE(model.ok()) << model.error().message();
  auto low = apply_power_mode(*model, "LOW");
  ASSERT_TRUE(low.ok()) << low.error().message();
  EXPECT_DOUBLE_EQ(low->clock_hz, 0.5e9);
  EXPECT_DOUBLE_EQ(low->tdp_w, 100);
  EXPECT_EQ(low->sources.at("tdp_w"), "test");
  // Peaks the mode does not set stay the base's.
  EXPECT_DOUBLE_EQ(low->matrix_peak_flops_per_s.at("fp16"), 100e12);
}

// --- host ----------------------------------------------------------------------------------

// /proc/cpuinfo text for `sockets` × `cores` × `threads` processors.
std::string fake_cpuinfo(const std::string& vendor, const std::string& model, int sockets, int cores,
                         int threads, const std::string& flags, double mhz) {
  std::string out;
  int n = 0;
  for (int s = 0; s < sockets; ++s) {
    for (int t = 0; t < threads; ++t) {
      for (int c = 0; c < cores; ++c) {
        out += "processor\t: " + std::to_string(n++) + "\nvendor_id\t: " + vendor +
               "\nmodel name\t: " + model + "\ncpu MHz\t\t: " + std::to_string(mhz) +
               "\nphysical id\t: " + std::to_string(s) + "\ncore id\t\t: " + std::to_string(c) +
               "\ncpu cores\t: " + std::to_string(cores) + "\nflags\t\t: " + flags + "\n\n";
      }
    }
  }
  return out;
}

HostFacts facts_for(const std::string& cpuinfo, double clock_hz) {
  HostFacts f;
  f.cpu = parse_cpuinfo(cpuinfo);
  f.logical_cpus = f.cpu.logical_cpus;
  f.physical_cores = f.cpu.physical_cores;
  f.cores_source = "test";
  f.clock_hz = clock_hz;
  f.clock_source = "test";
  f.memory_bytes = 64e9;
  f.memory_source = "test";
  return f;
}

const char* kAvx2Flags = "fpu sse sse2 ssse3 sse4_1 sse4_2 avx f16c fma avx2 bmi2 hybrid_cpu";
const char* kSprFlags =
    "fpu sse sse2 avx fma avx2 avx512f avx512dq avx512bw avx512vl avx512_vnni avx512_bf16 "
    "avx512_fp16 amx_bf16 amx_tile amx_int8";

TEST(HardwareRegistryTest, ParseCpuinfoCountsCoresAndFlags) {
  const CpuInfoFacts f = parse_cpuinfo(fake_cpuinfo(
      "GenuineIntel", "Intel(R) Xeon(R) Platinum 8480+ @ 2.00GHz", 2, 4, 2, kSprFlags, 1999.9));
  EXPECT_EQ(f.logical_cpus, 16);
  EXPECT_EQ(f.physical_cores, 8);
  EXPECT_EQ(f.sockets, 2);
  EXPECT_EQ(f.vendor_id, "GenuineIntel");
  EXPECT_DOUBLE_EQ(f.model_name_ghz, 2.0);
  EXPECT_NEAR(f.cpu_mhz, 1999.9, 1e-6);
  EXPECT_TRUE(f.flags.count("amx_tile"));
  EXPECT_FALSE(f.flags.count("avx512"));
}

TEST(HardwareRegistryTest, HostPeakOnAvx2Machine) {
  // 8 cores × 4.9 GHz × 2 FMA units × 8 fp32 lanes × 2 FLOP = 1254.4 GFLOP/s.
  const HostFacts f = facts_for(
      fake_cpuinfo("GenuineIntel", "12th Gen Intel(R) Core(TM) i7-12700K", 1, 8, 2, kAvx2Flags, 3600),
      4.9e9);
  auto m = host_model_from_facts(f);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_EQ(m->id, "host");
  EXPECT_TRUE(m->derived);
  EXPECT_EQ(m->compute_units, 8);
  EXPECT_DOUBLE_EQ(m->matrix_peak_flops_per_s.at("fp32"), 8 * 4.9e9 * 2 * 8 * 2);
  EXPECT_DOUBLE_EQ(m->matrix_peak_flops_per_s.at("fp64"), 8 * 4.9e9 * 2 * 4 * 2);
  EXPECT_FALSE(m->matrix_peak_flops_per_s.count("bf16"));  // no AVX512_BF16, no AMX
  EXPECT_TRUE(HasText(m->sources.at("matrix_peak_flops_per_s.fp32"), "derived: 8 physical cores × 4.9 GHz × 2 FMA units × 8 fp32 lanes (AVX2)"));
  EXPECT_TRUE(HasText(m->sources.at("memory_bandwidth_bytes_per_s"), "estimate:"));
  EXPECT_TRUE(HasText(::testing::PrintToString(m->notes), "hybrid CPU"));
}

TEST(HardwareRegistryTest, HostPeakOnAvx512AmxMachine) {
  const double f_hz = 3.0e9;
  const HostFacts f = facts_for(
      fake_cpuinfo("GenuineIntel", "Intel(R) Xeon(R) Platinum 8480+", 1, 56, 2, kSprFlags, 2000), f_hz);
  auto m = host_model_from_facts(f);
  ASSERT_TRUE(m.ok()) << m.error().message();
  const double fp32 = 56 * f_hz * 2 * 16 * 2;  // two 512-bit FMA units, 16 lanes
  EXPECT_DOUBLE_EQ(m->vector_peak_flops_per_s.at("fp32"), fp32);
  EXPECT_DOUBLE_EQ(m->vector_peak_flops_per_s.at("bf16"), 2 * fp32);   // AVX512_BF16
  EXPECT_DOUBLE_EQ(m->vector_peak_flops_per_s.at("int8"), 4 * fp32);   // AVX512_VNNI
  EXPECT_DOUBLE_EQ(m->matrix_peak_flops_per_s.at("bf16"), 56 * f_hz * 1024);  // AMX
  EXPECT_DOUBLE_EQ(m->matrix_peak_flops_per_s.at("int8"), 56 * f_hz * 2048);  // AMX
  EXPECT_TRUE(HasText(m->sources.at("matrix_peak_flops_per_s.bf16"), "amx_bf16"));
  EXPECT_GT(m->matrix_peak_flops_per_s.at("bf16"), m->matrix_peak_flops_per_s.at("fp32"));
}

TEST(HardwareRegistryTest, HostPeakOnAmdAvx512AndArm) {
  const HostFacts zen4 = facts_for(
      fake_cpuinfo("AuthenticAMD", "AMD Ryzen 9 7950X", 1, 16, 2, "sse2 avx fma avx2 avx512f avx512_bf16", 5000),
      5.7e9);
  auto m = host_model_from_facts(zen4);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_DOUBLE_EQ(m->matrix_peak_flops_per_s.at("fp32"), 16 * 5.7e9 * 1 * 16 * 2);

  const std::string arm =
      "processor\t: 0\nBogoMIPS\t: 62.50\nFeatures\t: fp asimd asimdhp asimddp cpuid\n"
      "CPU implementer\t: 0x41\nCPU part\t: 0xd42\n\nprocessor\t: 1\nFeatures\t: fp asimd\n"
      "CPU implementer\t: 0x41\nCPU part\t: 0xd42\n";
  HostFacts a = facts_for(arm, 2.2e9);
  a.physical_cores = 2;
  auto am = host_model_from_facts(a);
  ASSERT_TRUE(am.ok()) << am.error().message();
  EXPECT_EQ(am->vendor, "ARM");
  EXPECT_DOUBLE_EQ(am->matrix_peak_flops_per_s.at("fp32"), 2 * 2.2e9 * 2 * 4 * 2);
  EXPECT_DOUBLE_EQ(am->matrix_peak_flops_per_s.at("fp16"), 2 * 2 * 2.2e9 * 2 * 4 * 2);
  EXPECT_DOUBLE_EQ(am->matrix_peak_flops_per_s.at("int8"), 4 * 2 * 2.2e9 * 2 * 4 * 2);
}

TEST(HardwareRegistryTest, HostParseHelpers) {
  EXPECT_EQ(parse_cache_size_bytes("32K"), 32768.0);
  EXPECT_EQ(parse_cache_size_bytes("1024 KB\n"), 1048576.0);
  EXPECT_EQ(parse_cache_size_bytes("8M"), 8388608.0);
  EXPECT_FALSE(parse_cache_size_bytes("lots").has_value());
  EXPECT_EQ(count_cpu_list("0-3,8,10-11\n"), 7);
  EXPECT_EQ(count_cpu_list("5"), 1);
  EXPECT_EQ(count_cpu_list("3-1"), 0);
  EXPECT_EQ(parse_meminfo_total_bytes("MemTotal:       24683656 kB\nMemFree: 1 kB\n"),
            24683656.0 * 1024);
  EXPECT_FALSE(parse_meminfo_total_bytes("MemFree: 1 kB\n").has_value());
}

void write_file(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A fake /proc and /sys: two cores, private L1/L2, a shared L3, no cpufreq.
fs::path make_fake_root(const std::string& name) {
  const fs::path root = fs::temp_directory_path() / ("graphs_hardware_test_" + name);
  fs::remove_all(root);
  write_file(root / "proc/cpuinfo",
             fake_cpuinfo("AuthenticAMD", "AMD EPYC 7B13", 1, 2, 1, "sse2 avx fma avx2", 2450.0));
  write_file(root / "proc/meminfo", "MemTotal:       16384000 kB\n");
  for (int cpu = 0; cpu < 2; ++cpu) {
    const fs::path cache = root / ("sys/devices/system/cpu/cpu" + std::to_string(cpu)) / "cache";
    const std::string self = std::to_string(cpu);
    struct Index {
      const char* level;
      const char* type;
      const char* size;
      std::string shared;
    };
    const Index indices[] = {{"1", "Data", "32K", self},
                             {"1", "Instruction", "32K", self},
                             {"2", "Unified", "512K", self},
                             {"3", "Unified", "32768K", "0-1"}};
    for (int i = 0; i < 4; ++i) {
      const fs::path dir = cache / ("index" + std::to_string(i));
      write_file(dir / "level", std::string(indices[i].level) + "\n");
      write_file(dir / "type", std::string(indices[i].type) + "\n");
      write_file(dir / "size", std::string(indices[i].size) + "\n");
      write_file(dir / "shared_cpu_list", indices[i].shared + "\n");
    }
  }
  return root;
}

TEST(HardwareRegistryTest, HostFromFakeFilesystemTotalsCaches) {
  const fs::path root = make_fake_root("caches");
  auto facts = read_host_facts(root.string());
  ASSERT_TRUE(facts.ok()) << facts.error().message();
  EXPECT_EQ(facts->physical_cores, 2);
  EXPECT_DOUBLE_EQ(facts->clock_hz, 2450e6);  // no cpufreq: "cpu MHz", noted
  EXPECT_TRUE(HasText(facts->clock_source, "cpu MHz"));
  EXPECT_TRUE(HasText(::testing::PrintToString(facts->notes), "no cpufreq"));
  EXPECT_DOUBLE_EQ(facts->memory_bytes, 16384000.0 * 1024);

  auto m = host_model_from_facts(*facts);
  ASSERT_TRUE(m.ok()) << m.error().message();
  ASSERT_EQ(m->caches.size(), 3u);
  EXPECT_EQ(m->caches[0].name, "L1");
  EXPECT_DOUBLE_EQ(m->caches[0].capacity_bytes, 2 * 32768.0);   // per core × 2, data only
  EXPECT_DOUBLE_EQ(m->caches[1].capacity_bytes, 2 * 524288.0);  // per core × 2
  EXPECT_DOUBLE_EQ(m->caches[2].capacity_bytes, 32768.0 * 1024);  // one shared instance
  EXPECT_DOUBLE_EQ(m->matrix_peak_flops_per_s.at("fp32"), 2 * 2450e6 * 2 * 8 * 2);

  // With cpufreq the max frequency comes from there.
  write_file(root / "sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq", "3500000\n");
  auto with_freq = read_host_facts(root.string());
  ASSERT_TRUE(with_freq.ok());
  EXPECT_DOUBLE_EQ(with_freq->clock_hz, 3.5e9);
  EXPECT_TRUE(HasText(with_freq->clock_source, "cpuinfo_max_freq"));
  fs::remove_all(root);
}

TEST(HardwareRegistryTest, HostWithoutSysfsFallsBack) {
  const fs::path root = fs::temp_directory_path() / "graphs_hardware_test_bare";
  fs::remove_all(root);
  write_file(root / "proc/cpuinfo",
             fake_cpuinfo("GenuineIntel", "Intel(R) Xeon(R) CPU @ 2.20GHz", 1, 4, 2, "sse2 avx fma avx2", 0));
  write_file(root / "proc/meminfo", "MemTotal: 8000000 kB\n");
  auto facts = read_host_facts(root.string());
  ASSERT_TRUE(facts.ok()) << facts.error().message();
  EXPECT_DOUBLE_EQ(facts->clock_hz, 2.2e9);  // from the model name
  EXPECT_TRUE(HasText(::testing::PrintToString(facts->notes), "no cache information"));
  auto m = host_model_from_facts(*facts);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_TRUE(m->caches.empty());
  EXPECT_EQ(m->compute_units, 4);

  fs::remove(root / "proc/cpuinfo");
  auto missing = read_host_facts(root.string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIoError);
  fs::remove_all(root);
}

TEST(HardwareRegistryTest, DetectHostOnThisMachine) {
  auto host = detect_host();
  ASSERT_TRUE(host.ok()) << host.error().message();
  EXPECT_EQ(host->id, "host");
  EXPECT_EQ(host->kind, "cpu");
  EXPECT_TRUE(host->derived);
  EXPECT_EQ(host->origin, "detected");
  EXPECT_GE(host->compute_units, 1);
  EXPECT_GT(host->matrix_peak_flops_per_s.at("fp32"), 1e9);
  EXPECT_GT(host->memory_bytes, 0);
  EXPECT_TRUE(HasText(host->sources.at("matrix_peak_flops_per_s.fp32"), "derived:"));
  EXPECT_EQ(registry().get("host")->name, host->name);
}

// --- GRAPHS_HARDWARE_PATH ---------------------------------------------------------------------

class ScopedHardwarePath {
 public:
  explicit ScopedHardwarePath(const std::string& value) {
    if (const char* old = std::getenv("GRAPHS_HARDWARE_PATH")) old_ = old;
    setenv("GRAPHS_HARDWARE_PATH", value.c_str(), 1);
  }
  ~ScopedHardwarePath() {
    if (old_) {
      setenv("GRAPHS_HARDWARE_PATH", old_->c_str(), 1);
    } else {
      unsetenv("GRAPHS_HARDWARE_PATH");
    }
  }

 private:
  std::optional<std::string> old_;
};

TEST(HardwareRegistryTest, HardwarePathAddsAndOverridesTargets) {
  const fs::path dir = fs::temp_directory_path() / "graphs_hardware_test_path";
  fs::remove_all(dir);
  write_file(dir / "test-gpu.yaml", kMinimal);
  write_file(dir / "host.yaml", replace(replace(kMinimal, "id: test-gpu", "id: host"),
                                        "kind: gpu", "kind: cpu"));
  {
    ScopedHardwarePath path("/nonexistent-graphs-dir-for-test::" + dir.string());
    auto loaded = HardwareRegistry::load_default();
    EXPECT_FALSE(loaded.ok());
    if (!loaded.ok()) {
      EXPECT_TRUE(HasText(loaded.error().message(), "/nonexistent-graphs-dir-for-test"));
    }
  }
  {
    ScopedHardwarePath path(dir.string());
    auto loaded = HardwareRegistry::load_default();
    ASSERT_TRUE(loaded.ok()) << loaded.error().message();
    auto added = loaded->get("test-gpu");
    ASSERT_TRUE(added.ok());
    EXPECT_EQ(added->origin, (dir / "test-gpu.yaml").string());
    auto host = loaded->get("host");
    ASSERT_TRUE(host.ok());
    EXPECT_EQ(host->name, "Test GPU");  // the file replaces the detected host
    EXPECT_TRUE(HasText(::testing::PrintToString(host->notes), "replaces the definition"));
    EXPECT_TRUE(loaded->get("h100-sxm5-80gb").ok());
  }
  // A bad file fails the load with its name; a file named for another id too.
  write_file(dir / "bad.yaml", "schema_version: 1\nid: bad\ntdp: 3\n");
  {
    ScopedHardwarePath path(dir.string());
    auto loaded = HardwareRegistry::load_default();
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(HasText(loaded.error().message(), "bad.yaml:3"));
    EXPECT_TRUE(HasText(loaded.error().message(), "did you mean tdp_w"));
  }
  fs::remove(dir / "bad.yaml");
  write_file(dir / "other-name.yaml", kMinimal);
  {
    ScopedHardwarePath path(dir.string());
    auto loaded = HardwareRegistry::load_default();
    ASSERT_FALSE(loaded.ok());
    EXPECT_TRUE(HasText(loaded.error().message(), "does not match the file name"));
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace graphs
