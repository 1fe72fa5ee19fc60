#include "graphs/validate/published_fit.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include "graphs/estimate/engine.h"
#include "graphs/report/table.h"

namespace graphs {
namespace {

using nlohmann::json;

// A mismatch this large stands for a record that failed to predict.
constexpr double kFailurePenalty = 10;
// Bounds (see the header): no kernel streams more than 95 % of the DRAM peak (STREAM-like copies
// on HBM reach about 90 %), nor fewer than half; matrix kernels between 20 % and 95 % of peak.
constexpr double kMemoryEfficiency[2] = {0.5, 0.95};
constexpr double kMatrixEfficiency[2] = {0.2, 0.95};
constexpr double kMaxKernelFloor_s = 10e-6;
constexpr double kMaxInferenceOverhead_s = 1e-3;
constexpr double kEngineMemoryScale[2] = {0.5, 1.0};

std::string base_id(const std::string& id) { return id.substr(0, id.find(':')); }

bool vendor_library(const std::string& engine) {
  return engine == "tensorrt" || engine == "tensorrt-llm" || engine == "triton";
}

struct Param {
  FitParameter out;
  double lo = 0, hi = 1;
  bool additive = false;
  std::function<double()> get;
  std::function<void(double)> set;
  std::vector<const PublishedRecord*> records;
};

class Fitter {
 public:
  Fitter(const PublishedCorpus& corpus, const HardwareRegistry& registry)
      : corpus_(corpus), registry_(registry) {}

  Result<FitResult> run() {
    std::vector<const PublishedRecord*> fit;
    for (const auto& r : corpus_.records) {
      if (corpus_.split.at(r.group) == "fit" && r.modelable) fit.push_back(&r);
    }
    GRAPHS_CHECK_OR_RETURN(!fit.empty(), ErrorCode::kInvalidArgument,
                           "the fit part has no modelable records");
    std::vector<const PublishedRecord*> ok;
    for (const auto* r : fit) {
      if (predict_published(*r, "fit", registry_).status == "ok") ok.push_back(r);
    }
    discover(ok);
    FitResult result;
    result.records = static_cast<int>(ok.size());
    result.objective_before = objective(ok);
    for (int pass = 0; pass < 8; ++pass) {
      bool improved = false;
      for (auto& p : params_) improved = optimise(p) || improved;
      if (!improved) break;
    }
    result.objective_after = objective(ok);
    for (const auto* r : ok) result.rows_after.push_back(predict_published(*r, "fit", registry_));
    for (auto& p : params_) {
      p.out.after = p.get();
      result.parameters.push_back(p.out);
    }
    for (const auto& [id, e] : engines_before_) (void)replace_engine(e);  // leave the registry as found
    return result;
  }

 private:
  double objective(const std::vector<const PublishedRecord*>& records) const {
    double sum = 0;
    for (const auto* r : records) {
      const PublishedRow row = predict_published(*r, "fit", registry_);
      sum += row.predicted && *row.predicted > 0 ? std::abs(std::log(*row.predicted / r->value))
                                                 : kFailurePenalty;
    }
    return sum;
  }

  bool optimise(Param& p) {
    const double start = p.get();
    double best_v = start;
    double best = objective(p.records);
    std::vector<double> candidates;
    if (p.additive) {
      for (double d : {-4e-6, -2e-6, -1e-6, -0.5e-6, 0.5e-6, 1e-6, 2e-6, 4e-6}) candidates.push_back(start + d);
    } else {
      for (double f : {0.5, 0.7, 0.85, 0.93, 1.07, 1.15, 1.4, 2.0}) candidates.push_back(start * f);
      if (start == 0) candidates = {p.lo + (p.hi - p.lo) * 0.001, p.lo + (p.hi - p.lo) * 0.01};
    }
    for (double c : candidates) {
      c = std::clamp(c, p.lo, p.hi);
      if (c == best_v) continue;
      p.set(c);
      const double o = objective(p.records);
      if (o < best - 1e-6) {
        best = o;
        best_v = c;
      }
    }
    p.set(best_v);
    return best_v != start;
  }

