// graphs tp MODEL (--world-size N | --suggest) [--hardware ID] [--interconnect ID]
//                 [--phase prefill|decode|training] [--recompute none|selective|full]
//                 [--batch B] [--seq-len S] [--precision P] [--heads H] [--format text|json]
//                 [-o FILE] [--plan-only]
// graphs tp verify --model NAME[,NAME] --world-size N[,N] [--python PATH] [--timeout S]
//   runs `PYTHON -m graphs.tp.verify` (PYTHON: --python, else $GRAPHS_PYTHON, else the python next
//   to this executable, else python3 on PATH), streaming its output; returns its exit status.
// Parsing and rendering only: the plan, its figures and the verifier run in parallel/ (tp_run.h,
// tp_json.h, tp_verify.h).
#include <filesystem>

#include <fmt/format.h>

#include "graphs/bench/settings.h"
#include "graphs/cli/commands.h"
#include "graphs/common/suggest.h"
#include "graphs/hardware/registry.h"
#include "graphs/parallel/tp_json.h"
#include "graphs/parallel/tp_run.h"
#include "graphs/parallel/tp_verify.h"
#include "graphs/pipeline/pipeline.h"
#include "graphs/report/table.h"

namespace graphs::cli {
namespace {

struct TpOptions {
  std::string model;
  int64_t world_size = 0;
  bool suggest = false;
  std::string hardware = "h100-sxm5-80gb";
  std::string interconnect;  // "": the hardware's own
  std::string phase = "prefill";
  std::string recompute = "none";
  ModelOptions model_options;
  std::string precision = "fp16";
  int64_t heads = 0;
  std::string format;  // "": json for -o *.json, else text
  std::string output;
  bool plan_only = false;
};

struct VerifyOptions {
  std::string models;
  std::string world_sizes;
  std::string python;
  double timeout_s = 300;
};

const std::vector<std::string> kPhases = {"prefill", "decode", "training"};
const std::vector<std::string> kRecompute = {"none", "selective", "full"};

std::string render_memory(const TpAnalysis& a, const TpAnalysisOptions& o, const TpPlan& p) {
  using report::Table;
  Table mem({"memory", ">1 device", ">per rank"});
  auto row = [&](const std::string& what, double one, double rank) {
    mem.add_row({what, report::bytes(one), report::bytes(rank)});
  };
  row("weights", a.single_device.weight_bytes, a.per_rank.weight_bytes);
  if (o.phase == TpPhase::kTraining) {
    row("gradients", a.single_device.gradient_bytes, a.per_rank.gradient_bytes);
    row("Adam states (ZeRO: 12 B/param mixed precision)", a.single_device.optimizer_bytes,
        a.per_rank.optimizer_bytes);
  }
  if (o.phase == TpPhase::kDecode) {
    row("KV cache", a.single_device.kv_cache_bytes, a.per_rank.kv_cache_bytes);
  } else if (p.heads == 0) {
    mem.add_row({"activations (not modelled: no transformer layers)", "-", "-"});
  } else {
    row(o.phase == TpPhase::kTraining
            ? fmt::format("activations (Korthikanti, recompute {})", to_string(o.recompute))
            : "activations (Korthikanti, upper bound)",
        a.single_device.activation_bytes, a.per_rank.activation_bytes);
  }
  row("workspace (all-reduce buffer + logits)", a.single_device.workspace_bytes,
      a.per_rank.workspace_bytes);
  row("total", a.single_device.total_bytes, a.per_rank.total_bytes);
  mem.add_row({fmt::format("fits {}", report::bytes(a.capacity_bytes)),
               a.fits_single_device ? "yes" : "no", a.fits ? "yes" : "no"});
  return mem.to_text();
}

std::string render_layers(const TpPlan& p) {
  using report::Table;
  Table layers({"module", "kind", "strategy", ">in", ">out", ">heads", "note"});
  for (const TpLayer& l : p.layers) {
    std::string note = l.gather_output ? "gather_output" : "";
    if (l.tied) note += " (weight tied to the embedding's shard)";
    if (l.strategy == TpStrategy::kRow || l.strategy == TpStrategy::kVocab) note = "all-reduce after";
    if (l.strategy == TpStrategy::kChannel) {
      note = l.kind == TpLayerKind::kConv ? fmt::format("groups {} -> {}", l.groups,
                                                        l.groups / p.world_size)
                                          : "per-channel parameters split";
    }
    layers.add_row({l.module, std::string(to_string(l.kind)), std::string(to_string(l.strategy)),
                    std::to_string(l.in_features), std::to_string(l.out_features),
                    l.heads > 0 ? std::to_string(l.heads) : "", note});
  }
  std::string out = "Split layers\n" + layers.to_text() + "\n";
  if (!p.replicated_layers.empty()) {
    Table kept({"module", "kind", ">in", ">out", "why it stays replicated"});
    for (const TpLayer& l : p.replicated_layers) {
      kept.add_row({l.module, std::string(to_string(l.kind)), std::to_string(l.in_features),
                    std::to_string(l.out_features), l.reason});
    }
    out += "Layers left replicated\n" + kept.to_text() + "\n";
  }
  return out + fmt::format("Replicated modules (norms, position embeddings, ...): {}\n\n",
                           p.replicated.size());
}

std::string render_comm(const TpAnalysis& a, bool training) {
  using report::Table;
  std::string out = fmt::format(
      "Communication per {}: {}\n", training ? "training step" : "forward",
      a.interconnect_known
          ? fmt::format("{} ({}/s per direction, {} latency)", a.interconnect_name,
                        report::bytes(a.interconnect_bandwidth_bytes_per_s),
                        report::seconds(a.interconnect_latency_s))
          : "no interconnect (time not estimated)");
  Table comm({"collective", "pass", ">count", ">payload S", ">bytes/rank each", ">time each",
              "first after"});
  for (const TpCollectiveCost& k : a.collectives) {
    comm.add_row({std::string(to_string(k.kind)), std::string(to_string(k.pass)),
                  std::to_string(k.count), report::bytes(k.payload_bytes),
                  report::bytes(k.bytes_per_rank), report::seconds(k.time_s), k.first_module});
  }
  out += comm.to_text();
  out += fmt::format("  ring: all-reduce 2(N-1)/N S, all-gather (N-1)/N S per rank; total {} per "
                     "rank, {}\n\n",
                     report::bytes(a.comm_bytes_per_rank), report::seconds(a.comm_s));
  return out;
}

std::string render_latency(const TpAnalysis& a, const TpAnalysisOptions& o, bool per_token) {
  using report::Table;
  const bool training = o.phase == TpPhase::kTraining;
  Table lat({training ? "latency per training step" : "latency per forward", ">value"});
  lat.add_row({training ? "single device (3 x roofline forward)" : "single device (roofline)",
               report::seconds(a.single_device_latency_s)});
  lat.add_row({"split work f (share of the single-device time)",
               fmt::format("{:.1f} %", 100 * a.split_work_fraction)});
  lat.add_row({"compute per rank, T(1) x ((1 - f) + f / N)", report::seconds(a.compute_s)});
  if (o.phase == TpPhase::kDecode) {
    lat.add_row({"KV-cache read per rank", report::seconds(a.kv_cache_read_s)});
  }
  lat.add_row({"communication (not overlapped)", report::seconds(a.comm_s)});
  lat.add_row({training ? "training step" : "forward", report::seconds(a.latency_s)});
  lat.add_row({"speedup vs N = 1", a.speedup_claimed ? report::number(a.speedup)
                                                      : "1 (none claimed: see note)"});
  lat.add_row({"scaling efficiency", fmt::format("{:.1f} %", 100 * a.scaling_efficiency)});
  lat.add_row({per_token ? "tokens/s per device" : "samples/s per device",
               report::number(a.tokens_per_s_per_device)});
  return lat.to_text();
}

std::string render_text(const TpPlan& p, const TpAnalysis& a, const TpAnalysisOptions& o,
                        const HardwareModel& hw) {
  std::string out = fmt::format(
      "Tensor-parallel plan: {} on {} x {}, {} batch {}{}, {:.0f}-byte elements\n\n", p.model,
      p.world_size, hw.name, to_string(o.phase), o.batch,
      p.per_token ? fmt::format(" seq {}", o.seq) : "", o.bytes_per_element);
  out += fmt::format(
      "Model: {} transformer layers, {} heads, {} KV heads, head_dim {}, hidden {}, vocab {}\n\n",
      p.transformer_layers, p.heads, p.kv_heads, p.head_dim, p.hidden, p.vocab);
  out += render_layers(p);
  out += render_memory(a, o, p);
  out += fmt::format("  parameters: {} total, {} per rank ({} sharded / {} + {} replicated); "
                     "{:.1f} % of the parameters split; memory saving {:.1f} %\n\n",
                     p.total_params, p.params_per_rank(), p.sharded_params, p.world_size,
                     p.replicated_params, 100 * p.split_weight_fraction(),
                     100 * a.memory_saving);
  out += render_comm(a, o.phase == TpPhase::kTraining);
  out += render_latency(a, o, p.per_token);
  for (const std::string& n : p.notes) out += "note: " + n + "\n";
  return out;
}

std::string render_suggestion(const TpSuggestion& s, const TpAnalysisOptions& o,
                              const HardwareModel& hw, const std::string& model) {
  using report::Table;
  std::string out = fmt::format(
      "Tensor-parallel world size for {} on {} ({} of memory each), {} batch {} seq {}\n\n",
      model, hw.name, report::bytes(hw.memory_bytes), to_string(o.phase), o.batch, o.seq);
  Table t({">N", ">per rank", "fits", ">comm", ">latency", ">efficiency", ">max batch",
           ">tokens/s/device", "note"});
  for (const TpCandidate& c : s.candidates) {
    if (!c.error.empty()) {
      t.add_row({std::to_string(c.world_size), "", "", "", "", "", "", "", c.error});
      continue;
    }
    t.add_row({std::to_string(c.world_size), report::bytes(c.at_batch.per_rank.total_bytes),
               c.at_batch.fits ? "yes" : "no", report::seconds(c.at_batch.comm_s),
               report::seconds(c.at_batch.latency_s),
               fmt::format("{:.1f} %", 100 * c.at_batch.scaling_efficiency),
               c.max_batch > 0 ? std::to_string(c.max_batch) : "-",
               c.max_batch > 0 ? report::number(c.at_max_batch.tokens_per_s_per_device) : "-",
               c.plan.replicated_layers.empty()
                   ? ""
                   : fmt::format("{} layers replicated: {}", c.plan.replicated_layers.size(),
                                 c.plan.replicated_layers.front().reason)});
  }
  out += t.to_text() + "\n";
  out += "smallest world size that fits: " + s.smallest_fit_reason + "\n";
  out += "best throughput per device:    " + s.best_throughput_reason + "\n";
  out += "note: per rank, comm, latency and efficiency at the requested batch; max batch: the "
         "largest power of two whose per-rank memory fits, where tokens/s/device is taken\n";
  return out;
}

Result<TpPhase> parse_phase(const std::string& s) {
  if (s == "prefill") return TpPhase::kPrefill;
  if (s == "decode") return TpPhase::kDecode;
  if (s == "training") return TpPhase::kTraining;
  return Error(ErrorCode::kInvalidArgument,
               "--phase: " + unknown_name_message("phase", s, kPhases));
}

Result<TpRecompute> parse_recompute(const std::string& s) {
  if (s == "none") return TpRecompute::kNone;
  if (s == "selective") return TpRecompute::kSelective;
  if (s == "full") return TpRecompute::kFull;
  return Error(ErrorCode::kInvalidArgument,
               "--recompute: " + unknown_name_message("recomputation", s, kRecompute));
}

// The options that need no model: format, phase, recomputation, world size or --suggest.
Result<TpRequest> parse_request(const TpOptions& o, std::string* format) {
  *format = !o.format.empty() ? o.format : (o.output.ends_with(".json") ? "json" : "text");
  if (*format != "text" && *format != "json") {
    return make_error(ErrorCode::kInvalidArgument, "--format must be text or json, got '",
                      o.format, "'");
  }
  TpRequest r;
  GRAPHS_ASSIGN_OR_RETURN(r.analysis.phase, parse_phase(o.phase));
  GRAPHS_ASSIGN_OR_RETURN(r.analysis.recompute, parse_recompute(o.recompute));
  if (o.model.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "graphs tp needs MODEL (or the subcommand verify)");
  }
  if (!o.suggest && o.world_size < 1) {
    return Error(ErrorCode::kInvalidArgument,
                 o.world_size == 0 ? "--world-size N is required (or --suggest)"
                                   : fmt::format("--world-size must be >= 1, got {}", o.world_size));
  }
  if (o.suggest && o.world_size != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--suggest chooses the world size; leave out --world-size");
  }
  if (o.suggest && o.plan_only) {
    return make_error(ErrorCode::kInvalidArgument, "--plan-only needs --world-size");
  }
  GRAPHS_ASSIGN_OR_RETURN(Precision precision, parse_precision(o.precision));
  r.world_size = o.world_size;
  r.suggest = o.suggest;
  r.heads = o.heads;
  r.interconnect = o.interconnect;
  r.analysis.batch = o.model_options.batch;
  r.analysis.seq = o.model_options.seq_len;
  r.analysis.bytes_per_element = dtype_bits(precision.map.map(DType::kFloat32)) / 8.0;
  return r;
}

int run(const TpOptions& o) {
  std::string format;
  auto request = parse_request(o, &format);
  if (!request.ok()) return report_error(request.error());
  auto registry = load_registry();
  if (!registry.ok()) return report_error(registry.error());
  auto hw = registry->get(o.hardware);
  if (!hw.ok()) return report_error(hw.error());
  ModelOptions mo = o.model_options;
  if (request->analysis.phase == TpPhase::kDecode) mo.seq_len = 1;  // the cache is costed apart
  auto dims = to_bindings(mo);
  if (!dims.ok()) return report_error(dims.error());
  AnalyzeRequest ar;
  ar.model = o.model;
  ar.dims = *dims;
  ar.precision = o.precision;
  ar.hardware = {o.hardware};
  auto analysis = analyze(ar, *registry);
  if (!analysis.ok()) return report_error(analysis.error());
  auto latency_at = [&](int64_t batch) -> Result<double> {
    if (batch == o.model_options.batch) return analysis->estimates.front().latency_s;
    AnalyzeRequest r = ar;
    r.dims.batch = batch;
    GRAPHS_ASSIGN_OR_RETURN(Analysis an, analyze(r, *registry));
    return an.estimates.front().latency_s;
  };
  const std::string& model = analysis->model.name;
  auto result = run_tensor_parallel(analysis->model.graph, model, *hw, analysis->partition,
                                    analysis->estimates.front(), *request, latency_at);
  if (!result.ok()) return report_error(result.error());
  std::string text;
  if (result->suggestion) {
    text = format == "json" ? tp_suggestion_to_json(*result->suggestion, result->options, model,
                                                     hw->id, result->notes)
                            : render_suggestion(*result->suggestion, result->options, *hw, model);
    if (format != "json") {
      for (const std::string& n : result->notes) text += "note: " + n + "\n";
    }
  } else if (format == "json") {
    text = o.plan_only ? tp_plan_to_json(result->plan, nullptr, nullptr)
                       : tp_plan_to_json(result->plan, &result->analysis, &result->options);
  } else {
    text = render_text(result->plan, result->analysis, result->options, *hw);
  }
  auto written = write_output(o.output, text);
  if (!written.ok()) return report_error(written.error());
  return 0;
}

int run_verify(const VerifyOptions& o) {
  auto python = bench::find_python(o.python);
  if (!python.ok()) return report_error(python.error());
  std::error_code ec;
  TpVerifyRequest r{*python, o.models, o.world_sizes, o.timeout_s,
                    std::filesystem::read_symlink("/proc/self/exe", ec).string()};
  auto status = run_tp_verify(r);
  if (!status.ok()) return report_error(status.error());
  return *status;
}

}  // namespace

