#include <gtest/gtest.h>

#include "graphs/common/suggest.h"

namespace graphs {
namespace {

TEST(SuggestTest, EditDistanceMatchesHandCount) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(edit_distance("FP16", "fp16"), 0u);
}

TEST(SuggestTest, PrefixOfAnIdIsSuggested) {
  const std::vector<std::string> ids = {"a100-sxm4-80gb", "h100-sxm5-80gb", "tpu-v4"};
  const auto s = suggest("h100", ids);
  ASSERT_FALSE(s.empty());
  EXPECT_EQ(s[0], "h100-sxm5-80gb");
}

TEST(SuggestTest, MessageListsKnownNamesWhenNothingIsClose) {
  const auto msg = unknown_name_message("precision", "zzzzzzzz", {"fp32", "fp16"});
  EXPECT_EQ(msg, "unknown precision 'zzzzzzzz'; known: fp32, fp16");
  EXPECT_EQ(unknown_name_message("precision", "fp61", {"fp32", "fp16"}),
            "unknown precision 'fp61'; did you mean fp32, fp16?");
}

}  // namespace
}  // namespace graphs
