// FindWriteTargets(): dispatch on the first keyword. Table statements reuse
// Classify(); DML and the other CREATE/ALTER/DROP forms are read here, only as
// far as their targets.
#include "sql/schema_writes.h"

#include "sql/lexer.h"
#include "sql/token_cursor.h"

namespace sealgate::sql {
namespace {

bool IsJoinWord(const Token& t) {
  return t.Is("JOIN") || t.Is("STRAIGHT_JOIN") || t.Is("INNER") || t.Is("LEFT") || t.Is("RIGHT") ||
         t.Is("CROSS") || t.Is("NATURAL") || t.Is("OUTER") || t.Is("FULL");
}

bool IsAny(const Token& t, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (t.Is(w)) return true;
  }
  return false;
}

// Table references (of UPDATE, or DELETE's FROM/USING) up to a word of
// `stops` at depth 0: every table named where a table may stand.
void TableReferences(TokenCursor& c, std::initializer_list<std::string_view> stops, WriteTargets* out) {
  bool expect_table = true;
  while (!c.AtEnd()) {
    const Token& t = c.Peek();
    if (IsAny(t, stops)) return;
    if (t.IsPunct('(')) {
      // A derived table, or a column list / partition list / index hint after
      // a table: nothing written. A parenthesised join: its tables are.
      if (!expect_table || c.PeekIs("SELECT", 1) || c.PeekIs("WITH", 1) || c.PeekIs("VALUES", 1)) {
        c.SkipParenGroup();
        expect_table = false;
      } else {
        c.Next();
      }
      continue;
    }
    if (t.IsPunct(',') || t.Is("FROM") || IsJoinWord(t)) {
      c.Next();
      expect_table = true;
      continue;
    }
    if (t.Is("USING")) {  // DELETE ... USING tables, or JOIN ... USING (columns)
      c.Next();
      expect_table = !c.PeekPunct('(');
      continue;
    }
    if (t.Is("ON")) {  // a join condition: up to the next join, ',' or stop word
      c.Next();
      while (!c.AtEnd() && !c.PeekPunct(',') && !IsJoinWord(c.Peek()) && !IsAny(c.Peek(), stops)) {
        if (!c.SkipParenGroup()) c.Next();
      }
      expect_table = false;
      continue;
    }
    if (expect_table && t.IsIdentifier()) {
      out->objects.push_back(*c.ParseTableName());
      expect_table = false;
      continue;
    }
    c.Next();
  }
}

void InsertTarget(TokenCursor& c, WriteTargets* out) {
  while (c.Accept("LOW_PRIORITY") || c.Accept("DELAYED") || c.Accept("HIGH_PRIORITY") || c.Accept("IGNORE")) {
  }
  c.Accept("INTO");
  if (auto t = c.ParseTableName()) out->objects.push_back(std::move(*t));
}

void LoadTarget(TokenCursor& c, WriteTargets* out) {
  while (!c.AtEnd()) {
    if (c.AcceptSeq({"INTO", "TABLE"})) {
      if (auto t = c.ParseTableName()) out->objects.push_back(std::move(*t));
      return;
    }
    c.Next();
  }
}

// ALTER TABLE t ... RENAME [TO|AS] u: u is a target too.
void AlterRenameTarget(TokenCursor& c, WriteTargets* out) {
  while (!c.AtEnd()) {
    if (c.SkipParenGroup()) continue;
    if (!c.Next().Is("RENAME")) continue;
    if (c.PeekIs("COLUMN") || c.PeekIs("INDEX") || c.PeekIs("KEY") || c.PeekIs("CONSTRAINT")) continue;
    c.Accept("TO") || c.Accept("AS");
    if (auto t = c.ParseTableName()) out->objects.push_back(std::move(*t));
  }
}

// Names separated by ',' (DROP VIEW a, b).
void NameList(TokenCursor& c, WriteTargets* out) {
  while (auto t = c.ParseTableName()) {
    out->objects.push_back(std::move(*t));
    if (!c.AcceptPunct(',')) break;
  }
}

// CREATE / ALTER / DROP of something other than a table or an index (those
// Classify() reads): databases, views, routines, triggers, events, sequences.
void OtherObjectTargets(TokenCursor& c, WriteTargets* out) {
  c.AcceptSeq({"OR", "REPLACE"});
  // DEFINER = ..., ALGORITHM = ..., SQL SECURITY ..., AGGREGATE, ONLINE ...: up to the object's kind.
  for (int skipped = 0; !c.AtEnd() && skipped < 32; ++skipped) {
    const Token& t = c.Peek();
    if (t.Is("DATABASE") || t.Is("SCHEMA")) {
      c.Next();
      c.AcceptSeq({"IF", "NOT", "EXISTS"}) || c.AcceptSeq({"IF", "EXISTS"});
      const Token& name = c.Peek();
      bool option = name.Is("DEFAULT") || name.Is("CHARACTER") || name.Is("CHARSET") || name.Is("COLLATE") ||
                    name.Is("COMMENT") || name.Is("READ") || name.Is("ENCRYPTION");
      std::optional<std::string> db = option ? std::nullopt : c.ParseName();
      out->databases.push_back(db.value_or(""));
      return;
    }
    if (IsAny(t, {"VIEW", "PROCEDURE", "FUNCTION", "EVENT", "SEQUENCE", "TABLE", "TABLES"})) {
      c.Next();
      c.AcceptSeq({"IF", "NOT", "EXISTS"}) || c.AcceptSeq({"IF", "EXISTS"});
      NameList(c, out);
      return;
    }
    if (t.Is("PACKAGE")) {
      c.Next();
      c.Accept("BODY");
      c.AcceptSeq({"IF", "NOT", "EXISTS"}) || c.AcceptSeq({"IF", "EXISTS"});
      NameList(c, out);
      return;
    }
    if (t.Is("TRIGGER")) {
      c.Next();
      c.AcceptSeq({"IF", "NOT", "EXISTS"}) || c.AcceptSeq({"IF", "EXISTS"});
      if (auto name = c.ParseTableName()) out->objects.push_back(std::move(*name));
      // CREATE TRIGGER tr BEFORE INSERT ON t: a trigger changes what writes to t do.
      while (!c.AtEnd() && !c.PeekIs("ON")) c.Next();
      if (c.Accept("ON")) {
        if (auto table = c.ParseTableName()) out->objects.push_back(std::move(*table));
      }
      return;
    }
    if (IsAny(t, {"USER", "ROLE", "SERVER", "TABLESPACE", "LOGFILE", "INSTANCE"})) return;
    c.Next();
  }
}

void TargetsOfTableStatement(std::string_view sql, TokenCursor& c, WriteTargets* out) {
  const Statement st = Classify(sql);
  switch (st.kind) {
    case StatementKind::kAlterTable:
      out->objects.push_back(st.tables.at(0));
      AlterRenameTarget(c, out);
      return;
    case StatementKind::kCreateTable:
      out->objects.push_back(st.tables.at(0));  // not LIKE's or SELECT's tables
      return;
    case StatementKind::kDropTable:
    case StatementKind::kRenameTable:
    case StatementKind::kTruncateTable:
    case StatementKind::kCreateIndex:
    case StatementKind::kDropIndex:
      out->objects.insert(out->objects.end(), st.tables.begin(), st.tables.end());
      return;
    default:
      break;
  }
  OtherObjectTargets(c, out);
}

// WITH ... <statement>: the statement after the common table expressions.
bool SkipCommonTableExpressions(TokenCursor& c) {
  while (!c.AtEnd()) {
    if (c.SkipParenGroup()) continue;
    const Token& t = c.Peek();
    if (IsAny(t, {"SELECT", "INSERT", "REPLACE", "UPDATE", "DELETE", "TABLE", "VALUES"})) return true;
    c.Next();
  }
  return false;
}

}  // namespace

