#include "graphs/pipeline/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <utility>

#include "graphs/common/suggest.h"
#include "graphs/estimate/backend.h"
#include "graphs/estimate/engine.h"

#include <fmt/format.h>
#include <map>
#include "graphs/hardware/registry.h"
#include "graphs/onnx/onnx_importer.h"
#include "graphs/zoo/zoo.h"

namespace graphs {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::vector<std::string> precision_names() { return {"fp32", "tf32", "fp16", "bf16", "fp8", "int8"}; }
std::vector<std::string> weight_precision_names() {
  return {"fp32", "tf32", "fp16", "bf16", "fp8", "int8", "int4"};
}
std::vector<std::string> kv_precision_names() {
  return {"fp32", "fp16", "bf16", "fp8", "int8", "int4"};
}

namespace {

// Storage dtype of a precision name (tf32 is stored as fp32); nullopt for an unknown name.
std::optional<DType> storage_dtype(const std::string& name) {
  if (name == "fp32" || name == "tf32") return DType::kFloat32;
  if (name == "fp16") return DType::kFloat16;
  if (name == "bf16") return DType::kBFloat16;
  if (name == "fp8") return DType::kFloat8E4M3FN;
  if (name == "int8") return DType::kInt8;
  if (name == "int4") return DType::kInt4;
  return std::nullopt;
}

bool listed(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

double Precision::kv_bytes() const { return dtype_bits(*storage_dtype(kv_cache)) / 8.0; }
double Precision::activation_bytes() const { return dtype_bits(*storage_dtype(name)) / 8.0; }

Result<Precision> parse_precisions(const std::string& name, const std::string& weights,
                                   const std::string& kv_cache) {
  if (name == "int4") {
    return Error(ErrorCode::kInvalidArgument,
                 "precision 'int4' is weight-only: use --weight-precision int4 with --precision "
                 "fp16, bf16 or int8");
  }
  if (!listed(precision_names(), name)) {
    return Error(ErrorCode::kInvalidArgument,
                 unknown_name_message("precision", name, precision_names()));
  }
  Precision p;
  p.name = name;
  p.weights = weights.empty() ? name : weights;
  p.kv_cache = kv_cache.empty() ? (name == "tf32" ? "fp32" : name) : kv_cache;
  if (!listed(weight_precision_names(), p.weights)) {
    return Error(ErrorCode::kInvalidArgument,
                 unknown_name_message("weight precision", p.weights, weight_precision_names()));
  }
  if (!listed(kv_precision_names(), p.kv_cache)) {
    return Error(ErrorCode::kInvalidArgument,
                 unknown_name_message("KV-cache precision", p.kv_cache, kv_precision_names()));
  }
  p.map.floating = storage_dtype(p.name);
  if (p.weights != p.name) p.map.weights = storage_dtype(p.weights);
  return p;
}

Result<Precision> parse_precision(const std::string& name) { return parse_precisions(name, "", ""); }

bool names_a_file(const std::string& source) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::exists(source, ec)) return true;
  if (is_zoo_name(source)) return false;  // "llama-3.1-8b" has a dot, not an extension
  return source.find('/') != std::string::npos || fs::path(source).has_extension();
}

Result<LoadedModel> load_model(const std::string& source, const DimBindings& dims) {
  const auto t0 = std::chrono::steady_clock::now();
  LoadedModel m;
  m.source = source;
  namespace fs = std::filesystem;
  if (names_a_file(source)) {
    // Only regular files: a FIFO or a device would block the read or never end (/dev/zero).
    std::error_code ec;
    const auto status = fs::status(source, ec);
    if (!ec && fs::exists(status) && !fs::is_regular_file(status)) {
      return make_error(ErrorCode::kInvalidArgument, "'", source,
                        "' is not a regular file (a model is an .onnx file or a zoo name)");
    }
    GRAPHS_ASSIGN_OR_RETURN(m.graph, import_onnx_file(source));
    m.name = fs::path(source).stem().string();
    m.format = "onnx";
  } else if (is_zoo_name(source)) {
    GRAPHS_ASSIGN_OR_RETURN(m.graph, build_zoo_model(source));
    m.name = source;
    m.format = "zoo";
  } else {
    return Error(ErrorCode::kNotFound,
                 unknown_name_message("model", source, zoo_names()) +
                     " (a MODEL is an .onnx file or a built-in zoo name)");
  }
  m.parse_s = seconds_since(t0);
  const auto t1 = std::chrono::steady_clock::now();
  GRAPHS_RETURN_IF_ERROR(bind_dims(m.graph, dims));
  // Bound sizes are checked before inference reads them, every inferred one after it.
  for (ValueId v : m.graph.inputs) {
    GRAPHS_RETURN_IF_ERROR(check_tensor_size(m.graph.value(v).type,
                                             "graph input '" + m.graph.value(v).name + "'"));
  }
  GRAPHS_RETURN_IF_ERROR(infer_shapes(m.graph, dims));
  GRAPHS_RETURN_IF_ERROR(m.graph.check_value_sizes());
  m.infer_s = seconds_since(t1);
  return m;
}

namespace {

// Collects the figures of an analysis and refuses the first that is NaN, infinite or negative.
class FigureGuard {
 public:
  void check(const std::string& where, const char* name, double v) {
    // Sums of differences may round to a hair below zero; anything further below is a bug.
    constexpr double kRoundingSlack = 1e-12;
    if (bad_ || (std::isfinite(v) && v >= -kRoundingSlack)) return;
    bad_ = true;
    message_ = fmt::format("{}: {} = {} is not a finite non-negative number; refusing to report "
                           "it (a bug in graphs: please report it with the model)",
                           where, name, v);
  }
  Status status() const {
    return bad_ ? Status(Error(ErrorCode::kInternal, message_)) : ok_status();
  }

