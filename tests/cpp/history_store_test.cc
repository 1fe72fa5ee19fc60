#include "graphs/history/history_store.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace graphs {
namespace {

std::string temp_db(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() / "graphs_history_test";
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::filesystem::remove(p);
  return p.string();
}

HistoryRecord record(const std::string& conversion, double predicted, double measured) {
  HistoryRecord r;
  r.time_utc = "2026-11-23T17:00:00Z";
  r.git_commit = "abc123";
  r.graphs_version = "0.1.0";
  r.hardware_fingerprint = "fp1";
  r.hardware_id = "host";
  r.model = "resnet18";
  r.batch = 8;
  r.conversion = conversion;
  r.predicted_latency_s = predicted;
  r.measured_latency_s = measured;
  return r;
}

TEST(HistoryStoreTest, AppendAndQueryRoundTrip) {
  const auto path = temp_db("roundtrip.sqlite");
  {
    auto store = HistoryStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().message();
    auto id1 = store->append(record("EAGER", 0.010, 0.012));
    ASSERT_TRUE(id1.ok());
    HistoryRecord failed = record("ONNX_CPU", 0.008, 0);
    failed.measured_latency_s.reset();
    failed.status = "failed";
    failed.detail = "worker exited with SIGSEGV";
    ASSERT_TRUE(store->append(failed).ok());
  }
  auto store = HistoryStore::open(path);  // reopened: the records persisted
  ASSERT_TRUE(store.ok());
  auto all = store->query({});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].conversion, "EAGER");  // oldest first
  EXPECT_EQ((*all)[0].batch, 8);
  EXPECT_DOUBLE_EQ(*(*all)[0].predicted_latency_s, 0.010);
  ASSERT_TRUE((*all)[0].error_rel());
  EXPECT_NEAR(*(*all)[0].error_rel(), -1.0 / 6.0, 1e-12);
  EXPECT_EQ((*all)[1].status, "failed");
  EXPECT_FALSE((*all)[1].measured_latency_s.has_value());
  EXPECT_FALSE((*all)[1].error_rel().has_value());
  EXPECT_EQ((*all)[1].detail, "worker exited with SIGSEGV");

  HistoryQuery q;
  q.conversion = "ONNX_CPU";
  auto only = store->query(q);
  ASSERT_TRUE(only.ok());
  ASSERT_EQ(only->size(), 1u);
  q = {};
  q.limit = 1;
  auto last = store->query(q);
  ASSERT_TRUE(last.ok());
  ASSERT_EQ(last->size(), 1u);
  EXPECT_EQ((*last)[0].conversion, "ONNX_CPU");
}

TEST(HistoryStoreTest, RejectsAFileThatIsNotADatabase) {
  const auto path = temp_db("garbage.sqlite");
  std::ofstream(path) << "this is not sqlite, just text that is long enough to have a header......"
                         "..........................................................";
  auto store = HistoryStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), ErrorCode::kParseError);
  EXPECT_NE(store.error().message().find(path), std::string::npos);
}

TEST(HistoryStoreTest, TrendsFlagErrorAndLatencyRegressions) {
  std::vector<HistoryRecord> rs = {
      record("EAGER", 0.010, 0.0100),         // error 0
      record("EAGER", 0.010, 0.0101),         // ~-1 %
      record("EAGER", 0.010, 0.0125),         // -20 %: error regression, latency +25 %
      record("ONNX_CPU", 0.008, 0.0100),      // -20 %
      record("ONNX_CPU", 0.0085, 0.0100),     // -15 %: improving
  };
  auto trends = history_trends(rs);
  ASSERT_EQ(trends.size(), 2u);
  EXPECT_EQ(trends[0].conversion, "EAGER");
  EXPECT_EQ(trends[0].runs, 3);
  EXPECT_TRUE(trends[0].regression);
  EXPECT_NE(trends[0].regression_reason.find("|error| 20 %"), std::string::npos)
      << trends[0].regression_reason;
  EXPECT_NE(trends[0].regression_reason.find("measured latency"), std::string::npos);
  ASSERT_TRUE(trends[0].previous_median_measured_latency_s);
  EXPECT_NEAR(*trends[0].previous_median_measured_latency_s, 0.01005, 1e-12);
  EXPECT_FALSE(trends[1].regression) << trends[1].regression_reason;
  EXPECT_NEAR(*trends[1].first_error_rel, -0.2, 1e-12);
  EXPECT_NEAR(*trends[1].latest_error_rel, -0.15, 1e-12);
}

TEST(HistoryStoreTest, TrendFlagsANewFailure) {
  std::vector<HistoryRecord> rs = {record("EAGER", 0.01, 0.01), record("EAGER", 0.01, 0.01)};
  rs[1].status = "timeout";
  rs[1].measured_latency_s.reset();
  auto trends = history_trends(rs);
  ASSERT_EQ(trends.size(), 1u);
  EXPECT_TRUE(trends[0].regression);
  EXPECT_NE(trends[0].regression_reason.find("timeout"), std::string::npos);
}

// A model's zoo name and its PyTorch source are one model: --model finds both, one series.
TEST(HistoryStoreTest, ZooNameAndSourceAreOneModel) {
  auto store = HistoryStore::open(temp_db("twins.sqlite"));
  ASSERT_TRUE(store.ok());
  HistoryRecord a = record("EAGER", 1.0, 1.1);
  HistoryRecord b = record("EAGER", 1.0, 1.2);
  b.model = "torchvision:resnet18";
  ASSERT_TRUE(store->append(a).ok());
  ASSERT_TRUE(store->append(b).ok());
  for (const std::string m : {"resnet18", "torchvision:resnet18"}) {
    HistoryQuery q;
    q.model = m;
    auto rows = store->query(q);
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(rows->size(), 2u) << m;
  }
  auto all = store->query({});
  ASSERT_TRUE(all.ok());
  const auto trends = history_trends(*all);
  ASSERT_EQ(trends.size(), 1u);
  EXPECT_EQ(trends[0].runs, 2);
  EXPECT_EQ(canonical_model("torchvision:resnet18"), "resnet18");
  EXPECT_EQ(model_twin("resnet18"), "torchvision:resnet18");
  EXPECT_EQ(model_twin("my.onnx"), "my.onnx");
}

}  // namespace
}  // namespace graphs
