// graphs ops [--format text|md|json]: every registered (domain, op) with its class, the opset
// versions it is supported at (OpRegistry::opset_range) and its FLOPs convention.
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
        const OpsetRange r = OpRegistry::opset_range(*s);
        nlohmann::json since = r.known() ? nlohmann::json(r.since) : nlohmann::json(nullptr);
        nlohmann::json last = r.known() ? nlohmann::json(r.last) : nlohmann::json(nullptr);
        a.push_back({{"op_type", s->op_type}, {"domain", s->domain.empty() ? "ai.onnx" : s->domain},
                     {"op_class", to_string(s->op_class)}, {"opset_since", since},
                     {"opset_last", last}, {"flops", s->flops_note}});
      }
      text = a.dump(2) + "\n";
    } else {
      report::Table t({"op", "domain", "class", "opsets", "FLOPs counted"});
      for (const auto* s : ops) {
        t.add_row({s->op_type, s->domain.empty() ? "ai.onnx" : s->domain,
                   std::string(to_string(s->op_class)), OpRegistry::opset_range(*s).to_string(),
                   s->flops_note});
      }
      text = *format == "md" ? t.to_markdown() : t.to_text();
    }
    auto w = write_output("", text);
    result.exit_status = w.ok() ? 0 : report_error(w.error());
  });
}

}  // namespace graphs::cli
