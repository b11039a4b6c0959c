#include "deploy/seal_blockers.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

namespace sealgate::deploy {

using migration::QuoteTable;
using migration::SqlConn;

namespace {

std::string Short(const std::string& s, size_t n = 120) {
  std::string one = s;
  std::replace(one.begin(), one.end(), '\n', ' ');
  return one.size() > n ? one.substr(0, n) + "..." : one;
}

uint64_t ToId(const std::optional<std::string>& v) { return v ? std::strtoull(v->c_str(), nullptr, 10) : 0; }

int64_t ToInt(const std::optional<std::string>& v) { return v ? std::strtoll(v->c_str(), nullptr, 10) : -1; }

bool Contains(const std::vector<uint64_t>& ids, uint64_t id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// (schema, name) pairs for an IN list.
std::string TupleList(SqlConn& c, const std::vector<sql::TableName>& tables) {
  std::string in;
  for (const auto& t : tables) in += (in.empty() ? "(" : ", (") + c.Quote(t.schema) + ", " + c.Quote(t.name) + ")";
  return in;
}

}  // namespace

std::string Blocker::Describe() const {
  if (connection_id == 0) {
    return table + " held by a prepared XA transaction (XA RECOVER lists '" + xid +
           "'); the seal waits without holding clients until it is ended with XA COMMIT or XA ROLLBACK";
  }
  if (connection_id == kUnknownConnection) {
    return table + " is held by a connection the server does not name (" + lock +
           "); the seal waits for it without holding clients";
  }
  std::string id = std::to_string(connection_id);
  std::string out = "connection " + id + (account.empty() ? "" : " (" + account + ")") + " holds " + table;
  if (!lock.empty()) out += " (" + lock + ")";
  if (seconds >= 0) out += (command == "Sleep" ? ", idle in a transaction for " : ", for ") + std::to_string(seconds) + " s";
  if (!statement.empty()) out += (command == "Sleep" ? ", last ran: " : ", running: ") + Short(statement);
  return out + "; the seal waits for it without holding clients (KILL " + id + " would end it)";
}

StatusOr<std::vector<Blocker>> BlockerFinder::Find(SqlConn& probe, const BlockerQuery& query) {
  auto xa = PreparedXa(probe, query);
  if (!xa.ok() || !xa->empty()) return xa;
  StatusOr<std::vector<Blocker>> found = Status::Unavailable("not asked");
  if (LockInfoAvailable(probe)) {
    found = FromLockInfo(probe, query);
    if (!found.ok() && found.status().code() != StatusCode::kUnavailable) {
      // Installed but not readable by this account: try the tables instead.
      if (logger_) logger_->Warn("seal", "cannot read METADATA_LOCK_INFO (" + found.status().message() + ")");
      lock_info_ = LockInfo::kMissing;
    }
  }
  if (lock_info_ != LockInfo::kAvailable) found = FromLockProbe(probe, query);
  if (!found.ok()) return found;
  for (auto& b : *found) {
    if (!sessions_ || b.connection_id == 0 || b.command != "Sleep") continue;
    if (auto last = sessions_->LastStatement(b.connection_id)) b.statement = *last;
  }
  return found;
}

StatusOr<size_t> BlockerFinder::Holders(SqlConn& probe, const BlockerQuery& query) {
  if (query.tables.empty() || lock_info_ != LockInfo::kAvailable) return size_t{0};
  auto rows = probe.Query("SELECT DISTINCT THREAD_ID FROM information_schema.METADATA_LOCK_INFO WHERE "
                          "(TABLE_SCHEMA, TABLE_NAME) IN (" + TupleList(probe, query.tables) + ")");
  if (!rows.ok()) return rows.status();
  size_t n = 0;
  for (const auto& r : *rows) {
    uint64_t id = ToId(r[0]);
    n += id != 0 && id != probe.connection_id() && !Contains(query.ignore, id);
  }
  return n;
}

bool BlockerFinder::LockInfoAvailable(SqlConn& probe) {
  if (lock_info_ != LockInfo::kUnknown) return lock_info_ == LockInfo::kAvailable;
  auto active = probe.Scalar("SELECT COUNT(*) FROM information_schema.PLUGINS WHERE PLUGIN_NAME = "
                             "'METADATA_LOCK_INFO' AND PLUGIN_STATUS = 'ACTIVE'");
  if (!active.ok()) return false;  // asked again next time
  if (active->value_or("0") != "0") {
    lock_info_ = LockInfo::kAvailable;
    return true;
  }
  Status installed = probe.Exec("INSTALL SONAME 'metadata_lock_info'");
  lock_info_ = installed.ok() ? LockInfo::kAvailable : LockInfo::kMissing;
  if (logger_) {
    if (installed.ok()) {
      logger_->Info("seal", "installed the server's metadata_lock_info plugin: seals wait only for connections that "
                            "hold a metadata lock on the deploy's tables");
    } else {
      logger_->Warn("seal", "the server's metadata_lock_info plugin is not available (" + installed.message() +
                                "): blockers are found by trying each table's lock, and named less precisely");
    }
  }
  return installed.ok();
}

StatusOr<std::vector<Blocker>> BlockerFinder::FromLockInfo(SqlConn& probe, const BlockerQuery& query) {
  std::vector<sql::TableName> all = query.tables;
  all.insert(all.end(), query.shadows.begin(), query.shadows.end());
  std::vector<Blocker> out;
  if (all.empty()) return out;
  auto rows = probe.Query(
      "SELECT m.THREAD_ID, m.LOCK_MODE, m.LOCK_DURATION, m.TABLE_SCHEMA, m.TABLE_NAME, p.USER, p.HOST, p.COMMAND, "
      "p.TIME, p.INFO, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), p.TIME_MS "
      "FROM information_schema.METADATA_LOCK_INFO m "
      "LEFT JOIN information_schema.PROCESSLIST p ON p.ID = m.THREAD_ID "
      "LEFT JOIN information_schema.INNODB_TRX t ON t.trx_mysql_thread_id = m.THREAD_ID "
      "WHERE (m.TABLE_SCHEMA, m.TABLE_NAME) IN (" + TupleList(probe, all) + ") ORDER BY m.THREAD_ID");
  if (!rows.ok()) return rows.status();
  for (const auto& r : *rows) {
    uint64_t id = ToId(r[0]);
    if (id == 0 || id == probe.connection_id() || Contains(query.ignore, id)) continue;
    sql::TableName t{r[3].value_or(""), r[4].value_or("")};
    bool shadow = std::find(query.shadows.begin(), query.shadows.end(), t) != query.shadows.end();
    if (shadow && r[5].value_or("") == query.own_user) continue;  // an applier of sealgate's own
    // A busy table always has short statements and transactions holding its
    // lock for a moment: the RENAME waits for those within the hold. What
    // blocks is an explicit lock (LOCK TABLES, HANDLER), a session that has
    // been idle in its transaction or running one statement for a second or
    // more, or a transaction older than two seconds (trx_started has whole
    // seconds).
    const bool explicit_lock = r[2].value_or("") == "MDL_EXPLICIT";
    const double command_ms = r[11] ? std::strtod(r[11]->c_str(), nullptr) : 0;
    const bool long_held = command_ms >= 1000 || ToInt(r[10]) >= 2;
    if (!explicit_lock && !long_held) continue;
    Blocker b;
    b.connection_id = id;
    b.account = r[5].value_or("?") + "@" + r[6].value_or("?");
    b.table = t.schema + "." + t.name;
    b.lock = r[1].value_or("") + ", " + r[2].value_or("");
    b.command = r[7].value_or("");
    int64_t trx = ToInt(r[10]);
    b.seconds = trx >= 0 ? trx : ToInt(r[8]);
    b.statement = r[9].value_or("");
    // One line per connection: the first table it holds names it.
    if (!out.empty() && out.back().connection_id == id) continue;
    out.push_back(std::move(b));
  }
  return out;
}

StatusOr<std::vector<Blocker>> BlockerFinder::FromLockProbe(SqlConn& probe, const BlockerQuery& query) {
  // A WRITE lock request that never waits fails exactly when someone holds a
  // metadata lock on the table. Shadows are left out: sealgate's appliers
  // hold theirs for a moment, and nothing here could tell them apart.
  SEALGATE_RETURN_IF_ERROR(probe.Exec("SET SESSION lock_wait_timeout = 0"));
  std::vector<std::string> held;
  for (const auto& t : query.tables) {
    Status s = probe.Exec("LOCK TABLES " + QuoteTable(t.schema, t.name) + " WRITE");
    bool busy = !s.ok() && probe.server_errno() == 1205;
    (void)probe.Exec("UNLOCK TABLES");
    if (!s.ok() && !busy && s.code() == StatusCode::kUnavailable) return s;
    if (busy) held.push_back(t.schema + "." + t.name);
  }
  std::vector<Blocker> out;
  if (held.empty()) return out;
  // Name the oldest transaction (or, failing that, the longest statement) as the likely holder.
  auto trx = probe.Query("SELECT p.ID, p.USER, p.HOST, p.COMMAND, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), p.INFO "
                         "FROM information_schema.INNODB_TRX t JOIN information_schema.PROCESSLIST p "
                         "ON p.ID = t.trx_mysql_thread_id ORDER BY t.trx_started");
  Blocker b;
  b.table = held.front();
  b.lock = "its holder is not visible without the metadata_lock_info plugin; the oldest transaction is named";
  if (trx.ok()) {
    for (const auto& r : *trx) {
      uint64_t id = ToId(r[0]);
      if (id == probe.connection_id() || Contains(query.ignore, id)) continue;
      b.connection_id = id;
      b.account = r[1].value_or("?") + "@" + r[2].value_or("?");
      b.command = r[3].value_or("");
      b.seconds = ToInt(r[4]);
      b.statement = r[5].value_or("");
      break;
    }
  }
  if (b.connection_id == 0) b.connection_id = Blocker::kUnknownConnection;  // unknown holder, still a blocker
  out.push_back(std::move(b));
  return out;
}

StatusOr<std::vector<Blocker>> BlockerFinder::PreparedXa(SqlConn& probe, const BlockerQuery& query) {
  std::vector<Blocker> out;
  auto xa = probe.Query("XA RECOVER");
  if (!xa.ok()) return xa.status().code() == StatusCode::kUnavailable ? StatusOr<std::vector<Blocker>>(xa.status())
                                                                      : StatusOr<std::vector<Blocker>>(out);
  if (xa->empty()) return out;
  // Ordinary transactions hold InnoDB table locks for a moment too, so a
  // table counts as held only if every try in about half a second meets one.
  SEALGATE_RETURN_IF_ERROR(probe.Exec("SET SESSION lock_wait_timeout = 0"));
  if (!probe.Exec("SET SESSION innodb_lock_wait_timeout = 0").ok()) {
    SEALGATE_RETURN_IF_ERROR(probe.Exec("SET SESSION innodb_lock_wait_timeout = 1"));  // MySQL's minimum
  }
  SEALGATE_RETURN_IF_ERROR(probe.Exec("SET SESSION autocommit = 0"));  // LOCK TABLES then locks in InnoDB too
  std::string xids;
  for (const auto& row : *xa) {
    if (row.size() >= 4) xids += (xids.empty() ? "" : "', '") + row[3].value_or("");
  }
  Status failed;
  for (const auto& t : query.tables) {
    bool busy = true;
    for (int attempt = 0; attempt < 10 && busy && failed.ok(); ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      Status s = probe.Exec("LOCK TABLES " + QuoteTable(t.schema, t.name) + " WRITE");
      busy = !s.ok() && probe.server_errno() == 1205;
      if (!s.ok() && !busy) failed = s;
      (void)probe.Exec("UNLOCK TABLES");
    }
    if (busy && failed.ok()) {
      Blocker b;
      b.table = t.schema + "." + t.name;
      b.xid = xids;
      out.push_back(std::move(b));
    }
  }
  (void)probe.Exec("SET SESSION autocommit = 1");
  SEALGATE_RETURN_IF_ERROR(failed);
  return out;
}

}  // namespace sealgate::deploy
