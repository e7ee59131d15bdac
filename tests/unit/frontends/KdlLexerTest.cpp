//===- KdlLexerTest.cpp - Tokens of the .kiln language --------------------===//

#include "frontends/kdl/Lexer.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <string>
#include <vector>

using namespace kiln::kdl;

namespace {

/// The kinds of all tokens of `text` up to and including eof or an error,
/// and the messages of lexical errors.
struct Lexed {
  std::vector<Token::Kind> kinds;
  std::vector<std::string> texts;
  std::vector<std::string> errors;
};

Lexed lexAll(llvm::StringRef text) {
  Lexed result;
  Lexer lexer(text, [&](llvm::SMLoc loc, const llvm::Twine &message) {
    result.errors.push_back(std::to_string(loc.getPointer() - text.data()) +
                            ": " + message.str());
  });
  while (true) {
    Token token = lexer.lex();
    result.kinds.push_back(token.kind);
    result.texts.push_back(token.text.str());
    if (token.is(Token::eof) || token.is(Token::error)) {
      return result;
    }
  }
}

TEST(KdlLexer, RangeIsNotAFloat) {
  Lexed lexed = lexAll("0..L");
  EXPECT_THAT(lexed.kinds, testing::ElementsAre(Token::integer, Token::dot_dot,
                                                Token::identifier, Token::eof));
}

TEST(KdlLexer, NumbersAndKeywords) {
  Lexed lexed = lexAll("1e-12 2.5 for in if else true x_1");
  EXPECT_THAT(lexed.kinds, testing::ElementsAre(
                               Token::floating, Token::floating, Token::kw_for,
                               Token::kw_in, Token::kw_if, Token::kw_else,
                               Token::kw_true, Token::identifier, Token::eof));
}

TEST(KdlLexer, CommentsAreSkipped) {
  Lexed lexed = lexAll("a # one\n// two\n@ \"s#t\"");
  EXPECT_THAT(lexed.kinds, testing::ElementsAre(Token::identifier, Token::at,
                                                Token::string, Token::eof));
  EXPECT_EQ(lexed.texts[2], "\"s#t\"");
}

TEST(KdlLexer, CommentsEndAtALoneCarriageReturn) {
  Lexed lexed = lexAll("# one\ra\r\n# two\r\nb");
  EXPECT_THAT(lexed.texts, testing::ElementsAre("a", "b", ""));
}

TEST(KdlLexer, ByteOrderMarkIsSkippedOnlyWhenAsked) {
  llvm::StringRef text = "\xEF\xBB\xBFmodel";
  Lexer lexer(text, [](llvm::SMLoc, const llvm::Twine &) {});
  lexer.skipByteOrderMark();
  EXPECT_TRUE(lexer.lex().is(Token::kw_model));
  EXPECT_THAT(lexAll(text).errors,
              testing::ElementsAre("0: unexpected character byte 0xef"));
}

TEST(KdlLexer, Operators) {
  Lexed lexed = lexAll("-> == != <= >= ... %");
  EXPECT_THAT(lexed.kinds,
              testing::ElementsAre(Token::arrow, Token::equal_equal,
                                   Token::not_equal, Token::less_equal,
                                   Token::greater_equal, Token::ellipsis,
                                   Token::percent, Token::eof));
}

TEST(KdlLexer, UnterminatedString) {
  Lexed lexed = lexAll("x = \"abc\n");
  EXPECT_EQ(lexed.kinds.back(), Token::error);
  EXPECT_THAT(lexed.errors, testing::ElementsAre("4: unterminated string"));
}

TEST(KdlLexer, BadExponentAndSuffix) {
  EXPECT_THAT(
      lexAll("1e+").errors,
      testing::ElementsAre("0: expected digits in the exponent of a number"));
  EXPECT_THAT(lexAll("3px").errors,
              testing::ElementsAre("1: unexpected 'px' after a number"));
}

TEST(KdlLexer, StrayCharacters) {
  EXPECT_THAT(lexAll("a ! b").errors,
              testing::ElementsAre("2: unexpected character '!'; did you "
                                   "mean '!=' or 'not'?"));
  EXPECT_THAT(lexAll(std::string("a \x01")).errors,
              testing::ElementsAre("2: unexpected character byte 0x1"));
}

} // namespace
