#include "graphs/hardware/hardware_spec.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>
#include <tuple>

#include "graphs/common/suggest.h"

namespace graphs {
namespace {

using YAML::Node;

const std::vector<std::string> kTopKeys = {
    "schema_version", "id", "name", "vendor", "kind", "die", "derived", "compute_units", "clock_hz",
    "matrix_peak_flops_per_s", "vector_peak_flops_per_s", "memory_bytes",
    "memory_bandwidth_bytes_per_s", "caches", "efficiency", "kernel_launch_s",
    "graph_kernel_launch_s", "min_kernel_s", "host_link_bytes_per_s", "host_cpu_scale",
    "systolic_array",
    "energy_per_flop_j", "energy_per_dram_byte_j", "static_power_w", "tdp_w", "interconnect",
    "power_modes", "notes"};
const std::vector<std::string> kFigureKeys = {"value", "source"};
const std::vector<std::string> kCacheKeys = {"name", "capacity_bytes", "bandwidth_bytes_per_s"};
const std::vector<std::string> kEfficiencyKeys = {"matrix", "vector", "memory",
                                                  "matrix_by_precision"};
const std::vector<std::string> kSystolicKeys = {"rows", "cols", "count"};
const std::vector<std::string> kInterconnectKeys = {"name", "bandwidth_bytes_per_s", "latency_s"};
const std::vector<std::string> kPowerModeKeys = {
    "clock_hz", "compute_units", "power_w", "matrix_peak_flops_per_s", "vector_peak_flops_per_s",
    "memory_bandwidth_bytes_per_s"};
const std::vector<std::string> kKinds = {"gpu", "cpu", "tpu", "npu"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string format_number(double v) {
  std::ostringstream os;
  os.precision(6);
  os << v;
  return os.str();
}

int line_of(const Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

// "file:line: field: message", leaving out what is unknown.
Error file_error(ErrorCode code, const std::string& file, int line, std::string_view field,
                 std::string_view message) {
  std::string text = file;
  if (line > 0) text += ":" + std::to_string(line);
  text += ": ";
  if (!field.empty()) {
    text += field;
    text += ": ";
  }
  text += message;
  return Error(code, std::move(text));
}

std::string join_path(std::string_view path, std::string_view key) {
  if (path.empty()) return std::string(key);
  return std::string(path) + "." + std::string(key);
}

// The entries of a YAML mapping, in file order.
struct Entries {
  std::vector<std::pair<std::string, Node>> items;
  int line = 0;

  const Node* find(std::string_view key) const {
    for (const auto& [k, v] : items) {
      if (k == key) return &v;
    }
    return nullptr;
  }
};

class SpecParser {
 public:
  explicit SpecParser(const std::string& file) : file_(file) {}

  Error error(int line, std::string_view field, std::string_view message) const {
    return file_error(ErrorCode::kParseError, file_, line, field, message);
  }

  // Checks that `node` is a mapping whose keys are unique scalars from `allowed` (any key when
  // `allowed` is empty). `what` names the keys in an unknown-name message ("key", "precision").
  Result<Entries> mapping(const Node& node, std::string_view path,
                          const std::vector<std::string>& allowed,
                          std::string_view what = "key") const {
    if (!node.IsMap()) return error(line_of(node), path, "expected a mapping");
    Entries entries;
    entries.line = line_of(node);
    std::set<std::string> seen;
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) return error(line_of(kv.first), path, "keys must be plain names");
      const std::string key = kv.first.Scalar();
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        return error(line_of(kv.first), path, unknown_name_message(what, key, allowed));
      }
      if (!seen.insert(key).second) {
        return error(line_of(kv.first), path, "duplicate " + std::string(what) + " '" + key + "'");
      }
      entries.items.emplace_back(key, kv.second);
    }
    return entries;
  }

  Result<std::string> text(const Node& node, std::string_view path) const {
    if (!node.IsScalar()) return error(line_of(node), path, "expected text");
    return node.Scalar();
  }

  Result<double> number(const Node& node, std::string_view path) const {
    if (!node.IsScalar()) return error(line_of(node), path, "expected a number");
    const std::string& s = node.Scalar();
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || errno == ERANGE || !std::isfinite(v)) {
      return error(line_of(node), path, "'" + s + "' is not a finite number");
    }
    return v;
  }