 private:
  bool bad_ = false;
  std::string message_;
};

void check_characterization(const Characterization& ch, FigureGuard& g) {
  const std::string w = "model totals";
  for (const auto& [name, v] : std::initializer_list<std::pair<const char*, double>>{
           {"params", static_cast<double>(ch.params)}, {"weight_bytes", ch.weight_bytes},
           {"active_params", static_cast<double>(ch.active_params)},
           {"active_weight_bytes", ch.active_weight_bytes}, {"macs", ch.macs},
           {"flops", ch.flops}, {"bytes_read", ch.bytes_read},
           {"bytes_written", ch.bytes_written}, {"activation_bytes", ch.activation_bytes}}) {
    g.check(w, name, v);
  }
}

void check_estimate(const Estimate& e, const std::string& what, FigureGuard& g) {
  const std::string w = what + " for " + e.hardware_id;
  for (const auto& [name, v] : std::initializer_list<std::pair<const char*, double>>{
           {"latency_s", e.latency_s}, {"period_s", e.period_s}, {"compute_s", e.compute_s},
           {"memory_s", e.memory_s}, {"overhead_s", e.overhead_s}, {"device_s", e.device_s},
           {"host_s", e.host_s}, {"device_idle_s", e.device_idle_s},
           {"inference_overhead_s", e.inference_overhead_s}, {"copy_s", e.copy_s},
           {"dynamic_energy_j", e.dynamic_energy_j}, {"static_energy_j", e.static_energy_j},
           {"energy_j", e.energy_j}, {"matrix_peak_flops_per_s", e.matrix_peak_flops_per_s},
           {"vector_peak_flops_per_s", e.vector_peak_flops_per_s},
           {"memory_bandwidth_bytes_per_s", e.memory_bandwidth_bytes_per_s},
           {"ridge_point_flop_per_byte", e.ridge_point_flop_per_byte},
           {"matrix_utilization", e.matrix_utilization},
           {"weight_bytes", e.memory.weight_bytes},
           {"peak_activation_bytes", e.memory.peak_activation_bytes},
           {"workspace_bytes", e.memory.workspace_bytes}, {"peak_bytes", e.memory.peak_bytes},
           {"capacity_bytes", e.memory.capacity_bytes}}) {
    g.check(w, name, v);
  }
  for (const auto& k : e.kernels) {
    const std::string kw = w + ", kernel " + std::to_string(k.kernel);
    for (const auto& [name, v] : std::initializer_list<std::pair<const char*, double>>{
             {"compute_s", k.compute_s}, {"memory_s", k.memory_s}, {"overhead_s", k.overhead_s},
             {"device_s", k.device_s}, {"latency_s", k.latency_s}, {"energy_j", k.energy_j},
             {"utilization", k.utilization}, {"dram_bytes", k.dram_bytes},
             {"l2_bytes", k.l2_bytes}, {"cache_bytes", k.cache_bytes}}) {
      g.check(kw, name, v);
    }
  }
}

void check_phase(const LlmPhaseEstimate& p, FigureGuard& g) {
  const std::string w = "the LLM phase figures for " + p.hardware_id;
  for (const auto& [name, v] : std::initializer_list<std::pair<const char*, double>>{
           {"ttft_s", p.ttft_s}, {"prefill_tokens_per_s", p.prefill_tokens_per_s},
           {"tpot_s", p.tpot_s}, {"decode_graph_s", p.decode_graph_s},
           {"decode_attention_s", p.decode_attention_s},
           {"decode_tokens_per_s", p.decode_tokens_per_s},
           {"decode_energy_per_token_j", p.decode_energy_per_token_j},
           {"generation_s", p.generation_s}, {"mean_tpot_s", p.mean_tpot_s},
           {"output_tokens_per_s", p.output_tokens_per_s}, {"weight_bytes", p.weight_bytes},
           {"kv_cache_bytes", p.kv_cache_bytes},
           {"prefill_activation_bytes", p.prefill_activation_bytes},
           {"decode_activation_bytes", p.decode_activation_bytes},
           {"peak_bytes", p.peak_bytes}, {"capacity_bytes", p.capacity_bytes}}) {
    g.check(w, name, v);
  }
  for (const auto& c : p.contexts) {
    const std::string cw = w + ", context " + std::to_string(c.context);
    g.check(cw, "kv_cache_bytes", c.kv_cache_bytes);
    g.check(cw, "tpot_s", c.tpot_s);
    g.check(cw, "memory_bytes", c.memory_bytes);
  }
}

void check_serving(const ServingEstimate& s, FigureGuard& g) {
  const std::string w = "the serving figures for " + s.hardware_id;
  for (const auto& [name, v] : std::initializer_list<std::pair<const char*, double>>{
           {"decode_step_s", s.decode_step_s}, {"prefill_per_request_s", s.prefill_per_request_s},
           {"requests_per_s", s.requests_per_s}, {"output_tokens_per_s", s.output_tokens_per_s},
           {"ttft_s", s.ttft_s}, {"tpot_s", s.tpot_s},
           {"request_latency_s", s.request_latency_s}}) {
    g.check(w, name, v);
  }
}

}  // namespace

Status check_analysis_figures(const Analysis& a) {
  FigureGuard guard;
  check_characterization(a.characterization, guard);
  for (const auto& e : a.estimates) check_estimate(e, "the estimate", guard);
  for (const auto& e : a.decode_estimates) check_estimate(e, "the decode-step estimate", guard);
  for (const auto& p : a.phases) check_phase(p, guard);
  for (const auto& s : a.serving) check_serving(s, guard);
  return guard.status();
}

namespace {

// One decode-step or prefill figure of `request` at another batch and sequence length.
Result<LlmPhaseEstimate> phase_at(const AnalyzeRequest& request, const std::string& hardware,
                                  const HardwareRegistry& registry, LlmPhase phase, int64_t batch,
                                  int64_t seq_len) {
  AnalyzeRequest r = request;
  r.hardware = {hardware};
  r.phase = std::string(to_string(phase));
  r.dims.batch = batch;
  r.dims.seq_len = seq_len;
  r.output_tokens = 0;
  GRAPHS_ASSIGN_OR_RETURN(Analysis a, analyze(r, registry));
  return std::move(a.phases.front());
}

}  // namespace

Result<ServingEstimate> estimate_serving(const AnalyzeRequest& request, const std::string& hardware,
                                         const HardwareRegistry& registry) {
  GRAPHS_CHECK_OR_RETURN(request.output_tokens >= 1, ErrorCode::kInvalidArgument,
                         "--phase serve needs --output-tokens N (N >= 1)");
  GRAPHS_CHECK_OR_RETURN(request.request_rate_per_s >= 0, ErrorCode::kInvalidArgument,
                         "--request-rate must be >= 0 (0: the highest sustained throughput)");
  GRAPHS_ASSIGN_OR_RETURN(const HardwareModel hw, registry.get(hardware));
  double kv_fraction = 0.9, max_prefill_tokens = 8192;
  if (!request.backend.empty()) {
    GRAPHS_ASSIGN_OR_RETURN(const Engine* e, find_engine(request.backend));
    kv_fraction = e->kv_cache_memory_fraction;
    max_prefill_tokens = e->max_prefill_tokens;
  }
  ServingEstimate s;
  s.hardware_id = hw.id;
  const int64_t in = std::max<int64_t>(1, request.dims.seq_len);
  const int64_t out = request.output_tokens;
  s.input_tokens = in;
  s.output_tokens = out;
  const int64_t mean_context = in + out / 2;
  // Memory: the KV cache of one sequence at its full length, from a batch-1 decode estimate.
  GRAPHS_ASSIGN_OR_RETURN(const LlmPhaseEstimate one,
                          phase_at(request, hardware, registry, LlmPhase::kDecode, 1, in + out));
  const double per_sequence = one.kv_cache_bytes;
  const double free_bytes =
      kv_fraction * hw.memory_bytes - one.weight_bytes - one.decode_activation_bytes;
  s.max_concurrency = per_sequence > 0 ? static_cast<int64_t>(std::max(0.0, free_bytes / per_sequence)) : 1;
  if (request.max_concurrency > 0) s.max_concurrency = std::min(s.max_concurrency, request.max_concurrency);
  GRAPHS_CHECK_OR_RETURN(s.max_concurrency >= 1, ErrorCode::kInvalidArgument, request.model,
                         " does not fit on ", hw.id, " with the KV cache of one ", in + out,
                         "-token sequence (", fmt::format("{:.3g}", per_sequence / (1 << 30)),
                         " GiB) beside its weights");
  // Prefill per request, in batches of max_prefill_tokens.
  const int64_t prefill_batch = std::max<int64_t>(1, static_cast<int64_t>(max_prefill_tokens) / in);
  GRAPHS_ASSIGN_OR_RETURN(const LlmPhaseEstimate pre, phase_at(request, hardware, registry,
                                                               LlmPhase::kPrefill, prefill_batch, in));
  s.prefill_per_request_s = pre.ttft_s / static_cast<double>(prefill_batch);
  GRAPHS_ASSIGN_OR_RETURN(const LlmPhaseEstimate first,
                          phase_at(request, hardware, registry, LlmPhase::kPrefill, 1, in));
  s.ttft_s = first.ttft_s;
  std::map<int64_t, double> step_memo;
  auto decode_step = [&](int64_t c) -> Result<double> {
    if (auto it = step_memo.find(c); it != step_memo.end()) return it->second;
    GRAPHS_ASSIGN_OR_RETURN(const LlmPhaseEstimate d,
                            phase_at(request, hardware, registry, LlmPhase::kDecode, c, mean_context));
    step_memo[c] = d.tpot_s;
    return d.tpot_s;
  };
  auto requests_per_s = [&](int64_t c, double step_s) {
    return static_cast<double>(c) /
           (static_cast<double>(out) * step_s + static_cast<double>(c) * s.prefill_per_request_s);
  };
  GRAPHS_ASSIGN_OR_RETURN(const double top_step, decode_step(s.max_concurrency));
  const double top_rate = requests_per_s(s.max_concurrency, top_step);
  int64_t c = s.max_concurrency;
  if (request.request_rate_per_s > 0 && request.request_rate_per_s < top_rate) {
    // The smallest concurrency that sustains the rate (requests/s grows with C).
    int64_t lo = 1, hi = s.max_concurrency;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      GRAPHS_ASSIGN_OR_RETURN(const double step_s, decode_step(mid));
      if (requests_per_s(mid, step_s) >= request.request_rate_per_s) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    c = lo;
  } else if (request.request_rate_per_s > 0) {
    s.saturated = true;
    s.notes.push_back(fmt::format("{:.3g} requests/s exceeds the {:.3g} requests/s {} sustains: "
                                  "requests queue without bound",
                                  request.request_rate_per_s, top_rate, hw.id));
  }
  s.concurrency = c;
  GRAPHS_ASSIGN_OR_RETURN(s.decode_step_s, decode_step(c));
  const double cycle_s = static_cast<double>(out) * s.decode_step_s +
                         static_cast<double>(c) * s.prefill_per_request_s;
  s.requests_per_s = request.request_rate_per_s > 0 && !s.saturated
                         ? request.request_rate_per_s
                         : static_cast<double>(c) / cycle_s;
  s.output_tokens_per_s = s.requests_per_s * static_cast<double>(out);
  s.tpot_s = cycle_s / static_cast<double>(out);
  s.request_latency_s = s.ttft_s + static_cast<double>(out - 1) * s.tpot_s;
  return s;
}

Result<Analysis> analyze(const AnalyzeRequest& request, const HardwareRegistry& registry) {
  Analysis a;
  a.dims = request.dims;
  GRAPHS_ASSIGN_OR_RETURN(a.precision, parse_precisions(request.precision,
                                                        request.weight_precision,
                                                        request.kv_precision));
  GRAPHS_RETURN_IF_ERROR(check_backend(request.backend));
  std::optional<LlmPhase> phase;
  if (!request.phase.empty()) {
    GRAPHS_ASSIGN_OR_RETURN(phase, parse_llm_phase(request.phase));
  }
  std::vector<HardwareModel> targets;
  for (const auto& id : request.hardware) {
    GRAPHS_ASSIGN_OR_RETURN(auto hw, registry.get(id));
    targets.push_back(std::move(hw));
  }
  GRAPHS_ASSIGN_OR_RETURN(a.model, load_model(request.model, request.dims));
  const auto t0 = std::chrono::steady_clock::now();
  GRAPHS_ASSIGN_OR_RETURN(a.characterization, characterize(a.model.graph, a.precision.map));
  GRAPHS_ASSIGN_OR_RETURN(a.partition, partition_for_backend(a.model.graph, a.characterization,
                                                             request.backend));
  EstimateOptions options;
  options.backend = request.backend;
  options.precision = a.precision.name;
  options.cuda_graphs = request.cuda_graphs;
  options.mapper = request.mapper;
  for (const auto& hw : targets) {
    GRAPHS_ASSIGN_OR_RETURN(auto e, estimate_roofline(a.model.graph, a.characterization,
                                                      a.partition, hw, options));
    a.estimates.push_back(std::move(e));
  }
  if (phase) {
    GRAPHS_ASSIGN_OR_RETURN(a.llm, llm_facts(a.model.graph, a.characterization, a.model.name));
    // The decode step: the same model bound at sequence 1 (one new token per sequence).
    std::optional<LoadedModel> step;
    Characterization step_ch;
    Partition step_part;
    if (phase_decodes(*phase)) {
      DimBindings dims = request.dims;
      dims.seq_len = 1;
      GRAPHS_ASSIGN_OR_RETURN(step, load_model(request.model, dims));
      GRAPHS_ASSIGN_OR_RETURN(step_ch, characterize(step->graph, a.precision.map));
      GRAPHS_ASSIGN_OR_RETURN(step_part,
                              partition_for_backend(step->graph, step_ch, request.backend));
    }
    for (std::size_t i = 0; i < targets.size(); ++i) {
      const Estimate* decode = nullptr;
      if (step) {
        GRAPHS_ASSIGN_OR_RETURN(auto d, estimate_roofline(step->graph, step_ch, step_part,
                                                          targets[i], options));
        a.decode_estimates.push_back(std::move(d));
        decode = &a.decode_estimates.back();
      }
      const LlmPhase step_phase = *phase == LlmPhase::kServe ? LlmPhase::kDecode : *phase;
      GRAPHS_ASSIGN_OR_RETURN(
          auto pe, estimate_llm_phase(step_phase, *a.llm, request.dims.batch, request.dims.seq_len,
                                      a.estimates[i], decode, targets[i], options,
                                      a.precision.kv_bytes(), a.precision.activation_bytes(),
                                      a.precision.kv_cache, request.output_tokens));
      a.phases.push_back(std::move(pe));
    }
    if (*phase == LlmPhase::kServe) {
      for (const auto& id : request.hardware) {
        GRAPHS_ASSIGN_OR_RETURN(auto s, estimate_serving(request, id, registry));
        a.serving.push_back(std::move(s));
      }
    }
  }
  // Binding and inference run inside load_model; they count as analysis, not parsing.
  a.analysis_s = a.model.infer_s + seconds_since(t0);
  GRAPHS_RETURN_IF_ERROR(check_analysis_figures(a));
  return a;
}

}  // namespace graphs