  // The hardware model that parameters of `id` edit, registered back after each change.
  HardwareModel& model(const std::string& id) {
    auto it = models_.find(id);
    if (it == models_.end()) it = models_.emplace(id, *registry_.get(id)).first;
    return it->second;
  }

  // The targets built on the same silicon as `id` (its `die`), `id` first; just `id` without one.
  std::vector<std::string> same_die(const std::string& id) {
    std::vector<std::string> ids{id};
    const std::string die = model(id).die;
    if (die.empty()) return ids;
    for (const auto& other : registry_.ids()) {
      if (other == id || other.find(':') != std::string::npos) continue;
      auto m = registry_.get(other);
      if (m.ok() && m->die == die) ids.push_back(other);
    }
    return ids;
  }

  // A parameter of the targets `ids` (one value for all of them).
  void add_hardware_param(const std::vector<std::string>& ids, const std::string& field, double lo,
                          double hi, bool additive, std::function<double&(HardwareModel&)> ref,
                          const std::vector<const PublishedRecord*>& records) {
    Param p;
    p.out.owner = "hardware:" + ids.front();
    for (std::size_t i = 1; i < ids.size(); ++i) p.out.owner += "," + ids[i];
    p.out.field = field;
    p.lo = lo;
    p.hi = hi;
    p.additive = additive;
    const std::string first = ids.front();
    p.get = [this, first, ref] { return ref(model(first)); };
    p.set = [this, ids, ref](double v) {
      for (const auto& id : ids) {
        ref(model(id)) = v;
        registry_.add(model(id));
      }
    };
    p.out.before = p.get();
    p.records = records;
    for (const auto* r : records) p.out.records.push_back(r->id);
    params_.push_back(std::move(p));
  }

  void add_engine_param(const std::string& id, const std::string& field, double lo, double hi,
                        std::function<double&(Engine&)> ref,
                        const std::vector<const PublishedRecord*>& records) {
    if (!engines_before_.count(id)) engines_before_[id] = **find_engine(id);
    Param p;
    p.out.owner = "engine:" + id;
    p.out.field = field;
    p.lo = lo;
    p.hi = hi;
    p.get = [id, ref] {
      Engine e = **find_engine(id);
      return ref(e);
    };
    p.set = [id, ref](double v) {
      Engine e = **find_engine(id);
      ref(e) = v;
      (void)replace_engine(e);
    };
    p.out.before = p.get();
    p.records = records;
    for (const auto* r : records) p.out.records.push_back(r->id);
    params_.push_back(std::move(p));
  }

