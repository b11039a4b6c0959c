// One ALTER TABLE specification: what it does, in the terms projection and the
// inspector need, or why it cannot be staged.
#include <cctype>
#include <string>
#include <utility>

#include "sql/alter_internal.h"
#include "sql/errors.h"
#include "sql/token_cursor.h"

namespace sealgate::sql::internal {
namespace {

constexpr const char* kPassthroughHint =
    "to have the server run it as written (not online), send it outside a deploy block with the comment "
    "/*sealgate:passthrough*/ in it";

class SpecParser {
 public:
  SpecParser(const SpecRange& r, AlterTable* out)
      : r_(r), c_(*r.tokens, r.end), out_(out) {
    c_.set_pos(r.begin);
  }

  Status Parse();

 private:
  AlterSpec Start(AlterSpecKind kind) const {
    AlterSpec s;
    s.kind = kind;
    s.text = Text(r_.begin, r_.end);
    return s;
  }
  std::string Text(size_t first, size_t end) const {
    return end > first ? TokenSpanText(r_.sql, *r_.tokens, first, end - 1) : std::string();
  }
  std::string Word() const { return std::string(c_.Peek().text); }
  void Emit(AlterSpec s) { out_->specs.push_back(std::move(s)); }

  Status ParseAdd();
  Status ParseAddElement(size_t begin, size_t end, bool in_list);
  Status ParseKey(AlterSpec spec);
  Status ParseForeignKey(AlterSpec spec);
  std::vector<std::string> ParseNameList();
  Status ParseColumnDefinition(AlterSpec* spec, size_t end);
  Status ParseDrop();
  Status ParseRename();
  Status ParseColumnChange(AlterSpecKind kind);
  Status ParseAlterColumn();
  Status ParseConvert();
  Status ParseTableOptions();
  Status ParseTableOption(size_t begin);
  Status RefusePartitionOperation(std::string_view verb);

