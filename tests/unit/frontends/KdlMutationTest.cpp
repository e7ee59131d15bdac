//===- KdlMutationTest.cpp - Corrupted models must not crash --------------===//
//
// Feeds randomly corrupted copies of the zoo models (models/*.kiln) and of
// the language's lit tests to the importer: every input must either import into
// a module that verifies, or fail with at least one error located in the
// source. A crash, hang or unlocated error fails the test. KILN_KDL_MUTATIONS
// sets the number of mutants (default 300); KILN_KDL_SEED the first seed.
//
//===----------------------------------------------------------------------===//

#include "KdlFixture.h"

#include "mlir/IR/Verifier.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <random>

namespace {

/// The text of the zoo models and of the positive lit tests of the
/// language, which between them use every construct.
std::vector<std::string> seedModels() {
  std::vector<std::string> models;
  for (const char *dir : {KILN_SOURCE_DIR "/models",
                          KILN_SOURCE_DIR "/tests/lit/frontends/kdl"}) {
    std::error_code ec;
    for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec)) {
      if (llvm::sys::path::extension(it->path()) != ".kiln") {
        continue;
      }
      if (auto buffer = llvm::MemoryBuffer::getFile(it->path())) {
        models.push_back((*buffer)->getBuffer().str());
      }
    }
  }
  return models;
}

/// One random edit of `text`.
std::string mutate(std::string text, std::mt19937_64 &rng) {
  static const char *const pieces[] = {"(",
                                       ")",
                                       "[",
                                       "]",
                                       "{",
                                       "}",
                                       ",",
                                       ":",
                                       "=",
                                       "@",
                                       "\"",
                                       "#",
                                       ".",
                                       "..",
                                       "...",
                                       "-",
                                       "+",
                                       "*",
                                       "/",
                                       "%",
                                       "0",
                                       "1",
                                       "-1",
                                       "7",
                                       "1e-5",
                                       "99999999999999999999",
                                       "4611686018427387904",
                                       " ",
                                       "\n",
                                       "x",
                                       "D",
                                       "i",
                                       "for",
                                       "if",
                                       "else",
                                       "return",
                                       "param",
                                       "block",
                                       "model",
                                       "in",
                                       "not",
                                       "and",
                                       "{i}",
                                       "\"{",
                                       "}\"",
                                       "\\",
                                       "f32[",
                                       "i64",
                                       "linear(",
                                       "moe(",
                                       "attention(",
                                       "0..",
                                       "[]",
                                       "\x01"};
  auto position = [&](size_t size) {
    return size == 0 ? 0 : std::uniform_int_distribution<size_t>(0, size)(rng);
  };
  switch (std::uniform_int_distribution<int>(0, 5)(rng)) {
  case 0: { // Delete a span.
    size_t at = position(text.size());
    text.erase(at, std::uniform_int_distribution<size_t>(1, 12)(rng));
    break;
  }
  case 1: { // Insert a token-like piece.
    size_t at = position(text.size());
    text.insert(at, pieces[std::uniform_int_distribution<size_t>(
                        0, std::size(pieces) - 1)(rng)]);
    break;
  }
  case 2: { // Duplicate a span.
    size_t at = position(text.size());
    size_t length = std::uniform_int_distribution<size_t>(1, 80)(rng);
    text.insert(position(text.size()), text.substr(at, length));
    break;
  }
  case 3: { // Replace a digit run with another number.
    static const char *const numbers[] = {
        "0", "1", "3", "-2", "100000", "9223372036854775807"};
    size_t at = text.find_first_of("0123456789", position(text.size()));
    if (at != std::string::npos) {
      size_t end = text.find_first_not_of("0123456789", at);
      text.replace(at, end - at,
                   numbers[std::uniform_int_distribution<size_t>(
                       0, std::size(numbers) - 1)(rng)]);
    }
    break;
  }
  case 4: // Truncate.
    text.resize(position(text.size()));
    break;
  default: { // Swap two lines.
    size_t a = text.rfind('\n', position(text.size()));
    size_t b = text.rfind('\n', position(text.size()));
    if (a != std::string::npos && b != std::string::npos && a != b) {
      size_t aEnd = text.find('\n', a + 1), bEnd = text.find('\n', b + 1);
      std::string lineA = text.substr(a, aEnd - a);
      std::string lineB = text.substr(b, bEnd - b);
      if (a > b) {
        std::swap(a, b);
        std::swap(lineA, lineB);
      }
      text.replace(b, lineB.size(), lineA);
      text.replace(a, lineA.size(), lineB);
    }
    break;
  }
  }
  return text;
}

size_t fromEnvironment(const char *name, size_t defaultValue) {
  const char *value = std::getenv(name);
  return value ? std::strtoull(value, nullptr, 10) : defaultValue;
}

TEST(KdlMutation, CorruptedZooModelsFailCleanly) {
  std::vector<std::string> models = seedModels();
  ASSERT_FALSE(models.empty());
  size_t count = fromEnvironment("KILN_KDL_MUTATIONS", 300);
  uint64_t seed = fromEnvironment("KILN_KDL_SEED", 1);
  for (size_t n = 0; n < count; ++n) {
    std::mt19937_64 rng(seed + n);
    std::string text = models[n % models.size()];
    int edits = std::uniform_int_distribution<int>(1, 4)(rng);
    for (int e = 0; e < edits; ++e) {
      text = mutate(std::move(text), rng);
    }
    kiln::KdlOptions options;
    mlir::MLIRContext context;
    kiln::test::ImportResult result =
        kiln::test::importSource(context, text, options);
    if (result.succeeded()) {
      EXPECT_TRUE(mlir::succeeded(mlir::verify(*result.module)))
          << "seed " << seed + n << ":\n"
          << text;
      continue;
    }
    bool located = !result.diagnostics.empty();
    for (const kiln::test::Reported &reported : result.diagnostics) {
      located = located && !reported.where.empty() &&
                reported.where.find(":0:") == std::string::npos;
    }
    EXPECT_TRUE(located) << "seed " << seed + n << ": unlocated error '"
                         << result.firstError() << "' for:\n"
                         << text;
  }
}

} // namespace
