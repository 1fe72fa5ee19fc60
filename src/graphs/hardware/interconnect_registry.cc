#include "graphs/hardware/interconnect_registry.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "graphs/common/suggest.h"

namespace graphs {
namespace {

namespace fs = std::filesystem;

const std::vector<std::string> kKeys = {"schema_version",
                                        "id",
                                        "name",
                                        "kind",
                                        "bandwidth_bytes_per_s",
                                        "bidirectional_bandwidth_bytes_per_s",
                                        "latency_s",
                                        "notes"};
const std::vector<std::string> kFigureKeys = {"value", "source"};
const std::vector<std::string> kKinds = {"nvlink", "pcie", "infiniband", "ethernet", "ici"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

int line_of(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  return m.is_null() ? 0 : m.line + 1;
}

class Parser {
 public:
  explicit Parser(const std::string& file) : file_(file) {}

  Error error(int line, std::string_view field, std::string_view message,
              ErrorCode code = ErrorCode::kParseError) const {
    std::string text = file_;
    if (line > 0) text += ":" + std::to_string(line);
    text += ": ";
    if (!field.empty()) text += std::string(field) + ": ";
    text += message;
    return Error(code, std::move(text));
  }

  Result<std::string> text(const YAML::Node& n, std::string_view field) const {
    if (!n.IsScalar()) return error(line_of(n), field, "expected text");
    return n.Scalar();
  }

  Result<double> number(const YAML::Node& n, std::string_view field) const {
    if (!n.IsScalar()) return error(line_of(n), field, "expected a number");
    const std::string& s = n.Scalar();
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) {
      return error(line_of(n), field, "'" + s + "' is not a finite number");
    }
    return v;
  }

  // `{value: <number>, source: "<text>"}`: a bare number is refused.
  Result<std::pair<double, std::string>> figure(const YAML::Node& n, std::string_view field) const {
    if (!n.IsMap()) {
      return error(line_of(n), field,
                   "missing source: write {value: <number>, source: \"<datasheet, spec, "
                   "'derived: ...' or 'estimate: ...'>\"}");
    }
    std::set<std::string> seen;
    for (const auto& kv : n) {
      const std::string key = kv.first.Scalar();
      if (std::find(kFigureKeys.begin(), kFigureKeys.end(), key) == kFigureKeys.end()) {
        return error(line_of(kv.first), field, unknown_name_message("key", key, kFigureKeys));
      }
    }
    if (!n["value"]) return error(line_of(n), field, "missing value");
    GRAPHS_ASSIGN_OR_RETURN(double v, number(n["value"], std::string(field) + ".value"));
    if (!n["source"] || n["source"].IsNull()) {
      return error(line_of(n), field, "missing source (every number needs one)");
    }
    GRAPHS_ASSIGN_OR_RETURN(std::string src, text(n["source"], std::string(field) + ".source"));
    if (std::all_of(src.begin(), src.end(), [](unsigned char c) { return std::isspace(c); })) {
      return error(line_of(n), field, "source is empty");
    }
    return std::make_pair(v, src);
  }

 private:
  std::string file_;
};

}  // namespace

Result<InterconnectModel> InterconnectRegistry::parse_yaml(std::string_view yaml,
                                                           const std::string& file_name) {
  const Parser p(file_name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return p.error(e.mark.is_null() ? 0 : e.mark.line + 1, "", e.msg);
  }
  if (!root.IsMap()) return p.error(line_of(root), "", "expected a mapping at the top level");
  std::set<std::string> seen;
  for (const auto& kv : root) {
    const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      return p.error(line_of(kv.first), "", unknown_name_message("key", key, kKeys));
    }
    if (!seen.insert(key).second) return p.error(line_of(kv.first), "", "duplicate key '" + key + "'");
  }
  if (!root["schema_version"]) return p.error(0, "schema_version", "missing required field");
  GRAPHS_ASSIGN_OR_RETURN(double version, p.number(root["schema_version"], "schema_version"));
  if (version != kInterconnectSchemaVersion) {
    return p.error(line_of(root["schema_version"]), "schema_version",
                   "version " + root["schema_version"].Scalar() + " is not supported; this build reads " +
                       std::to_string(kInterconnectSchemaVersion),
                   ErrorCode::kUnsupported);
  }
  InterconnectModel m;
  for (const char* key : {"id", "name", "kind"}) {
    if (!root[key]) return p.error(0, key, "missing required field");
  }
  GRAPHS_ASSIGN_OR_RETURN(m.id, p.text(root["id"], "id"));
  GRAPHS_ASSIGN_OR_RETURN(m.name, p.text(root["name"], "name"));
  GRAPHS_ASSIGN_OR_RETURN(m.kind, p.text(root["kind"], "kind"));
  if (m.id.empty() || m.id != lower(m.id)) {
    return p.error(line_of(root["id"]), "id", "'" + m.id + "' must be non-empty and lower case");
  }
  if (std::find(kKinds.begin(), kKinds.end(), m.kind) == kKinds.end()) {
    return p.error(line_of(root["kind"]), "kind", unknown_name_message("kind", m.kind, kKinds));
  }
  if (!root["bandwidth_bytes_per_s"]) {
    return p.error(0, "bandwidth_bytes_per_s", "missing required field (per device, per direction)");
  }
  GRAPHS_ASSIGN_OR_RETURN(auto bw, p.figure(root["bandwidth_bytes_per_s"], "bandwidth_bytes_per_s"));
  if (bw.first <= 0) {
    return p.error(line_of(root["bandwidth_bytes_per_s"]), "bandwidth_bytes_per_s", "must be > 0");
  }
  m.bandwidth_bytes_per_s = bw.first;
  m.sources["bandwidth_bytes_per_s"] = bw.second;
  if (root["bidirectional_bandwidth_bytes_per_s"]) {
    GRAPHS_ASSIGN_OR_RETURN(auto bi, p.figure(root["bidirectional_bandwidth_bytes_per_s"],
                                              "bidirectional_bandwidth_bytes_per_s"));
    if (bi.first < m.bandwidth_bytes_per_s) {
      return p.error(line_of(root["bidirectional_bandwidth_bytes_per_s"]),
                     "bidirectional_bandwidth_bytes_per_s",
                     "is below bandwidth_bytes_per_s (which is per direction)");
    }
    m.bidirectional_bandwidth_bytes_per_s = bi.first;
    m.sources["bidirectional_bandwidth_bytes_per_s"] = bi.second;
  }
  if (root["latency_s"]) {
    GRAPHS_ASSIGN_OR_RETURN(auto lat, p.figure(root["latency_s"], "latency_s"));
    if (lat.first < 0) return p.error(line_of(root["latency_s"]), "latency_s", "must be >= 0");
    m.latency_s = lat.first;
    m.sources["latency_s"] = lat.second;
  }
  if (const YAML::Node notes = root["notes"]) {
    if (!notes.IsSequence()) return p.error(line_of(notes), "notes", "expected a list of text");
    for (const auto& n : notes) {
      GRAPHS_ASSIGN_OR_RETURN(std::string t, p.text(n, "notes"));
      m.notes.push_back(std::move(t));
    }
  }
  m.origin = file_name;
  return m;
}

