#include "graphs/estimate/engine.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "graphs/common/suggest.h"
#include "graphs/common/yaml_doc.h"

namespace graphs {
namespace {

const std::vector<std::string> kKeys = {
    "schema_version", "id",          "name",  "aliases", "devices", "partition",
    "calibration_key", "cuda_graphs", "fused_attention", "host_per_kernel_s", "inference_overhead_s",
    "efficiency_scale", "kv_cache_memory_fraction", "max_prefill_tokens", "notes"};
const std::vector<std::string> kDevices = {"cpu", "gpu", "npu", "tpu"};

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct EngineRegistry {
  std::vector<Engine> engines;
  std::map<std::string, std::size_t> by_name;  // id and aliases, lower case
};

EngineRegistry& registry() {
  static EngineRegistry reg = [] {
    EngineRegistry r;
    for (const auto& [file, text] : detail::embedded_engine_files()) {
      auto e = parse_engine_yaml(text, std::string(file));
      if (!e.ok()) {
        // An embedded file is part of the build; tests parse every one (engine_test.cc).
        std::fprintf(stderr, "graphs: internal error: %s\n", e.error().message().c_str());
        std::abort();
      }
      r.engines.push_back(std::move(e).value());
    }
    std::sort(r.engines.begin(), r.engines.end(),
              [](const Engine& a, const Engine& b) { return a.id < b.id; });
    for (std::size_t i = 0; i < r.engines.size(); ++i) {
      r.by_name[lower(r.engines[i].id)] = i;
      for (const auto& a : r.engines[i].aliases) r.by_name[lower(a)] = i;
    }
    return r;
  }();
  return reg;
}

}  // namespace

Result<Engine> parse_engine_yaml(std::string_view yaml, const std::string& file_name) {
  GRAPHS_ASSIGN_OR_RETURN(const YamlDoc doc, YamlDoc::load(yaml, file_name));
  GRAPHS_ASSIGN_OR_RETURN(const YamlEntries top, doc.mapping(doc.root(), "", kKeys));
  Engine e;
  const YAML::Node* version = top.find("schema_version");
  if (!version) return doc.error(top.line, "", "missing required field 'schema_version'");
  GRAPHS_ASSIGN_OR_RETURN(const double v, doc.number(*version, "schema_version"));
  if (v != 1) return doc.error(*version, "schema_version", "this build reads version 1");
  for (const char* required : {"id", "name", "devices", "partition"}) {
    if (!top.find(required)) {
      return doc.error(top.line, "", std::string("missing required field '") + required + "'");
    }
  }
  for (const auto& [key, node] : top.items) {
    if (key == "id") {
      GRAPHS_ASSIGN_OR_RETURN(e.id, doc.text(node, key));
    } else if (key == "name") {
      GRAPHS_ASSIGN_OR_RETURN(e.name, doc.text(node, key));
    } else if (key == "aliases") {
      GRAPHS_ASSIGN_OR_RETURN(e.aliases, doc.text_list(node, key));
    } else if (key == "devices") {
      GRAPHS_ASSIGN_OR_RETURN(e.devices, doc.text_list(node, key));
      for (const auto& d : e.devices) {
        if (std::find(kDevices.begin(), kDevices.end(), d) == kDevices.end()) {
          return doc.error(node, key, unknown_name_message("device kind", d, kDevices));
        }
      }
    } else if (key == "partition") {
      GRAPHS_ASSIGN_OR_RETURN(const std::string p, doc.text(node, key));
      if (p != "fused" && p != "unfused") {
        return doc.error(node, key, "expected fused or unfused, got '" + p + "'");
      }
      e.fuses = p == "fused";
    } else if (key == "calibration_key") {
      GRAPHS_ASSIGN_OR_RETURN(e.calibration_key, doc.text(node, key));
    } else if (key == "cuda_graphs") {
      GRAPHS_ASSIGN_OR_RETURN(e.cuda_graphs, doc.boolean(node, key));
    } else if (key == "fused_attention") {
      GRAPHS_ASSIGN_OR_RETURN(e.fused_attention, doc.boolean(node, key));
    } else if (key == "host_per_kernel_s" || key == "inference_overhead_s") {
      GRAPHS_ASSIGN_OR_RETURN(const SourcedValue f, doc.figure(node, key));
      if (f.value < 0) return doc.error(f.line, key, "must be >= 0");
      (key == "host_per_kernel_s" ? e.host_per_kernel_s : e.inference_overhead_s) = f.value;
      e.sources[key] = f.source;
    } else if (key == "kv_cache_memory_fraction" || key == "max_prefill_tokens") {
      GRAPHS_ASSIGN_OR_RETURN(const SourcedValue f, doc.figure(node, key));
      const bool fraction = key == "kv_cache_memory_fraction";
      if (f.value <= 0 || (fraction && f.value > 1)) {
        return doc.error(f.line, key, fraction ? "must be in (0, 1]" : "must be > 0");
      }
      (fraction ? e.kv_cache_memory_fraction : e.max_prefill_tokens) = f.value;
      e.sources[key] = f.source;
    } else if (key == "efficiency_scale") {
      GRAPHS_ASSIGN_OR_RETURN(const YamlEntries eff, doc.mapping(node, key, {"matrix", "memory"}));
      for (const auto& [k, n] : eff.items) {
        const std::string at = yaml_path(key, k);
        GRAPHS_ASSIGN_OR_RETURN(const SourcedValue f, doc.figure(n, at));
        if (f.value <= 0 || f.value > 1) return doc.error(f.line, at, "must be in (0, 1]");
        (k == "matrix" ? e.matrix_efficiency_scale : e.memory_efficiency_scale) = f.value;
        e.sources[at] = f.source;
      }
    } else if (key == "notes") {
      GRAPHS_ASSIGN_OR_RETURN(e.notes, doc.text_list(node, key));
    }
  }
  const std::string stem = std::filesystem::path(file_name).stem().string();
  if (e.id != stem) {
    return doc.error(0, "id", "'" + e.id + "' does not match the file name; name it '" + e.id +
                                  ".yaml'");
  }
  return e;
}

std::vector<std::string> engine_ids() {
  std::vector<std::string> ids;
  for (const auto& e : registry().engines) ids.push_back(e.id);
  return ids;
}

Status replace_engine(const Engine& engine) {
  auto& reg = registry();
  const auto it = reg.by_name.find(lower(engine.id));
  if (it == reg.by_name.end()) {
    return Error(ErrorCode::kNotFound, unknown_name_message("engine", engine.id, engine_ids()));
  }
  reg.engines[it->second] = engine;
  return ok_status();
}

Result<const Engine*> find_engine(const std::string& name) {
  const auto& reg = registry();
  const auto it = reg.by_name.find(lower(name));
  if (it != reg.by_name.end()) return &reg.engines[it->second];
  std::vector<std::string> names;
  for (const auto& [n, i] : reg.by_name) names.push_back(n);
  return Error(ErrorCode::kInvalidArgument, unknown_name_message("engine", name, names));
}

}  // namespace graphs