  void discover(const std::vector<const PublishedRecord*>& records) {
    std::map<std::string, std::vector<const PublishedRecord*>> by_hw, by_engine;
    std::map<std::pair<std::string, std::string>, std::vector<const PublishedRecord*>> by_hw_precision;
    for (const auto* r : records) {
      const std::string hw = base_id(r->hardware);
      // Batch-1 decode streams weights: it says nothing about the matrix units' efficiency.
      const bool decode = predict_published(*r, "fit", registry_).family == "llm-decode";
      by_hw[hw].push_back(r);
      if (!decode) by_hw_precision[{hw, r->precision}].push_back(r);
      if (r->accelerators != "gpu") {
        by_hw[hw + "-dla"].push_back(r);
        by_hw_precision[{hw + "-dla", r->precision}].push_back(r);
      }
      std::string engine = r->engine == "inductor-cudagraphs" ? "inductor" : r->engine;
      if (auto e = find_engine(engine); e.ok()) by_engine[(*e)->id].push_back(r);
    }
    // Memory efficiency per part (memory systems and power limits differ); the kernel floor and
    // the matrix efficiencies per die, with the records of every part built on it.
    std::map<std::vector<std::string>, std::vector<const PublishedRecord*>> by_die;
    std::map<std::pair<std::vector<std::string>, std::string>, std::vector<const PublishedRecord*>>
        by_die_precision;
    for (const auto& [hw, rs] : by_hw) {
      if (!registry_.get(hw).ok()) continue;
      add_hardware_param({hw}, "efficiency.memory", kMemoryEfficiency[0], kMemoryEfficiency[1],
                         false, [](HardwareModel& m) -> double& { return m.efficiency.memory; }, rs);
      auto ids = same_die(hw);
      std::sort(ids.begin(), ids.end());
      auto& d = by_die[ids];
      d.insert(d.end(), rs.begin(), rs.end());
    }
    for (const auto& [key, rs] : by_hw_precision) {
      const auto& [hw, precision] = key;
      if (!registry_.get(hw).ok()) continue;
      auto ids = same_die(hw);
      std::sort(ids.begin(), ids.end());
      auto& d = by_die_precision[{ids, precision}];
      d.insert(d.end(), rs.begin(), rs.end());
    }
    for (const auto& [ids, rs] : by_die) {
      add_hardware_param(ids, "min_kernel_s", 0, kMaxKernelFloor_s, true,
                         [](HardwareModel& m) -> double& { return m.min_kernel_s; }, rs);
    }
    for (const auto& [key, rs] : by_die_precision) {
      const auto& [ids, precision] = key;
      for (const auto& id : ids) {
        HardwareModel& m = model(id);
        if (!m.efficiency.matrix_by_precision.count(precision)) {
          m.efficiency.matrix_by_precision[precision] = model(ids.front()).efficiency.matrix;
          registry_.add(m);
        }
      }
      add_hardware_param(ids, "efficiency.matrix_by_precision." + precision, kMatrixEfficiency[0],
                         kMatrixEfficiency[1], false,
                         [precision](HardwareModel& mm) -> double& {
                           return mm.efficiency.matrix_by_precision[precision];
                         },
                         rs);
    }
    for (const auto& [engine, rs] : by_engine) {
      add_engine_param(engine, "inference_overhead_s", 0, kMaxInferenceOverhead_s,
                       [](Engine& e) -> double& { return e.inference_overhead_s; }, rs);
      if (!vendor_library(engine)) {
        add_engine_param(engine, "efficiency_scale.memory", kEngineMemoryScale[0], 1.0,
                         [](Engine& e) -> double& { return e.memory_efficiency_scale; }, rs);
      }
    }
  }

  const PublishedCorpus& corpus_;
  HardwareRegistry registry_;
  std::map<std::string, HardwareModel> models_;
  std::map<std::string, Engine> engines_before_;
  std::vector<Param> params_;
};

}  // namespace

json FitResult::to_json() const {
  json ps = json::array();
  for (const auto& p : parameters) {
    ps.push_back({{"owner", p.owner}, {"field", p.field}, {"before", p.before}, {"after", p.after},
                  {"records", p.records}});
  }
  json rows = json::array();
  for (const auto& r : rows_after) rows.push_back(r.to_json());
  return {{"records", records},
          {"objective_before", objective_before},
          {"objective_after", objective_after},
          {"parameters", ps},
          {"rows_after", rows}};
}

Result<FitResult> fit_published(const PublishedCorpus& corpus, const HardwareRegistry& registry) {
  return Fitter(corpus, registry).run();
}

std::string render_fit_text(const FitResult& f) {
  namespace r = report;
  r::Table t({"owner", "field", ">before", ">after", ">records"});
  for (const auto& p : f.parameters) {
    t.add_row({p.owner, p.field, fmt::format("{:.4g}", p.before), fmt::format("{:.4g}", p.after),
               std::to_string(p.records.size())});
  }
  std::string out = fmt::format(
      "Fit part: {} records; Σ |ln(predicted / published)| {:.3f} before, {:.3f} after\n",
      f.records, f.objective_before, f.objective_after);
  out += t.to_text();
  out += "\nRecords per parameter:\n";
  for (const auto& p : f.parameters) {
    std::string ids;
    for (const auto& id : p.records) ids += (ids.empty() ? "" : ", ") + id;
    out += fmt::format("  {} {}: {}\n", p.owner, p.field, ids);
  }
  return out;
}

}  // namespace graphs
