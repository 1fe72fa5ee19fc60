// Every hardware target against the schema AND plausibility rules: peaks ordered across
// precisions, figures within the ranges real parts of their kind have, energy consistent with the
// power budget, sources everywhere (the HardwareRegistryTest suite checks parsing and errors).
#include <gtest/gtest.h>

#include <string>

#include "graphs/hardware/hardware_spec.h"
#include "graphs/hardware/registry.h"

namespace graphs {
namespace {

const HardwareRegistry& registry() {
  static const HardwareRegistry* r = [] {
    auto loaded = HardwareRegistry::load_default();
    EXPECT_TRUE(loaded.ok()) << loaded.error().message();
    return new HardwareRegistry(loaded.ok() ? std::move(loaded).value() : HardwareRegistry());
  }();
  return *r;
}

TEST(HardwareSanityTest, RegistryHasAtLeast25Targets) {
  int bases = 0;
  for (const auto& id : registry().ids()) bases += id.find(':') == std::string::npos;
  EXPECT_GE(bases, 25);
  for (const char* id : {"coral-edge-tpu", "jetson-orin-agx-32gb", "mi300x", "a10", "b200-sxm-180gb",
                         "h200-sxm-141gb", "tpu-v5p", "graviton3"}) {
    EXPECT_TRUE(registry().get(id).ok()) << id;
  }
}

TEST(HardwareSanityTest, EveryTargetIsPlausible) {
  for (const auto& id : registry().ids()) {
    SCOPED_TRACE(id);
    auto got = registry().get(id);
    ASSERT_TRUE(got.ok());
    const HardwareModel& m = *got;
    const auto& peaks = m.matrix_peak_flops_per_s;
    auto has = [&](const char* p) { return peaks.count(p) > 0; };
    auto peak = [&](const char* p) { return peaks.at(p); };
    // Precisions: wider never faster (a little slack for rounded datasheet figures).
    const double slack = 1.0001;
    if (has("fp64") && has("fp32")) EXPECT_LE(peak("fp64"), peak("fp32") * slack);
    if (has("fp32") && has("tf32")) EXPECT_LE(peak("fp32"), peak("tf32") * slack);
    if (has("tf32") && has("fp16")) EXPECT_LE(peak("tf32"), peak("fp16") * slack);
    if (has("fp32") && has("bf16")) EXPECT_LE(peak("fp32"), peak("bf16") * slack);
    if (has("fp16") && has("fp8")) EXPECT_LE(peak("fp16"), peak("fp8") * slack);
    if (has("fp16") && has("int8")) EXPECT_LE(peak("fp16"), peak("int8") * slack);
    if (has("int8") && has("int4")) EXPECT_LE(peak("int8"), peak("int4") * slack);
    // Either fp32 or an integer-only accelerator.
    EXPECT_TRUE(has("fp32") || m.integer_only());
    for (const auto& [p, v] : peaks) {
      EXPECT_GE(v, 1e10) << p;   // ≥ 10 GFLOP/s: anything slower is a unit slip
      EXPECT_LE(v, 2e16) << p;   // ≤ 20 PFLOP/s dense per device
      EXPECT_GE(v, m.vector_peak(p).value_or(0) * 0.999) << p << ": vector above matrix";
    }
    // Memory: from 1 MiB (on-chip-only accelerators) to 1 TiB; 100 MB/s to 20 TB/s.
    EXPECT_GE(m.memory_bytes, 1 << 20);
    EXPECT_LE(m.memory_bytes, 1099511627776.0);
    EXPECT_GE(m.memory_bandwidth_bytes_per_s, 1e8);
    EXPECT_LE(m.memory_bandwidth_bytes_per_s, 2e13);
    for (const auto& c : m.caches) {
      EXPECT_GT(c.capacity_bytes, 0) << c.name;
      if (c.bandwidth_bytes_per_s > 0) {
        EXPECT_GT(c.bandwidth_bytes_per_s, m.memory_bandwidth_bytes_per_s) << c.name;
      }
    }
    // Power: 0.5 W (USB sticks) to 2 kW (a superchip), static below TDP.
    EXPECT_GE(m.tdp_w, 0.5);
    EXPECT_LE(m.tdp_w, 2000);
    EXPECT_LT(m.static_power_w, m.tdp_w);
    // Clock 100 MHz - 6 GHz; compute units 1 - 1024.
    EXPECT_GE(m.clock_hz, 1e8);
    EXPECT_LE(m.clock_hz, 6e9);
    EXPECT_GE(m.compute_units, 1);
    EXPECT_LE(m.compute_units, 1024);
    // Energy: 0.01 - 1000 pJ per FLOP (CPU fp64 upper bounds reach a few hundred); the dynamic power at the peak may not exceed ~1.5× TDP
    // (the files derive energy as (TDP − static) / peak, an upper bound); DRAM 1 - 200 pJ/byte.
    for (const auto& [p, v] : peaks) {
      const double e = m.energy_per_flop(p).value_or(0);
      EXPECT_GE(e, 1e-14) << p;
      EXPECT_LE(e, 1e-9) << p;
      EXPECT_LE(e * v, 1.5 * m.tdp_w) << p << ": energy x peak exceeds the power budget";
    }
    EXPECT_GE(m.energy_per_dram_byte_j, 1e-12);
    EXPECT_LE(m.energy_per_dram_byte_j, 2e-10);
    // Overheads: launch 0 - 100 us; a graph replay no dearer than a launch.
    EXPECT_LE(m.kernel_launch_s, 1e-4);
    if (m.graph_kernel_launch_s) EXPECT_LE(*m.graph_kernel_launch_s, m.kernel_launch_s);
    // Systolic arrays: the array's peak matches the file's bf16 (or int8) peak within 2 %.
    if (m.systolic_array) {
      const auto& a = *m.systolic_array;
      const double array_peak = 2.0 * a.rows * a.cols * a.count * m.clock_hz;
      const double file_peak = has("bf16") ? peak("bf16") : peak("int8");
      EXPECT_NEAR(array_peak / file_peak, 1.0, 0.02);
      EXPECT_TRUE(m.sources.count("systolic_array.rows"));
    }
    if (m.graph_kernel_launch_s) EXPECT_TRUE(m.sources.count("graph_kernel_launch_s"));
  }
}

TEST(HardwareSanityTest, SchemaRefusesBadSystolicArrayAndGraphLaunch) {
  const std::string base = R"(schema_version: 1
id: t
name: T
vendor: T
kind: tpu
compute_units: {value: 1, source: "d"}
clock_hz: {value: 1.0e9, source: "d"}
matrix_peak_flops_per_s:
  int8: {value: 4e12, source: "d"}
memory_bytes: {value: 8e6, source: "d"}
memory_bandwidth_bytes_per_s: {value: 5e8, source: "d"}
efficiency:
  matrix: {value: 0.5, source: "e"}
  vector: {value: 0.5, source: "e"}
  memory: {value: 0.5, source: "e"}
kernel_launch_s: {value: 1e-6, source: "e"}
energy_per_flop_j:
  int8: {value: 5e-13, source: "e"}
energy_per_dram_byte_j: {value: 1e-10, source: "e"}
static_power_w: {value: 0.5, source: "e"}
tdp_w: {value: 2, source: "d"}
)";
  auto ok = HardwareRegistry::parse_yaml(base, "t.yaml");
  ASSERT_TRUE(ok.ok()) << ok.error().message();  // int8-only is a valid file
  EXPECT_TRUE(ok->integer_only());
  auto bad = HardwareRegistry::parse_yaml(
      base + "systolic_array:\n  rows: {value: 128, source: \"d\"}\n  colz: {value: 128, source: \"d\"}\n",
      "t.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message().find("t.yaml:24: systolic_array: unknown key 'colz'; did you mean cols"),
            std::string::npos)
      << bad.error().message();
  auto missing = HardwareRegistry::parse_yaml(
      base + "systolic_array:\n  rows: {value: 128, source: \"d\"}\n  cols: {value: 128, source: \"d\"}\n",
      "t.yaml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("systolic_array.count"), std::string::npos)
      << missing.error().message();
  auto slow = HardwareRegistry::parse_yaml(
      base + "graph_kernel_launch_s: {value: 2e-6, source: \"e\"}\n", "t.yaml");
  ASSERT_FALSE(slow.ok());
  EXPECT_NE(slow.error().message().find("t.yaml:22: graph_kernel_launch_s: must not exceed"),
            std::string::npos)
      << slow.error().message();
}

}  // namespace
}  // namespace graphs