WriteTargets FindWriteTargets(std::string_view sql) {
  WriteTargets out;
  std::vector<Token> tokens = Tokenize(sql);
  size_t begin = 0;
  while (begin < tokens.size() && tokens[begin].IsPunct(';')) ++begin;
  size_t end = begin;
  while (end < tokens.size() && !tokens[end].IsPunct(';')) ++end;
  if (begin >= end) return out;
  TokenCursor c(tokens, end);
  c.set_pos(begin);
  if (c.Accept("WITH") && !SkipCommonTableExpressions(c)) return out;
  const Token& first = c.Next();
  if (first.Is("INSERT") || first.Is("REPLACE")) {
    InsertTarget(c, &out);
  } else if (first.Is("UPDATE")) {
    while (c.Accept("LOW_PRIORITY") || c.Accept("IGNORE")) {
    }
    TableReferences(c, {"SET"}, &out);
  } else if (first.Is("DELETE")) {
    while (c.Accept("LOW_PRIORITY") || c.Accept("QUICK") || c.Accept("IGNORE")) {
    }
    TableReferences(c, {"WHERE", "ORDER", "LIMIT", "RETURNING"}, &out);
  } else if (first.Is("LOAD")) {
    LoadTarget(c, &out);
  } else if (first.Is("ALTER") || first.Is("CREATE") || first.Is("DROP") || first.Is("RENAME") ||
             first.Is("TRUNCATE")) {
    TargetsOfTableStatement(sql, c, &out);
  }
  return out;
}

bool SchemaWriteGuard::IsSchema(std::string_view name) const {
  if (name.size() != schema_.size()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char a = name[i], b = schema_[i];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + 32);
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b + 32);
    if (a != b) return false;
  }
  return true;
}

bool SchemaWriteGuard::MayConcern(std::string_view sql, std::string_view database) const {
  if (schema_.empty()) return false;
  if (!database.empty() && IsSchema(database)) return true;
  const size_t n = schema_.size();
  if (sql.size() < n) return false;
  // The first letter in either case, then the rest: one pass for the usual text.
  auto lower = [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch; };
  const char head = lower(schema_[0]);
  for (size_t i = 0; i + n <= sql.size(); ++i) {
    if (lower(sql[i]) != head) continue;
    if (IsSchema(sql.substr(i, n))) return true;
  }
  return false;
}

bool SchemaWriteGuard::Refuses(std::string_view sql, std::string_view database) const {
  if (!MayConcern(sql, database)) return false;
  std::string current(database);
  for (std::string_view piece : SplitStatements(sql)) {
    if (Refused(piece, &current, 0)) return true;
  }
  return false;
}

bool SchemaWriteGuard::Refused(std::string_view statement, std::string* database, int depth) const {
  Statement st = Classify(statement);
  if (st.kind == StatementKind::kUse) {
    *database = st.database;
    return false;
  }
  if (!st.inner_sql.empty() && depth < 4) {
    std::string inner_database = *database;
    for (std::string_view piece : SplitStatements(st.inner_sql)) {
      if (Refused(piece, &inner_database, depth + 1)) return true;
    }
  }
  WriteTargets targets = FindWriteTargets(statement);
  for (const TableName& t : targets.objects) {
    if (IsSchema(t.schema.empty() ? *database : t.schema)) return true;
  }
  for (const std::string& db : targets.databases) {
    if (IsSchema(db.empty() ? *database : db)) return true;
  }
  return false;
}

}  // namespace sealgate::sql
