// graphs ops [--format text|md|json]: every registered op with its class and FLOPs convention.
#include <nlohmann/json.hpp>

#include "graphs/cli/commands.h"
#include "graphs/ops/op_registry.h"
#include "graphs/report/table.h"

namespace graphs::cli {

void add_ops_command(CLI::App& app, CommandResult& result) {
  auto format = std::make_shared<std::string>("text");
  auto* cmd = app.add_subcommand("ops", "list supported ops with their counting conventions");
  cmd->add_option("--format", *format, "text|md|json")
      ->check(CLI::IsMember({"text", "md", "json"}))
      ->capture_default_str();
  cmd->callback([format, &result] {
    const auto ops = OpRegistry::global().all();
    std::string text;
    if (*format == "json") {
      nlohmann::json a = nlohmann::json::array();
      for (const auto* s : ops) {
        a.push_back({{"op_type", s->op_type}, {"domain", s->domain.empty() ? "ai.onnx" : s->domain},
                     {"op_class", to_string(s->op_class)}, {"flops", s->flops_note}});
      }
      text = a.dump(2) + "\n";
    } else {
      report::Table t({"op", "domain", "class", "FLOPs counted"});
      for (const auto* s : ops) {
        t.add_row({s->op_type, s->domain.empty() ? "ai.onnx" : s->domain,
                   std::string(to_string(s->op_class)), s->flops_note});
      }
      text = *format == "md" ? t.to_markdown() : t.to_text();
    }
    auto w = write_output("", text);
    result.exit_status = w.ok() ? 0 : report_error(w.error());
  });
}

}  // namespace graphs::cli
