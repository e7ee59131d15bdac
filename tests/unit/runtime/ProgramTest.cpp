//===- ProgramTest.cpp - Loading artifacts --------------------------------===//

#include "TestArtifact.h"

#include "runtime/Program.h"
#include "runtime/Session.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

using namespace kiln::rt;
using namespace kiln::rt::test;

namespace {

/// Lines of /proc/self/maps that contain `needle`.
std::vector<std::string> mapsLines(const std::string &needle) {
  std::ifstream maps("/proc/self/maps");
  std::vector<std::string> lines;
  for (std::string line; std::getline(maps, line);) {
    if (line.find(needle) != std::string::npos) {
      lines.push_back(line);
    }
  }
  return lines;
}

size_t openFdCount() {
  size_t count = 0;
  for ([[maybe_unused]] const auto &entry :
       std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

TEST(ProgramTest, LoadsTheSignatureAndSchedule) {
  TempDir dir;
  ASSERT_TRUE(addScaleModel(100).write(dir.file("m.kbin")).ok());
  StatusOr<std::shared_ptr<const Program>> program =
      Program::load(dir.file("m.kbin"));
  ASSERT_TRUE(program.ok()) << program.status().message();
  const Program &p = **program;
  ASSERT_EQ(p.inputs().size(), 1u);
  EXPECT_EQ(p.inputs()[0].name, "x");
  EXPECT_EQ(p.inputs()[0].shape, std::vector<int64_t>{100});
  EXPECT_EQ(p.inputs()[0].byteSize, 400u);
  ASSERT_EQ(p.outputs().size(), 2u);
  EXPECT_EQ(p.outputs()[1].name, "doubled");
  EXPECT_EQ(p.info().modelName, "add_scale");
  EXPECT_EQ(p.info().dispatches.size(), 3u);
  EXPECT_EQ(p.info().dispatches[2].workgroupCount, 8u);
  EXPECT_EQ(p.info().regions.size(), 2u);
  EXPECT_EQ(p.info().executables[0].exports.size(), 6u);
  EXPECT_EQ(p.info().arenaSize, 464u);
}

TEST(ProgramTest, MissingFileIsNamed) {
  StatusOr<std::shared_ptr<const Program>> program =
      Program::load("/nonexistent/model.kbin");
  ASSERT_FALSE(program.ok());
  EXPECT_EQ(program.status().getCode(), StatusCode::IoError);
  EXPECT_NE(
      program.status().message().find("cannot open '/nonexistent/model.kbin'"),
      std::string::npos);
}

TEST(ProgramTest, WeightsAreBoundInPlaceFromTheMapping) {
  TempDir dir;
  TestArtifact a = addScaleModel(16);
  a.outputs = {{"address", DType::I64, {1}}};
  a.dispatches = {
      {"where",
       0,
       kAddress,
       {1, 1, 1},
       {{BindingKind::Constant, 0, 8, 16}, {BindingKind::Output, 0, 0, 8}}}};
  a.regions = {{0}};
  std::string path = dir.file("m.kbin");
  ASSERT_TRUE(a.write(path).ok());
  StatusOr<std::shared_ptr<const Program>> program = Program::load(path);
  ASSERT_TRUE(program.ok()) << program.status().message();
  StatusOr<std::unique_ptr<Session>> session =
      Session::create(*program, {1, true});
  ASSERT_TRUE(session.ok());
  StatusOr<Tensor> x = Tensor::create(DType::F32, {16});
  StatusOr<Tensor> address = Tensor::create(DType::I64, {1});
  MutableTensorView out = address->mutableView();
  ASSERT_TRUE((*session)->run({x->view()}, {&out, 1}).ok());
  uint64_t bound = static_cast<uint64_t>(address->dataAs<int64_t>()[0]);

  // The address lies in a read-only mapping of the artifact file itself.
  const ArtifactInfo &info = (*program)->info();
  bool found = false;
  for (const std::string &line : mapsLines(path)) {
    std::istringstream fields(line);
    std::string range, perms, offsetText;
    fields >> range >> perms >> offsetText;
    uint64_t begin = std::stoull(range.substr(0, range.find('-')), nullptr, 16);
    uint64_t end = std::stoull(range.substr(range.find('-') + 1), nullptr, 16);
    uint64_t fileOffset = std::stoull(offsetText, nullptr, 16);
    if (bound >= begin && bound < end) {
      found = true;
      EXPECT_EQ(perms[1], '-') << "weights must not be writable";
      EXPECT_EQ(bound - begin + fileOffset,
                info.file.dataOffset + info.constants[0].offset + 8);
    }
  }
  EXPECT_TRUE(found) << "constant bound outside the file mapping";
}

TEST(ProgramTest, ExecutablesAreUnloadedWithTheProgram) {
  TempDir dir;
  ASSERT_TRUE(addScaleModel(16).write(dir.file("m.kbin")).ok());
  size_t fdsBefore = openFdCount();
  size_t mapsBefore = mapsLines("memfd:executable 0").size();
  {
    StatusOr<std::shared_ptr<const Program>> program =
        Program::load(dir.file("m.kbin"));
    ASSERT_TRUE(program.ok()) << program.status().message();
    EXPECT_GT(mapsLines("memfd:executable 0").size(), mapsBefore);
    EXPECT_EQ(openFdCount(), fdsBefore + 1); // The memfd stays open.
  }
  EXPECT_EQ(mapsLines("memfd:executable 0").size(), mapsBefore);
  EXPECT_EQ(openFdCount(), fdsBefore);
}

TEST(ProgramTest, TwoProgramsFromOneFileAreIndependent) {
  TempDir dir;
  ASSERT_TRUE(addScaleModel(16).write(dir.file("m.kbin")).ok());
  auto first = Program::load(dir.file("m.kbin"));
  auto second = Program::load(dir.file("m.kbin"));
  ASSERT_TRUE(first.ok() && second.ok());
  first = Status(StatusCode::Internal, "dropped");
  StatusOr<std::unique_ptr<Session>> session = Session::create(*second);
  ASSERT_TRUE(session.ok());
  StatusOr<Tensor> x = Tensor::create(DType::F32, {16});
  StatusOr<std::vector<Tensor>> outputs = (*session)->allocateOutputs();
  std::vector<MutableTensorView> views;
  for (Tensor &t : *outputs) {
    views.push_back(t.mutableView());
  }
  EXPECT_TRUE((*session)->run({x->view()}, views).ok());
  EXPECT_EQ((*outputs)[0].dataAs<float>()[3], 2 * 1.5f + 1);
}

TEST(ProgramTest, InspectionNeedsNoRunnableHost) {
  TempDir dir;
  TestArtifact a = addScaleModel(16);
  a.features = {"not-a-real-feature"};
  ASSERT_TRUE(a.write(dir.file("m.kbin")).ok());
  StatusOr<ArtifactInfo> info = readArtifactInfoFile(dir.file("m.kbin"));
  ASSERT_TRUE(info.ok()) << info.status().message();
  EXPECT_EQ(info->target.features[0], "not-a-real-feature");
  EXPECT_FALSE(Program::load(dir.file("m.kbin")).ok());
}

} // namespace