  // `{value: <number>, source: "<text>"}`; a bare number is refused, the source is required.
  Result<Figure> figure(const Node& node, std::string_view path) const {
    if (node.IsScalar() || node.IsNull()) {
      return error(line_of(node), path,
                   "missing source: write {value: <number>, source: \"<datasheet, paper, "
                   "'measured: ...', 'derived: ...' or 'estimate: ...'>\"}");
    }
    GRAPHS_ASSIGN_OR_RETURN(Entries e, mapping(node, path, kFigureKeys));
    Figure f;
    f.line = e.line;
    const Node* value = e.find("value");
    if (!value) return error(e.line, path, "missing value");
    GRAPHS_ASSIGN_OR_RETURN(f.value, number(*value, join_path(path, "value")));
    const Node* source = e.find("source");
    if (!source || source->IsNull()) {
      return error(e.line, path,
                   "missing source (every number needs one: a datasheet, paper, 'measured: "
                   "...', 'derived: ...' or 'estimate: ...')");
    }
    GRAPHS_ASSIGN_OR_RETURN(f.source, text(*source, join_path(path, "source")));
    if (std::all_of(f.source.begin(), f.source.end(),
                    [](unsigned char c) { return std::isspace(c); })) {
      return error(e.line, path, "source is empty");
    }
    return f;
  }

  Result<std::map<std::string, Figure>> precision_map(const Node& node,
                                                      std::string_view path) const {
    GRAPHS_ASSIGN_OR_RETURN(Entries e, mapping(node, path, hardware_precisions(), "precision"));
    std::map<std::string, Figure> out;
    for (const auto& [key, value] : e.items) {
      GRAPHS_ASSIGN_OR_RETURN(out[key], figure(value, join_path(path, key)));
    }
    return out;
  }

  Result<CacheSpec> cache(const Node& node, std::size_t index) const {
    const std::string at = "caches[" + std::to_string(index) + "]";
    GRAPHS_ASSIGN_OR_RETURN(Entries e, mapping(node, at, kCacheKeys));
    CacheSpec c;
    c.line = e.line;
    const Node* name = e.find("name");
    if (!name) return error(e.line, at, "missing required field 'name'");
    GRAPHS_ASSIGN_OR_RETURN(c.name, text(*name, at + ".name"));
    const std::string path = "caches." + c.name;
    if (const Node* n = e.find("capacity_bytes")) {
      GRAPHS_ASSIGN_OR_RETURN(c.capacity_bytes, figure(*n, path + ".capacity_bytes"));
    }
    if (const Node* n = e.find("bandwidth_bytes_per_s")) {
      GRAPHS_ASSIGN_OR_RETURN(c.bandwidth_bytes_per_s, figure(*n, path + ".bandwidth_bytes_per_s"));
    }
    return c;
  }

  Result<PowerModeSpec> power_mode(const std::string& name, const Node& node) const {
    const std::string path = "power_modes." + name;
    GRAPHS_ASSIGN_OR_RETURN(Entries e, mapping(node, path, kPowerModeKeys));
    PowerModeSpec m;
    m.name = name;
    m.line = e.line;
    for (const auto& [key, value] : e.items) {
      const std::string at = join_path(path, key);
      if (key == "clock_hz") {
        GRAPHS_ASSIGN_OR_RETURN(m.clock_hz, figure(value, at));
      } else if (key == "compute_units") {
        GRAPHS_ASSIGN_OR_RETURN(m.compute_units, figure(value, at));
      } else if (key == "power_w") {
        GRAPHS_ASSIGN_OR_RETURN(m.power_w, figure(value, at));
      } else if (key == "matrix_peak_flops_per_s") {
        GRAPHS_ASSIGN_OR_RETURN(m.matrix_peak_flops_per_s, precision_map(value, at));
      } else if (key == "vector_peak_flops_per_s") {
        GRAPHS_ASSIGN_OR_RETURN(m.vector_peak_flops_per_s, precision_map(value, at));
      } else if (key == "memory_bandwidth_bytes_per_s") {
        GRAPHS_ASSIGN_OR_RETURN(m.memory_bandwidth_bytes_per_s, figure(value, at));
      }
    }
    return m;
  }

