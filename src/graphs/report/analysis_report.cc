#include "graphs/report/analysis_report.h"

#include <algorithm>
#include <numeric>

#include <fmt/format.h>

#include "graphs/common/suggest.h"
#include "graphs/report/table.h"

namespace graphs {
namespace {

using nlohmann::json;
namespace r = report;

int64_t bound_batch(const Analysis& a) { return a.dims.batch; }

double throughput(const Analysis& a, const Estimate& e) {
  // Inferences pipelined (several in flight): the steady-state period, which on GPUs hides the
  // per-inference host overhead and copies behind the device (mapper.h combine_kernels).
  const double period = e.period_s > 0 ? e.period_s : e.latency_s;
  return period > 0 ? static_cast<double>(bound_batch(a)) / period : 0;
}

json node_json(const Analysis& a, NodeId id) {
  const Graph& g = a.model.graph;
  const Node& n = g.node(id);
  const NodeStats& s = a.characterization.nodes[static_cast<std::size_t>(id)];
  json outputs = json::array();
  for (ValueId v : n.outputs) {
    if (v == kNoValue) continue;
    outputs.push_back({{"name", g.value(v).name},
                       {"dtype", dtype_name(g.value(v).type.dtype)},
                       {"shape", g.value(v).type.dims()}});
  }
  return {{"name", n.name},
          {"op_type", n.op_type},
          {"domain", n.domain},
          {"op_class", to_string(s.op_class)},
          {"free", s.free},
          {"kernel", a.partition.kernel_of_node[static_cast<std::size_t>(id)]},
          {"params", s.params},
          {"macs", s.cost.macs},
          {"flops", s.cost.flops},
          {"bytes_read", s.cost.bytes_read},
          {"bytes_written", s.cost.bytes_written},
          {"weight_bytes", s.weight_bytes},
          {"arithmetic_intensity", s.arithmetic_intensity()},
          {"outputs", outputs}};
}

json kernel_json(const Analysis& a, const FusedKernel& k) {
  json nodes = json::array();
  for (NodeId n : k.nodes) nodes.push_back(a.model.graph.node(n).name);
  return {{"id", k.id},
          {"name", k.name},
          {"op_class", to_string(k.op_class)},
          {"nodes", nodes},
          {"macs", k.macs},
          {"flops", k.flops},
          {"input_bytes", k.input_bytes},
          {"weight_bytes", k.weight_bytes},
          {"output_bytes", k.output_bytes},
          {"arithmetic_intensity", k.arithmetic_intensity()}};
}

std::string precision_text(const Analysis& a) {
  const Precision& p = a.precision;
  std::string out = p.name;
  if (p.weights != p.name) out += ", weights " + p.weights;
  if (!a.phases.empty()) out += ", KV cache " + p.kv_cache;
  return out;
}

std::string title(const Analysis& a) {
  std::string dims;
  for (ValueId v : a.model.graph.inputs) {
    const auto& val = a.model.graph.value(v);
    dims += (dims.empty() ? "" : ", ") + val.name + " " + val.type.to_string();
  }
  return fmt::format("{} ({}; inputs: {}; precision {})", a.model.name, a.model.format, dims,
                     precision_text(a));
}

r::Table totals_table(const Analysis& a) {
  const auto& ch = a.characterization;
  r::Table t({"quantity", ">value"});
  t.add_row({"parameters", r::si(static_cast<double>(ch.params))});
  if (ch.active_params != ch.params) {
    t.add_row({"active parameters (read per inference)",
               r::si(static_cast<double>(ch.active_params))});
  }
  t.add_row({"MACs", r::si(ch.macs)});
  t.add_row({"FLOPs", r::si(ch.flops)});
  t.add_row({"weight bytes", r::bytes(ch.weight_bytes)});
  t.add_row({"activation bytes", r::bytes(ch.activation_bytes)});
  t.add_row({"bytes moved, unfused", r::bytes(ch.bytes_read + ch.bytes_written)});
  t.add_row({"arithmetic intensity, unfused", r::number(ch.arithmetic_intensity()) + " FLOP/B"});
  t.add_row({"nodes (compute / total)",
             fmt::format("{} / {}", ch.compute_nodes, a.model.graph.nodes.size())});
  t.add_row({"fused kernels", std::to_string(a.partition.kernels.size())});
  return t;
}

r::Table class_table(const Analysis& a) {
  const auto& ch = a.characterization;
  r::Table t({"op class", ">nodes", ">MACs", ">FLOPs", ">share of FLOPs", ">bytes"});
  std::vector<std::pair<OpClass, ClassTotals>> rows(ch.by_class.begin(), ch.by_class.end());
  std::sort(rows.begin(), rows.end(),
            [](const auto& x, const auto& y) { return x.second.flops > y.second.flops; });
  for (const auto& [cls, tot] : rows) {
    t.add_row({std::string(to_string(cls)), std::to_string(tot.nodes), r::si(tot.macs),
               r::si(tot.flops),
               ch.flops > 0 ? r::number(100.0 * tot.flops / ch.flops) + " %" : "-",
               r::bytes(tot.bytes)});
  }
  return t;
}

r::Table estimate_table(const Analysis& a) {
  r::Table t({"hardware", "mapper", ">latency", ">throughput", ">energy/inference",
              ">peak memory", "fits", "kernels compute/memory-bound", ">matrix util",
              ">ridge point"});
  for (const auto& e : a.estimates) {
    t.add_row({e.hardware_id, e.mapper + (e.cuda_graphs ? "+graphs" : ""),
               r::seconds(e.latency_s), r::si(throughput(a, e)) + " samples/s",
               r::joules(e.energy_j), r::bytes(e.memory.peak_bytes), e.memory.fits ? "yes" : "NO",
               fmt::format("{} / {}", e.compute_bound_kernels, e.memory_bound_kernels),
               r::number(100.0 * e.matrix_utilization) + " %",
               r::number(e.ridge_point_flop_per_byte) + " FLOP/B"});
  }
  return t;
}

r::Table kernel_table(const Analysis& a, const Estimate& e, std::size_t limit) {
  std::vector<std::size_t> idx(e.kernels.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](std::size_t x, std::size_t y) {
    return e.kernels[x].latency_s > e.kernels[y].latency_s;
  });
  if (idx.size() > limit) idx.resize(limit);
  r::Table t({">#", "kernel (anchor)", "class", ">nodes", ">FLOPs", ">bytes", ">AI FLOP/B",
              ">util", ">latency", "bound", ">share"});
  for (std::size_t i : idx) {
    const auto& k = a.partition.kernels[i];
    const auto& ke = e.kernels[i];
    t.add_row({std::to_string(k.id), k.name, std::string(to_string(k.op_class)),
               std::to_string(k.nodes.size()), r::si(k.flops), r::bytes(k.bytes()),
               r::number(k.arithmetic_intensity()),
               ke.utilization < 1 ? r::number(100.0 * ke.utilization) + " %" : "",
               r::seconds(ke.latency_s),
               ke.compute_bound ? "compute" : "memory",
               e.latency_s > 0 ? r::number(100.0 * ke.latency_s / e.latency_s) + " %" : "-"});
  }
  return t;
}

r::Table llm_table(const Analysis& a) {
  const bool decode = !a.phases.empty() && phase_decodes(a.phases.front().phase);
  std::vector<std::string> head = {"hardware", ">time to first token", ">prefill tokens/s"};
  if (decode) {
    for (const char* h : {">time per token", ">decode tokens/s", ">energy/token"}) head.push_back(h);
  }
  for (const char* h : {">weights", ">KV cache", ">activations", ">total", "fits"}) head.push_back(h);
  r::Table t(head);
  for (const auto& p : a.phases) {
    std::vector<std::string> row = {p.hardware_id, r::seconds(p.ttft_s),
                                    r::si(p.prefill_tokens_per_s)};
    if (decode) {
      row.push_back(r::seconds(p.tpot_s) + (p.decode_memory_bound ? " (memory-bound)" : ""));
      row.push_back(r::si(p.decode_tokens_per_s));
      row.push_back(r::joules(p.decode_energy_per_token_j));
    }
    const double act = std::max(p.prefill_activation_bytes, p.decode_activation_bytes);
    for (const auto& cell : {r::bytes(p.weight_bytes), r::bytes(p.kv_cache_bytes), r::bytes(act),
                             r::bytes(p.peak_bytes), std::string(p.fits ? "yes" : "NO")}) {
      row.push_back(cell);
    }
    t.add_row(row);
  }
  return t;
}

r::Table llm_context_table(const LlmPhaseEstimate& p) {
  r::Table t({">context tokens", ">KV cache", ">time per token", ">tokens/s", ">memory", "fits"});
  for (const auto& c : p.contexts) {
    t.add_row({std::to_string(c.context), r::bytes(c.kv_cache_bytes), r::seconds(c.tpot_s),
               r::si(c.tpot_s > 0 ? static_cast<double>(p.batch) / c.tpot_s : 0),
               r::bytes(c.memory_bytes), c.fits ? "yes" : "NO"});
  }
  return t;
}

std::string llm_section(const Analysis& a, bool markdown) {
  auto table = [&](const r::Table& t) { return markdown ? t.to_markdown() : t.to_text(); };
  auto heading = [&](const std::string& h) { return markdown ? "\n## " + h + "\n\n" : "\n" + h + "\n"; };
  const LlmFacts& f = *a.llm;
  const auto& first = a.phases.front();
  std::string out = heading(fmt::format(
      "LLM {} (batch {}, {} prompt tokens{}; weights {}, KV cache {})",
      to_string(first.phase), first.batch, first.prompt_tokens,
      phase_decodes(first.phase) ? " in the KV cache" : "", a.precision.weights,
      a.precision.kv_cache));
  out += fmt::format("{} layers, {} heads, {} KV heads, head_dim {}; KV cache {} per token\n",
                     f.layers, f.heads, f.kv_heads, f.head_dim,
                     r::bytes(kv_cache_bytes(f, 1, 1, first.kv_bytes_per_element)));
  if (markdown) out += "\n";
  out += table(llm_table(a));
  if (first.phase == LlmPhase::kGenerate) {
    r::Table g({"hardware", ">batch", ">prompt", ">generated", ">time to first token",
                ">mean time per token", ">generation time", ">output tokens/s"});
    for (const auto& p : a.phases) {
      g.add_row({p.hardware_id, std::to_string(p.batch), std::to_string(p.prompt_tokens),
                 std::to_string(p.output_tokens), r::seconds(p.ttft_s), r::seconds(p.mean_tpot_s),
                 r::seconds(p.generation_s), r::si(p.output_tokens_per_s)});
    }
    out += heading("Static-batch generation (prefill, then one decode step per token as the "
                   "context grows)");
    out += table(g);
  }
  if (!a.serving.empty()) {
    r::Table sv({"hardware", ">max in flight", ">in flight", ">decode step", ">prefill/request",
                 ">requests/s", ">output tokens/s", ">time to first token", ">time per token",
                 ">request latency"});
    for (const auto& s : a.serving) {
      sv.add_row({s.hardware_id, std::to_string(s.max_concurrency), std::to_string(s.concurrency),
                  r::seconds(s.decode_step_s), r::seconds(s.prefill_per_request_s),
                  r::si(s.requests_per_s), r::si(s.output_tokens_per_s) +
                  (s.saturated ? " (saturated)" : ""), r::seconds(s.ttft_s),
                  r::seconds(s.tpot_s), r::seconds(s.request_latency_s)});
    }
    out += heading("Continuous batching (in-flight), " +
                   std::to_string(a.serving.front().input_tokens) + " prompt + " +
                   std::to_string(a.serving.front().output_tokens) + " generated tokens per request");
    out += table(sv);
    for (const auto& s : a.serving) {
      for (const auto& n : s.notes) out += "  note: " + n + "\n";
    }
  }
  if (phase_decodes(first.phase)) {
    for (const auto& p : a.phases) {
      out += heading(fmt::format("{}: decode time per token and memory as the context grows "
                                 "(batch {})",
                                 p.hardware_id, p.batch));
      out += table(llm_context_table(p));
      out += fmt::format("{}time per token at {} = {} (sequence-1 graph) + {} (attention over "
                         "the KV cache, {} layers)\n",
                         markdown ? "\n" : "", p.prompt_tokens, r::seconds(p.decode_graph_s),
                         r::seconds(p.decode_attention_s), f.layers);
    }
  }
  return out;
}

json llm_json(const Analysis& a) {
  const LlmFacts& f = *a.llm;
  json phases = json::array();
  for (const auto& p : a.phases) {
    json pj = {{"hardware", p.hardware_id},
               {"phase", to_string(p.phase)},
               {"batch", p.batch},
               {"prompt_tokens", p.prompt_tokens},
               {"kv_precision", p.kv_precision},
               {"ttft_s", p.ttft_s},
               {"prefill_tokens_per_s", p.prefill_tokens_per_s},
               {"weight_bytes", p.weight_bytes},
               {"kv_cache_bytes", p.kv_cache_bytes},
               {"prefill_activation_bytes", p.prefill_activation_bytes},
               {"peak_bytes", p.peak_bytes},
               {"capacity_bytes", p.capacity_bytes},
               {"fits", p.fits}};
    if (p.phase == LlmPhase::kGenerate) {
      pj["output_tokens"] = p.output_tokens;
      pj["generation_s"] = p.generation_s;
      pj["mean_tpot_s"] = p.mean_tpot_s;
      pj["output_tokens_per_s"] = p.output_tokens_per_s;
    }
    if (phase_decodes(p.phase)) {
      pj["tpot_s"] = p.tpot_s;
      pj["decode_graph_s"] = p.decode_graph_s;
      pj["decode_attention_s"] = p.decode_attention_s;
      pj["decode_tokens_per_s"] = p.decode_tokens_per_s;
      pj["decode_energy_per_token_j"] = p.decode_energy_per_token_j;
      pj["decode_memory_bound"] = p.decode_memory_bound;
      pj["decode_activation_bytes"] = p.decode_activation_bytes;
      json rows = json::array();
      for (const auto& c : p.contexts) {
        rows.push_back({{"context", c.context}, {"kv_cache_bytes", c.kv_cache_bytes},
                        {"tpot_s", c.tpot_s}, {"memory_bytes", c.memory_bytes}, {"fits", c.fits}});
      }
      pj["contexts"] = rows;
    }
    phases.push_back(pj);
  }
  json serving = json::array();
  for (const auto& s : a.serving) {
    serving.push_back({{"hardware", s.hardware_id},
                       {"input_tokens", s.input_tokens},
                       {"output_tokens", s.output_tokens},
                       {"max_concurrency", s.max_concurrency},
                       {"concurrency", s.concurrency},
                       {"decode_step_s", s.decode_step_s},
                       {"prefill_per_request_s", s.prefill_per_request_s},
                       {"requests_per_s", s.requests_per_s},
                       {"output_tokens_per_s", s.output_tokens_per_s},
                       {"ttft_s", s.ttft_s},
                       {"tpot_s", s.tpot_s},
                       {"request_latency_s", s.request_latency_s},
                       {"saturated", s.saturated},
                       {"notes", s.notes}});
  }
  json out = {{"layers", f.layers}, {"heads", f.heads},       {"kv_heads", f.kv_heads},
              {"head_dim", f.head_dim}, {"hidden", f.hidden}, {"vocab", f.vocab},
              {"phases", phases}};
  if (!serving.empty()) out["serving"] = serving;
  return out;
}

r::Table node_table(const Analysis& a) {
  r::Table t({"node", "op", ">output", ">params", ">MACs", ">FLOPs", ">bytes", ">kernel"});
  const Graph& g = a.model.graph;
  for (NodeId id : a.characterization.order) {
    const Node& n = g.node(id);
    const auto& s = a.characterization.nodes[static_cast<std::size_t>(id)];
    const std::string out = (!n.outputs.empty() && n.outputs[0] != kNoValue)
                                ? g.value(n.outputs[0]).type.to_string()
                                : "";
    const int k = a.partition.kernel_of_node[static_cast<std::size_t>(id)];
    t.add_row({n.name, n.op_type, out, r::si(static_cast<double>(s.params)), r::si(s.cost.macs),
               r::si(s.cost.flops), r::bytes(s.cost.bytes_read + s.cost.bytes_written),
               k >= 0 ? std::to_string(k) : "free"});
  }
  return t;
}

std::string render_tables(const Analysis& a, const ReportOptions& o, bool markdown) {
  auto table = [&](const r::Table& t) { return markdown ? t.to_markdown() : t.to_text(); };
  auto heading = [&](const std::string& h) { return markdown ? "\n## " + h + "\n\n" : "\n" + h + "\n"; };
  std::string out = markdown ? "# graphs analyze: " + title(a) + "\n" : "graphs analyze: " + title(a) + "\n";
  out += heading("Model");
  out += table(totals_table(a));
  out += heading("By op class");
  out += table(class_table(a));
  if (!a.estimates.empty()) {
    out += heading(fmt::format(
        "Estimates ({}per fused kernel through each target's mapper, batch {}, {}; figures "
        "from data/hardware)",
        a.phases.empty() ? "" : "prefill, ", bound_batch(a), precision_text(a)));
    out += table(estimate_table(a));
    for (const auto& e : a.estimates) {
      for (const auto& n : e.notes) out += (markdown ? "\n- note: " : "  note: ") + n + "\n";
    }
    if (a.llm && !a.phases.empty()) out += llm_section(a, markdown);
    for (const auto& e : a.estimates) {
      const std::size_t limit =
          o.per_kernel ? e.kernels.size() : static_cast<std::size_t>(o.top_kernels);
      out += heading(fmt::format("{}: {} kernels by predicted latency (of {})", e.hardware_id,
                                 o.per_kernel ? "all" : fmt::format("top {}", limit),
                                 e.kernels.size()));
      out += table(kernel_table(a, e, limit));
      if (!e.memory.fits) {
        out += fmt::format("{}  warning: needs {} but {} has {}\n", markdown ? "\n" : "",
                           r::bytes(e.memory.peak_bytes), e.hardware_id,
                           r::bytes(e.memory.capacity_bytes));
      }
    }
  }
  if (o.per_node) {
    out += heading("Per node");
    out += table(node_table(a));
  }
  return out;
}

}  // namespace

