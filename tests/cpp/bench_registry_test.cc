// The conversion registry: names validated with did-you-mean, tiers, test-only entries hidden by
// default, and availability reasons from a probe.
#include <gtest/gtest.h>

#include <cstdlib>

#include "graphs/bench/availability.h"
#include "graphs/bench/conversion_registry.h"

namespace graphs::bench {
namespace {

const ConversionRegistry& reg() { return ConversionRegistry::global(); }

std::vector<std::string> names_of(const std::vector<const ConversionInfo*>& cs) {
  std::vector<std::string> out;
  for (const auto* c : cs) out.push_back(c->name);
  return out;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(BenchRegistryTest, EveryIssueConversionIsRegistered) {
  for (const char* n : {"EAGER", "BF16+EAGER", "FP16+EAGER", "JIT_TRACE", "TORCH_SCRIPT", "EXPORT+EAGER",
                        "COMPILE_INDUCTOR_DEFAULT", "COMPILE_INDUCTOR_REDUCE_OVERHEAD",
                        "COMPILE_INDUCTOR_MAX_AUTOTUNE", "EXPORT+AOT_INDUCTOR", "ONNX_CPU",
                        "COMPILE_OPENVINO", "OPENVINO_CPU", "ONNX_CPU_INT8_DYNAMIC", "PT2E_INT8_X86",
                        "COMPILE_CUDAGRAPHS", "ONNX_GPU", "ONNX_TENSORRT", "TORCH_TENSORRT"}) {
    const ConversionInfo* c = reg().find(n);
    ASSERT_NE(c, nullptr) << n;
    EXPECT_FALSE(c->description.empty()) << n;
    EXPECT_FALSE(c->devices.empty()) << n;
  }
}

TEST(BenchRegistryTest, UnknownNamesGetDidYouMean) {
  auto r = reg().resolve({"EAGER,COMPILE_INDUCTOR"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  const std::string& m = r.error().message();
  EXPECT_NE(m.find("unknown conversion 'COMPILE_INDUCTOR'; did you mean COMPILE_INDUCTOR_DEFAULT"),
            std::string::npos)
      << m;

  auto o = reg().resolve({"OPENVINO"});
  ASSERT_FALSE(o.ok());
  EXPECT_NE(o.error().message().find("COMPILE_OPENVINO"), std::string::npos) << o.error().message();
  EXPECT_NE(o.error().message().find("OPENVINO_CPU"), std::string::npos) << o.error().message();

  auto typo = reg().resolve({"EAGRE"});
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message().find("did you mean EAGER"), std::string::npos) << typo.error().message();
}

TEST(BenchRegistryTest, EveryUnknownNameIsReportedAtOnce) {
  auto r = reg().resolve({"FOO_BAR_BAZ", "EAGER", "onnx_cpu"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("'FOO_BAR_BAZ'"), std::string::npos);
  EXPECT_NE(r.error().message().find("'onnx_cpu'; did you mean ONNX_CPU"), std::string::npos)
      << r.error().message();
}

TEST(BenchRegistryTest, ResolveSplitsTrimsAndDeduplicates) {
  auto r = reg().resolve({" EAGER , ONNX_CPU", "EAGER"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(names_of(*r), (std::vector<std::string>{"EAGER", "ONNX_CPU"}));
  EXPECT_FALSE(reg().resolve({" , "}).ok());
}

TEST(BenchRegistryTest, TiersPerDeviceAndSource) {
  auto t1 = reg().tier(1, Device::kCpu, SourceKind::kTorch);
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(names_of(*t1), (std::vector<std::string>{"EAGER", "COMPILE_INDUCTOR_DEFAULT"}));

  const auto t2 = names_of(*reg().tier(2, Device::kCpu, SourceKind::kTorch));
  for (const char* n : {"EAGER", "COMPILE_INDUCTOR_DEFAULT", "EXPORT+AOT_INDUCTOR", "ONNX_CPU",
                        "COMPILE_OPENVINO", "OPENVINO_CPU"}) {
    EXPECT_TRUE(contains(t2, n)) << n;
  }
  EXPECT_FALSE(contains(t2, "ONNX_GPU"));
  EXPECT_FALSE(contains(t2, "JIT_TRACE"));

  const auto cuda2 = names_of(*reg().tier(2, Device::kCuda, SourceKind::kTorch));
  for (const char* n : {"FP16+EAGER", "COMPILE_CUDAGRAPHS", "ONNX_GPU", "ONNX_TENSORRT", "TORCH_TENSORRT"}) {
    EXPECT_TRUE(contains(cuda2, n)) << n;
  }
  EXPECT_FALSE(contains(cuda2, "ONNX_CPU"));

  const auto onnx3 = names_of(*reg().tier(3, Device::kCpu, SourceKind::kOnnx));
  EXPECT_EQ(onnx3, (std::vector<std::string>{"ONNX_CPU", "OPENVINO_CPU", "ONNX_CPU_INT8_DYNAMIC"}));
  EXPECT_FALSE(reg().tier(4, Device::kCpu, SourceKind::kTorch).ok());
}

TEST(BenchRegistryTest, TestConversionsOnlyWithTheEnvironmentVariable) {
  ::unsetenv("GRAPHS_TEST_CONVERSIONS");
  EXPECT_EQ(reg().find("TEST_HANG"), nullptr);
  EXPECT_FALSE(contains(reg().names(), "TEST_SLEEP"));
  ::setenv("GRAPHS_TEST_CONVERSIONS", "1", 1);
  EXPECT_NE(reg().find("TEST_HANG"), nullptr);
  EXPECT_TRUE(contains(reg().names(), "TEST_SEGFAULT"));
  EXPECT_FALSE(contains(names_of(*reg().tier(3, Device::kCpu, SourceKind::kTorch)), "TEST_SLEEP"));
  ::unsetenv("GRAPHS_TEST_CONVERSIONS");
}

ProbeResult cpu_probe() {
  auto p = ProbeResult::from_json(nlohmann::json::parse(R"({
    "type": "probe_result",
    "modules": {"torch": "2.14.1", "torchvision": "0.29.1", "onnx": "1.23.1",
                "onnxruntime": "1.30.0", "openvino": null, "triton": null,
                "torch_tensorrt": null, "tensorrt": null},
    "import_errors": {"tensorrt": "libnvinfer.so.10: cannot open shared object file"},
    "cuda_available": false, "cuda_device_count": 0, "cuda_device_name": null,
    "ort_providers": ["CPUExecutionProvider"], "openvino_devices": [], "torch_num_threads": 2})"));
  EXPECT_TRUE(p.ok());
  return *p;
}

TEST(BenchRegistryTest, AvailabilityReasonsNameTheFix) {
  const ProbeResult p = cpu_probe();
  auto avail = [&](const char* name, SourceKind s = SourceKind::kTorch, Device d = Device::kCpu) {
    return availability(*reg().find(name), s, d, p);
  };
  EXPECT_TRUE(avail("EAGER").available());
  EXPECT_TRUE(avail("COMPILE_INDUCTOR_DEFAULT").available());  // no Triton needed on CPU
  EXPECT_TRUE(avail("ONNX_CPU").available());

  const Availability ov = avail("OPENVINO_CPU");
  EXPECT_EQ(ov.status, AvailabilityStatus::kUnavailable);
  EXPECT_EQ(ov.reason, "package openvino missing (pip install openvino)");

  const Availability trt = avail("TORCH_TENSORRT");
  EXPECT_NE(trt.reason.find("pip install torch-tensorrt"), std::string::npos) << trt.reason;
  EXPECT_NE(trt.reason.find("libnvinfer"), std::string::npos) << trt.reason;

  const Availability gpu = avail("ONNX_GPU");
  EXPECT_EQ(gpu.status, AvailabilityStatus::kUnavailable);
  EXPECT_NE(gpu.reason.find("no CUDA device"), std::string::npos) << gpu.reason;

  const Availability inductor_cuda = avail("COMPILE_INDUCTOR_DEFAULT", SourceKind::kTorch, Device::kCuda);
  EXPECT_NE(inductor_cuda.reason.find("triton missing"), std::string::npos) << inductor_cuda.reason;

  const Availability onnx = avail("EAGER", SourceKind::kOnnx);
  EXPECT_EQ(onnx.status, AvailabilityStatus::kNotApplicable);
  EXPECT_NE(onnx.reason.find("not applicable to an ONNX source"), std::string::npos);
  // An .onnx source needs neither torch nor onnx for ONNX Runtime.
  ProbeResult no_torch = p;
  no_torch.modules["torch"] = std::nullopt;
  EXPECT_TRUE(availability(*reg().find("ONNX_CPU"), SourceKind::kOnnx, Device::kCpu, no_torch).available());
  EXPECT_FALSE(availability(*reg().find("ONNX_CPU"), SourceKind::kTorch, Device::kCpu, no_torch).available());
}

TEST(BenchRegistryTest, ExecutionProviderMustExist) {
  ProbeResult p = cpu_probe();
  p.cuda_available = true;
  const Availability a = availability(*reg().find("ONNX_GPU"), SourceKind::kTorch, Device::kCpu, p);
  EXPECT_EQ(a.status, AvailabilityStatus::kUnavailable);
  EXPECT_EQ(a.reason, "onnxruntime has no CUDAExecutionProvider (pip install onnxruntime-gpu)");
}

TEST(BenchRegistryTest, PinnedConversionsRunOnTheirDevice) {
  EXPECT_EQ(reg().find("ONNX_GPU")->device_for(Device::kCpu), Device::kCuda);
  EXPECT_EQ(reg().find("ONNX_CPU")->device_for(Device::kCuda), Device::kCpu);
  EXPECT_EQ(reg().find("EAGER")->device_for(Device::kCuda), Device::kCuda);
}

}  // namespace
}  // namespace graphs::bench
