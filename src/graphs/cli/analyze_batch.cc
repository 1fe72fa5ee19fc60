#include "graphs/cli/analyze_batch.h"

#include <cstdio>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "graphs/common/suggest.h"
#include "graphs/hardware/registry.h"

namespace graphs::cli {
namespace {

using nlohmann::json;

Error line_error(std::size_t line, const std::string& what) {
  return Error(ErrorCode::kInvalidArgument, "--models-file line " + std::to_string(line) + ": " +
                                                what);
}

// One line's object → the command line's dim options plus the line's own.
Result<std::pair<std::string, ModelOptions>> parse_line(const json& j, std::size_t line,
                                                        ModelOptions o) {
  static const std::vector<std::string> kKeys = {"model", "dims", "input_shapes", "batch",
                                                 "seq_len"};
  if (!j.is_object()) return line_error(line, "not a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (std::find(kKeys.begin(), kKeys.end(), key) == kKeys.end()) {
      return line_error(line, unknown_name_message("key", key, kKeys));
    }
  }
  if (!j.contains("model") || !j["model"].is_string()) {
    return line_error(line, "\"model\" must be a string");
  }
  for (const char* key : {"batch", "seq_len"}) {
    if (!j.contains(key)) continue;
    if (!j[key].is_number_integer() || j[key].get<int64_t>() < 1 ||
        j[key].get<int64_t>() > kMaxDimFlag) {
      return line_error(line, std::string("\"") + key + "\" must be an integer in [1, " +
                                  std::to_string(kMaxDimFlag) + "]");
    }
  }
  if (j.contains("batch")) o.batch = j["batch"].get<int64_t>();
  if (j.contains("seq_len")) o.seq_len = j["seq_len"].get<int64_t>();
  if (j.contains("dims")) {
    if (!j["dims"].is_object()) return line_error(line, "\"dims\" must be an object");
    for (const auto& [name, v] : j["dims"].items()) {
      if (!v.is_number_integer()) return line_error(line, "dim '" + name + "' must be an integer");
      o.dims.push_back(name + "=" + std::to_string(v.get<int64_t>()));
    }
  }
  if (j.contains("input_shapes")) {
    if (!j["input_shapes"].is_object()) {
      return line_error(line, "\"input_shapes\" must be an object");
    }
    for (const auto& [name, v] : j["input_shapes"].items()) {
      std::string dims;
      if (v.is_string()) {
        dims = v.get<std::string>();
      } else if (v.is_array()) {
        for (const auto& d : v) {
          if (!d.is_number_integer()) {
            return line_error(line, "input shape '" + name + "' must hold integers");
          }
          dims += (dims.empty() ? "" : "x") + std::to_string(d.get<int64_t>());
        }
      } else {
        return line_error(line, "input shape '" + name + "' must be a list or \"D0xD1x...\"");
      }
      o.input_shapes.push_back(name + "=" + dims);
    }
  }
  return std::make_pair(j["model"].get<std::string>(), std::move(o));
}

json outputs_json(const Graph& g) {
  json out = json::array();
  for (ValueId id : g.outputs) {
    const Value& v = g.value(id);
    out.push_back({{"name", v.name},
                   {"dtype", dtype_name(v.type.dtype)},
                   {"shape", v.type.is_static() ? json(v.type.dims()) : json(nullptr)}});
  }
  return out;
}

json result_json(const Analysis& a) {
  json dd = json::array();
  for (const auto& d : a.model.graph.data_dependent_dims) {
    dd.push_back({{"symbol", d.symbol}, {"value", d.value}, {"axis", d.axis}, {"size", d.size},
                  {"source", d.source}});
  }
  json latency = json::object();
  for (const auto& e : a.estimates) latency[e.hardware_id] = e.latency_s;
  const auto& c = a.characterization;
  return {{"outputs", outputs_json(a.model.graph)}, {"data_dependent_dims", dd},
          {"macs", c.macs}, {"flops", c.flops}, {"bytes_read", c.bytes_read},
          {"bytes_written", c.bytes_written}, {"latency_s", latency}};
}

json failed(json r, const Error& error) {
  r["exit_status"] = exit_status(error);
  r["error"] = error.message();
  return r;
}

// One model: the analysis, or its error, as one JSON object.
json analyze_line(const std::string& model, const ModelOptions& o, const AnalyzeRequest& base,
                  const HardwareRegistry& registry) {
  json r = {{"model", model}};
  AnalyzeRequest request = base;
  request.model = model;
  auto dims = to_bindings(o);
  if (!dims.ok()) return failed(std::move(r), dims.error());
  request.dims = *dims;
  auto analysis = analyze(request, registry);
  if (!analysis.ok()) return failed(std::move(r), analysis.error());
  r["exit_status"] = 0;
  r.update(result_json(*analysis));
  return r;
}

}  // namespace

int run_models_file(const std::string& list, const AnalyzeRequest& base,
                    const ModelOptions& base_dims) {
  std::ifstream file;
  if (list != "-") {
    file.open(list);
    if (!file) {
      return report_error(make_error(ErrorCode::kInvalidArgument, "cannot read --models-file '",
                                     list, "'"));
    }
  }
  std::istream& in = list == "-" ? std::cin : file;
  auto registry = load_registry();
  if (!registry.ok()) return report_error(registry.error());
  std::string text;
  for (std::size_t line = 1; std::getline(in, text); ++line) {
    if (text.find_first_not_of(" \t\r") == std::string::npos || text[0] == '#') continue;
    json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return report_error(line_error(line, "not valid JSON"));
    auto parsed = parse_line(j, line, base_dims);
    if (!parsed.ok()) return report_error(parsed.error());
    json r = analyze_line(parsed->first, parsed->second, base, *registry);
    r["line"] = line;
    const std::string out = r.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size() || std::fflush(stdout) != 0) {
      return report_error(Error(ErrorCode::kRuntimeError, "cannot write to standard output"));
    }
  }
  return 0;
}

}  // namespace graphs::cli