  Result<HardwareSpec> document(const Node& root) const {
    if (!root.IsDefined() || root.IsNull()) return error(0, "", "empty hardware file");
    GRAPHS_ASSIGN_OR_RETURN(Entries top, mapping(root, "", {}));
    HardwareSpec spec;
    spec.file_name = file_;
    // The version gates everything else: a newer file may use keys this build does not know.
    if (const Node* v = top.find("schema_version")) {
      GRAPHS_ASSIGN_OR_RETURN(const double version, number(*v, "schema_version"));
      if (version != std::floor(version)) {
        return error(line_of(*v), "schema_version", "must be a whole number");
      }
      spec.schema_version = static_cast<int>(version);
      if (*spec.schema_version != kHardwareSchemaVersion) {
        return file_error(ErrorCode::kUnsupported, file_, line_of(*v), "schema_version",
                          "version " + std::to_string(*spec.schema_version) +
                              " is not supported; this build reads version " +
                              std::to_string(kHardwareSchemaVersion));
      }
    }
    GRAPHS_RETURN_IF_ERROR(mapping(root, "", kTopKeys));
    for (const auto& [key, value] : top.items) {
      if (key == "schema_version") continue;
      if (key == "id") {
        GRAPHS_ASSIGN_OR_RETURN(spec.id, text(value, key));
      } else if (key == "name") {
        GRAPHS_ASSIGN_OR_RETURN(spec.name, text(value, key));
      } else if (key == "vendor") {
        GRAPHS_ASSIGN_OR_RETURN(spec.vendor, text(value, key));
      } else if (key == "kind") {
        GRAPHS_ASSIGN_OR_RETURN(spec.kind, text(value, key));
      } else if (key == "die") {
        GRAPHS_ASSIGN_OR_RETURN(spec.die, text(value, key));
      } else if (key == "derived") {
        GRAPHS_ASSIGN_OR_RETURN(const std::string flag, text(value, key));
        if (flag != "true" && flag != "false") {
          return error(line_of(value), key, "expected true or false, got '" + flag + "'");
        }
        spec.derived = flag == "true";
      } else if (key == "compute_units") {
        GRAPHS_ASSIGN_OR_RETURN(spec.compute_units, figure(value, key));
      } else if (key == "clock_hz") {
        GRAPHS_ASSIGN_OR_RETURN(spec.clock_hz, figure(value, key));
      } else if (key == "matrix_peak_flops_per_s") {
        GRAPHS_ASSIGN_OR_RETURN(spec.matrix_peak_flops_per_s, precision_map(value, key));
      } else if (key == "vector_peak_flops_per_s") {
        GRAPHS_ASSIGN_OR_RETURN(spec.vector_peak_flops_per_s, precision_map(value, key));
      } else if (key == "memory_bytes") {
        GRAPHS_ASSIGN_OR_RETURN(spec.memory_bytes, figure(value, key));
      } else if (key == "memory_bandwidth_bytes_per_s") {
        GRAPHS_ASSIGN_OR_RETURN(spec.memory_bandwidth_bytes_per_s, figure(value, key));
      } else if (key == "caches") {
        if (!value.IsSequence()) {
          return error(line_of(value), key, "expected a list of {name, capacity_bytes, ...}");
        }
        for (std::size_t i = 0; i < value.size(); ++i) {
          GRAPHS_ASSIGN_OR_RETURN(CacheSpec c, cache(value[i], i));
          spec.caches.push_back(std::move(c));
        }
      } else if (key == "efficiency") {
        GRAPHS_ASSIGN_OR_RETURN(Entries e, mapping(value, key, kEfficiencyKeys));
        EfficiencySpec eff;
        eff.line = e.line;
        for (const auto& [k, v] : e.items) {
          if (k == "matrix_by_precision") {
            GRAPHS_ASSIGN_OR_RETURN(eff.matrix_by_precision, precision_map(v, join_path(key, k)));
            continue;
          }
          GRAPHS_ASSIGN_OR_RETURN(Figure f, figure(v, join_path(key, k)));
          (k == "matrix" ? eff.matrix : k == "vector" ? eff.vector : eff.memory) = f;
        }
        spec.efficiency = eff;
      } else if (key == "kernel_launch_s") {
        GRAPHS_ASSIGN_OR_RETURN(spec.kernel_launch_s, figure(value, key));
      } else if (key == "graph_kernel_launch_s") {
        GRAPHS_ASSIGN_OR_RETURN(spec.graph_kernel_launch_s, figure(value, key));
      } else if (key == "min_kernel_s") {
        GRAPHS_ASSIGN_OR_RETURN(spec.min_kernel_s, figure(value, key));
      } else if (key == "host_link_bytes_per_s") {
        GRAPHS_ASSIGN_OR_RETURN(spec.host_link_bytes_per_s, figure(value, key));
      } else if (key == "host_cpu_scale") {
        GRAPHS_ASSIGN_OR_RETURN(spec.host_cpu_scale, figure(value, key));
      } else if (key == "systolic_array") {
        GRAPHS_ASSIGN_OR_RETURN(Entries e, mapping(value, key, kSystolicKeys));
        SystolicArraySpec sa;
        sa.line = e.line;
        for (const auto& [k, v] : e.items) {
          GRAPHS_ASSIGN_OR_RETURN(Figure f, figure(v, join_path(key, k)));
          (k == "rows" ? sa.rows : k == "cols" ? sa.cols : sa.count) = f;
        }
        spec.systolic_array = sa;
      } else if (key == "energy_per_flop_j") {
        GRAPHS_ASSIGN_OR_RETURN(spec.energy_per_flop_j, precision_map(value, key));
      } else if (key == "energy_per_dram_byte_j") {
        GRAPHS_ASSIGN_OR_RETURN(spec.energy_per_dram_byte_j, figure(value, key));
      } else if (key == "static_power_w") {
        GRAPHS_ASSIGN_OR_RETURN(spec.static_power_w, figure(value, key));
      } else if (key == "tdp_w") {
        GRAPHS_ASSIGN_OR_RETURN(spec.tdp_w, figure(value, key));
      } else if (key == "interconnect") {
        GRAPHS_ASSIGN_OR_RETURN(Entries e, mapping(value, key, kInterconnectKeys));
        InterconnectSpec ic;
        ic.line = e.line;
        for (const auto& [k, v] : e.items) {
          const std::string at = join_path(key, k);
          if (k == "name") {
            GRAPHS_ASSIGN_OR_RETURN(ic.name, text(v, at));
          } else if (k == "bandwidth_bytes_per_s") {
            GRAPHS_ASSIGN_OR_RETURN(ic.bandwidth_bytes_per_s, figure(v, at));
          } else {
            GRAPHS_ASSIGN_OR_RETURN(ic.latency_s, figure(v, at));
          }
        }
        spec.interconnect = ic;
      } else if (key == "power_modes") {
        GRAPHS_ASSIGN_OR_RETURN(Entries e, mapping(value, key, {}, "power mode"));
        for (const auto& [name, mode] : e.items) {
          GRAPHS_ASSIGN_OR_RETURN(PowerModeSpec m, power_mode(name, mode));
          spec.power_modes.push_back(std::move(m));
        }
      } else if (key == "notes") {
        if (!value.IsSequence()) return error(line_of(value), key, "expected a list of text");
        for (std::size_t i = 0; i < value.size(); ++i) {
          GRAPHS_ASSIGN_OR_RETURN(std::string note,
                                  text(value[i], "notes[" + std::to_string(i) + "]"));
          spec.notes.push_back(std::move(note));
        }
      }
    }
    return spec;
  }

