#include <gtest/gtest.h>

#include "graphs/report/table.h"

namespace graphs::report {
namespace {

TEST(ReportTableTest, TextColumnsAlignAndRightAlignNumbers) {
  Table t({"name", ">value"});
  t.add_row({"a", "1"});
  t.add_row({"longer", "12345"});
  EXPECT_EQ(t.to_text(""),
            "name    value\n"
            "------  -----\n"
            "a           1\n"
            "longer  12345\n");
}

TEST(ReportTableTest, MarkdownEscapesPipes) {
  Table t({"a", ">b"});
  t.add_row({"x|y", "2"});
  EXPECT_EQ(t.to_markdown(), "| a | b |\n| --- | ---: |\n| x\\|y | 2 |\n");
}

TEST(ReportUnitsTest, HumanUnits) {
  EXPECT_EQ(si(25557032), "25.6 M");
  EXPECT_EQ(si(4.089e9), "4.09 G");
  EXPECT_EQ(si(999), "999");
  EXPECT_EQ(bytes(102236160), "97.5 MiB");
  EXPECT_EQ(bytes(512), "512 B");
  EXPECT_EQ(seconds(0.00123), "1.23 ms");
  EXPECT_EQ(seconds(4.56e-5), "45.6 us");
  EXPECT_EQ(joules(0.5), "500 mJ");
}

}  // namespace
}  // namespace graphs::report