Result<ReportFormat> parse_report_format(const std::string& name) {
  if (name == "text") return ReportFormat::kText;
  if (name == "json") return ReportFormat::kJson;
  if (name == "md" || name == "markdown") return ReportFormat::kMarkdown;
  return Error(ErrorCode::kInvalidArgument,
               unknown_name_message("format", name, {"text", "json", "md"}));
}

json analysis_to_json(const Analysis& a, const ReportOptions& o) {
  const auto& ch = a.characterization;
  json dims = json::object();
  for (const auto& [k, v] : a.dims.named) dims[k] = v;
  json j;
  j["schema_version"] = kAnalysisSchemaVersion;
  j["tool"] = {{"name", "graphs"}, {"version", GRAPHS_VERSION}};
  j["model"] = {{"source", a.model.source}, {"name", a.model.name}, {"format", a.model.format},
                {"batch", a.dims.batch},    {"seq_len", a.dims.seq_len}, {"dims", dims},
                {"precision", a.precision.name}, {"weight_precision", a.precision.weights},
                {"kv_precision", a.precision.kv_cache}};
  json inputs = json::array();
  for (ValueId v : a.model.graph.inputs) {
    const auto& val = a.model.graph.value(v);
    inputs.push_back({{"name", val.name},
                      {"dtype", dtype_name(val.type.dtype)},
                      {"shape", val.type.dims()}});
  }
  j["model"]["inputs"] = inputs;
  j["totals"] = {{"params", ch.params},
                 {"active_params", ch.active_params},
                 {"active_weight_bytes", ch.active_weight_bytes},
                 {"macs", ch.macs},
                 {"flops", ch.flops},
                 {"weight_bytes", ch.weight_bytes},
                 {"activation_bytes", ch.activation_bytes},
                 {"bytes_read", ch.bytes_read},
                 {"bytes_written", ch.bytes_written},
                 {"arithmetic_intensity", ch.arithmetic_intensity()},
                 {"nodes", a.model.graph.nodes.size()},
                 {"compute_nodes", ch.compute_nodes},
                 {"fused_kernels", a.partition.kernels.size()}};
  json classes = json::array();
  for (const auto& [cls, t] : ch.by_class) {
    classes.push_back({{"op_class", to_string(cls)}, {"nodes", t.nodes}, {"macs", t.macs},
                       {"flops", t.flops}, {"bytes", t.bytes}});
  }
  j["op_classes"] = classes;
  if (o.per_node) {
    json nodes = json::array();
    for (NodeId id : ch.order) nodes.push_back(node_json(a, id));
    j["nodes"] = nodes;
  }
  if (o.per_kernel) {
    json kernels = json::array();
    for (const auto& k : a.partition.kernels) kernels.push_back(kernel_json(a, k));
    j["kernels"] = kernels;
  }
  json estimates = json::array();
  for (const auto& e : a.estimates) {
    json ej = {{"hardware", e.hardware_id},
               {"hardware_name", e.hardware_name},
               {"precision", e.precision},
               {"mapper", e.mapper},
               {"backend", e.backend},
               {"cuda_graphs", e.cuda_graphs},
               {"matrix_utilization", e.matrix_utilization},
               {"notes", e.notes},
               {"latency_s", e.latency_s},
               {"period_s", e.period_s},
               {"throughput_samples_per_s", throughput(a, e)},
               {"device_s", e.device_s},
               {"host_s", e.host_s},
               {"inference_overhead_s", e.inference_overhead_s},
               {"copy_s", e.copy_s},
               {"energy_j", e.energy_j},
               {"dynamic_energy_j", e.dynamic_energy_j},
               {"static_energy_j", e.static_energy_j},
               {"compute_s", e.compute_s},
               {"memory_s", e.memory_s},
               {"overhead_s", e.overhead_s},
               {"compute_bound_kernels", e.compute_bound_kernels},
               {"memory_bound_kernels", e.memory_bound_kernels},
               {"ridge_point_flop_per_byte", e.ridge_point_flop_per_byte},
               {"matrix_peak_flops_per_s", e.matrix_peak_flops_per_s},
               {"vector_peak_flops_per_s", e.vector_peak_flops_per_s},
               {"memory_bandwidth_bytes_per_s", e.memory_bandwidth_bytes_per_s},
               {"memory",
                {{"weight_bytes", e.memory.weight_bytes},
                 {"peak_activation_bytes", e.memory.peak_activation_bytes},
                 {"workspace_bytes", e.memory.workspace_bytes},
                 {"peak_bytes", e.memory.peak_bytes},
                 {"capacity_bytes", e.memory.capacity_bytes},
                 {"fits", e.memory.fits}}}};
    if (o.per_kernel) {
      json ks = json::array();
      for (const auto& k : e.kernels) {
        ks.push_back({{"id", k.kernel}, {"latency_s", k.latency_s}, {"compute_s", k.compute_s},
                      {"memory_s", k.memory_s}, {"overhead_s", k.overhead_s},
                      {"bound", k.compute_bound ? "compute" : "memory"},
                      {"energy_j", k.energy_j}, {"utilization", k.utilization},
                      {"thread_blocks", k.thread_blocks}, {"waves", k.waves},
                      {"tile", {k.tile_m, k.tile_n}}, {"dram_bytes", k.dram_bytes},
                      {"l2_bytes", k.l2_bytes}});
      }
      ej["kernels"] = ks;
    }
    estimates.push_back(ej);
  }
  j["estimates"] = estimates;
  if (a.llm && !a.phases.empty()) j["llm"] = llm_json(a);
  return j;
}

std::string render_analysis(const Analysis& a, ReportFormat format, const ReportOptions& o) {
  switch (format) {
    case ReportFormat::kJson: return analysis_to_json(a, o).dump(2) + "\n";
    case ReportFormat::kMarkdown: return render_tables(a, o, true);
    case ReportFormat::kText: break;
  }
  return render_tables(a, o, false);
}

}  // namespace graphs