void add_tp_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<TpOptions>();
  auto* cmd = app.add_subcommand(
      "tp", "plan tensor parallelism (Megatron column/row splits of linears and convolutions) "
            "for MODEL over --world-size ranks: per-rank memory, communication and latency; `tp "
            "verify` runs the converter against the unsharded model");
  cmd->require_subcommand(0, 1);
  cmd->add_option("model", opts->model, "an .onnx file or a built-in zoo name");
  cmd->add_option("--world-size", opts->world_size, "number of ranks (TP degree)");
  cmd->add_flag("--suggest", opts->suggest,
                "try N = 1, 2, 4, ... 64: the smallest that fits and the best throughput per "
                "device");
  cmd->add_option("--hardware", opts->hardware, "hardware ID of every rank")
      ->capture_default_str();
  cmd->add_option("--interconnect", opts->interconnect,
                  "link ID from data/interconnect (nvlink-4, pcie-5-x16, ib-ndr-400, ...); "
                  "default: the hardware's own");
  cmd->add_option("--phase", opts->phase, "prefill|decode|training")->capture_default_str();
  cmd->add_option("--recompute", opts->recompute,
                  "training activations: none|selective|full recomputation (Korthikanti et al.)")
      ->capture_default_str();
  add_model_options(*cmd, opts->model_options);
  cmd->add_option("--precision", opts->precision, "fp32|tf32|fp16|bf16|fp8|int8")
      ->capture_default_str();
  cmd->add_option("--heads", opts->heads,
                  "attention heads when the graph has no attention to read them from");
  cmd->add_option("--format", opts->format,
                  "text|json (json: docs/tp-plan-schema.md plan + analysis); default: json for "
                  "-o *.json, else text");
  cmd->add_option("-o,--output", opts->output, "write to FILE instead of stdout");
  cmd->add_flag("--plan-only", opts->plan_only,
                "json: the plan without the \"analysis\" object (what graphs.tp.validate_plan "
                "accepts)");

  auto vopts = std::make_shared<VerifyOptions>();
  auto* verify = cmd->add_subcommand(
      "verify", "run python -m graphs.tp.verify: the TP-converted model (the C++ planner's plan) "
                "against the unsharded one on N gloo processes (outputs, gradients, a training "
                "step, per-rank bytes)");
  verify->add_option("--model", vopts->models,
                     "gpt2-small-test, gpt2-lm-test, llama-test, bert-test, mlp, cnn, resnet18, "
                     "gpt2, bert-base (comma list)")
      ->required();
  verify->add_option("--world-size", vopts->world_sizes, "N or a comma list (2,4)")->required();
  verify->add_option("--python", vopts->python,
                     "interpreter (default: $GRAPHS_PYTHON, the python next to graphs, python3)");
  verify->add_option("--timeout", vopts->timeout_s, "seconds before a hung run fails")
      ->capture_default_str();
  verify->callback([vopts, &result] { result.exit_status = run_verify(*vopts); });

  cmd->callback([opts, verify, &result] {
    if (verify->parsed()) return;
    result.exit_status = run(*opts);
  });
}

}  // namespace graphs::cli