 private:
  const std::string& file_;
};

// Checks of values, for `resolve_hardware_spec`.
class SpecValidator {
 public:
  explicit SpecValidator(const HardwareSpec& spec) : spec_(spec) {}

  Error error(int line, std::string_view field, std::string_view message) const {
    return file_error(ErrorCode::kParseError, spec_.file_name, line, field, message);
  }
  Error missing(std::string_view field) const {
    return file_error(ErrorCode::kParseError, spec_.file_name, 0, "",
                      "missing required field '" + std::string(field) + "'");
  }

  Result<double> require(const std::optional<Figure>& f, std::string_view field) const {
    if (!f) return missing(field);
    return f->value;
  }

  // value > 0 (or ≥ 0 when `allow_zero`).
  Status positive(const std::optional<Figure>& f, std::string_view field,
                  bool allow_zero = false) const {
    if (!f) return ok_status();
    if (f->value > 0 || (allow_zero && f->value == 0)) return ok_status();
    return error(f->line, field,
                 std::string("must be ") + (allow_zero ? ">= 0" : "> 0") + ", got " +
                     format_number(f->value));
  }

  Result<int> whole(const std::optional<Figure>& f, std::string_view field) const {
    GRAPHS_RETURN_IF_ERROR(positive(f, field));
    if (f->value != std::floor(f->value) || f->value > 1e9) {
      return error(f->line, field, "must be a whole number, got " + format_number(f->value));
    }
    return static_cast<int>(f->value);
  }

  Status positive_map(const std::map<std::string, Figure>& m, std::string_view field) const {
    for (const auto& [precision, f] : m) {
      GRAPHS_RETURN_IF_ERROR(positive(std::optional<Figure>(f), join_path(field, precision)));
    }
    return ok_status();
  }

  Status fraction(const std::optional<Figure>& f, std::string_view field) const {
    if (!f) return missing(field);
    if (f->value > 0 && f->value <= 1) return ok_status();
    return error(f->line, field, "efficiency must be in (0, 1], got " + format_number(f->value));
  }

  void record(std::map<std::string, std::string>& sources, const std::string& field,
              const std::optional<Figure>& f) const {
    if (f) sources[field] = f->source;
  }
  void record_map(std::map<std::string, std::string>& sources, const std::string& field,
                  const std::map<std::string, Figure>& m) const {
    for (const auto& [precision, f] : m) sources[join_path(field, precision)] = f.source;
  }

 private:
  const HardwareSpec& spec_;
};

bool valid_name(std::string_view s, bool allow_dot) {
  if (s.empty() || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [&](char c) {
    return (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) ||
            c == '-' || c == '_' || (allow_dot && c == '.'));
  });
}

std::vector<std::string> keys_of(const std::map<std::string, Figure>& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

}  // namespace

