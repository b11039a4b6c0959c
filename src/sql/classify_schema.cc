// Schema statements: ALTER/CREATE/DROP/RENAME TABLE, CREATE/DROP INDEX, TRUNCATE.
// Only the leading words and the table names are read; the rest is the
// server's (or AnalyzeAlter's) business.
#include "sql/classify_internal.h"

namespace sealgate::sql::internal {
namespace {

// Names separated by ',' until something else; each name may be followed by
// words up to the next ',' (LOCK TABLES t AS a READ, ...) when `skip_tail`.
void ParseTableList(TokenCursor& c, Statement* out, bool skip_tail) {
  while (std::optional<TableName> name = c.ParseTableName()) {
    out->tables.push_back(std::move(*name));
    if (skip_tail) c.SkipExpression();
    if (!c.AcceptPunct(',')) break;
  }
}

// DEFINER = user@host, ALGORITHM = x, SQL SECURITY x: prefixes of views,
// routines and triggers. Seeing one means "not a table statement".
bool AtObjectPrefix(TokenCursor& c) {
  return c.PeekIs("DEFINER") || c.PeekIs("ALGORITHM") || c.PeekIs("SQL") || c.PeekIs("AGGREGATE");
}

// After CREATE TABLE t: LIKE u, (LIKE u), and [AS] SELECT / WITH / TABLE /
// VALUES after the column list (table and partition options never hold AS).
void ParseCreateTableBody(TokenCursor& c, Statement* out) {
  if (c.Accept("LIKE") || (c.PeekPunct('(') && c.PeekIs("LIKE", 1))) {
    if (c.AcceptPunct('(')) c.Next();
    out->like_table = c.ParseTableName();
    return;
  }
  if (c.PeekPunct('(') && (c.PeekIs("SELECT", 1) || c.PeekIs("WITH", 1) || c.PeekPunct('(', 1))) {
    out->create_select = true;
    return;
  }
  c.SkipParenGroup();
  while (!c.AtEnd()) {
    const Token& t = c.Next();
    if (t.Is("SELECT") || t.Is("WITH") || t.Is("AS")) {
      out->create_select = true;
      return;
    }
    if (t.IsPunct('(') && (c.PeekIs("SELECT") || c.PeekIs("WITH"))) {
      out->create_select = true;
      return;
    }
  }
}

bool ParseCreateIndex(TokenCursor& c, Statement* out) {
  if (c.AcceptSeq({"IF", "NOT", "EXISTS"})) out->if_not_exists = true;
  std::optional<std::string> index = c.ParseName();
  if (!index) return false;
  out->index_name = *index;
  if (c.Accept("USING") || c.Accept("TYPE")) c.Next();
  if (!c.Accept("ON")) return false;
  std::optional<TableName> table = c.ParseTableName();
  if (!table) return false;
  out->kind = StatementKind::kCreateIndex;
  out->tables.push_back(std::move(*table));
  return true;
}

}  // namespace

bool ClassifyAlter(TokenCursor& c, Statement* out) {
  while (c.Accept("ONLINE") || c.Accept("OFFLINE") || c.Accept("IGNORE")) {
  }
  if (!c.Accept("TABLE")) return false;
  if (c.AcceptSeq({"IF", "EXISTS"})) out->if_exists = true;
  std::optional<TableName> table = c.ParseTableName();
  if (!table) return false;
  out->kind = StatementKind::kAlterTable;
  out->tables.push_back(std::move(*table));
  size_t rest = c.pos();
  out->toggles_keys_only = (c.Accept("DISABLE") || c.Accept("ENABLE")) && c.Accept("KEYS") && c.AtEnd();
  c.set_pos(rest);
  return true;
}

bool ClassifyCreate(TokenCursor& c, Statement* out) {
  if (c.AcceptSeq({"OR", "REPLACE"})) out->or_replace = true;
  if (AtObjectPrefix(c)) return false;
  if (c.Accept("TEMPORARY")) out->temporary = true;
  if (c.Accept("TABLE")) {
    if (c.AcceptSeq({"IF", "NOT", "EXISTS"})) out->if_not_exists = true;
    std::optional<TableName> table = c.ParseTableName();
    if (!table) return false;
    out->kind = StatementKind::kCreateTable;
    out->tables.push_back(std::move(*table));
    ParseCreateTableBody(c, out);
    return true;
  }
  while (c.Accept("ONLINE") || c.Accept("OFFLINE") || c.Accept("UNIQUE") || c.Accept("FULLTEXT") ||
         c.Accept("SPATIAL")) {
  }
  if (!c.Accept("INDEX")) return false;
  return ParseCreateIndex(c, out);
}

bool ClassifyDrop(TokenCursor& c, Statement* out) {
  if (c.Accept("PREPARE")) return ClassifyDeallocate(c, out);
  if (c.Accept("TEMPORARY")) out->temporary = true;
  if (c.Accept("TABLE") || c.Accept("TABLES")) {
    if (c.AcceptSeq({"IF", "EXISTS"})) out->if_exists = true;
    ParseTableList(c, out, /*skip_tail=*/false);
    if (out->tables.empty()) return false;
    out->kind = StatementKind::kDropTable;
    return true;
  }
  while (c.Accept("ONLINE") || c.Accept("OFFLINE")) {
  }
  if (!c.Accept("INDEX")) return false;
  if (c.AcceptSeq({"IF", "EXISTS"})) out->if_exists = true;
  std::optional<std::string> index = c.ParseName();
  if (!index || !c.Accept("ON")) return false;
  std::optional<TableName> table = c.ParseTableName();
  if (!table) return false;
  out->kind = StatementKind::kDropIndex;
  out->index_name = *index;
  out->tables.push_back(std::move(*table));
  return true;
}

bool ClassifyRename(TokenCursor& c, Statement* out) {
  if (!c.Accept("TABLE") && !c.Accept("TABLES")) return false;
  if (c.AcceptSeq({"IF", "EXISTS"})) out->if_exists = true;
  while (true) {
    std::optional<TableName> from = c.ParseTableName();
    if (!from) break;
    if (c.Accept("WAIT")) c.Next();
    c.Accept("NOWAIT");
    if (!c.Accept("TO")) return false;
    std::optional<TableName> to = c.ParseTableName();
    if (!to) return false;
    out->tables.push_back(std::move(*from));
    out->tables.push_back(std::move(*to));
    if (!c.AcceptPunct(',')) break;
  }
  if (out->tables.empty()) return false;
  out->kind = StatementKind::kRenameTable;
  return true;
}

bool ClassifyTruncate(TokenCursor& c, Statement* out) {
  c.Accept("TABLE");
  std::optional<TableName> table = c.ParseTableName();
  if (!table) return false;
  out->kind = StatementKind::kTruncateTable;
  out->tables.push_back(std::move(*table));
  return true;
}

bool ClassifyLock(TokenCursor& c, Statement* out) {
  if (!c.Accept("TABLES") && !c.Accept("TABLE")) return false;  // LOCK INSTANCE FOR BACKUP
  if (c.PeekIs("FOR") && c.PeekIs("BACKUP", 1)) return false;   // Percona's backup lock
  ParseTableList(c, out, /*skip_tail=*/true);
  if (out->tables.empty()) return false;
  out->kind = StatementKind::kLockTables;
  return true;
}

bool ClassifyUnlock(TokenCursor& c, Statement* out) {
  if (!c.Accept("TABLES") && !c.Accept("TABLE")) return false;
  out->kind = StatementKind::kUnlockTables;
  return true;
}

bool ClassifyFlush(TokenCursor& c, Statement* out) {
  c.Accept("NO_WRITE_TO_BINLOG") || c.Accept("LOCAL");
  if (!c.Accept("TABLES") && !c.Accept("TABLE")) return false;
  if (!c.PeekIs("WITH") && !c.PeekIs("FOR")) ParseTableList(c, out, /*skip_tail=*/false);
  if (!c.AcceptSeq({"WITH", "READ", "LOCK"}) && !c.AcceptSeq({"FOR", "EXPORT"})) return false;
  out->kind = StatementKind::kFlushTablesWithReadLock;
  return true;
}

bool ClassifyHandler(TokenCursor& c, Statement* out) {
  std::optional<TableName> table = c.ParseTableName();
  if (!table) return false;
  out->kind = StatementKind::kHandler;
  out->tables.push_back(std::move(*table));
  if (c.Accept("OPEN")) {
    out->handler_action = HandlerAction::kOpen;
  } else if (c.Accept("READ")) {
    out->handler_action = HandlerAction::kRead;
  } else if (c.Accept("CLOSE")) {
    out->handler_action = HandlerAction::kClose;
  }
  return true;
}

bool ClassifyXa(TokenCursor& c, Statement* out) {
  struct Verb {
    std::string_view word;
    XaAction action;
  };
  static constexpr Verb kVerbs[] = {
      {"START", XaAction::kStart},     {"BEGIN", XaAction::kStart},       {"END", XaAction::kEnd},
      {"PREPARE", XaAction::kPrepare}, {"COMMIT", XaAction::kCommit},     {"ROLLBACK", XaAction::kRollback},
      {"RECOVER", XaAction::kRecover},
  };
  for (const Verb& v : kVerbs) {
    if (c.Accept(v.word)) {
      out->kind = StatementKind::kXa;
      out->xa_action = v.action;
      return true;
    }
  }
  return false;
}

}  // namespace sealgate::sql::internal
