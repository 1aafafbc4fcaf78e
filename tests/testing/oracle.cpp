#include "testing/oracle.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "testing/testing.h"

namespace tpulab::testing {

namespace fs = std::filesystem;

namespace {

// Generous: a big model on built-in kernels takes seconds, and the test machine is shared.
constexpr int kTimeoutSeconds = 600;

fs::path oracle_dir() { return source_dir() / "tools" / "oracle"; }

// The venv ./run setup makes (python/requirements.txt pins ai-edge-litert); TPULAB_ORACLE_PYTHON
// points elsewhere.
fs::path oracle_python() {
  if (const char* p = std::getenv("TPULAB_ORACLE_PYTHON"); p != nullptr && *p != '\0') return p;
  return source_dir() / "build" / "venv" / "bin" / "python";
}

// Fills inputs/outputs/ms_per_inference from the oracle's JSON report.
void parse_report(const std::string& text, OracleResult& result) {
  const auto report = nlohmann::json::parse(text);
  auto tensors = [](const nlohmann::json& list) {
    std::vector<OracleTensor> out;
    for (const auto& t : list) {
      out.push_back({t.at("name").get<std::string>(),
                     t.at("shape").get<std::vector<int>>(),
                     t.at("dtype").get<std::string>(),
                     {}});
    }
    return out;
  };
  result.inputs = tensors(report.at("inputs"));
  result.outputs = tensors(report.at("outputs"));
  result.ms_per_inference = report.value("ms_per_inference", 0.0);
}

// Runs the LiteRT oracle (or, with `wasm`, oracle.mjs) with `args`; on success parses its
// report, else keeps its stderr as error. Both speak the same command line and report.
OracleResult invoke(const std::vector<std::string>& args, bool wasm = false) {
  std::vector<std::string> argv =
      wasm ? std::vector<std::string>{"node", (oracle_dir() / "oracle.mjs").string()}
           : std::vector<std::string>{oracle_python().string(),
                                      (oracle_dir() / "litert_oracle.py").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  const CommandResult cmd = run_command(argv, kTimeoutSeconds);
  OracleResult result;
  if (cmd.exit_code != 0) {
    result.error =
        cmd.err.empty() ? "oracle exited with code " + std::to_string(cmd.exit_code) : cmd.err;
    return result;
  }
  try {
    parse_report(cmd.out, result);
  } catch (const nlohmann::json::exception& e) {
    result.error = std::string("cannot parse the oracle's report: ") + e.what() + "\n" + cmd.out;
    return result;
  }
  result.ok = true;
  return result;
}

}  // namespace

bool oracle_available() {
  // Checked once per test binary: it imports LiteRT.
  static const bool available = [] {
    std::error_code ec;
    if (!fs::is_regular_file(oracle_python(), ec) ||
        !fs::is_regular_file(oracle_dir() / "litert_oracle.py", ec))
      return false;
    return run_command({oracle_python().string(), "-c", "import ai_edge_litert.interpreter"}, 60)
               .exit_code == 0;
  }();
  return available;
}

bool wasm_oracle_available() {
  static const bool available = [] {
    std::error_code ec;
    const fs::path package = oracle_dir() / "node_modules" / "@tensorflow" / "tfjs-tflite" / "wasm";
    if (!fs::is_directory(package, ec) || !fs::is_regular_file(oracle_dir() / "oracle.mjs", ec))
      return false;
    return run_command({"node", "--version"}, 30).exit_code == 0;
  }();
  return available;
}

namespace {

OracleResult run_on(const fs::path& model, const std::vector<std::vector<uint8_t>>& inputs,
                    bool xnnpack, bool wasm) {
  TempDir dir;
  std::string input_list;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const fs::path file = dir / ("input_" + std::to_string(i) + ".bin");
    write_bytes(file, inputs[i]);
    input_list += (i ? "," : "") + file.string();
  }
  // --output-dir: the number of outputs is only known once the model is loaded.
  std::vector<std::string> args = {"run",      "--model",      model.string(),     "--input-raw",
                                   input_list, "--output-dir", dir.path().string()};
  if (xnnpack) args.push_back("--xnnpack");
  OracleResult result = invoke(args, wasm);
  if (!result.ok) return result;
  for (size_t i = 0; i < result.inputs.size() && i < inputs.size(); ++i)
    result.inputs[i].bytes = inputs[i];
  for (size_t i = 0; i < result.outputs.size(); ++i)
    result.outputs[i].bytes = read_bytes(dir / ("output_" + std::to_string(i) + ".bin"));
  return result;
}

}  // namespace

OracleResult oracle_run(const fs::path& model, const std::vector<std::vector<uint8_t>>& inputs,
                        bool xnnpack) {
  return run_on(model, inputs, xnnpack, /*wasm=*/false);
}

OracleResult wasm_oracle_run(const fs::path& model,
                             const std::vector<std::vector<uint8_t>>& inputs) {
  return run_on(model, inputs, /*xnnpack=*/false, /*wasm=*/true);
}

OracleResult oracle_info(const fs::path& model) {
  return invoke({"info", "--model", model.string()});
}

}  // namespace tpulab::testing
