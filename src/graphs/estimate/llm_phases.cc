#include "graphs/estimate/llm_phases.h"

#include <algorithm>
#include <set>

#include "graphs/common/suggest.h"
#include "graphs/estimate/mapper.h"

namespace graphs {

std::string_view to_string(LlmPhase phase) {
  switch (phase) {
    case LlmPhase::kPrefill: return "prefill";
    case LlmPhase::kDecode: return "decode";
    case LlmPhase::kGenerate: return "generate";
    case LlmPhase::kServe: return "serve";
  }
  return "decode";
}

bool phase_decodes(LlmPhase phase) { return phase != LlmPhase::kPrefill; }

Result<LlmPhase> parse_llm_phase(const std::string& name) {
  if (name == "prefill") return LlmPhase::kPrefill;
  if (name == "decode") return LlmPhase::kDecode;
  if (name == "generate") return LlmPhase::kGenerate;
  if (name == "serve") return LlmPhase::kServe;
  return Error(ErrorCode::kInvalidArgument,
               unknown_name_message("phase", name, {"prefill", "decode", "generate", "serve"}));
}

Result<LlmFacts> llm_facts(const Graph& graph, const Characterization& ch, const std::string& model) {
  auto facts = transformer_facts(graph, ch, model);
  if (!facts.ok()) {
    return make_error(ErrorCode::kInvalidArgument, model,
                      " is not a decoder LLM: no attention layers found; --phase needs one "
                      "(e.g. llama-2-7b, gpt2)");
  }
  return facts;
}

double kv_cache_bytes(const LlmFacts& f, int64_t batch, int64_t context, double kv_bytes) {
  return 2.0 * static_cast<double>(f.layers) * static_cast<double>(batch) *
         static_cast<double>(context) * static_cast<double>(f.kv_heads) *
         static_cast<double>(f.head_dim) * kv_bytes;
}

KernelWork decode_attention_work(const LlmFacts& f, int64_t batch, int64_t context,
                                 double kv_bytes, double act_bytes) {
  const double b = static_cast<double>(batch), l = static_cast<double>(context);
  const double h = static_cast<double>(f.heads), kv = static_cast<double>(f.kv_heads);
  const double d = static_cast<double>(f.head_dim);
  KernelWork w;
  w.kernel = -1;
  w.op_class = OpClass::kMatMul;
  w.matrix = true;
  w.macs = 2 * b * h * l * d;
  w.flops = 2 * w.macs + 5 * b * h * l;
  w.input_bytes = 2 * b * l * kv * d * kv_bytes + b * h * d * act_bytes;
  w.output_bytes = 2 * b * kv * d * kv_bytes + b * h * d * act_bytes;
  GemmShape g;
  g.batch = b * kv;
  g.m = h / kv;
  g.n = l;
  g.k = d;
  g.a_bytes = b * h * d * act_bytes;
  g.b_bytes = 2 * b * l * kv * d * kv_bytes;
  // Two products (q·Kᵀ, p·V) of this shape: the GEMM view carries both as one of twice the K.
  g.k = 2 * d;
  w.gemm = g;
  return w;
}

std::vector<int64_t> llm_table_contexts(int64_t prompt_tokens) {
  std::set<int64_t> c;
  for (int64_t l = 512; l <= 131072; l *= 2) c.insert(l);
  if (prompt_tokens > 0) c.insert(prompt_tokens);
  return {c.begin(), c.end()};
}

Result<LlmPhaseEstimate> estimate_llm_phase(LlmPhase phase, const LlmFacts& facts, int64_t batch,
                                            int64_t prompt_tokens, const Estimate& prefill,
                                            const Estimate* decode, const HardwareModel& hw,
                                            const EstimateOptions& options, double kv_bytes,
                                            double act_bytes, const std::string& kv_precision,
                                            int64_t output_tokens) {
  LlmPhaseEstimate p;
  p.hardware_id = hw.id;
  p.phase = phase;
  p.batch = batch;
  p.prompt_tokens = prompt_tokens;
  p.kv_precision = kv_precision;
  p.kv_bytes_per_element = kv_bytes;
  p.ttft_s = prefill.latency_s;
  p.prefill_tokens_per_s =
      prefill.latency_s > 0
          ? static_cast<double>(batch) * static_cast<double>(prompt_tokens) / prefill.latency_s
          : 0;
  p.weight_bytes = prefill.memory.weight_bytes;
  p.kv_cache_bytes = kv_cache_bytes(facts, batch, prompt_tokens, kv_bytes);
  p.prefill_activation_bytes = prefill.memory.peak_activation_bytes;
  p.capacity_bytes = hw.memory_bytes;
  p.peak_bytes = p.weight_bytes + p.kv_cache_bytes + p.prefill_activation_bytes;

  if (phase_decodes(phase)) {
    GRAPHS_CHECK_OR_RETURN(decode != nullptr, ErrorCode::kInternal,
                           "decode phase without a sequence-1 estimate");
    GRAPHS_ASSIGN_OR_RETURN(MapperTarget target, resolve_target(hw, options));
    if (!target.timeline) target.overhead_s = 0;  // the graph's attention kernels carry the launches
    p.decode_activation_bytes = decode->memory.peak_activation_bytes;
    const double layers = static_cast<double>(facts.layers);
    const bool replaces = target.timeline &&
                          std::any_of(decode->kernels.begin(), decode->kernels.end(),
                                      [](const KernelEstimate& k) { return k.attention; });
    const double io_bytes = decode->copy_s * target.host_link_bytes_per_s;
    struct Step {
      double tpot_s = 0, attention_s = 0, energy_j = 0, compute_s = 0, memory_s = 0;
    };
    std::vector<const KernelEstimate*> in_order;
    auto step = [&](int64_t context) {
      const KernelEstimate k =
          estimate_kernel(decode_attention_work(facts, batch, context, kv_bytes, act_bytes), target);
      Step st;
      st.attention_s = layers * k.latency_s;
      st.energy_j = layers * k.energy_j;
      st.compute_s = layers * k.compute_s;
      st.memory_s = layers * k.memory_s;
      if (replaces) {
        in_order.clear();
        for (const auto& dk : decode->kernels) in_order.push_back(dk.attention ? &k : &dk);
        st.tpot_s = combine_kernels(target, in_order, io_bytes).latency_s;
      } else {
        st.tpot_s = decode->latency_s + std::max(0.0, st.attention_s - decode->device_idle_s);
      }
      return st;
    };
    const Step at_prompt = step(prompt_tokens);
    p.tpot_s = at_prompt.tpot_s;
    p.decode_graph_s = decode->latency_s;
    p.decode_attention_s = at_prompt.attention_s;
    p.decode_tokens_per_s = p.tpot_s > 0 ? static_cast<double>(batch) / p.tpot_s : 0;
    p.decode_energy_per_token_j =
        (decode->dynamic_energy_j + at_prompt.energy_j + hw.static_power_w * p.tpot_s) /
        static_cast<double>(batch);
    p.decode_memory_bound =
        decode->memory_s + at_prompt.memory_s > decode->compute_s + at_prompt.compute_s;
    const double decode_bytes = p.weight_bytes + p.kv_cache_bytes + p.decode_activation_bytes;
    p.peak_bytes = std::max(p.peak_bytes, decode_bytes);
    for (int64_t context : llm_table_contexts(prompt_tokens)) {
      LlmContextRow row;
      row.context = context;
      row.tpot_s = step(context).tpot_s;
      row.kv_cache_bytes = kv_cache_bytes(facts, batch, context, kv_bytes);
      row.memory_bytes = p.weight_bytes + row.kv_cache_bytes + p.decode_activation_bytes;
      row.fits = row.memory_bytes <= hw.memory_bytes;
      p.contexts.push_back(row);
    }
    if (phase == LlmPhase::kGenerate) {
      GRAPHS_CHECK_OR_RETURN(output_tokens >= 1, ErrorCode::kInvalidArgument,
                             "--phase generate needs --output-tokens N (N >= 1)");
      p.output_tokens = output_tokens;
      // The first token comes from the prefill; token i (i ≥ 2) from a step at context
      // prompt + i − 2 (the cache holds the prompt and the tokens generated before it).
      double decode_s = 0;
      for (int64_t i = 0; i + 1 < output_tokens; ++i) decode_s += step(prompt_tokens + i).tpot_s;
      p.generation_s = p.ttft_s + decode_s;
      p.mean_tpot_s = output_tokens > 1 ? decode_s / static_cast<double>(output_tokens - 1) : 0;
      p.output_tokens_per_s = p.generation_s > 0 ? static_cast<double>(batch) *
                                                       static_cast<double>(output_tokens) /
                                                       p.generation_s
                                                 : 0;
      const double final_bytes =
          p.weight_bytes + kv_cache_bytes(facts, batch, prompt_tokens + output_tokens, kv_bytes) +
          p.decode_activation_bytes;
      p.peak_bytes = std::max(p.peak_bytes, final_bytes);
    }
  }
  p.fits = p.peak_bytes <= p.capacity_bytes;
  return p;
}

}  // namespace graphs
