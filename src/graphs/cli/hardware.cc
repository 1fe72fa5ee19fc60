// graphs hardware list [--format text|json|md]
// graphs hardware show ID [--format text|json]
#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "graphs/cli/commands.h"
#include "graphs/hardware/registry.h"
#include "graphs/report/table.h"

namespace graphs::cli {
namespace {

using nlohmann::json;
namespace r = report;

std::string peak(const std::map<std::string, double>& peaks, const std::string& p) {
  auto it = peaks.find(p);
  return it == peaks.end() ? "-" : r::si(it->second);
}

json to_json(const HardwareModel& hw) {
  json caches = json::array();
  for (const auto& c : hw.caches) {
    caches.push_back({{"name", c.name}, {"capacity_bytes", c.capacity_bytes},
                      {"bandwidth_bytes_per_s", c.bandwidth_bytes_per_s}});
  }
  json modes = json::array();
  for (const auto& m : hw.power_modes) {
    json mj = {{"name", m.name}};
    if (m.clock_hz) mj["clock_hz"] = *m.clock_hz;
    if (m.power_w) mj["power_w"] = *m.power_w;
    if (!m.matrix_peak_flops_per_s.empty()) mj["matrix_peak_flops_per_s"] = m.matrix_peak_flops_per_s;
    if (!m.vector_peak_flops_per_s.empty()) mj["vector_peak_flops_per_s"] = m.vector_peak_flops_per_s;
    if (m.memory_bandwidth_bytes_per_s) {
      mj["memory_bandwidth_bytes_per_s"] = *m.memory_bandwidth_bytes_per_s;
    }
    modes.push_back(mj);
  }
  json ridge = json::object();
  for (const auto& [p, v] : hw.matrix_peak_flops_per_s) {
    if (auto rp = hw.ridge_point(p)) ridge[p] = *rp;
  }
  return {{"schema_version", hw.schema_version},
          {"id", hw.id},
          {"name", hw.name},
          {"vendor", hw.vendor},
          {"kind", hw.kind},
          {"derived", hw.derived},
          {"compute_units", hw.compute_units},
          {"clock_hz", hw.clock_hz},
          {"matrix_peak_flops_per_s", hw.matrix_peak_flops_per_s},
          {"vector_peak_flops_per_s", hw.vector_peak_flops_per_s},
          {"memory_bytes", hw.memory_bytes},
          {"memory_bandwidth_bytes_per_s", hw.memory_bandwidth_bytes_per_s},
          {"caches", caches},
          {"efficiency",
           {{"matrix", hw.efficiency.matrix}, {"vector", hw.efficiency.vector},
            {"memory", hw.efficiency.memory},
            {"matrix_by_precision", hw.efficiency.matrix_by_precision}}},
          {"kernel_launch_s", hw.kernel_launch_s},
          {"graph_kernel_launch_s", hw.graph_kernel_launch_s ? nlohmann::json(*hw.graph_kernel_launch_s)
                                                             : nlohmann::json(nullptr)},
          {"min_kernel_s", hw.min_kernel_s},
          {"host_link_bytes_per_s", hw.host_link_bytes_per_s ? nlohmann::json(*hw.host_link_bytes_per_s)
                                                             : nlohmann::json(nullptr)},
          {"host_cpu_scale", hw.host_cpu_scale},
          {"energy_per_flop_j", hw.energy_per_flop_j},
          {"energy_per_dram_byte_j", hw.energy_per_dram_byte_j},
          {"static_power_w", hw.static_power_w},
          {"tdp_w", hw.tdp_w},
          {"ridge_point_flop_per_byte", ridge},
          {"power_modes", modes},
          {"active_power_mode", hw.active_power_mode},
          {"sources", hw.sources},
          {"notes", hw.notes}};
}

std::string show_text(const HardwareModel& hw) {
  std::string out = fmt::format("{} — {} ({}, {}){}\n\n", hw.id, hw.name, hw.vendor, hw.kind,
                                hw.derived ? " [derived from this machine's OS facts]" : "");
  auto src = [&](const std::string& key) {
    auto it = hw.sources.find(key);
    return it == hw.sources.end() ? std::string() : it->second;
  };
  r::Table t({"figure", ">value", "source"});
  t.add_row({"compute units", std::to_string(hw.compute_units), src("compute_units")});
  t.add_row({"clock", r::si(hw.clock_hz) + "Hz", src("clock_hz")});
  for (const auto& [p, v] : hw.matrix_peak_flops_per_s) {
    t.add_row({"matrix peak " + p, r::si(v) + "FLOP/s", src("matrix_peak_flops_per_s." + p)});
  }
  for (const auto& [p, v] : hw.vector_peak_flops_per_s) {
    t.add_row({"vector peak " + p, r::si(v) + "FLOP/s", src("vector_peak_flops_per_s." + p)});
  }
  t.add_row({"memory", r::bytes(hw.memory_bytes), src("memory_bytes")});
  t.add_row({"memory bandwidth", r::si(hw.memory_bandwidth_bytes_per_s) + "B/s",
             src("memory_bandwidth_bytes_per_s")});
  for (const auto& c : hw.caches) {
    t.add_row({c.name + " cache", r::bytes(c.capacity_bytes), src("caches." + c.name)});
  }
  t.add_row({"efficiency matrix/vector/memory",
             fmt::format("{}/{}/{}", hw.efficiency.matrix, hw.efficiency.vector,
                         hw.efficiency.memory),
             src("efficiency")});
  for (const auto& [p, v] : hw.efficiency.matrix_by_precision) {
    t.add_row({"efficiency matrix " + p, fmt::format("{}", v),
               src("efficiency.matrix_by_precision." + p)});
  }
  t.add_row({"kernel launch", r::seconds(hw.kernel_launch_s), src("kernel_launch_s")});
  if (hw.graph_kernel_launch_s) {
    t.add_row({"kernel in a CUDA graph", r::seconds(*hw.graph_kernel_launch_s),
               src("graph_kernel_launch_s")});
  }
  if (hw.min_kernel_s > 0) {
    t.add_row({"minimum kernel time", r::seconds(hw.min_kernel_s), src("min_kernel_s")});
  }
  if (hw.host_link_bytes_per_s) {
    t.add_row({"host link", r::si(*hw.host_link_bytes_per_s) + "B/s", src("host_link_bytes_per_s")});
  }
  if (hw.host_cpu_scale != 1) {
    t.add_row({"host CPU scale", fmt::format("{}", hw.host_cpu_scale), src("host_cpu_scale")});
  }
  for (const auto& [p, v] : hw.energy_per_flop_j) {
    t.add_row({"energy per FLOP " + p, r::si(v * 1e12) + " pJ", src("energy_per_flop_j." + p)});
  }
  t.add_row({"energy per DRAM byte", r::si(hw.energy_per_dram_byte_j * 1e12) + " pJ",
             src("energy_per_dram_byte_j")});
  t.add_row({"static power", r::number(hw.static_power_w) + " W", src("static_power_w")});
  t.add_row({"TDP", r::number(hw.tdp_w) + " W", src("tdp_w")});
  for (const auto& [p, v] : hw.matrix_peak_flops_per_s) {
    if (auto rp = hw.ridge_point(p)) {
      t.add_row({"ridge point " + p, r::number(*rp) + " FLOP/B", "derived: peak×eff / (BW×eff)"});
    }
  }
  out += t.to_text();
  if (!hw.power_modes.empty()) {
    out += "\npower modes (select with ID:MODE):";
    for (const auto& m : hw.power_modes) {
      out += " " + m.name + (m.name == hw.active_power_mode ? " (active)" : "");
    }
    out += "\n";
  }
  for (const auto& n : hw.notes) out += "note: " + n + "\n";
  return out;
}

int list(const std::string& format) {
  auto reg = load_registry();
  if (!reg.ok()) return report_error(reg.error());
  if (format == "json") {
    json all = json::array();
    for (const auto& id : reg->ids()) {
      auto hw = reg->get(id);
      if (!hw.ok()) return report_error(hw.error());
      all.push_back(to_json(*hw));
    }
    auto w = write_output("", all.dump(2) + "\n");
    return w.ok() ? 0 : report_error(w.error());
  }
  r::Table t({"id", "name", "kind", ">fp32", ">fp16/bf16", ">int8", ">memory", ">bandwidth",
              ">TDP"});
  for (const auto& id : reg->ids()) {
    auto hw = reg->get(id);
    if (!hw.ok()) return report_error(hw.error());
    const auto& m = hw->matrix_peak_flops_per_s;
    std::string half = peak(m, "fp16");
    if (half == "-") half = peak(m, "bf16");
    t.add_row({id, hw->name, hw->kind, peak(m, "fp32"), half, peak(m, "int8"),
               r::bytes(hw->memory_bytes), r::si(hw->memory_bandwidth_bytes_per_s) + "B/s",
               r::number(hw->tdp_w) + " W"});
  }
  const std::string text = format == "md" ? t.to_markdown()
                                          : "peaks are dense matrix FLOP/s (int8: OP/s)\n" + t.to_text();
  auto w = write_output("", text);
  return w.ok() ? 0 : report_error(w.error());
}

int show(const std::string& id, const std::string& format) {
  auto reg = load_registry();
  if (!reg.ok()) return report_error(reg.error());
  auto hw = reg->get(id);
  if (!hw.ok()) return report_error(hw.error());
  auto w = write_output("", format == "json" ? to_json(*hw).dump(2) + "\n" : show_text(*hw));
  return w.ok() ? 0 : report_error(w.error());
}

}  // namespace

void add_hardware_command(CLI::App& app, CommandResult& result) {
  auto* cmd = app.add_subcommand("hardware", "list hardware targets or show one");
  cmd->require_subcommand(1);
  auto format = std::make_shared<std::string>("text");
  auto* ls = cmd->add_subcommand("list", "every target in the registry");
  ls->add_option("--format", *format, "text|json|md")
      ->check(CLI::IsMember({"text", "json", "md"}))
      ->capture_default_str();
  ls->callback([format, &result] { result.exit_status = list(*format); });
  auto id = std::make_shared<std::string>();
  auto* sh = cmd->add_subcommand("show", "every figure of one target, with its source");
  sh->add_option("id", *id, "hardware ID (ID:MODE for a power mode)")->required();
  sh->add_option("--format", *format, "text|json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  sh->callback([id, format, &result] { result.exit_status = show(*id, *format); });
}

}  // namespace graphs::cli
