// graphs tp MODEL (--world-size N | --suggest) [--hardware ID] [--interconnect ID]
//                 [--phase prefill|decode|training] [--recompute none|selective|full]
//                 [--batch B] [--seq-len S] [--precision P] [--heads H] [--format text|json]
//                 [-o FILE] [--plan-only]
// graphs tp verify --model NAME[,NAME] --world-size N[,N] [--python PATH] [--timeout S]
//   runs `PYTHON -m graphs.tp.verify` (PYTHON: --python, else $GRAPHS_PYTHON, else the python next
//   to this executable, else python3 on PATH), streaming its output; returns its exit status.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "graphs/pipeline/pipeline.h"
#include "graphs/bench/settings.h"
#include "graphs/cli/commands.h"
#include "graphs/common/suggest.h"
#include "graphs/hardware/interconnect_registry.h"
#include "graphs/hardware/registry.h"
#include "graphs/parallel/tp_planner.h"
#include "graphs/parallel/tp_suggest.h"
#include "graphs/report/table.h"
#include "graphs/zoo/zoo.h"

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

std::string render_memory(const TpAnalysis& a, const TpAnalysisOptions& o) {
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
    row(fmt::format("activations (Korthikanti, recompute {})", to_string(o.recompute)),
        a.single_device.activation_bytes, a.per_rank.activation_bytes);
  } else if (o.phase == TpPhase::kDecode) {
    row("KV cache", a.single_device.kv_cache_bytes, a.per_rank.kv_cache_bytes);
  } else {
    row("activations (Korthikanti, upper bound)", a.single_device.activation_bytes,
        a.per_rank.activation_bytes);
  }
  row("workspace (all-reduce buffer + logits)", a.single_device.workspace_bytes,
      a.per_rank.workspace_bytes);
  row("total", a.single_device.total_bytes, a.per_rank.total_bytes);
  mem.add_row({fmt::format("fits {}", report::bytes(a.capacity_bytes)),
               a.fits_single_device ? "yes" : "no", a.fits ? "yes" : "no"});
  return mem.to_text();
}

