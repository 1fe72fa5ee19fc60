#include "graphs/common/yaml_doc.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include "graphs/common/suggest.h"

namespace graphs {

int yaml_line(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

std::string yaml_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}

const YAML::Node* YamlEntries::find(std::string_view key) const {
  for (const auto& [k, v] : items) {
    if (k == key) return &v;
  }
  return nullptr;
}

Result<YamlDoc> YamlDoc::load(std::string_view text, std::string file_name) {
  YamlDoc doc;
  doc.file_ = std::move(file_name);
  try {
    doc.root_ = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return doc.error(e.mark.is_null() ? 0 : e.mark.line + 1, "", "invalid YAML: " + e.msg);
  }
  return doc;
}

Error YamlDoc::error(int line, std::string_view field, std::string_view message) const {
  std::string text = file_;
  if (line > 0) text += ":" + std::to_string(line);
  text += ": ";
  if (!field.empty()) {
    text += field;
    text += ": ";
  }
  text += message;
  return Error(ErrorCode::kParseError, std::move(text));
}

Error YamlDoc::error(const YAML::Node& at, std::string_view field, std::string_view message) const {
  return error(yaml_line(at), field, message);
}

Result<YamlEntries> YamlDoc::mapping(const YAML::Node& node, std::string_view field,
                                     const std::vector<std::string>& allowed) const {
  if (!node.IsMap()) return error(node, field, "expected a mapping");
  YamlEntries entries;
  entries.line = yaml_line(node);
  std::set<std::string> seen;
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) return error(kv.first, field, "keys must be plain names");
    const std::string key = kv.first.Scalar();
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return error(kv.first, field, unknown_name_message("key", key, allowed));
    }
    if (!seen.insert(key).second) return error(kv.first, field, "duplicate key '" + key + "'");
    entries.items.emplace_back(key, kv.second);
  }
  return entries;
}

Result<std::string> YamlDoc::text(const YAML::Node& node, std::string_view field) const {
  if (!node.IsScalar()) return error(node, field, "expected text");
  return node.Scalar();
}

Result<double> YamlDoc::number(const YAML::Node& node, std::string_view field) const {
  if (!node.IsScalar()) return error(node, field, "expected a number");
  const std::string& s = node.Scalar();
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) {
    return error(node, field, "'" + s + "' is not a finite number");
  }
  return v;
}

Result<bool> YamlDoc::boolean(const YAML::Node& node, std::string_view field) const {
  GRAPHS_ASSIGN_OR_RETURN(const std::string s, text(node, field));
  if (s == "true") return true;
  if (s == "false") return false;
  return error(node, field, "expected true or false, got '" + s + "'");
}

Result<SourcedValue> YamlDoc::figure(const YAML::Node& node, std::string_view field) const {
  if (!node.IsMap()) {
    return error(node, field,
                 "missing source: write {value: <number>, source: \"<document: what it says>, "
                 "'derived: ...', 'estimate: ...' or 'fit: ...'\"}");
  }
  GRAPHS_ASSIGN_OR_RETURN(YamlEntries e, mapping(node, field, {"value", "source"}));
  SourcedValue f;
  f.line = e.line;
  const YAML::Node* value = e.find("value");
  if (!value) return error(e.line, field, "missing value");
  GRAPHS_ASSIGN_OR_RETURN(f.value, number(*value, yaml_path(field, "value")));
  const YAML::Node* source = e.find("source");
  if (!source || source->IsNull()) return error(e.line, field, "missing source");
  GRAPHS_ASSIGN_OR_RETURN(f.source, text(*source, yaml_path(field, "source")));
  if (std::all_of(f.source.begin(), f.source.end(),
                  [](unsigned char c) { return std::isspace(c); })) {
    return error(e.line, field, "source is empty");
  }
  return f;
}

Result<std::vector<std::string>> YamlDoc::text_list(const YAML::Node& node,
                                                    std::string_view field) const {
  if (!node.IsSequence()) return error(node, field, "expected a list");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < node.size(); ++i) {
    GRAPHS_ASSIGN_OR_RETURN(std::string s,
                            text(node[i], std::string(field) + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace graphs
