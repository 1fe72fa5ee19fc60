// Interconnect registry (interconnect_registry.h): the embedded data/interconnect files, the
// schema's errors, did-you-mean, and $GRAPHS_INTERCONNECT_PATH.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "graphs/hardware/interconnect_registry.h"

namespace graphs {
namespace {

TEST(InterconnectRegistryTest, EmbeddedLinksLoadWithSources) {
  auto r = InterconnectRegistry::load_default();
  ASSERT_TRUE(r.ok()) << r.error().message();
  for (const char* id : {"nvlink-3", "nvlink-4", "nvlink-5", "pcie-4-x16", "pcie-5-x16",
                         "ib-hdr-200", "ib-ndr-400"}) {
    auto l = r->get(id);
    ASSERT_TRUE(l.ok()) << id;
    EXPECT_GT(l->bandwidth_bytes_per_s, 0) << id;
    EXPECT_FALSE(l->sources.at("bandwidth_bytes_per_s").empty()) << id;
    EXPECT_EQ(l->origin, std::string("embedded:") + id + ".yaml");
    // Vendors quote both directions together; the ring uses one direction.
    // (PCIe: the datasheets' 64/128 GB/s round 2 x 31.5/63 GB/s.)
    EXPECT_NEAR(l->bidirectional_bandwidth_bytes_per_s, 2 * l->bandwidth_bytes_per_s,
                0.02 * l->bidirectional_bandwidth_bytes_per_s)
        << id;
  }
}

TEST(InterconnectRegistryTest, NvLink4IsHalfOfTheDatasheetTotal) {
  auto r = InterconnectRegistry::load_default();
  ASSERT_TRUE(r.ok());
  auto l = r->get("NVLink-4");  // case-insensitive
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->name, "NVLink 4");
  EXPECT_DOUBLE_EQ(l->bandwidth_bytes_per_s, 450e9);
  EXPECT_DOUBLE_EQ(l->bidirectional_bandwidth_bytes_per_s, 900e9);
  const Interconnect i = l->to_interconnect();
  EXPECT_DOUBLE_EQ(i.bandwidth_bytes_per_s, 450e9);
  EXPECT_DOUBLE_EQ(i.latency_s, 3e-6);
  EXPECT_DOUBLE_EQ(r->get("ib-ndr-400")->bandwidth_bytes_per_s, 400e9 / 8);
}

TEST(InterconnectRegistryTest, UnknownIdSuggests) {
  auto r = InterconnectRegistry::load_default();
  ASSERT_TRUE(r.ok());
  auto l = r->get("nvlink4");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(l.error().message().rfind("unknown interconnect 'nvlink4'; did you mean nvlink-4", 0),
            0u)
      << l.error().message();
}

Result<InterconnectModel> parse(const std::string& body) {
  return InterconnectRegistry::parse_yaml(
      "schema_version: 1\nid: x\nname: X\nkind: nvlink\n" + body, "x.yaml");
}

TEST(InterconnectRegistryTest, SchemaErrorsNameFileLineAndField) {
  auto bare = parse("bandwidth_bytes_per_s: 450e9\n");
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error().code(), ErrorCode::kParseError);
  EXPECT_EQ(bare.error().message().rfind("x.yaml:5: bandwidth_bytes_per_s: missing source", 0), 0u)
      << bare.error().message();
  auto typo = parse("bandwith_bytes_per_s: {value: 1, source: s}\n");
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message().find("did you mean bandwidth_bytes_per_s"), std::string::npos)
      << typo.error().message();
  auto missing = parse("latency_s: {value: 1e-6, source: s}\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message().find("bandwidth_bytes_per_s: missing required field"),
            std::string::npos);
  auto zero = parse("bandwidth_bytes_per_s: {value: 0, source: s}\n");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message().find("must be > 0"), std::string::npos);
  auto lower_bidir = parse(
      "bandwidth_bytes_per_s: {value: 10, source: s}\n"
      "bidirectional_bandwidth_bytes_per_s: {value: 5, source: s}\n");
  ASSERT_FALSE(lower_bidir.ok());
  auto kind = InterconnectRegistry::parse_yaml(
      "schema_version: 1\nid: x\nname: X\nkind: nvlnk\nbandwidth_bytes_per_s: {value: 1, "
      "source: s}\n",
      "x.yaml");
  ASSERT_FALSE(kind.ok());
  EXPECT_NE(kind.error().message().find("did you mean nvlink"), std::string::npos);
  auto version = InterconnectRegistry::parse_yaml("schema_version: 2\nid: x\n", "x.yaml");
  ASSERT_FALSE(version.ok());
  EXPECT_EQ(version.error().code(), ErrorCode::kUnsupported);
}

TEST(InterconnectRegistryTest, PathDirectoryReplacesAndAdds) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("graphs_ic_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream f(dir / "nvlink-4.yaml");
    f << "schema_version: 1\nid: nvlink-4\nname: NVLink 4 measured\nkind: nvlink\n"
         "bandwidth_bytes_per_s: {value: 370e9, source: \"measured: nccl-tests busbw\"}\n";
    std::ofstream g(dir / "roce-100.yaml");
    g << "schema_version: 1\nid: roce-100\nname: RoCE 100G\nkind: ethernet\n"
         "bandwidth_bytes_per_s: {value: 12.5e9, source: \"100 Gb/s / 8\"}\n";
  }
  ::setenv("GRAPHS_INTERCONNECT_PATH", dir.c_str(), 1);
  auto r = InterconnectRegistry::load_default();
  ::unsetenv("GRAPHS_INTERCONNECT_PATH");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_DOUBLE_EQ(r->get("nvlink-4")->bandwidth_bytes_per_s, 370e9);
  EXPECT_EQ(r->get("nvlink-4")->notes.back(),
            "replaces the definition from embedded:nvlink-4.yaml");
  EXPECT_TRUE(r->get("roce-100").ok());
  ::setenv("GRAPHS_INTERCONNECT_PATH", (dir / "missing").c_str(), 1);
  auto bad = InterconnectRegistry::load_default();
  ::unsetenv("GRAPHS_INTERCONNECT_PATH");
  EXPECT_FALSE(bad.ok());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace graphs
