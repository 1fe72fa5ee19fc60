// graphs inspect MODEL [--batch N] [--seq-len N] [--dim NAME=N] [--input-shape NAME=D0xD1x...]
//                 [--format text|json] [-o FILE]
// Prints the graph after dim binding and shape inference: every value with dtype and shape, and
// every node with its inputs and outputs.
//
// JSON (schema_version 1): {"schema_version":1,"model":PATH,"graph":{"name","producer","opsets",
//   "inputs":[names],"outputs":[names],"values":[{"name","dtype","shape","kind"}],
//   "nodes":[{"name","op_type","domain","opset","inputs":[names or ""],"outputs":[names],
//             "subgraphs":[{"attribute","runs","nodes"}] (control flow only)}],
//   "data_dependent_dims":[{"symbol","node","value","axis","size","source"}],"notes":[text]}}
// Text: the node table, then the data-dependent dims (each bindable with --dim NAME=N) and the
// notes of shape inference (the If branch an estimate takes, loop-carried growth).
#include <nlohmann/json.hpp>

#include "graphs/pipeline/pipeline.h"
#include "graphs/cli/commands.h"
#include "graphs/report/table.h"

namespace graphs::cli {

std::string shape_inference_notes(const Graph& g) {
  std::string out;
  if (!g.data_dependent_dims.empty()) {
    out += "\ndata-dependent dims (bind with --dim NAME=N):\n";
    report::Table t({"dim", "size", "from", "where"});
    for (const auto& d : g.data_dependent_dims) {
      const std::string where =
          d.node + (d.value.empty() ? " (trip count)"
                                    : ", output '" + d.value + "' axis " + std::to_string(d.axis));
      t.add_row({d.symbol, std::to_string(d.size), d.source, where});
    }
    out += t.to_text();
  }
  if (!g.notes.empty()) {
    out += "\nnotes:\n";
    for (const auto& n : g.notes) out += "  " + n + "\n";
  }
  return out;
}

namespace {

struct InspectOptions {
  std::string model;
  ModelOptions model_options;
  std::string format;  // "" = from -o's extension, else text
  std::string output;
};

std::string kind_name(ValueKind k) {
  switch (k) {
    case ValueKind::kGraphInput: return "input";
    case ValueKind::kInitializer: return "initializer";
    case ValueKind::kOuterScope: return "outer_scope";
    case ValueKind::kActivation: break;
  }
  return "activation";
}

nlohmann::json to_json(const LoadedModel& m) {
  using nlohmann::json;
  const Graph& g = m.graph;
  auto names = [&](const std::vector<ValueId>& ids) {
    json a = json::array();
    for (ValueId v : ids) a.push_back(v == kNoValue ? "" : g.value(v).name);
    return a;
  };
  json opsets = json::object();
  for (const auto& [d, v] : g.opsets) opsets[d] = v;
  json values = json::array();
  for (const auto& v : g.values) {
    values.push_back({{"name", v.name},
                      {"dtype", dtype_name(v.type.dtype)},
                      {"shape", v.type.is_static() ? json(v.type.dims()) : json(nullptr)},
                      {"kind", kind_name(v.kind)}});
  }
  json nodes = json::array();
  for (const auto& n : g.nodes) {
    json node = {{"name", n.name}, {"op_type", n.op_type}, {"domain", n.domain},
                 {"opset", n.opset}, {"inputs", names(n.inputs)}, {"outputs", names(n.outputs)}};
    if (!n.subgraphs.empty()) {
      json subs = json::array();
      for (const auto& s : n.subgraphs) {
        subs.push_back({{"attribute", s.attribute}, {"runs", s.runs},
                        {"nodes", s.graph.nodes.size()}});
      }
      node["subgraphs"] = subs;
    }
    nodes.push_back(std::move(node));
  }
  json dd = json::array();
  for (const auto& d : g.data_dependent_dims) {
    dd.push_back({{"symbol", d.symbol}, {"node", d.node}, {"value", d.value}, {"axis", d.axis},
                  {"size", d.size}, {"source", d.source}});
  }
  return {{"schema_version", 1},
          {"model", m.source},
          {"graph",
           {{"name", g.name}, {"producer", g.producer}, {"opsets", opsets},
            {"inputs", names(g.inputs)}, {"outputs", names(g.outputs)}, {"values", values},
            {"nodes", nodes}, {"data_dependent_dims", dd}, {"notes", g.notes}}}};
}

std::string to_text(const LoadedModel& m) {
  const Graph& g = m.graph;
  std::string out = "graph '" + g.name + "' from " + m.source + " (" + g.producer + ")\n\n";
  report::Table t({"node", "op", "inputs", "outputs"});
  for (const auto& n : g.nodes) {
    std::string ins, outs;
    for (ValueId v : n.inputs) {
      if (v == kNoValue) continue;
      const auto& val = g.value(v);
      if (val.kind == ValueKind::kInitializer) continue;
      ins += (ins.empty() ? "" : " ") + val.type.to_string();
    }
    for (ValueId v : n.outputs) {
      if (v != kNoValue) outs += (outs.empty() ? "" : " ") + g.value(v).type.to_string();
    }
    t.add_row({n.name, n.op_type, ins, outs});
  }
  return out + t.to_text() + shape_inference_notes(g);
}

int run(const InspectOptions& options) {
  InspectOptions o = options;
  o.format = format_for_output(o.format, o.output, {"text", "json"}, "text");
  if (o.format != "text" && o.format != "json") {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "unknown format '" + o.format + "'; inspect supports text, json"));
  }
  auto dims = to_bindings(o.model_options);
  if (!dims.ok()) return report_error(dims.error());
  auto model = load_model(o.model, *dims);
  if (!model.ok()) return report_error(model.error());
  const std::string text = o.format == "json" ? to_json(*model).dump(1) + "\n" : to_text(*model);
  auto written = write_output(o.output, text);
  return written.ok() ? 0 : report_error(written.error());
}

}  // namespace

void add_inspect_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<InspectOptions>();
  auto* cmd = app.add_subcommand("inspect", "print MODEL's graph with every inferred shape");
  cmd->add_option("model", opts->model, "an .onnx file or a built-in zoo name")->required();
  add_model_options(*cmd, opts->model_options);
  cmd->add_option("--format", opts->format, "text|json (default: from -o's extension, else text)");
  cmd->add_option("-o,--output", opts->output, "write to FILE instead of stdout");
  cmd->callback([opts, &result] { result.exit_status = run(*opts); });
}

}  // namespace graphs::cli
