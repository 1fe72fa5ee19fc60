// scripts/check_layers.sh, the include-direction check CI runs: it passes on this checkout and
// fails on a tree where a lower layer includes a higher one or a folder has no place in the order.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

int run_check(const std::string& root) {
  const std::string cmd = "bash " + std::string(GRAPHS_SOURCE_DIR) + "/scripts/check_layers.sh " +
                          root + " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

TEST(LayersTest, ThisCheckoutPointsDown) { EXPECT_EQ(run_check(GRAPHS_SOURCE_DIR), 0); }

TEST(LayersTest, UpwardIncludeAndUnknownFolderFail) {
  const fs::path root = fs::temp_directory_path() / ("graphs_layers_" + std::to_string(::getpid()));
  fs::remove_all(root);
  write(root / "src/graphs/estimate/a.h", "#include \"graphs/analysis/b.h\"\n");
  write(root / "src/graphs/analysis/b.h", "#include \"graphs/ir/c.h\"\n");
  EXPECT_EQ(run_check(root.string()), 0);
  write(root / "src/graphs/analysis/d.cc", "#include \"graphs/estimate/a.h\"\n");
  EXPECT_EQ(run_check(root.string()), 1);
  fs::remove(root / "src/graphs/analysis/d.cc");
  write(root / "src/graphs/newthing/e.h", "\n");
  EXPECT_EQ(run_check(root.string()), 1);
  fs::remove_all(root);
}

}  // namespace
