// graphs tp MODEL --world-size N [--hardware ID] [--phase prefill|decode] [--batch B]
//                 [--seq-len S] [--precision P] [--heads H] [--format text|json] [-o FILE]
#include <fmt/format.h>

#include "graphs/analysis/pipeline.h"
#include "graphs/cli/commands.h"
#include "graphs/hardware/registry.h"
#include "graphs/parallel/tp_planner.h"
#include "graphs/report/table.h"
#include "graphs/zoo/zoo.h"

namespace graphs::cli {
namespace {

struct TpOptions {
  std::string model;
  int64_t world_size = 0;
  std::string hardware = "h100-sxm5-80gb";
  std::string phase = "prefill";
  ModelOptions model_options;
  std::string precision = "fp16";
  int64_t heads = 0;
  std::string format;  // "": json for -o *.json, else text
  std::string output;
  bool plan_only = false;
};

std::string render_text(const TpPlan& p, const TpAnalysis& a, const TpAnalysisOptions& o,
                        const HardwareModel& hw) {
  using report::Table;
  std::string out = fmt::format(
      "Tensor-parallel plan: {} on {} x {}, {} batch {} seq {}, {:.0f}-byte elements\n\n",
      p.model, p.world_size, hw.name, o.decode ? "decode" : "prefill", o.batch, o.seq,
      o.bytes_per_element);
  out += fmt::format(
      "Model: {} transformer layers, {} heads, {} KV heads, head_dim {}, hidden {}, vocab {}\n\n",
      p.transformer_layers, p.heads, p.kv_heads, p.head_dim, p.hidden, p.vocab);
  Table layers({"module", "strategy", ">in", ">out", ">heads", "note"});
  for (const TpLayer& l : p.layers) {
    std::string note = l.gather_output ? "gather_output" : "";
    if (l.strategy == TpStrategy::kRow) note = "all-reduce after";
    if (l.strategy == TpStrategy::kVocab) note = "all-reduce after";
    layers.add_row({l.module, std::string(to_string(l.strategy)), std::to_string(l.in_features),
                    std::to_string(l.out_features), l.heads > 0 ? std::to_string(l.heads) : "",
                    note});
  }
  out += "Split layers\n" + layers.to_text() + "\n";
  if (!p.replicated_layers.empty()) {
    Table kept({"module", ">in", ">out", "why it stays replicated"});
    for (const TpLayer& l : p.replicated_layers) {
      kept.add_row({l.module, std::to_string(l.in_features), std::to_string(l.out_features),
                    l.reason});
    }
    out += "Linears and embeddings left replicated\n" + kept.to_text() + "\n";
  }
  out += fmt::format("Replicated modules (norms, position embeddings, ...): {}\n\n",
                     p.replicated.size());

  Table mem({"memory", ">1 device", ">per rank"});
  mem.add_row({"weights", report::bytes(a.single_device.weight_bytes),
               report::bytes(a.per_rank.weight_bytes)});
  if (o.decode) {
    mem.add_row({"KV cache", report::bytes(a.single_device.kv_cache_bytes),
                 report::bytes(a.per_rank.kv_cache_bytes)});
  } else {
    mem.add_row({"activations (Korthikanti)", report::bytes(a.single_device.activation_bytes),
                 report::bytes(a.per_rank.activation_bytes)});
  }
  mem.add_row({"total", report::bytes(a.single_device.total_bytes),
               report::bytes(a.per_rank.total_bytes)});
  mem.add_row({fmt::format("fits {}", report::bytes(a.capacity_bytes)),
               a.fits_single_device ? "yes" : "no", a.fits ? "yes" : "no"});
  out += mem.to_text();
  out += fmt::format("  parameters: {} total, {} per rank ({} sharded / {} + {} replicated); "
                     "memory saving {:.1f} %\n\n",
                     p.total_params, p.params_per_rank(), p.sharded_params, p.world_size,
                     p.replicated_params, 100 * a.memory_saving);

  Table comm({"communication per forward", ">value"});
  comm.add_row({"all-reduces", std::to_string(p.all_reduces)});
  comm.add_row({"all-reduce payload S", report::bytes(a.all_reduce_payload_bytes)});
  comm.add_row({"bytes per rank per all-reduce, 2(N-1)/N S",
                report::bytes(a.all_reduce_bytes_per_rank)});
  comm.add_row({"time per all-reduce", report::seconds(a.all_reduce_s)});
  comm.add_row({"all-gathers (LM head logits)", std::to_string(p.all_gathers)});
  if (p.all_gathers > 0) {
    comm.add_row({"bytes per rank per all-gather, (N-1)/N S",
                  report::bytes(a.all_gather_bytes_per_rank)});
    comm.add_row({"time per all-gather", report::seconds(a.all_gather_s)});
  }
  comm.add_row({"total bytes per rank", report::bytes(a.comm_bytes_per_rank)});
  comm.add_row({"total comm time", report::seconds(a.comm_s)});
  out += comm.to_text() + "\n";

  Table lat({"latency per forward", ">value"});
  lat.add_row({"single device (roofline)", report::seconds(a.single_device_latency_s)});
  lat.add_row({"compute per rank (single device / N)", report::seconds(a.compute_s)});
  lat.add_row({"communication (no overlap)", report::seconds(a.comm_s)});
  lat.add_row({"forward", report::seconds(a.latency_s)});
  lat.add_row({"speedup", report::number(a.speedup)});
  lat.add_row({"scaling efficiency", fmt::format("{:.1f} %", 100 * a.scaling_efficiency)});
  out += lat.to_text();
  for (const std::string& n : p.notes) out += "note: " + n + "\n";
  return out;
}

int run(const TpOptions& o) {
  // Default: JSON for an output file named *.json, else text.
  const std::string format =
      !o.format.empty() ? o.format : (o.output.ends_with(".json") ? "json" : "text");
  if (format != "text" && format != "json") {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "--format must be text or json, got '" + o.format + "'"));
  }
  if (o.phase != "prefill" && o.phase != "decode") {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "--phase must be prefill or decode, got '" + o.phase + "'"));
  }
  if (o.world_size < 1) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              fmt::format("--world-size must be >= 1, got {}", o.world_size)));
  }
  const bool decode = o.phase == "decode";
  auto precision = parse_precision(o.precision);
  if (!precision.ok()) return report_error(precision.error());
  auto registry = HardwareRegistry::load_default();
  if (!registry.ok()) return report_error(registry.error());
  auto hw = registry->get(o.hardware);
  if (!hw.ok()) return report_error(hw.error());

  ModelOptions mo = o.model_options;
  if (decode) mo.seq_len = 1;  // one new token; the cache is costed separately
  auto dims = to_bindings(mo);
  if (!dims.ok()) return report_error(dims.error());
  AnalyzeRequest request;
  request.model = o.model;
  request.dims = *dims;
  request.precision = o.precision;
  request.hardware = {o.hardware};
  auto analysis = analyze(request, *registry);
  if (!analysis.ok()) return report_error(analysis.error());

  TpPlanOptions po;
  po.world_size = o.world_size;
  po.heads = o.heads;
  auto plan = plan_tensor_parallel(analysis->model.graph, analysis->model.name, po);
  if (!plan.ok()) return report_error(plan.error());
  plan->notes.push_back(
      "compute per rank = single-device roofline latency / N (perfect split of every kernel, "
      "replicated work included); communication not overlapped with compute");
  if (decode) {
    plan->notes.push_back("decode: the roofline costs one token without attention over the KV "
                          "cache; the cache is counted in memory only");
  } else {
    plan->notes.push_back("activation memory: Korthikanti et al. (arXiv:2205.05198) "
                          "sbh(10 + 24/t + 5as/(ht)) per layer, 16-bit activations, as stored "
                          "for a backward pass (an upper bound for inference)");
  }
  if (!hw->interconnect) {
    plan->notes.push_back(hw->id + " has no interconnect: communication time not estimated");
  }

  TpAnalysisOptions ao;
  ao.decode = decode;
  ao.batch = o.model_options.batch;
  ao.seq = o.model_options.seq_len;
  ao.bytes_per_element = dtype_bits(precision->map.map(DType::kFloat32)) / 8.0;
  ao.single_device_latency_s = analysis->estimates.front().latency_s;
  const TpAnalysis a = analyze_tensor_parallel(*plan, *hw, ao);
  const std::string text =
      format != "json" ? render_text(*plan, a, ao, *hw)
      : o.plan_only    ? tp_plan_to_json(*plan, nullptr, nullptr)
                       : tp_plan_to_json(*plan, &a, &ao);
  auto written = write_output(o.output, text);
  if (!written.ok()) return report_error(written.error());
  return 0;
}

}  // namespace

