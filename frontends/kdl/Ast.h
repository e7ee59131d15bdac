//===- Ast.h - Syntax tree of the .kiln language ----------------*- C++ -*-===//
//
// What the parser produces and the elaborator walks. Every node keeps the
// source position of the token a diagnostic about it should point at (the
// operator of a binary expression, the name of a call). Names are
// StringRefs into the source buffers, which the SourceMgr keeps alive.
//
//===----------------------------------------------------------------------===//

#ifndef KILN_FRONTENDS_KDL_AST_H
#define KILN_FRONTENDS_KDL_AST_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Casting.h"
#include "llvm/Support/SMLoc.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kiln::kdl {

//===----------------------------------------------------------------------===//
// Expressions
//===----------------------------------------------------------------------===//

/// The base of expression nodes (LLVM-style RTTI on `getKind`).
class Expr {
public:
  enum class Kind { Int, Float, Bool, String, Name, List, Unary, Binary, Call };
  virtual ~Expr() = default;
  Kind getKind() const { return kind; }
  llvm::SMLoc getLoc() const { return loc; }

  /// The height of the tree below this node (1 for a leaf); the parser
  /// bounds it so that nothing recursing over the tree can overflow.
  unsigned height = 1;

protected:
  Expr(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}

private:
  Kind kind;
  llvm::SMLoc loc;
};
using ExprPtr = std::unique_ptr<Expr>;

/// An integer literal.
struct IntExpr : Expr {
  IntExpr(llvm::SMLoc loc, int64_t value)
      : Expr(Kind::Int, loc), value(value) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Int; }
  int64_t value;
};

/// A floating-point literal.
struct FloatExpr : Expr {
  FloatExpr(llvm::SMLoc loc, double value)
      : Expr(Kind::Float, loc), value(value) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Float; }
  double value;
};

/// `true` or `false`.
struct BoolExpr : Expr {
  BoolExpr(llvm::SMLoc loc, bool value) : Expr(Kind::Bool, loc), value(value) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Bool; }
  bool value;
};

/// A string literal; `{expr}` pieces are formatted in when it is evaluated.
struct StringExpr : Expr {
  /// Literal text (escapes decoded), or an expression when `expr` is set.
  struct Piece {
    std::string text;
    ExprPtr expr;
  };
  explicit StringExpr(llvm::SMLoc loc) : Expr(Kind::String, loc) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::String; }
  std::vector<Piece> pieces;
};

/// A reference to a variable, or a bare enum word such as `causal`.
struct NameExpr : Expr {
  NameExpr(llvm::SMLoc loc, llvm::StringRef name)
      : Expr(Kind::Name, loc), name(name) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Name; }
  llvm::StringRef name;
};

/// `[a, b, c]`: a shape, a permutation, a list of tensors or of layers.
struct ListExpr : Expr {
  explicit ListExpr(llvm::SMLoc loc) : Expr(Kind::List, loc) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::List; }
  std::vector<ExprPtr> elements;
};

/// `-x` or `not x`; located at the operator.
struct UnaryExpr : Expr {
  enum class Op { Neg, Not };
  UnaryExpr(llvm::SMLoc loc, Op op, ExprPtr operand)
      : Expr(Kind::Unary, loc), op(op), operand(std::move(operand)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Unary; }
  Op op;
  ExprPtr operand;
};

/// An infix operation; located at the operator.
struct BinaryExpr : Expr {
  enum class Op {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    In
  };
  BinaryExpr(llvm::SMLoc loc, Op op, ExprPtr lhs, ExprPtr rhs)
      : Expr(Kind::Binary, loc), op(op), lhs(std::move(lhs)),
        rhs(std::move(rhs)) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Binary; }
  /// The operator as written, for diagnostics.
  static llvm::StringRef spelling(Op op);
  Op op;
  ExprPtr lhs, rhs;
};

/// One argument of a call, positional when `name` is empty.
struct Argument {
  llvm::StringRef name;
  llvm::SMLoc nameLoc;
  ExprPtr value;
};

/// `callee(args) @ "scope"`, of a built-in or a block; located at the
/// callee's name.
struct CallExpr : Expr {
  CallExpr(llvm::SMLoc loc, llvm::StringRef callee)
      : Expr(Kind::Call, loc), callee(callee) {}
  static bool classof(const Expr *e) { return e->getKind() == Kind::Call; }
  llvm::StringRef callee;
  std::vector<Argument> args;
  /// The parameter scope the call's parameters are created under, if any.
  std::unique_ptr<StringExpr> scope;
};

//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