std::string render_text(const TpPlan& p, const TpAnalysis& a, const TpAnalysisOptions& o,
                        const HardwareModel& hw) {
  using report::Table;
  const bool training = o.phase == TpPhase::kTraining;
  std::string out = fmt::format(
      "Tensor-parallel plan: {} on {} x {}, {} batch {} seq {}, {:.0f}-byte elements\n\n",
      p.model, p.world_size, hw.name, to_string(o.phase), o.batch, o.seq, o.bytes_per_element);
  out += fmt::format(
      "Model: {} transformer layers, {} heads, {} KV heads, head_dim {}, hidden {}, vocab {}\n\n",
      p.transformer_layers, p.heads, p.kv_heads, p.head_dim, p.hidden, p.vocab);
  Table layers({"module", "strategy", ">in", ">out", ">heads", "note"});
  for (const TpLayer& l : p.layers) {
    std::string note = l.gather_output ? "gather_output" : "";
    if (l.tied) note += " (weight tied to the embedding's shard)";
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

  out += render_memory(a, o);
  out += fmt::format("  parameters: {} total, {} per rank ({} sharded / {} + {} replicated); "
                     "memory saving {:.1f} %\n\n",
                     p.total_params, p.params_per_rank(), p.sharded_params, p.world_size,
                     p.replicated_params, 100 * a.memory_saving);

  Table comm({training ? "communication per training step" : "communication per forward",
              ">value"});
  comm.add_row({"interconnect",
                a.interconnect_known
                    ? fmt::format("{} ({}/s per direction, {} latency)", a.interconnect_name,
                                  report::bytes(a.interconnect_bandwidth_bytes_per_s),
                                  report::seconds(a.interconnect_latency_s))
                    : "none (time not estimated)"});
  comm.add_row({"all-reduces forward", std::to_string(a.forward_all_reduces)});
  if (training) comm.add_row({"all-reduces backward", std::to_string(a.backward_all_reduces)});
  comm.add_row({"all-reduce payload S", report::bytes(a.all_reduce_payload_bytes)});
  comm.add_row({"bytes per rank per all-reduce, 2(N-1)/N S",
                report::bytes(a.all_reduce_bytes_per_rank)});
  comm.add_row({"time per all-reduce", report::seconds(a.all_reduce_s)});
  comm.add_row({"all-gathers (output head)", std::to_string(a.all_gathers)});
  if (a.all_gathers > 0) {
    comm.add_row({"bytes per rank per all-gather, (N-1)/N S",
                  report::bytes(a.all_gather_bytes_per_rank)});
    comm.add_row({"time per all-gather", report::seconds(a.all_gather_s)});
  }
  if (training) {
    comm.add_row({"forward: bytes per rank / time",
                  report::bytes(a.comm_forward_bytes_per_rank) + " / " +
                      report::seconds(a.comm_forward_s)});
    comm.add_row({"backward: bytes per rank / time",
                  report::bytes(a.comm_backward_bytes_per_rank) + " / " +
                      report::seconds(a.comm_backward_s)});
  }
  comm.add_row({"total bytes per rank", report::bytes(a.comm_bytes_per_rank)});
  comm.add_row({"total comm time", report::seconds(a.comm_s)});
  out += comm.to_text() + "\n";

  Table lat({training ? "latency per training step" : "latency per forward", ">value"});
  lat.add_row({training ? "single device (3 x roofline forward)" : "single device (roofline)",
               report::seconds(a.single_device_latency_s)});
  lat.add_row({"compute per rank (single device / N)", report::seconds(a.compute_s)});
  if (o.phase == TpPhase::kDecode) {
    lat.add_row({"KV-cache read per rank", report::seconds(a.kv_cache_read_s)});
  }
  lat.add_row({"communication (not overlapped)", report::seconds(a.comm_s)});
  lat.add_row({training ? "training step" : "forward", report::seconds(a.latency_s)});
  lat.add_row({"speedup vs N = 1", report::number(a.speedup)});
  lat.add_row({"scaling efficiency", fmt::format("{:.1f} %", 100 * a.scaling_efficiency)});
  lat.add_row({"tokens/s per device", report::number(a.tokens_per_s_per_device)});
  out += lat.to_text();
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

int run(const TpOptions& o) {
  // Default: JSON for an output file named *.json, else text.
  const std::string format =
      !o.format.empty() ? o.format : (o.output.ends_with(".json") ? "json" : "text");
  if (format != "text" && format != "json") {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "--format must be text or json, got '" + o.format + "'"));
  }
  auto phase = parse_phase(o.phase);
  if (!phase.ok()) return report_error(phase.error());
  auto recompute = parse_recompute(o.recompute);
  if (!recompute.ok()) return report_error(recompute.error());
  if (o.model.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "graphs tp needs MODEL (or the subcommand verify)"));
  }
  if (!o.suggest && o.world_size < 1) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              o.world_size == 0
                                  ? "--world-size N is required (or --suggest)"
                                  : fmt::format("--world-size must be >= 1, got {}", o.world_size)));
  }
  if (o.suggest && o.world_size != 0) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "--suggest chooses the world size; leave out --world-size"));
  }
  if (o.suggest && o.plan_only) {
    return report_error(Error(ErrorCode::kInvalidArgument, "--plan-only needs --world-size"));
  }
  const bool decode = *phase == TpPhase::kDecode;
  auto precision = parse_precision(o.precision);
  if (!precision.ok()) return report_error(precision.error());
  auto registry = load_registry();
  if (!registry.ok()) return report_error(registry.error());
  auto hw = registry->get(o.hardware);
  if (!hw.ok()) return report_error(hw.error());
  std::optional<Interconnect> link = hw->interconnect;
  std::string link_note = hw->interconnect
                              ? fmt::format("interconnect: {}'s own ({}, from its hardware file)",
                                            hw->id, hw->interconnect->name)
                              : "";
  if (!o.interconnect.empty()) {
    auto links = InterconnectRegistry::load_default();
    if (!links.ok()) return report_error(links.error());
    auto l = links->get(o.interconnect);
    if (!l.ok()) return report_error(std::move(l).error().with_context("--interconnect"));
    link = l->to_interconnect();
    link_note = fmt::format("interconnect: {} ({}; bandwidth: {})", l->id, l->origin,
                            l->sources.at("bandwidth_bytes_per_s"));
  }

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
  po.world_size = o.suggest ? 1 : o.world_size;
  po.heads = o.heads;
  TpAnalysisOptions ao;
  ao.phase = *phase;
  ao.recompute = *recompute;
  ao.batch = o.model_options.batch;
  ao.seq = o.model_options.seq_len;
  ao.bytes_per_element = dtype_bits(precision->map.map(DType::kFloat32)) / 8.0;
  ao.single_device_latency_s = analysis->estimates.front().latency_s;
  ao.interconnect = link;

  std::vector<std::string> notes;
  if (!link_note.empty()) notes.push_back(link_note);
  notes.push_back(
      "compute per rank = single-device roofline latency / N (perfect split of every kernel, "
      "replicated work included); collectives not overlapped with compute (they sit on the "
      "critical path in Megatron TP)");
  if (decode) {
    notes.push_back("decode: one token per sequence; the roofline forward has no attention over "
                    "the cache, so the time to read this rank's KV cache at the memory roofline "
                    "is added");
  } else if (*phase == TpPhase::kTraining) {
    notes.push_back(fmt::format(
        "training: weights + gradients + Adam states = 16 B/param in mixed precision (ZeRO, "
        "arXiv:1910.02054); activations Korthikanti et al. (arXiv:2205.05198), recompute {}, no "
        "sequence parallelism; step = {} x forward; data-parallel gradient all-reduce not "
        "counted (TP only)",
        to_string(ao.recompute), ao.recompute == TpRecompute::kFull ? 4 : 3));
  } else {
    notes.push_back("activation memory: Korthikanti et al. (arXiv:2205.05198) "
                    "sbh(10 + 24/t + 5as/(ht)) per layer, 16-bit activations, as stored "
                    "for a backward pass (an upper bound for inference)");
  }
  if (!link) {
    notes.push_back(hw->id + " has no interconnect: communication time not estimated; pass "
                             "--interconnect ID");
  }

  if (o.suggest) {
    const Graph& graph = analysis->model.graph;
    auto latency_at = [&](int64_t batch) -> Result<double> {
      if (batch == o.model_options.batch) return analysis->estimates.front().latency_s;
      AnalyzeRequest r = request;
      r.dims.batch = batch;
      GRAPHS_ASSIGN_OR_RETURN(Analysis an, analyze(r, *registry));
      return an.estimates.front().latency_s;
    };
    auto s = suggest_world_size(graph, analysis->model.name, *hw, po, ao, latency_at);
    if (!s.ok()) return report_error(s.error());
    std::string text;
    if (format == "json") {
      nlohmann::json j;
      j["model"] = analysis->model.name;
      j["hardware"] = hw->id;
      j["phase"] = std::string(to_string(ao.phase));
      j["batch"] = ao.batch;
      j["seq_len"] = ao.seq;
      j["candidates"] = nlohmann::json::array();
      for (const TpCandidate& c : s->candidates) {
        nlohmann::json e = {{"world_size", c.world_size}};
        if (!c.error.empty()) {
          e["error"] = c.error;
        } else {
          e["plan"] = nlohmann::json::parse(tp_plan_to_json(c.plan, &c.at_batch, &ao));
          e["max_batch"] = c.max_batch;
          e["tokens_per_s_per_device_at_max_batch"] = c.at_max_batch.tokens_per_s_per_device;
        }
        j["candidates"].push_back(e);
      }
      auto idx = [&](int i) {
        return i < 0 ? nlohmann::json(nullptr)
                     : nlohmann::json(s->candidates[static_cast<std::size_t>(i)].world_size);
      };
      j["smallest_fit"] = {{"world_size", idx(s->smallest_fit)},
                           {"reason", s->smallest_fit_reason}};
      j["best_throughput_per_device"] = {{"world_size", idx(s->best_throughput)},
                                         {"reason", s->best_throughput_reason}};
      j["notes"] = notes;
      text = j.dump(2) + "\n";
    } else {
      text = render_suggestion(*s, ao, *hw, analysis->model.name);
      for (const std::string& n : notes) text += "note: " + n + "\n";
    }
    auto written = write_output(o.output, text);
    if (!written.ok()) return report_error(written.error());
    return 0;
  }

  auto plan = plan_tensor_parallel(analysis->model.graph, analysis->model.name, po);
  if (!plan.ok()) return report_error(plan.error());
  for (std::string& n : notes) plan->notes.push_back(std::move(n));
  const TpAnalysis a = analyze_tensor_parallel(*plan, *hw, ao);
  const std::string text =
      format != "json" ? render_text(*plan, a, ao, *hw)
      : o.plan_only    ? tp_plan_to_json(*plan, nullptr, nullptr)
                       : tp_plan_to_json(*plan, &a, &ao);
  auto written = write_output(o.output, text);
  if (!written.ok()) return report_error(written.error());
  return 0;
}