void add_tp_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<TpOptions>();
  auto* cmd = app.add_subcommand(
      "tp", "plan tensor parallelism (Megatron column/row splits) for MODEL over --world-size "
            "ranks: per-rank memory, communication and latency");
  cmd->add_option("model", opts->model, "an .onnx file or a built-in zoo name")->required();
  cmd->add_option("--world-size", opts->world_size, "number of ranks (TP degree)")->required();
  cmd->add_option("--hardware", opts->hardware, "hardware ID of every rank")
      ->capture_default_str();
  cmd->add_option("--phase", opts->phase, "prefill|decode")->capture_default_str();
  add_model_options(*cmd, opts->model_options);
  cmd->add_option("--precision", opts->precision, "fp32|tf32|fp16|bf16|fp8|int8")
      ->capture_default_str();
  cmd->add_option("--heads", opts->heads,
                  "attention heads when the graph has no split-heads Reshape to derive them from");
  cmd->add_option("--format", opts->format,
                  "text|json (json: docs/tp-plan-schema.md plan + analysis); default: json for "
                  "-o *.json, else text");
  cmd->add_option("-o,--output", opts->output, "write to FILE instead of stdout");
  cmd->add_flag("--plan-only", opts->plan_only,
                "json: the schema-v1 plan without the \"analysis\" object (what "
                "graphs.tp.validate_plan accepts)");
  cmd->callback([opts, &result] { result.exit_status = run(*opts); });
}

}  // namespace graphs::cli
