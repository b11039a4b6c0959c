#include "proxy/session_state.h"

#include "sql/statement.h"

namespace sealgate::proxy {

namespace {

enum Effect : uint32_t {
  kLocksTables = 1u << 0,
  kUnlocksTables = 1u << 1,
  kOpensHandler = 1u << 2,
  kClosesHandler = 1u << 3,
  kTakesUserLock = 1u << 4,
  kMayReleaseUserLock = 1u << 5,
  kCreatesTemporary = 1u << 7,  // the oldest entry of created_ is recorded if the query succeeds
};

bool StartsWithPlainDml(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r')) ++i;
  auto starts = [&](std::string_view word) {
    if (sql.size() - i < word.size()) return false;
    for (size_t k = 0; k < word.size(); ++k) {
      char c = sql[i + k];
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      if (c != word[k]) return false;
    }
    return true;
  };
  return starts("SELECT") || starts("INSERT") || starts("UPDATE") || starts("DELETE") || starts("REPLACE");
}

// Cheap pre-check: the plain DML that makes up nearly all traffic has none of
// the effects tracked here, unless it calls GET_LOCK/RELEASE_LOCK.
bool MayHaveEffects(std::string_view sql) {
  if (!StartsWithPlainDml(sql)) return true;
  for (size_t k = 0; k + 4 < sql.size(); ++k) {
    if ((sql[k] == '_') && (sql[k + 1] == 'L' || sql[k + 1] == 'l')) return true;  // GET_LOCK, RELEASE_LOCK
  }
  return false;
}

}  // namespace

bool SessionState::MayBeInteresting(std::string_view sql) { return !StartsWithPlainDml(sql); }

uint32_t SessionState::OnQuerySent(std::string_view sql, const std::string& database) {
  if (!MayHaveEffects(sql)) return 0;
  uint32_t effects = 0;
  std::string db = database;
  for (std::string_view piece : sql::SplitStatements(sql)) {
    sql::Statement st = sql::Classify(piece);
    auto key = [&](const sql::TableName& t) { return std::make_pair(t.schema.empty() ? db : t.schema, t.name); };
    switch (st.kind) {
      case sql::StatementKind::kCreateTable:
        if (st.temporary && !st.tables.empty()) {
          if (!(effects & kCreatesTemporary)) created_.emplace_back();
          created_.back().push_back(key(st.tables[0]));
          effects |= kCreatesTemporary;
        }
        break;
      case sql::StatementKind::kDropTable:
        // DROP TABLE drops the temporary table of that name first.
        for (const auto& t : st.tables) temporary_tables_.erase(key(t));
        break;
      case sql::StatementKind::kLockTables:
      case sql::StatementKind::kFlushTablesWithReadLock:
        effects |= kLocksTables;
        effects &= ~kUnlocksTables;
        break;
      case sql::StatementKind::kUnlockTables:
      case sql::StatementKind::kBeginTransaction:  // START TRANSACTION releases table locks
        effects |= kUnlocksTables;
        effects &= ~kLocksTables;
        break;
      case sql::StatementKind::kHandler:
        if (st.handler_action == sql::HandlerAction::kOpen) effects |= kOpensHandler;
        if (st.handler_action == sql::HandlerAction::kClose) effects |= kClosesHandler;
        break;
      case sql::StatementKind::kGetLock: effects |= kTakesUserLock; break;
      case sql::StatementKind::kReleaseLock: effects |= kMayReleaseUserLock; break;
      case sql::StatementKind::kUse:
        effects |= kChangesDatabase;
        last_use_database_ = st.database;
        db = st.database;
        break;
      default: break;
    }
    if (st.calls_get_lock) effects |= kTakesUserLock;
    if (st.calls_release_lock) effects |= kMayReleaseUserLock;
  }
  return effects;
}

void SessionState::OnQueryDone(uint32_t effects, bool ok) {
  if (effects == 0) return;
  // A CREATE TEMPORARY TABLE that failed made no table (in a multi-statement
  // that failed part-way: the ones before the failure are not recorded).
  if ((effects & kCreatesTemporary) && !created_.empty()) {
    if (ok) temporary_tables_.insert(created_.front().begin(), created_.front().end());
    created_.pop_front();
  }
  // A failed LOCK TABLES holds nothing; a failed UNLOCK still releases.
  if ((effects & kLocksTables) && ok) {
    table_locks_ = true;
  }
  if (effects & kUnlocksTables) {
    table_locks_ = false;
  }
  if ((effects & kOpensHandler) && ok) ++handlers_;
  if ((effects & kClosesHandler) && handlers_ > 0) --handlers_;
  // GET_LOCK may return 0 (not taken): stay conservative and count it as held
  // until a release; RELEASE_LOCK of one of several held locks is not tracked
  // exactly either, so only RELEASE_ALL-style releases would be exact.
  if ((effects & kTakesUserLock) && ok) user_locks_ = true;
  if (effects & kMayReleaseUserLock) user_locks_ = false;
}

bool SessionState::MayHaveTemporaryTable(const std::string& database, const std::string& table) const {
  return temporary_tables_.count({database, table}) > 0;
}

void SessionState::OnSessionReset() {
  temporary_tables_.clear();
  created_.clear();
  table_locks_ = false;
  handlers_ = 0;
  user_locks_ = false;
}

}  // namespace sealgate::proxy
