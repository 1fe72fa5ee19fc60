// Reading the project's sourced YAML data files (engines, the published-measurement corpus):
// one-line errors "file:line: field: message", mappings with known keys (unknown → did-you-mean),
// and figures written `{value: <number>, source: "<text>"}` — a number without its source is an
// error. Thread safety: a YamlDoc is immutable after construction; the functions are pure.
#pragma once

#include <yaml-cpp/yaml.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "graphs/common/status.h"

namespace graphs {

/// A number with where it comes from ("<document>: <what it says>", "derived: ...",
/// "estimate: ...", "fit: <records>").
struct SourcedValue {
  double value = 0;
  std::string source;
  int line = 0;
};

/// The entries of one YAML mapping, in file order.
struct YamlEntries {
  std::vector<std::pair<std::string, YAML::Node>> items;
  int line = 0;
  const YAML::Node* find(std::string_view key) const;
};

class YamlDoc {
 public:
  /// Parses `text`; kParseError "file:line: invalid YAML: ..." on a syntax error.
  static Result<YamlDoc> load(std::string_view text, std::string file_name);

  const YAML::Node& root() const { return root_; }
  const std::string& file() const { return file_; }

  /// kParseError "file:line: field: message" (line and field left out when 0 / empty).
  Error error(int line, std::string_view field, std::string_view message) const;
  Error error(const YAML::Node& at, std::string_view field, std::string_view message) const;

  /// A mapping whose keys are unique and among `allowed` (any key when empty).
  Result<YamlEntries> mapping(const YAML::Node& node, std::string_view field,
                              const std::vector<std::string>& allowed) const;
  Result<std::string> text(const YAML::Node& node, std::string_view field) const;
  Result<double> number(const YAML::Node& node, std::string_view field) const;
  Result<bool> boolean(const YAML::Node& node, std::string_view field) const;
  /// `{value, source}`; a bare number or an empty source is refused.
  Result<SourcedValue> figure(const YAML::Node& node, std::string_view field) const;
  /// A list of text items.
  Result<std::vector<std::string>> text_list(const YAML::Node& node, std::string_view field) const;

 private:
  YAML::Node root_;
  std::string file_;
};

/// 1-based line of `node` in its file; 0 when unknown.
int yaml_line(const YAML::Node& node);

/// "a.b" from "a" and "b" ("b" alone when `path` is empty).
std::string yaml_path(std::string_view path, std::string_view key);

}  // namespace graphs