const std::vector<std::string>& hardware_precisions() {
  static const std::vector<std::string> kPrecisions = {"fp64", "fp32", "tf32", "fp16",
                                                       "bf16", "fp8",  "int8", "int4"};
  return kPrecisions;
}

Result<HardwareSpec> parse_hardware_spec(std::string_view yaml, const std::string& file_name) {
  SpecParser parser(file_name);
  Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return parser.error(e.mark.is_null() ? 0 : e.mark.line + 1, "", "invalid YAML: " + e.msg);
  }
  try {
    return parser.document(root);
  } catch (const YAML::Exception& e) {
    return parser.error(e.mark.is_null() ? 0 : e.mark.line + 1, "", "invalid YAML: " + e.msg);
  }
}

Result<HardwareModel> resolve_hardware_spec(const HardwareSpec& spec) {
  const SpecValidator v(spec);
  HardwareModel m;
  auto& src = m.sources;

  if (!spec.schema_version) return v.missing("schema_version");
  if (*spec.schema_version != kHardwareSchemaVersion) {
    return file_error(ErrorCode::kUnsupported, spec.file_name, 0, "schema_version",
                      "version " + std::to_string(*spec.schema_version) +
                          " is not supported; this build reads version " +
                          std::to_string(kHardwareSchemaVersion));
  }
  m.schema_version = *spec.schema_version;

  if (spec.id.empty()) return v.missing("id");
  if (!valid_name(spec.id, /*allow_dot=*/true)) {
    return v.error(0, "id",
                   "'" + spec.id + "' must be lower case letters, digits, '-', '_' or '.' (no ':')");
  }
  if (spec.name.empty()) return v.missing("name");
  if (spec.vendor.empty()) return v.missing("vendor");
  if (spec.kind.empty()) return v.missing("kind");
  if (std::find(kKinds.begin(), kKinds.end(), spec.kind) == kKinds.end()) {
    return v.error(0, "kind", unknown_name_message("kind", spec.kind, kKinds));
  }
  m.id = spec.id;
  m.name = spec.name;
  m.vendor = spec.vendor;
  m.kind = spec.kind;
  m.die = spec.die;
  m.derived = spec.derived;

  if (!spec.compute_units) return v.missing("compute_units");
  GRAPHS_ASSIGN_OR_RETURN(m.compute_units, v.whole(spec.compute_units, "compute_units"));
  GRAPHS_ASSIGN_OR_RETURN(m.clock_hz, v.require(spec.clock_hz, "clock_hz"));
  GRAPHS_RETURN_IF_ERROR(v.positive(spec.clock_hz, "clock_hz"));

  if (spec.matrix_peak_flops_per_s.empty()) return v.missing("matrix_peak_flops_per_s");
  GRAPHS_RETURN_IF_ERROR(v.positive_map(spec.matrix_peak_flops_per_s, "matrix_peak_flops_per_s"));
  GRAPHS_RETURN_IF_ERROR(v.positive_map(spec.vector_peak_flops_per_s, "vector_peak_flops_per_s"));
  for (const auto& [p, f] : spec.matrix_peak_flops_per_s) m.matrix_peak_flops_per_s[p] = f.value;
  for (const auto& [p, f] : spec.vector_peak_flops_per_s) m.vector_peak_flops_per_s[p] = f.value;

  GRAPHS_ASSIGN_OR_RETURN(m.memory_bytes, v.require(spec.memory_bytes, "memory_bytes"));
  GRAPHS_RETURN_IF_ERROR(v.positive(spec.memory_bytes, "memory_bytes"));
  GRAPHS_ASSIGN_OR_RETURN(m.memory_bandwidth_bytes_per_s,
                          v.require(spec.memory_bandwidth_bytes_per_s,
                                    "memory_bandwidth_bytes_per_s"));
  GRAPHS_RETURN_IF_ERROR(
      v.positive(spec.memory_bandwidth_bytes_per_s, "memory_bandwidth_bytes_per_s"));

  std::set<std::string> cache_names;
  for (const auto& c : spec.caches) {
    const std::string path = "caches." + c.name;
    if (!cache_names.insert(c.name).second) {
      return v.error(c.line, path, "duplicate cache '" + c.name + "'");
    }
    if (!c.capacity_bytes) return v.missing(path + ".capacity_bytes");
    GRAPHS_RETURN_IF_ERROR(v.positive(c.capacity_bytes, path + ".capacity_bytes"));
    GRAPHS_RETURN_IF_ERROR(
        v.positive(c.bandwidth_bytes_per_s, path + ".bandwidth_bytes_per_s", /*allow_zero=*/true));
    CacheLevel level;
    level.name = c.name;
    level.capacity_bytes = c.capacity_bytes->value;
    level.bandwidth_bytes_per_s = c.bandwidth_bytes_per_s ? c.bandwidth_bytes_per_s->value : 0;
    m.caches.push_back(level);
    v.record(src, path + ".capacity_bytes", c.capacity_bytes);
    v.record(src, path + ".bandwidth_bytes_per_s", c.bandwidth_bytes_per_s);
  }

  if (!spec.efficiency) return v.missing("efficiency");
  GRAPHS_RETURN_IF_ERROR(v.fraction(spec.efficiency->matrix, "efficiency.matrix"));
  GRAPHS_RETURN_IF_ERROR(v.fraction(spec.efficiency->vector, "efficiency.vector"));
  GRAPHS_RETURN_IF_ERROR(v.fraction(spec.efficiency->memory, "efficiency.memory"));
  m.efficiency.matrix = spec.efficiency->matrix->value;
  m.efficiency.vector = spec.efficiency->vector->value;
  m.efficiency.memory = spec.efficiency->memory->value;
  for (const auto& [p, f] : spec.efficiency->matrix_by_precision) {
    GRAPHS_RETURN_IF_ERROR(v.fraction(f, "efficiency.matrix_by_precision." + p));
    m.efficiency.matrix_by_precision[p] = f.value;
  }
  v.record_map(src, "efficiency.matrix_by_precision", spec.efficiency->matrix_by_precision);
  GRAPHS_RETURN_IF_ERROR(v.positive(spec.min_kernel_s, "min_kernel_s", /*allow_zero=*/true));
  if (spec.min_kernel_s) m.min_kernel_s = spec.min_kernel_s->value;
  GRAPHS_RETURN_IF_ERROR(v.positive(spec.host_link_bytes_per_s, "host_link_bytes_per_s"));
  if (spec.host_link_bytes_per_s) m.host_link_bytes_per_s = spec.host_link_bytes_per_s->value;
  GRAPHS_RETURN_IF_ERROR(v.positive(spec.host_cpu_scale, "host_cpu_scale"));
  if (spec.host_cpu_scale) m.host_cpu_scale = spec.host_cpu_scale->value;
  v.record(src, "min_kernel_s", spec.min_kernel_s);
  v.record(src, "host_link_bytes_per_s", spec.host_link_bytes_per_s);
  v.record(src, "host_cpu_scale", spec.host_cpu_scale);

  GRAPHS_ASSIGN_OR_RETURN(m.kernel_launch_s, v.require(spec.kernel_launch_s, "kernel_launch_s"));
  GRAPHS_RETURN_IF_ERROR(v.positive(spec.kernel_launch_s, "kernel_launch_s", true));
  if (spec.graph_kernel_launch_s) {
    GRAPHS_RETURN_IF_ERROR(
        v.positive(spec.graph_kernel_launch_s, "graph_kernel_launch_s", /*allow_zero=*/true));
    if (spec.graph_kernel_launch_s->value > m.kernel_launch_s) {
      return v.error(spec.graph_kernel_launch_s->line, "graph_kernel_launch_s",
                     "must not exceed kernel_launch_s (" + format_number(m.kernel_launch_s) +
                         "), got " + format_number(spec.graph_kernel_launch_s->value));
    }
    m.graph_kernel_launch_s = spec.graph_kernel_launch_s->value;
  }
  if (spec.systolic_array) {
    const auto& sa = *spec.systolic_array;
    SystolicArray array;
    for (const auto& [f, name, out] :
         {std::tuple{&sa.rows, "systolic_array.rows", &array.rows},
          std::tuple{&sa.cols, "systolic_array.cols", &array.cols},
          std::tuple{&sa.count, "systolic_array.count", &array.count}}) {
      if (!*f) return v.missing(name);
      GRAPHS_ASSIGN_OR_RETURN(*out, v.whole(*f, name));
    }
    m.systolic_array = array;
  }

  if (spec.energy_per_flop_j.empty()) return v.missing("energy_per_flop_j");
  GRAPHS_RETURN_IF_ERROR(v.positive_map(spec.energy_per_flop_j, "energy_per_flop_j"));
  for (const auto& [p, f] : spec.matrix_peak_flops_per_s) {
    if (!spec.energy_per_flop_j.count(p)) {
      return v.error(0, "energy_per_flop_j",
                     "no entry for '" + p + "' (matrix_peak_flops_per_s has one)");
    }
  }
  for (const auto& [p, f] : spec.energy_per_flop_j) m.energy_per_flop_j[p] = f.value;
  GRAPHS_ASSIGN_OR_RETURN(m.energy_per_dram_byte_j,
                          v.require(spec.energy_per_dram_byte_j, "energy_per_dram_byte_j"));
  GRAPHS_RETURN_IF_ERROR(v.positive(spec.energy_per_dram_byte_j, "energy_per_dram_byte_j"));
  GRAPHS_ASSIGN_OR_RETURN(m.tdp_w, v.require(spec.tdp_w, "tdp_w"));
  GRAPHS_RETURN_IF_ERROR(v.positive(spec.tdp_w, "tdp_w"));
  GRAPHS_ASSIGN_OR_RETURN(m.static_power_w, v.require(spec.static_power_w, "static_power_w"));
  GRAPHS_RETURN_IF_ERROR(v.positive(spec.static_power_w, "static_power_w", true));
  if (m.static_power_w >= m.tdp_w) {
    return v.error(spec.static_power_w->line, "static_power_w",
                   "must be below tdp_w (" + format_number(m.tdp_w) + "), got " +
                       format_number(m.static_power_w));
  }

  if (spec.interconnect) {
    const auto& ic = *spec.interconnect;
    if (ic.name.empty()) return v.missing("interconnect.name");
    if (!ic.bandwidth_bytes_per_s) return v.missing("interconnect.bandwidth_bytes_per_s");
    GRAPHS_RETURN_IF_ERROR(v.positive(ic.bandwidth_bytes_per_s, "interconnect.bandwidth_bytes_per_s"));
    GRAPHS_RETURN_IF_ERROR(v.positive(ic.latency_s, "interconnect.latency_s", true));
    Interconnect link;
    link.name = ic.name;
    link.bandwidth_bytes_per_s = ic.bandwidth_bytes_per_s->value;
    link.latency_s = ic.latency_s ? ic.latency_s->value : 0;
    m.interconnect = link;
    v.record(src, "interconnect.bandwidth_bytes_per_s", ic.bandwidth_bytes_per_s);
    v.record(src, "interconnect.latency_s", ic.latency_s);
  }

  for (const auto& pm : spec.power_modes) {
    const std::string path = "power_modes." + pm.name;
    if (!valid_name(pm.name, /*allow_dot=*/false)) {
      return v.error(pm.line, path, "mode names are lower case letters, digits, '-' or '_'");
    }
    if (!pm.power_w) return v.missing(path + ".power_w");
    GRAPHS_RETURN_IF_ERROR(v.positive(pm.power_w, path + ".power_w"));
    GRAPHS_RETURN_IF_ERROR(v.positive(pm.clock_hz, path + ".clock_hz"));
    GRAPHS_RETURN_IF_ERROR(
        v.positive(pm.memory_bandwidth_bytes_per_s, path + ".memory_bandwidth_bytes_per_s"));
    PowerMode mode;
    mode.name = pm.name;
    if (pm.compute_units) {
      GRAPHS_ASSIGN_OR_RETURN(mode.compute_units, v.whole(pm.compute_units, path + ".compute_units"));
    }
    // A mode that sets peaks sets all of the base's precisions, so none is left at the base's.
    const std::pair<const std::map<std::string, Figure>*, const std::map<std::string, Figure>*>
        pairs[] = {{&pm.matrix_peak_flops_per_s, &spec.matrix_peak_flops_per_s},
                   {&pm.vector_peak_flops_per_s, &spec.vector_peak_flops_per_s}};
    const char* names[] = {"matrix_peak_flops_per_s", "vector_peak_flops_per_s"};
    for (int i = 0; i < 2; ++i) {
      const auto& mode_map = *pairs[i].first;
      const auto& base_map = *pairs[i].second;
      const std::string field = path + "." + names[i];
      if (mode_map.empty()) continue;
      GRAPHS_RETURN_IF_ERROR(v.positive_map(mode_map, field));
      if (keys_of(mode_map) != keys_of(base_map)) {
        return v.error(pm.line, field,
                       "must list the same precisions as the top-level " +
                           std::string(names[i]) + " (" + join(keys_of(base_map)) + "), got " +
                           join(keys_of(mode_map)));
      }
    }
    if (pm.clock_hz) mode.clock_hz = pm.clock_hz->value;
    mode.power_w = pm.power_w->value;
    for (const auto& [p, f] : pm.matrix_peak_flops_per_s) mode.matrix_peak_flops_per_s[p] = f.value;
    for (const auto& [p, f] : pm.vector_peak_flops_per_s) mode.vector_peak_flops_per_s[p] = f.value;
    if (pm.memory_bandwidth_bytes_per_s) {
      mode.memory_bandwidth_bytes_per_s = pm.memory_bandwidth_bytes_per_s->value;
    }
    m.power_modes.push_back(std::move(mode));
    v.record(src, path + ".clock_hz", pm.clock_hz);
    v.record(src, path + ".compute_units", pm.compute_units);
    v.record(src, path + ".power_w", pm.power_w);
    v.record_map(src, path + ".matrix_peak_flops_per_s", pm.matrix_peak_flops_per_s);
    v.record_map(src, path + ".vector_peak_flops_per_s", pm.vector_peak_flops_per_s);
    v.record(src, path + ".memory_bandwidth_bytes_per_s", pm.memory_bandwidth_bytes_per_s);
  }

  v.record(src, "compute_units", spec.compute_units);
  v.record(src, "clock_hz", spec.clock_hz);
  v.record_map(src, "matrix_peak_flops_per_s", spec.matrix_peak_flops_per_s);
  v.record_map(src, "vector_peak_flops_per_s", spec.vector_peak_flops_per_s);
  v.record(src, "memory_bytes", spec.memory_bytes);
  v.record(src, "memory_bandwidth_bytes_per_s", spec.memory_bandwidth_bytes_per_s);
  v.record(src, "efficiency.matrix", spec.efficiency->matrix);
  v.record(src, "efficiency.vector", spec.efficiency->vector);
  v.record(src, "efficiency.memory", spec.efficiency->memory);
  v.record(src, "kernel_launch_s", spec.kernel_launch_s);
  v.record(src, "graph_kernel_launch_s", spec.graph_kernel_launch_s);
  if (spec.systolic_array) {
    v.record(src, "systolic_array.rows", spec.systolic_array->rows);
    v.record(src, "systolic_array.cols", spec.systolic_array->cols);
    v.record(src, "systolic_array.count", spec.systolic_array->count);
  }
  v.record_map(src, "energy_per_flop_j", spec.energy_per_flop_j);
  v.record(src, "energy_per_dram_byte_j", spec.energy_per_dram_byte_j);
  v.record(src, "static_power_w", spec.static_power_w);
  v.record(src, "tdp_w", spec.tdp_w);
  m.notes = spec.notes;
  m.origin = spec.file_name;
  return m;
}

