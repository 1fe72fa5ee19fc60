#include "graphs/zoo/zoo.h"

#include <map>
#include <set>
#include <utility>

#include "graphs/common/suggest.h"

namespace graphs {
namespace {

struct ZooEntry {
  std::string description;
  ZooBuilderFn build;
};

// Function-local static: registrations run during static initialisation of other files.
std::map<std::string, ZooEntry>& registry() {
  static std::map<std::string, ZooEntry> entries;
  return entries;
}

}  // namespace

void register_zoo_model(std::string name, std::string description, ZooBuilderFn build) {
  registry()[std::move(name)] = ZooEntry{std::move(description), std::move(build)};
}

std::vector<std::string> zoo_names() {
  std::vector<std::string> names;
  for (const auto& [name, entry] : registry()) names.push_back(name);
  return names;
}

bool is_zoo_name(const std::string& name) { return registry().count(name) > 0; }

std::string zoo_description(const std::string& name) {
  auto it = registry().find(name);
  return it == registry().end() ? std::string() : it->second.description;
}

Result<Graph> build_zoo_model(const std::string& name) {
  auto it = registry().find(name);
  if (it == registry().end()) {
    return Error(ErrorCode::kNotFound, unknown_name_message("zoo model", name, zoo_names()));
  }
  auto graph = it->second.build();
  if (!graph.ok()) return std::move(graph).error().with_context("zoo model '" + name + "'");
  return graph;
}

}  // namespace graphs