// ---- graphs tp verify -------------------------------------------------------------------------

std::filesystem::path self_path() {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/exe", ec);
}

int run_verify(const VerifyOptions& o) {
  auto python = bench::find_python(o.python);
  if (!python.ok()) return report_error(python.error());
  if (o.models.empty() || o.world_sizes.empty()) {
    return report_error(Error(ErrorCode::kInvalidArgument,
                              "graphs tp verify needs --model NAME and --world-size N"));
  }
  std::vector<std::string> args = {*python,       "-m",           "graphs.tp.verify",
                                   "--model",     o.models,       "--world-size",
                                   o.world_sizes, "--timeout",    fmt::format("{:g}", o.timeout_s)};
  // The verifier checks per-rank parameters against this program's planner.
  const auto self = self_path();
  if (!self.empty() && std::getenv("GRAPHS_BIN") == nullptr) {
    ::setenv("GRAPHS_BIN", self.c_str(), 1);
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    return report_error(Error(ErrorCode::kRuntimeError, "graphs tp verify: fork failed"));
  }
  if (pid == 0) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "graphs: error: cannot run %s\n", argv[0]);
    ::_exit(2);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      return report_error(Error(ErrorCode::kRuntimeError, "graphs tp verify: waitpid failed"));
    }
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  std::fprintf(stderr, "graphs: error: %s -m graphs.tp.verify killed by signal %d\n",
               python->c_str(), WTERMSIG(status));
  return 1;
}

}  // namespace