  SpecRange r_;
  TokenCursor c_;
  AlterTable* out_;
  bool if_not_exists_ = false;  // ADD [COLUMN] IF NOT EXISTS, for each element
};

bool IsKeyWord(const Token& t) { return t.Is("INDEX") || t.Is("KEY"); }

Status SpecParser::Parse() {
  const Token& first = c_.Peek();
  if (c_.Accept("ADD")) return ParseAdd();
  if (c_.Accept("DROP")) return ParseDrop();
  if (c_.Accept("RENAME")) return ParseRename();
  if (c_.Accept("CHANGE")) return ParseColumnChange(AlterSpecKind::kChangeColumn);
  if (c_.Accept("MODIFY")) return ParseColumnChange(AlterSpecKind::kModifyColumn);
  if (c_.Accept("ALTER")) return ParseAlterColumn();
  if (c_.Accept("CONVERT")) return ParseConvert();
  if (c_.Accept("FORCE")) {
    Emit(Start(AlterSpecKind::kForce));
    return Status::Ok();
  }
  if (c_.AcceptSeq({"PARTITION", "BY"}) || c_.AcceptSeq({"REMOVE", "PARTITIONING"}) ||
      c_.AcceptSeq({"REORGANIZE", "PARTITION"}) || c_.AcceptSeq({"COALESCE", "PARTITION"})) {
    Emit(Start(AlterSpecKind::kPartitioning));
    return Status::Ok();
  }
  for (std::string_view verb : {"EXCHANGE", "TRUNCATE", "ANALYZE", "CHECK", "OPTIMIZE", "REBUILD", "REPAIR"}) {
    if (first.Is(verb) && c_.PeekIs("PARTITION", 1)) return RefusePartitionOperation(verb);
  }
  if (first.Is("DISCARD") || first.Is("IMPORT")) {
    return RefuseAlter(error::kAlterTablespace,
                       std::string(first.text) + " TABLESPACE replaces the table's data file outside the binlog "
                       "and cannot be staged; " + kPassthroughHint + ".");
  }
  if (first.Is("ORDER") || first.Is("ENABLE") || first.Is("DISABLE") || first.Is("WITH") ||
      first.Is("WITHOUT")) {
    Emit(Start(AlterSpecKind::kOther));
    return Status::Ok();
  }
  return ParseTableOptions();
}

Status SpecParser::RefusePartitionOperation(std::string_view verb) {
  std::string upper;
  for (char ch : verb) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  return RefuseAlter(error::kAlterPartitionOperation,
                     upper + " PARTITION cannot be staged: it moves, removes or rewrites rows in place without "
                     "row events; " + kPassthroughHint + ".");
}

// ADD [COLUMN] ..., ADD (a INT, b INT), ADD {INDEX|KEY|PRIMARY|UNIQUE|...}.
Status SpecParser::ParseAdd() {
  bool column_keyword = c_.Accept("COLUMN");
  if (c_.AcceptSeq({"IF", "NOT", "EXISTS"})) if_not_exists_ = true;
  if (!column_keyword && c_.Accept("PARTITION")) {
    Emit(Start(AlterSpecKind::kPartitioning));
    return Status::Ok();
  }
  if (!c_.PeekPunct('(')) return ParseAddElement(c_.pos(), r_.end, /*in_list=*/false);
  // A parenthesised list: split at depth-1 commas.
  c_.Next();
  size_t element = c_.pos();
  int depth = 1;
  for (size_t i = c_.pos(); i < r_.end; ++i) {
    const Token& t = (*r_.tokens)[i];
    if (t.IsPunct('(')) ++depth;
    if (t.IsPunct(')')) --depth;
    if ((depth == 1 && t.IsPunct(',')) || depth == 0) {
      SEALGATE_RETURN_IF_ERROR(ParseAddElement(element, i, /*in_list=*/true));
      element = i + 1;
      if (depth == 0) return Status::Ok();
    }
  }
  return AlterSyntaxError("unbalanced parentheses in ADD (...)");
}

Status SpecParser::ParseAddElement(size_t begin, size_t end, bool in_list) {
  TokenCursor saved = c_;
  c_ = TokenCursor(*r_.tokens, end);
  c_.set_pos(begin);
  AlterSpec spec = Start(AlterSpecKind::kAddColumn);
  if (in_list) spec.text = "ADD " + Text(begin, end);
  spec.if_not_exists = if_not_exists_;
  Status status;
  std::string constraint;
  bool has_constraint = c_.Accept("CONSTRAINT");
  if (has_constraint && !c_.PeekIs("PRIMARY") && !c_.PeekIs("UNIQUE") && !c_.PeekIs("FOREIGN") &&
      !c_.PeekIs("CHECK")) {
    constraint = c_.ParseName().value_or("");
  }
  const Token& t = c_.Peek();
  if (t.Is("FOREIGN")) {
    spec.kind = AlterSpecKind::kAddForeignKey;
    spec.index_name = constraint;
    status = ParseForeignKey(std::move(spec));
  } else if (t.Is("CHECK")) {
    spec.kind = AlterSpecKind::kAddCheck;
    spec.index_name = constraint;
    Emit(std::move(spec));
  } else if (t.Is("PRIMARY") || t.Is("UNIQUE") || IsKeyWord(t) || t.Is("FULLTEXT") || t.Is("SPATIAL")) {
    spec.index_name = constraint;
    status = ParseKey(std::move(spec));
  } else if (has_constraint) {
    status = AlterSyntaxError("ADD CONSTRAINT must be followed by PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK");
  } else if (t.Is("PERIOD") || (t.Is("SYSTEM") && c_.PeekIs("VERSIONING", 1))) {
    spec.kind = AlterSpecKind::kOther;
    Emit(std::move(spec));
  } else {
    status = ParseColumnDefinition(&spec, end);
    if (status.ok()) Emit(std::move(spec));
  }
  c_ = saved;
  return status;
}

// PRIMARY KEY | UNIQUE [INDEX|KEY] | {INDEX|KEY} | {FULLTEXT|SPATIAL} [INDEX|KEY],
// then [IF NOT EXISTS] [name] [USING type] (key parts) [options].
Status SpecParser::ParseKey(AlterSpec spec) {
  spec.kind = AlterSpecKind::kAddIndex;
  if (c_.AcceptSeq({"PRIMARY", "KEY"})) {
    spec.index_type = IndexType::kPrimary;
    spec.index_name = "PRIMARY";
  } else {
    spec.index_type = c_.Accept("UNIQUE")     ? IndexType::kUnique
                      : c_.Accept("FULLTEXT") ? IndexType::kFulltext
                      : c_.Accept("SPATIAL")  ? IndexType::kSpatial
                                              : IndexType::kIndex;
    if (IsKeyWord(c_.Peek())) c_.Next();
    if (c_.AcceptSeq({"IF", "NOT", "EXISTS"})) spec.if_not_exists = true;
    if (c_.Peek().IsIdentifier() && !c_.PeekIs("USING") && !c_.PeekIs("TYPE")) spec.index_name = Unquote(c_.Next());
  }
  if (c_.Accept("USING") || c_.Accept("TYPE")) c_.Next();
  if (!c_.AcceptPunct('(')) return AlterSyntaxError("expected '(' and the key's columns in: " + spec.text);
  while (!c_.AtEnd() && !c_.PeekPunct(')')) {
    bool simple = c_.Peek().IsIdentifier() && (c_.PeekPunct(',', 1) || c_.PeekPunct(')', 1) ||
                                               c_.PeekPunct('(', 1) || c_.PeekIs("ASC", 1) || c_.PeekIs("DESC", 1));
    spec.index_columns.push_back(simple ? Unquote(c_.Peek()) : std::string());
    c_.SkipExpression();
    c_.AcceptPunct(',');
  }
  Emit(std::move(spec));
  return Status::Ok();
}

// (a, b, ...): plain column names, unquoted (an empty string for anything else).
std::vector<std::string> SpecParser::ParseNameList() {
  std::vector<std::string> names;
  if (!c_.AcceptPunct('(')) return names;
  while (!c_.AtEnd() && !c_.PeekPunct(')')) {
    bool simple = c_.Peek().IsIdentifier() && (c_.PeekPunct(',', 1) || c_.PeekPunct(')', 1));
    names.push_back(simple ? Unquote(c_.Peek()) : std::string());
    c_.SkipExpression();
    c_.AcceptPunct(',');
  }
  c_.AcceptPunct(')');
  return names;
}

// FOREIGN KEY [IF NOT EXISTS] [index] (cols) REFERENCES [db.]t [(cols)] [MATCH ..] [ON DELETE ..] [ON UPDATE ..]
Status SpecParser::ParseForeignKey(AlterSpec spec) {
  spec.foreign_key = true;
  c_.AcceptSeq({"FOREIGN", "KEY"});
  if (c_.AcceptSeq({"IF", "NOT", "EXISTS"})) spec.if_not_exists = true;
  if (c_.Peek().IsIdentifier() && !c_.PeekPunct('(')) c_.Next();  // the index's own name
  spec.index_columns = ParseNameList();
  if (spec.index_columns.empty() || !c_.Accept("REFERENCES") || !c_.Peek().IsIdentifier()) {
    return AlterSyntaxError("expected FOREIGN KEY (columns) REFERENCES table (columns) in: " + spec.text);
  }
  std::string first = Unquote(c_.Next());
  if (c_.PeekPunct('.') && c_.Peek(1).IsIdentifier()) {
    c_.Next();
    spec.ref_table = {first, Unquote(c_.Next())};
  } else {
    spec.ref_table = {"", first};
  }
  spec.ref_columns = ParseNameList();
  Emit(std::move(spec));
  return Status::Ok();
}

// name definition [FIRST | AFTER x], up to `end`.
Status SpecParser::ParseColumnDefinition(AlterSpec* spec, size_t end) {
  if (!c_.Peek().IsIdentifier()) return AlterSyntaxError("expected a column name in: " + spec->text);
  spec->column = Unquote(c_.Next());
  size_t def_begin = c_.pos();
  size_t def_end = end;
  const std::vector<Token>& t = *r_.tokens;
  if (def_end > def_begin && t[def_end - 1].Is("FIRST")) {
    spec->first = true;
    def_end -= 1;
  } else if (def_end >= def_begin + 2 && t[def_end - 2].Is("AFTER") && t[def_end - 1].IsIdentifier()) {
    spec->after = Unquote(t[def_end - 1]);
    def_end -= 2;
  }
  int depth = 0;
  for (size_t i = def_begin; i < def_end; ++i) {
    depth += t[i].IsPunct('(') ? 1 : t[i].IsPunct(')') ? -1 : 0;
    if (depth == 0 && t[i].Is("REFERENCES")) spec->foreign_key = true;
  }
  spec->definition = Text(def_begin, def_end);
  return Status::Ok();
}

Status SpecParser::ParseDrop() {
  if (c_.AcceptSeq({"PRIMARY", "KEY"})) {
    AlterSpec spec = Start(AlterSpecKind::kDropPrimaryKey);
    spec.index_type = IndexType::kPrimary;
    spec.index_name = "PRIMARY";
    Emit(std::move(spec));
    return Status::Ok();
  }
  if (c_.PeekIs("PARTITION")) return RefusePartitionOperation("DROP");
  if (c_.PeekIs("PERIOD") || (c_.PeekIs("SYSTEM") && c_.PeekIs("VERSIONING", 1))) {
    Emit(Start(AlterSpecKind::kOther));
    return Status::Ok();
  }
  AlterSpec spec = Start(AlterSpecKind::kDropColumn);
  if (IsKeyWord(c_.Peek())) {
    spec.kind = AlterSpecKind::kDropIndex;
    c_.Next();
  } else if (c_.PeekIs("FOREIGN") && c_.PeekIs("KEY", 1)) {
    spec.kind = AlterSpecKind::kDropConstraint;
    spec.foreign_key = true;
    c_.AcceptSeq({"FOREIGN", "KEY"});
  } else if (c_.Accept("CHECK") || c_.Accept("CONSTRAINT")) {
    spec.kind = AlterSpecKind::kDropConstraint;
  } else {
    c_.Accept("COLUMN");
  }
  if (c_.AcceptSeq({"IF", "EXISTS"})) spec.if_exists = true;
  std::optional<std::string> name = c_.Peek().IsIdentifier() ? std::optional(Unquote(c_.Next())) : std::nullopt;
  if (!name) return AlterSyntaxError("expected a name in: " + spec.text);
  (spec.kind == AlterSpecKind::kDropColumn ? spec.column : spec.index_name) = *name;
  Emit(std::move(spec));
  return Status::Ok();
}

// RENAME COLUMN a TO b | RENAME {INDEX|KEY} a TO b | RENAME [TO|AS] t (refused).
Status SpecParser::ParseRename() {
  bool column = c_.Accept("COLUMN");
  bool index = !column && IsKeyWord(c_.Peek());
  if (!column && !index) {
    return RefuseAlter(error::kAlterRenamesTable,
                       "ALTER TABLE ... RENAME renames the table, which a staged migration cannot do; use "
                       "RENAME TABLE outside the deploy, and ALTER the table separately.");
  }
  if (index) c_.Next();
  AlterSpec spec = Start(column ? AlterSpecKind::kRenameColumn : AlterSpecKind::kRenameIndex);
  std::string& from = column ? spec.column : spec.index_name;
  std::string& to = column ? spec.new_column : spec.new_index_name;
  if (!c_.Peek().IsIdentifier()) return AlterSyntaxError("expected a name in: " + spec.text);
  from = Unquote(c_.Next());
  if (!c_.Accept("TO") || !c_.Peek().IsIdentifier()) return AlterSyntaxError("expected TO new_name in: " + spec.text);
  to = Unquote(c_.Next());
  Emit(std::move(spec));
  return Status::Ok();
}

// CHANGE [COLUMN] [IF EXISTS] old new def | MODIFY [COLUMN] [IF EXISTS] c def.
Status SpecParser::ParseColumnChange(AlterSpecKind kind) {
  AlterSpec spec = Start(kind);
  c_.Accept("COLUMN");
  if (c_.AcceptSeq({"IF", "EXISTS"})) spec.if_exists = true;
  if (kind == AlterSpecKind::kChangeColumn) {
    if (!c_.Peek().IsIdentifier()) return AlterSyntaxError("expected a column name in: " + spec.text);
    std::string old_name = Unquote(c_.Next());
    SEALGATE_RETURN_IF_ERROR(ParseColumnDefinition(&spec, r_.end));
    spec.new_column = std::move(spec.column);
    spec.column = std::move(old_name);
  } else {
    SEALGATE_RETURN_IF_ERROR(ParseColumnDefinition(&spec, r_.end));
  }
  Emit(std::move(spec));
  return Status::Ok();
}

// ALTER [COLUMN] c ... | ALTER INDEX i ... | ALTER CHECK/CONSTRAINT ...
Status SpecParser::ParseAlterColumn() {
  if (c_.Accept("INDEX") || c_.Accept("KEY")) {
    AlterSpec spec = Start(AlterSpecKind::kAlterIndex);
    if (c_.Peek().IsIdentifier()) spec.index_name = Unquote(c_.Next());
    Emit(std::move(spec));
    return Status::Ok();
  }
  if (c_.PeekIs("CHECK") || c_.PeekIs("CONSTRAINT")) {
    Emit(Start(AlterSpecKind::kOther));
    return Status::Ok();
  }
  AlterSpec spec = Start(AlterSpecKind::kAlterColumn);
  c_.Accept("COLUMN");
  if (c_.AcceptSeq({"IF", "EXISTS"})) spec.if_exists = true;
  if (!c_.Peek().IsIdentifier()) return AlterSyntaxError("expected a column name in: " + spec.text);
  spec.column = Unquote(c_.Next());
  spec.definition = Text(c_.pos(), r_.end);
  Emit(std::move(spec));
  return Status::Ok();
}

Status SpecParser::ParseConvert() {
  if (c_.PeekIs("PARTITION") || c_.PeekIs("TABLE")) return RefusePartitionOperation("CONVERT");
  if (!c_.Accept("TO")) return AlterSyntaxError("expected CONVERT TO CHARACTER SET in: " + Text(r_.begin, r_.end));
  AlterSpec spec = Start(AlterSpecKind::kConvertCharset);
  if (!c_.AcceptSeq({"CHARACTER", "SET"}) && !c_.Accept("CHARSET")) {
    return AlterSyntaxError("expected CONVERT TO CHARACTER SET in: " + spec.text);
  }
  spec.option_name = "convert to character set";
  if (!c_.AtEnd()) spec.option_value = Unquote(c_.Next());
  Emit(std::move(spec));
  return Status::Ok();
}

// Table options may follow each other without commas: ENGINE=InnoDB ROW_FORMAT=DYNAMIC.
Status SpecParser::ParseTableOptions() {
  while (!c_.AtEnd()) SEALGATE_RETURN_IF_ERROR(ParseTableOption(c_.pos()));
  return Status::Ok();
}

Status SpecParser::ParseTableOption(size_t begin) {
  if (!c_.Peek().IsWord()) return AlterSyntaxError("unexpected '" + Word() + "' in: " + Text(r_.begin, r_.end));
  std::string name = ToLower(c_.Next().text);
  // Two-word option names.
  if ((name == "default" || name == "character" || name == "data" || name == "index") && c_.Peek().IsWord() &&
      !c_.PeekPunct('=', 0)) {
    name += " " + ToLower(c_.Next().text);
    if (name == "default character" && c_.PeekIs("SET")) name += " " + ToLower(c_.Next().text);
  }
  c_.AcceptPunct('=');
  std::string value;
  if (c_.PeekPunct('(')) {
    size_t v = c_.pos();
    c_.SkipParenGroup();
    value = Text(v, c_.pos());
  } else if (!c_.AtEnd()) {
    value = Unquote(c_.Next());
  }
  std::string upper;
  for (char ch : value) upper.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
  if (name == "algorithm") {
    out_->algorithm = upper;
    return Status::Ok();
  }
  if (name == "lock") {
    out_->lock = upper;
    return Status::Ok();
  }
  if ((name == "engine" || name == "type") && upper != "INNODB" && upper != "XTRADB") {
    return RefuseAlter(error::kAlterNonTransactionalEngine,
                       "ENGINE=" + value + " cannot be staged: sealgate stages only InnoDB tables (the copy and "
                       "binlog catch-up need a transactional engine); " + kPassthroughHint + ".");
  }
  AlterSpec spec = Start(AlterSpecKind::kTableOption);
  spec.text = Text(begin, c_.pos());
  spec.option_name = std::move(name);
  spec.option_value = std::move(value);
  Emit(std::move(spec));
  return Status::Ok();
}

}  // namespace

Status ParseAlterSpec(const SpecRange& range, AlterTable* out) { return SpecParser(range, out).Parse(); }

}  // namespace sealgate::sql::internal