/// One dimension of a tensor type: an expression, or `...` for any number
/// of leading dimensions.
struct DimPattern {
  llvm::SMLoc loc;
  /// The dimension as written, for diagnostics.
  llvm::StringRef text;
  ExprPtr expr;
  bool ellipsis = false;
};

/// The type of a block parameter, a model input or output, or a `param`.
struct TypeExpr {
  enum class Kind { Tensor, Named, Enum };
  Kind kind = Kind::Named;
  llvm::SMLoc loc;
  /// The type as written, for diagnostics.
  llvm::StringRef text;
  /// `f32`, `i32` or `i64` for tensors; the type's name otherwise (`int`,
  /// `float`, `bool`, `string` or a kiln enum such as `mask_kind`).
  llvm::StringRef name;
  std::vector<DimPattern> dims;
  /// The words of `enum(a, b, c)`.
  std::vector<llvm::StringRef> cases;
};

//===----------------------------------------------------------------------===//
// Statements
//===----------------------------------------------------------------------===//

/// The base of statement nodes.
class Stmt {
public:
  enum class Kind { Assign, Param, Return, For, If };
  virtual ~Stmt() = default;
  Kind getKind() const { return kind; }
  llvm::SMLoc getLoc() const { return loc; }

protected:
  Stmt(Kind kind, llvm::SMLoc loc) : kind(kind), loc(loc) {}

private:
  Kind kind;
  llvm::SMLoc loc;
};
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

/// A name being bound, with its position.
struct Binding {
  llvm::StringRef name;
  llvm::SMLoc loc;
};

/// `a = expr` or `a, b = expr` (a call with several results).
struct AssignStmt : Stmt {
  explicit AssignStmt(llvm::SMLoc loc) : Stmt(Kind::Assign, loc) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Assign; }
  std::vector<Binding> targets;
  ExprPtr value;
};

/// `param name: f32[..] @ "checkpoint.name"`.
struct ParamStmt : Stmt {
  explicit ParamStmt(llvm::SMLoc loc) : Stmt(Kind::Param, loc) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Param; }
  Binding name;
  TypeExpr type;
  /// The name in the checkpoint, relative to the scope; `name` if null.
  std::unique_ptr<StringExpr> checkpointName;
};

/// `return a, b`.
struct ReturnStmt : Stmt {
  explicit ReturnStmt(llvm::SMLoc loc) : Stmt(Kind::Return, loc) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::Return; }
  std::vector<ExprPtr> values;
};

/// `for i in lo..hi @ "scope.{i}" { .. }` or `for i in [..] { .. }`.
struct ForStmt : Stmt {
  explicit ForStmt(llvm::SMLoc loc) : Stmt(Kind::For, loc) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::For; }
  Binding var;
  /// `lower..upper`, or `lower` alone when it evaluates to a list.
  ExprPtr lower, upper;
  std::unique_ptr<StringExpr> scope;
  Body body;
};

/// `if cond { .. } else { .. }`; `else if` nests in `elseBody`.
struct IfStmt : Stmt {
  explicit IfStmt(llvm::SMLoc loc) : Stmt(Kind::If, loc) {}
  static bool classof(const Stmt *s) { return s->getKind() == Kind::If; }
  ExprPtr condition;
  Body thenBody, elseBody;
};

//===----------------------------------------------------------------------===//
// Declarations
//===----------------------------------------------------------------------===//

/// A block parameter or model input: `x: f32[B, S, D]`, `eps: float = 1e-5`.
struct ParamDecl {
  Binding name;
  TypeExpr type;
  ExprPtr defaultValue;
};

/// A declared result: `f32[B, S, D]` or `hidden: f32[B, S, D]`; a model's
/// output may exist only under a condition on its dims (`if G == 1`).
struct ResultDecl {
  Binding name;
  TypeExpr type;
  ExprPtr condition;
};

/// `dims B = 1, S = 64`: a symbolic dimension with its default.
struct DimDecl {
  Binding name;
  ExprPtr value;
};

/// A `block` or the `model`: a signature and a body.
struct Definition {
  bool isModel = false;
  Binding name;
  std::vector<ParamDecl> params;
  std::vector<ResultDecl> results;
  /// Whether `->` was written (blocks may leave their result open).
  bool hasResults = false;
  std::vector<DimDecl> dims;
  Body body;
  /// The closing brace, where "missing return" is reported.
  llvm::SMLoc endLoc;
};

/// `import "std/attention"`.
struct ImportDecl {
  std::string path;
  llvm::SMLoc loc;
};

/// One parsed file.
struct SourceFile {
  unsigned bufferId = 0;
  std::vector<ImportDecl> imports;
  std::vector<std::unique_ptr<Definition>> definitions;
};

} // namespace kiln::kdl

#endif // KILN_FRONTENDS_KDL_AST_H