void add_tp_command(CLI::App& app, CommandResult& result) {
  auto opts = std::make_shared<TpOptions>();
  auto* cmd = app.add_subcommand(
      "tp", "plan tensor parallelism (Megatron column/row splits) for MODEL over --world-size "
            "ranks: per-rank memory, communication and latency; `tp verify` runs the converter "
            "against the unsharded model");
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
                  "attention heads when the graph has no split-heads Reshape to derive them from");
  cmd->add_option("--format", opts->format,
                  "text|json (json: docs/tp-plan-schema.md plan + analysis); default: json for "
                  "-o *.json, else text");
  cmd->add_option("-o,--output", opts->output, "write to FILE instead of stdout");
  cmd->add_flag("--plan-only", opts->plan_only,
                "json: the schema-v1 plan without the \"analysis\" object (what "
                "graphs.tp.validate_plan accepts)");

  auto vopts = std::make_shared<VerifyOptions>();
  auto* verify = cmd->add_subcommand(
      "verify", "run python -m graphs.tp.verify: the TP-converted model against the unsharded "
                "one on N gloo processes (outputs, gradients, a training step, per-rank bytes)");
  verify->add_option("--model", vopts->models,
                     "gpt2-small-test, gpt2-lm-test, gpt2, llama-test, bert-test, bert-base, mlp, "
                     "cnn (comma list)")
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