Result<HardwareModel> apply_power_mode(const HardwareModel& base, std::string_view mode_name) {
  std::vector<std::string> names;
  for (const auto& pm : base.power_modes) names.push_back(pm.name);
  if (names.empty()) {
    return make_error(ErrorCode::kNotFound, "hardware '", base.id, "' has no power modes (asked for '",
                      mode_name, "')");
  }
  const std::string wanted = lower(mode_name);
  const auto it = std::find_if(base.power_modes.begin(), base.power_modes.end(),
                               [&](const PowerMode& pm) { return pm.name == wanted; });
  if (it == base.power_modes.end()) {
    return Error(ErrorCode::kNotFound, "hardware '" + base.id + "': " +
                                           unknown_name_message("power mode", mode_name, names) +
                                           " (modes: " + join(names) + ")");
  }
  const PowerMode& pm = *it;
  HardwareModel m = base;
  m.id = base.id + ":" + pm.name;
  m.active_power_mode = pm.name;
  const std::string prefix = "power_modes." + pm.name + ".";
  auto take_source = [&](const std::string& mode_field, const std::string& field) {
    const auto s = base.sources.find(prefix + mode_field);
    if (s != base.sources.end()) m.sources[field] = s->second;
  };
  if (pm.clock_hz) {
    m.clock_hz = *pm.clock_hz;
    take_source("clock_hz", "clock_hz");
  }
  if (pm.compute_units) {
    m.compute_units = *pm.compute_units;
    take_source("compute_units", "compute_units");
  }
  if (pm.power_w) {
    m.tdp_w = *pm.power_w;
    take_source("power_w", "tdp_w");
  }
  for (const auto& [p, value] : pm.matrix_peak_flops_per_s) {
    m.matrix_peak_flops_per_s[p] = value;
    take_source("matrix_peak_flops_per_s." + p, "matrix_peak_flops_per_s." + p);
  }
  for (const auto& [p, value] : pm.vector_peak_flops_per_s) {
    m.vector_peak_flops_per_s[p] = value;
    take_source("vector_peak_flops_per_s." + p, "vector_peak_flops_per_s." + p);
  }
  if (pm.memory_bandwidth_bytes_per_s) {
    m.memory_bandwidth_bytes_per_s = *pm.memory_bandwidth_bytes_per_s;
    take_source("memory_bandwidth_bytes_per_s", "memory_bandwidth_bytes_per_s");
  }
  if (m.static_power_w >= m.tdp_w) {
    // The base's idle power can exceed a low mode's budget; keep the model consistent.
    m.static_power_w = 0.5 * m.tdp_w;
    m.sources["static_power_w"] =
        "derived: half of the power mode's budget (the base static_power_w exceeds it)";
  }
  m.notes.push_back("power mode " + pm.name + ": clock, units, peaks, bandwidth and power are the "
                    "mode's; energy per FLOP/byte and efficiencies are the base's");
  return m;
}

}  // namespace graphs