Status InterconnectRegistry::add_yaml(std::string_view yaml, const std::string& file_name,
                                      bool replace, bool check_name) {
  GRAPHS_ASSIGN_OR_RETURN(InterconnectModel m, parse_yaml(yaml, file_name));
  std::string stem = fs::path(file_name).stem().string();
  if (stem.starts_with("embedded:")) stem = stem.substr(9);
  if (check_name && stem != m.id) {
    return make_error(ErrorCode::kParseError, file_name, ": id: '", m.id,
                      "' does not match the file name; name the file '", m.id, ".yaml'");
  }
  const auto it = links_.find(m.id);
  if (it != links_.end()) {
    if (!replace) {
      return make_error(ErrorCode::kInvalidArgument, file_name, ": id: interconnect '", m.id,
                        "' is already defined by ", it->second.origin);
    }
    m.notes.push_back("replaces the definition from " + it->second.origin);
  }
  const std::string id = m.id;
  links_[id] = std::move(m);
  return ok_status();
}

Result<InterconnectRegistry> InterconnectRegistry::load_default() {
  InterconnectRegistry r;
  for (const auto& [name, yaml] : detail::embedded_interconnect_files()) {
    GRAPHS_RETURN_IF_ERROR(r.add_yaml(yaml, "embedded:" + std::string(name)));
  }
  const char* path = std::getenv("GRAPHS_INTERCONNECT_PATH");
  if (path == nullptr || *path == '\0') return r;
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return make_error(ErrorCode::kNotFound, "GRAPHS_INTERCONNECT_PATH: directory '", dir,
                        "' does not exist");
    }
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      if (e.path().extension() == ".yaml" && e.is_regular_file(ec)) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const std::string& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::ostringstream text;
      text << in.rdbuf();
      if (!in.good() && !in.eof()) {
        return make_error(ErrorCode::kIoError, "cannot read interconnect file '", f, "'");
      }
      GRAPHS_RETURN_IF_ERROR(r.add_yaml(text.str(), f, /*replace=*/true));
    }
  }
  return r;
}

Result<InterconnectModel> InterconnectRegistry::get(const std::string& id) const {
  const auto it = links_.find(lower(id));
  if (it == links_.end()) {
    return Error(ErrorCode::kNotFound, unknown_name_message("interconnect", id, ids()));
  }
  return it->second;
}

std::vector<std::string> InterconnectRegistry::ids() const {
  std::vector<std::string> out;
  for (const auto& [id, m] : links_) out.push_back(id);
  return out;
}

}  // namespace graphs
