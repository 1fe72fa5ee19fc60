#include "graphs/hardware/registry.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "graphs/common/suggest.h"
#include "graphs/hardware/hardware_spec.h"
#include "graphs/hardware/host.h"

namespace graphs {
namespace {

namespace fs = std::filesystem;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string stem_of(const std::string& file_name) {
  return fs::path(file_name).stem().string();
}

Status check_file_name(const HardwareModel& model, const std::string& file_name) {
  if (stem_of(file_name) == model.id) return ok_status();
  return make_error(ErrorCode::kParseError, file_name, ": id: '", model.id,
                    "' does not match the file name; name the file '", model.id, ".yaml'");
}

struct YamlFile {
  std::string path;
  std::string text;
};

// Every *.yaml file in `directory`, sorted by name.
Result<std::vector<YamlFile>> yaml_files_in(const std::string& directory) {
  std::error_code ec;
  if (!fs::is_directory(directory, ec)) {
    return make_error(ErrorCode::kNotFound, "hardware directory '", directory, "' does not exist");
  }
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(directory, ec)) {
    if (entry.path().extension() == ".yaml" && entry.is_regular_file(ec)) {
      paths.push_back(entry.path().string());
    }
  }
  if (ec) {
    return make_error(ErrorCode::kIoError, "cannot list hardware directory '", directory, "': ",
                      ec.message());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<YamlFile> files;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) {
      return make_error(ErrorCode::kIoError, "cannot read hardware file '", path, "'");
    }
    files.push_back({path, text.str()});
  }
  return files;
}

HostProvider& host_provider() {
  static HostProvider provider = [](std::vector<std::string>*) { return detect_host(); };
  return provider;
}
}  // namespace

void set_host_provider(HostProvider provider) { host_provider() = std::move(provider); }

Result<HardwareModel> HardwareRegistry::parse_yaml(std::string_view yaml,
                                                   const std::string& file_name) {
  GRAPHS_ASSIGN_OR_RETURN(HardwareSpec spec, parse_hardware_spec(yaml, file_name));
  return resolve_hardware_spec(spec);
}

Status HardwareRegistry::add_yaml(std::string_view yaml, const std::string& file_name,
                                  bool replace) {
  GRAPHS_ASSIGN_OR_RETURN(HardwareModel model, parse_yaml(yaml, file_name));
  return add_model(std::move(model), replace);
}

Status HardwareRegistry::add_directory(const std::string& directory, bool replace) {
  GRAPHS_ASSIGN_OR_RETURN(std::vector<YamlFile> files, yaml_files_in(directory));
  for (const auto& file : files) {
    GRAPHS_ASSIGN_OR_RETURN(HardwareModel model, parse_yaml(file.text, file.path));
    GRAPHS_RETURN_IF_ERROR(check_file_name(model, file.path));
    GRAPHS_RETURN_IF_ERROR(add_model(std::move(model), replace));
  }
  return ok_status();
}

Status HardwareRegistry::add_model(HardwareModel model, bool replace) {
  const auto existing = models_.find(model.id);
  if (existing != models_.end()) {
    if (!replace) {
      return make_error(ErrorCode::kInvalidArgument, model.origin, ": id: hardware '", model.id,
                        "' is already defined by ", existing->second.origin);
    }
    model.notes.push_back("replaces the definition from " + existing->second.origin);
  }
  add(std::move(model));
  return ok_status();
}

void HardwareRegistry::add(HardwareModel model) {
  if (model.id == "host") host_error_.reset();
  const std::string id = model.id;
  models_[id] = std::move(model);
}

Result<HardwareRegistry> HardwareRegistry::load_default() {
  HardwareRegistry registry;
  for (const auto& [name, yaml] : detail::embedded_hardware_files()) {
    const std::string file_name(name);
    GRAPHS_ASSIGN_OR_RETURN(HardwareModel model, parse_yaml(yaml, file_name));
    GRAPHS_RETURN_IF_ERROR(check_file_name(model, file_name));
    model.origin = "embedded:" + file_name;
    if (registry.models_.count(model.id)) {
      return make_error(ErrorCode::kInternal, "embedded hardware '", model.id, "' defined twice");
    }
    registry.models_[model.id] = std::move(model);
  }

  auto host = host_provider()(&registry.warnings_);
  if (host.ok()) {
    registry.models_["host"] = std::move(host).value();
  } else {
    registry.host_error_ = std::move(host).error().with_context("cannot detect hardware 'host'");
  }

  const char* path = std::getenv("GRAPHS_HARDWARE_PATH");
  if (path == nullptr || *path == '\0') return registry;
  std::map<std::string, std::string> user_origin;  // id → file, to refuse two user definitions
  std::stringstream dirs(path);
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    auto files = yaml_files_in(dir);
    if (!files.ok()) return std::move(files).error().with_context("GRAPHS_HARDWARE_PATH");
    for (const auto& file : *files) {
      GRAPHS_ASSIGN_OR_RETURN(HardwareModel model, parse_yaml(file.text, file.path));
      GRAPHS_RETURN_IF_ERROR(check_file_name(model, file.path));
      const auto [it, inserted] = user_origin.emplace(model.id, file.path);
      if (!inserted) {
        return make_error(ErrorCode::kInvalidArgument, "hardware '", model.id,
                          "' is defined twice in GRAPHS_HARDWARE_PATH: ", it->second, " and ",
                          file.path);
      }
      GRAPHS_RETURN_IF_ERROR(registry.add_model(std::move(model), /*replace=*/true));
    }
  }
  return registry;
}

Result<HardwareModel> HardwareRegistry::get(const std::string& id) const {
  const std::string key = lower(id);
  const auto colon = key.find(':');
  const std::string base = key.substr(0, colon);
  const auto it = models_.find(base);
  if (it == models_.end()) {
    if (base == "host" && host_error_) return *host_error_;
    return Error(ErrorCode::kNotFound, unknown_name_message("hardware", id, ids()));
  }
  if (colon == std::string::npos) return it->second;
  return apply_power_mode(it->second, key.substr(colon + 1));
}

std::vector<std::string> HardwareRegistry::ids() const {
  std::vector<std::string> out;
  for (const auto& [id, model] : models_) {
    out.push_back(id);
    for (const auto& mode : model.power_modes) out.push_back(id + ":" + mode.name);
  }
  if (host_error_ && !models_.count("host")) out.push_back("host");
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace graphs
