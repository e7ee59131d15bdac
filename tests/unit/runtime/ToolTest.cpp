//===- ToolTest.cpp - kiln-run and kiln-inspect from the outside ----------===//

#include "JsonReader.h"
#include "TestArtifact.h"
#include "ToolProcess.h"

#include "runtime/Npy.h"

#include <gtest/gtest.h>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

class ToolTest : public testing::Test {
protected:
  void SetUp() override {
    model = dir.file("m.kbin");
    ASSERT_TRUE(addScaleModel(16).write(model).ok());
  }
  TempDir dir;
  std::string model;
};

TEST_F(ToolTest, RunPrintsOutputsAndTiming) {
  ToolResult r = runKilnRun(model + " --threads 2 --repeat 3 --seed 5");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("y: f32[16] = ["), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("doubled: f32[16] = ["), std::string::npos);
  EXPECT_NE(r.output.find("over 3 runs after 1 warm-up (2 threads)"),
            std::string::npos)
      << r.output;
}

TEST_F(ToolTest, RunWritesOutputsAndIsReproducible) {
  for (const char *sub : {"a", "b"}) {
    ToolResult r =
        runKilnRun(model + " --seed 42 --inline --output-dir " + dir.file(sub));
    ASSERT_EQ(r.exitCode, 0) << r.output;
  }
  StatusOr<Tensor> a = readNpy(dir.file("a/y.npy"));
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(readFileBytes(dir.file("a/y.npy")),
            readFileBytes(dir.file("b/y.npy")));
  // Random inputs lie in [-1, 1): y = 2 (x + c) + 1 with c[0] = 0.
  float y0 = a->dataAs<float>()[0];
  EXPECT_GE(y0, -1.0f);
  EXPECT_LT(y0, 3.0f);
}

TEST_F(ToolTest, RunFeedsInputsFromNpy) {
  Tensor x = std::move(Tensor::create(DType::F32, {16})).value();
  for (int i = 0; i < 16; ++i) {
    x.dataAs<float>()[i] = static_cast<float>(i);
  }
  ASSERT_TRUE(writeNpy(dir.file("x.npy"), x.view()).ok());
  ToolResult r = runKilnRun(model + " --input x=" + dir.file("x.npy") +
                            " --output-dir=" + dir.path());
  ASSERT_EQ(r.exitCode, 0) << r.output;
  EXPECT_NE(r.output.find("y: f32[16] = [1, 4, 7, 10, 13, 16, 19, 22, ...]"),
            std::string::npos)
      << r.output;
  StatusOr<Tensor> doubled = readNpy(dir.file("doubled.npy"));
  ASSERT_TRUE(doubled.ok());
  EXPECT_EQ(doubled->dataAs<float>()[15], 30.0f);
}

TEST_F(ToolTest, RunReportsMissingFile) {
  ToolResult r = runKilnRun(dir.file("missing.kbin"));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("kiln-run: error: cannot open '" +
                          dir.file("missing.kbin") + "'"),
            std::string::npos)
      << r.output;
}

TEST_F(ToolTest, RunReportsCorruptArtifact) {
  std::vector<uint8_t> bytes = readFileBytes(model);
  bytes.resize(bytes.size() / 2);
  writeFileBytes(model, bytes);
  ToolResult r = runKilnRun(model);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("kiln-run: error: "), std::string::npos);
  EXPECT_NE(r.output.find("truncated"), std::string::npos) << r.output;
}

TEST_F(ToolTest, RunRejectsBadInputSpecs) {
  ToolResult r = runKilnRun(model + " --input x");
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_NE(r.output.find("bad --input 'x': expected NAME=FILE"),
            std::string::npos)
      << r.output;
  r = runKilnRun(model + " --input nope=" + dir.file("x.npy"));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("no input of that name (inputs: x)"),
            std::string::npos)
      << r.output;
  r = runKilnRun(model + " --input x=" + dir.file("missing.npy"));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("missing.npy"), std::string::npos) << r.output;
}

TEST_F(ToolTest, RunRejectsWrongInputShape) {
  Tensor x = std::move(Tensor::create(DType::F32, {17})).value();
  ASSERT_TRUE(writeNpy(dir.file("x.npy"), x.view()).ok());
  ToolResult r = runKilnRun(model + " --input x=" + dir.file("x.npy"));
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("input 'x': expected f32[16], got f32[17]"),
            std::string::npos)
      << r.output;
}

TEST_F(ToolTest, RunUsageErrorsExitWithTwo) {
  for (const std::string &args :
       {std::string("--frobnicate ") + model, model + " --threads",
        model + " --threads 0", model + " --repeat x", std::string()}) {
    ToolResult r = runKilnRun(args);
    EXPECT_EQ(r.exitCode, 2) << args << "\n" << r.output;
    EXPECT_NE(r.output.find("usage: kiln-run"), std::string::npos);
  }
  EXPECT_EQ(runKilnRun("--help").exitCode, 0);
}

TEST_F(ToolTest, InspectDescribesTheArtifact) {
  ToolResult r = runKilnInspect(model);
  ASSERT_EQ(r.exitCode, 0) << r.output;
  for (const char *needle :
       {"model        add_scale", "x86_64-unknown-linux-gnu", "region 1",
        "#2 scale: kiln_test_scale, grid [2,2,2]",
        "root kiln.scale at models/add_scale.kiln:5:7",
        "binding 0: arena [64, +64)", "c                    f32[16], 64 B",
        "arena        128 B", "3 dispatches in 2 regions, 19 workgroups"}) {
    EXPECT_NE(r.output.find(needle), std::string::npos)
        << "missing '" << needle << "' in\n"
        << r.output;
  }
}

TEST_F(ToolTest, InspectEmitsJson) {
  ToolResult r = runKilnInspect(model + " --json");
  ASSERT_EQ(r.exitCode, 0) << r.output;
  for (const char *needle :
       {"\"model_name\": \"add_scale\"", "\"arena_size\": 128",
        "\"name\": \"scale\", \"region\": 1", "\"grid\": [2, 2, 2]",
        "\"kind\": \"arena\", \"index\": 0, \"offset\": 64, \"size\": 64",
        "\"runnable_on_host\": true"}) {
    EXPECT_NE(r.output.find(needle), std::string::npos)
        << "missing '" << needle << "' in\n"
        << r.output;
  }
  std::string error;
  std::optional<JsonValue> json = parseJson(r.output, error);
  ASSERT_TRUE(json.has_value()) << error << "\n" << r.output;
  const JsonValue *dispatches = json->get("dispatches");
  ASSERT_TRUE(dispatches && dispatches->kind == JsonValue::Kind::Array);
  ASSERT_EQ(dispatches->array.size(), 3u);
  EXPECT_EQ(dispatches->array[2].get("root_op")->string, "kiln.scale");
}

TEST_F(ToolTest, InspectReportsErrors) {
  std::vector<uint8_t> bytes = readFileBytes(model);
  bytes[0] = 'X';
  writeFileBytes(model, bytes);
  ToolResult r = runKilnInspect(model);
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_NE(r.output.find("kiln-inspect: error: "), std::string::npos);
  EXPECT_NE(r.output.find("bad magic"), std::string::npos);
  EXPECT_EQ(runKilnInspect("").exitCode, 2);
}

} // namespace
