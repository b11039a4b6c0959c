// Classify(): tokenize, cut at the first top-level ';', dispatch on the first
// keyword. Transactions, savepoints and USE are handled here; the statement
// families live in classify_*.cc.
#include "sql/statement.h"

#include <cctype>

#include "sql/classify_internal.h"
#include "sql/lexer.h"
#include "sql/token_cursor.h"

namespace sealgate::sql {
namespace {

using internal::ClassifyDeploy;

void ParseChainRelease(TokenCursor& c, Statement* out) {
  c.Accept("WORK");
  if (c.AcceptSeq({"AND", "CHAIN"})) out->chain = true;
  c.AcceptSeq({"AND", "NO", "CHAIN"});
  if (c.Accept("RELEASE")) out->release = true;
  c.AcceptSeq({"NO", "RELEASE"});
}

bool ClassifyBegin(TokenCursor& c, Statement* out) {
  c.Accept("WORK");
  if (!c.AtEnd()) return false;  // BEGIN NOT ATOMIC, labels: compound statements
  out->kind = StatementKind::kBeginTransaction;
  return true;
}

bool ClassifyStart(TokenCursor& c, Statement* out) {
  if (!c.Accept("TRANSACTION")) return false;
  out->kind = StatementKind::kBeginTransaction;
  while (!c.AtEnd()) {
    if (c.AcceptSeq({"READ", "ONLY"})) {
      out->read_only = true;
    } else {
      c.Next();
    }
  }
  return true;
}

bool ClassifyCommit(TokenCursor& c, Statement* out) {
  out->kind = StatementKind::kCommit;
  ParseChainRelease(c, out);
  return true;
}

bool ClassifyRollback(TokenCursor& c, Statement* out) {
  size_t start = c.pos();
  c.Accept("WORK");
  if (c.Accept("TO")) {
    out->kind = StatementKind::kSavepoint;
    return true;
  }
  c.set_pos(start);
  out->kind = StatementKind::kRollback;
  ParseChainRelease(c, out);
  return true;
}

bool ClassifyRelease(TokenCursor& c, Statement* out) {
  if (!c.PeekIs("SAVEPOINT")) return false;
  out->kind = StatementKind::kSavepoint;
  return true;
}

bool ClassifyUse(TokenCursor& c, Statement* out) {
  std::optional<std::string> db = c.ParseName();
  if (!db) return false;
  out->kind = StatementKind::kUse;
  out->database = *db;
  return true;
}

// Best-effort: named-lock functions called anywhere in the statement.
void ScanForLockFunctions(const std::vector<Token>& tokens, size_t begin, size_t end, Statement* out) {
  for (size_t i = begin; i + 1 < end; ++i) {
    if (!tokens[i + 1].IsPunct('(')) continue;
    if (tokens[i].Is("GET_LOCK")) out->calls_get_lock = true;
    if (tokens[i].Is("RELEASE_LOCK") || tokens[i].Is("RELEASE_ALL_LOCKS")) out->calls_release_lock = true;
  }
  if (out->kind != StatementKind::kOther) return;
  if (out->calls_get_lock) {
    out->kind = StatementKind::kGetLock;
  } else if (out->calls_release_lock) {
    out->kind = StatementKind::kReleaseLock;
  }
}

bool Dispatch(const Token& first, TokenCursor& c, Statement* out) {
  if (ClassifyDeploy(first, c, out)) return true;
  using Classifier = bool (*)(TokenCursor&, Statement*);
  struct Entry {
    std::string_view keyword;
    Classifier classify;
  };
  static constexpr Entry kTable[] = {
      {"ALTER", internal::ClassifyAlter},   {"CREATE", internal::ClassifyCreate},
      {"DROP", internal::ClassifyDrop},     {"RENAME", internal::ClassifyRename},
      {"TRUNCATE", internal::ClassifyTruncate},
      {"SET", internal::ClassifySet},       {"PREPARE", internal::ClassifyPrepare},
      {"EXECUTE", internal::ClassifyExecute}, {"DEALLOCATE", internal::ClassifyDeallocate},
      {"LOCK", internal::ClassifyLock},     {"UNLOCK", internal::ClassifyUnlock},
      {"FLUSH", internal::ClassifyFlush},   {"HANDLER", internal::ClassifyHandler},
      {"XA", internal::ClassifyXa},         {"BEGIN", ClassifyBegin},
      {"START", ClassifyStart},             {"COMMIT", ClassifyCommit},
      {"ROLLBACK", ClassifyRollback},       {"RELEASE", ClassifyRelease},
      {"USE", ClassifyUse},
  };
  if (first.Is("SAVEPOINT")) {
    out->kind = StatementKind::kSavepoint;
    return true;
  }
  for (const Entry& e : kTable) {
    if (first.Is(e.keyword)) return e.classify(c, out);
  }
  return false;
}

// Whether a comment in [from, to) of `sql` (a gap between tokens: no string
// can be there) reads /*sealgate:passthrough*/, spaces and case aside.
bool GapHasPassthroughHint(std::string_view sql, size_t from, size_t to) {
  std::string_view gap = sql.substr(from, to - from);
  for (size_t open = gap.find("/*"); open != std::string_view::npos; open = gap.find("/*", open + 2)) {
    size_t close = gap.find("*/", open + 2);
    if (close == std::string_view::npos) return false;
    std::string word;
    for (char ch : gap.substr(open + 2, close - open - 2)) {
      if (!isspace(static_cast<unsigned char>(ch))) word += static_cast<char>(tolower(static_cast<unsigned char>(ch)));
    }
    if (word == kPassthroughHintWord) return true;
    open = close;
  }
  return false;
}

}  // namespace

Statement Classify(std::string_view sql) {
  std::vector<Token> tokens = Tokenize(sql);
  // Leading ';' (empty statements before this one) are skipped.
  size_t begin = 0;
  while (begin < tokens.size() && tokens[begin].IsPunct(';')) ++begin;
  size_t end = begin;
  while (end < tokens.size() && !tokens[end].IsPunct(';')) ++end;
  Statement out;
  if (begin >= end) return out;  // kEmpty
  TokenCursor c(tokens, end);
  c.set_pos(begin);
  const Token& first = c.Next();
  if (!Dispatch(first, c, &out)) {
    out = Statement{};
    out.kind = StatementKind::kOther;
  }
  ScanForLockFunctions(tokens, begin, end, &out);
  size_t from = begin > 0 ? tokens[begin - 1].end : 0;
  for (size_t i = begin; i <= end && !out.passthrough_hint; ++i) {
    size_t to = i < tokens.size() ? tokens[i].begin : sql.size();
    out.passthrough_hint = GapHasPassthroughHint(sql, from, to);
    if (i < tokens.size()) from = tokens[i].end;
  }
  return out;
}

const char* StatementKindName(StatementKind kind) {
  switch (kind) {
    case StatementKind::kEmpty: return "Empty";
    case StatementKind::kOther: return "Other";
    case StatementKind::kBeginDeploy: return "BeginDeploy";
    case StatementKind::kCommitDeploy: return "CommitDeploy";
    case StatementKind::kRollbackDeploy: return "RollbackDeploy";
    case StatementKind::kEndDeploy: return "EndDeploy";
    case StatementKind::kRevertDeploy: return "RevertDeploy";
    case StatementKind::kFinalizeDeploy: return "FinalizeDeploy";
    case StatementKind::kShowDeploys: return "ShowDeploys";
    case StatementKind::kShowDeployStatus: return "ShowDeployStatus";
    case StatementKind::kAlterDeploy: return "AlterDeploy";
    case StatementKind::kShowDeployCheck: return "ShowDeployCheck";
    case StatementKind::kAlterTable: return "AlterTable";
    case StatementKind::kCreateTable: return "CreateTable";
    case StatementKind::kDropTable: return "DropTable";
    case StatementKind::kRenameTable: return "RenameTable";
    case StatementKind::kCreateIndex: return "CreateIndex";
    case StatementKind::kDropIndex: return "DropIndex";
    case StatementKind::kTruncateTable: return "TruncateTable";
    case StatementKind::kPrepare: return "Prepare";
    case StatementKind::kExecuteImmediate: return "ExecuteImmediate";
    case StatementKind::kExecute: return "Execute";
    case StatementKind::kDeallocatePrepare: return "DeallocatePrepare";
    case StatementKind::kSetSessionVariable: return "SetSessionVariable";
    case StatementKind::kLockTables: return "LockTables";
    case StatementKind::kUnlockTables: return "UnlockTables";
    case StatementKind::kFlushTablesWithReadLock: return "FlushTablesWithReadLock";
    case StatementKind::kBeginTransaction: return "BeginTransaction";
    case StatementKind::kCommit: return "Commit";
    case StatementKind::kRollback: return "Rollback";
    case StatementKind::kSavepoint: return "Savepoint";
    case StatementKind::kXa: return "Xa";
    case StatementKind::kHandler: return "Handler";
    case StatementKind::kUse: return "Use";
    case StatementKind::kGetLock: return "GetLock";
    case StatementKind::kReleaseLock: return "ReleaseLock";
  }
  return "?";
}

}  // namespace sealgate::sql
