// Applying binlog transactions to the shadow (see migration.h for why the
// cursor rule makes copy and apply commute).
#include <strings.h>

#include <optional>
#include <regex>
#include <string_view>

#include "common/utf8.h"
#include "migration/migration.h"
#include "sql/alter.h"
#include "sql/errors.h"

namespace sealgate::migration {
namespace {

constexpr unsigned kErDupEntry = 1062;

// First word of a statement, upper-cased, skipping comments loosely.
std::string FirstWord(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    if (isspace(static_cast<unsigned char>(s[i]))) {
      ++i;
    } else if (s.compare(i, 2, "/*") == 0 && s.compare(i, 3, "/*!") != 0 && s.compare(i, 3, "/*M") != 0) {
      size_t e = s.find("*/", i + 2);
      i = e == std::string::npos ? s.size() : e + 2;
    } else {
      break;
    }
  }
  std::string w;
  while (i < s.size() && isalpha(static_cast<unsigned char>(s[i]))) w.push_back(char(toupper(s[i++])));
  return w;
}

bool IsIntegerType(const std::string& data_type) {
  return data_type == "tinyint" || data_type == "smallint" || data_type == "mediumint" || data_type == "int" ||
         data_type == "bigint";
}

// Orders two decimal integer literals ("-12", "340"); nullopt unless both
// are plain decimal integers.
std::optional<int> CompareIntLiterals(const std::string& a, const std::string& b) {
  auto plain = [](const std::string& s) {
    size_t i = !s.empty() && s[0] == '-' ? 1 : 0;
    if (i == s.size()) return false;
    for (; i < s.size(); ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
    }
    return true;
  };
  if (!plain(a) || !plain(b)) return std::nullopt;
  std::string_view da(a), db(b);
  bool na = da[0] == '-', nb = db[0] == '-';
  if (na) da.remove_prefix(1);
  if (nb) db.remove_prefix(1);
  while (da.size() > 1 && da[0] == '0') da.remove_prefix(1);
  while (db.size() > 1 && db[0] == '0') db.remove_prefix(1);
  na = na && da != "0";  // "-0" is zero
  nb = nb && db != "0";
  if (na != nb) return na ? -1 : 1;
  int mag = da.size() != db.size() ? (da.size() < db.size() ? -1 : 1) : (da < db ? -1 : da > db ? 1 : 0);
  return na ? -mag : mag;
}

}  // namespace

std::optional<bool> KeyAtOrBelowLocally(const std::vector<std::string>& key, const std::vector<std::string>& cursor) {
  if (key.size() != cursor.size()) return std::nullopt;
  for (size_t i = 0; i < key.size(); ++i) {
    auto c = CompareIntLiterals(key[i], cursor[i]);
    if (!c) return std::nullopt;
    if (*c != 0) return *c < 0;
  }
  return true;
}

std::vector<const ColumnMeta*> KeyEnumColumns(const MigrationSpec& spec) {
  std::vector<const ColumnMeta*> enums;
  for (size_t idx : spec.key) {
    const ColumnMeta& col = spec.original.columns[idx];
    enums.push_back(col.data_type == "enum" ? &col : nullptr);
  }
  return enums;
}

std::string Migration::KeyAbove(const std::vector<std::string>& lhs, const Cursor& c) const {
  return KeyAboveSql(lhs, c, key_enums_);
}

std::string KeyAboveSql(const std::vector<std::string>& lhs, const Cursor& c,
                        const std::vector<const ColumnMeta*>& enums) {
  if (c.kind == Cursor::kNone) return "1";
  if (c.kind == Cursor::kAll) return "0";
  // (k1 > c1 OR (k1 = c1 AND (k2 > c2 OR ...))): a form every optimizer turns into a range.
  std::string out;
  size_t n = lhs.size();
  for (size_t i = 0; i < n; ++i) {
    const ColumnMeta* e = i < enums.size() ? enums[i] : nullptr;
    std::string gt = e ? EnumKeyAfter(*e, lhs[i], c.literals[i]) : lhs[i] + " > " + c.literals[i];
    std::string eq = e ? EnumKeyAt(*e, lhs[i], c.literals[i]) : lhs[i] + " = " + c.literals[i];
    if (i + 1 == n) {
      out += gt;
    } else {
      out += "(" + gt + " OR (" + eq + " AND ";
    }
  }
  for (size_t i = 0; i + 1 < n; ++i) out += "))";
  return "(" + out + ")";
}

std::string Migration::CheckpointSql() const {
  auto cur = cp_.applied_cursor.Serialize();
  return "UPDATE " + QuoteTable(spec_.meta_schema, "migrations") +
         " SET applied_seq = " + std::to_string(cp_.applied_seq) +
         ", applied_cursor = " + (cur ? conn_.Quote(*cur) : "NULL") +
         ", applied_gtid = " + conn_.Quote(cp_.applied.gtid_state) +
         ", applied_file = " + conn_.Quote(cp_.applied.file) +
         ", applied_pos = " + std::to_string(cp_.applied.offset) +
         ", state = " + conn_.Quote(cp_.applied_cursor.kind == Cursor::kAll ? "staged" : "copying") +
         ", updated_at = NOW(6) WHERE id = " + std::to_string(spec_.id) + LeaseFence();
}

Status Migration::ApplyBatch(std::vector<WorkItem>& items) {
  // Transactions at or before the checkpoint are already in the shadow
  // (the stream serves several migrations and may start earlier).
  // (A restarted stream may deliver a transaction twice: keep the first.)
  std::vector<WorkItem> fresh;
  binlog::BinlogPosition last = cp_.applied;
  for (auto& it : items) {
    if (it.restart_copy) {
      SEALGATE_RETURN_IF_ERROR(RestartCopy(it.position));
      fresh.clear();
      last = cp_.applied;
    } else if (PositionAfter(it.position, last)) {
      last = it.position;
      fresh.push_back(std::move(it));
    }
  }
  if (fresh.empty()) return Status::Ok();
  bool conflict = false;
  Status st = ApplyItems(fresh, &conflict);
  if (!st.ok() && conflict) {
    // A chunk copied ahead of the applier can collide with a row the
    // applier has not caught up on yet: undo the chunk, apply again.
    Log(LogLevel::kInfo, "unique conflict while a copied chunk is ahead; undoing the chunk and retrying");
    SEALGATE_RETURN_IF_ERROR(UndoWindow());
    st = ApplyItems(fresh, &conflict);
    if (st.ok()) {
      // Unique values are moving under the copy: copy smaller chunks, one at
      // a time, only once the applier has caught up, for a while.
      chunk_rows_ = std::max(tuning_.min_chunk_rows, chunk_rows_ / 2);
      cautious_chunks_ = 20;
      auto hb = host_->WriteHeartbeat();
      if (!hb.ok()) return hb.status();
      catch_up_to_ = *hb;
    }
  }
  return st;
}

Status Migration::ApplyItems(const std::vector<WorkItem>& items, bool* conflict_in_window) {
  bool heartbeat_only = true;
  uint64_t heartbeat = 0;
  auto now = std::chrono::steady_clock::now();
  for (const auto& it : items) {
    if (!it.rows.empty()) table_written_ = now;  // the copy takes shorter chunks (CopyChunk)
    if (!it.rows.empty() || !it.statements.empty() || it.copy_mark) heartbeat_only = false;
    if (it.heartbeat) heartbeat = std::max(heartbeat, *it.heartbeat);
  }
  if (heartbeat_only && now - last_checkpoint_ < std::chrono::seconds(1)) {
    // Nothing to write; the position is persisted with the next real batch.
    cp_.applied = items.back().position;
    std::lock_guard<std::mutex> lock(mu_);
    applied_file_ = cp_.applied.file;
    seen_heartbeat_ = std::max(seen_heartbeat_, heartbeat);
    cv_.notify_all();
    return Status::Ok();
  }
  const Checkpoint saved = cp_;
  const auto saved_pending = pending_;
  uint64_t applied_rows = 0;
  int64_t growth = 0;
  std::vector<ShadowWrite> writes;
  writes.push_back({"BEGIN", nullptr, nullptr});
  Status st;
  for (size_t i = 0; st.ok() && i < items.size(); ++i) {
    const WorkItem& it = items[i];
    for (const auto& q : it.statements) {
      st = CheckStatement(*q);
      if (!st.ok()) break;
    }
    for (size_t r = 0; st.ok() && r < it.rows.size(); ++r) {
      st = ApplyRows(*it.rows[r], it.position, &writes, &growth);
      applied_rows += it.rows[r]->row_count();
    }
    if (!st.ok()) break;
    // Marks of undone chunks are older than the front and ignored.
    if (it.copy_mark && !pending_.empty() && *it.copy_mark == pending_.front().first) {
      cp_.applied_cursor = pending_.front().second;
      cp_.applied_seq = pending_.front().first;
      pending_.pop_front();
    }
    cp_.applied = it.position;
  }
  if (st.ok()) {
    // One round trip for the whole batch, checkpoint included: the applied
    // position commits with the rows it covers. COMMIT follows once the
    // checkpoint proved this engine still owns the migration (the lease fence).
    writes.push_back({CheckpointSql(), nullptr, nullptr});
    std::vector<std::string> sql;
    sql.reserve(writes.size());
    for (auto& w : writes) sql.push_back(std::move(w.sql));
    size_t failed = writes.size();
    st = conn_.ExecBatch(sql, &failed);
    if (st.ok()) st = CheckLeaseFence();
    if (st.ok()) st = conn_.Exec("COMMIT");
    if (!st.ok() && spec_.role != MigrationRole::kStage && conn_.server_errno() != 0 &&
        conn_.server_errno() < 2000 && failed < writes.size()) {
      st = FollowerWriteError(writes[failed]);
    } else if (!st.ok() && conn_.server_errno() == kErDupEntry && failed < writes.size()) {
      st = DuplicateKeyError(writes[failed]);
    }
  }
  if (!st.ok()) {
    bool window_has_rows = !(saved.copy_cursor == saved.applied_cursor);
    *conflict_in_window = conn_.server_errno() == kErDupEntry && window_has_rows;
    (void)conn_.Exec("ROLLBACK");
    cp_ = saved;
    pending_ = saved_pending;
    return st;
  }
  last_checkpoint_ = now;
  std::lock_guard<std::mutex> lock(mu_);
  applied_file_ = cp_.applied.file;
  seen_heartbeat_ = std::max(seen_heartbeat_, heartbeat);
  rows_applied_ += applied_rows;
  uncopied_growth_ += growth;
  if (cp_.applied_cursor.kind == Cursor::kAll && state_ == MigrationState::kCopying) {
    state_ = MigrationState::kStaged;
    if (has_slot_) {
      host_->ReleaseCopySlot();
      has_slot_ = false;
    }
    Log(LogLevel::kInfo, "copy complete; staged");
  }
  cv_.notify_all();
  return Status::Ok();
}

Status Migration::CheckStatement(const binlog::QueryEvent& q) {
  // Our own statements name the shadow as well (CREATE ... LIKE, the seal's RENAME).
  for (const auto& t : q.tables) {
    if (t.first == spec_.table.schema && t.second == spec_.shadow) return Status::Ok();
  }
  std::string w = FirstWord(q.statement);
  for (const char* harmless : {"ANALYZE", "OPTIMIZE", "CHECK", "CHECKSUM", "GRANT", "REVOKE", "FLUSH", "SHOW"}) {
    if (w == harmless) return Status::Ok();
  }
  // Foreign keys added or dropped, and nothing else, leave rows and columns
  // as they are (a swap puts them back this way; the deploy compares them
  // with what it recorded before it seals).
  if (w == "ALTER") {
    auto alter = sql::AnalyzeAlter(q.statement);
    bool keys_only = alter.ok() && !alter->specs.empty();
    for (const auto& spec : alter.ok() ? alter->specs : std::vector<sql::AlterSpec>{}) {
      keys_only = keys_only && spec.foreign_key &&
                  (spec.kind == sql::AlterSpecKind::kAddForeignKey || spec.kind == sql::AlterSpecKind::kDropConstraint);
    }
    if (keys_only) return Status::Ok();
  }
  // Triggers created or dropped leave rows and columns as they are (a swap
  // moves them this way; the deploy compares them with what it recorded
  // before it swaps).
  static const std::regex kTrigger(
      R"(^\s*(CREATE\s+(OR\s+REPLACE\s+)?(DEFINER\s*=\s*\S+\s+)?|DROP\s+)TRIGGER\s)", std::regex::icase);
  if (std::regex_search(q.statement, kTrigger)) return Status::Ok();
  std::string text = q.statement.size() > 200 ? std::string(Utf8Prefix(q.statement, 200)) + "..." : q.statement;
  return Status::Aborted("`" + spec_.table.schema + "`.`" + spec_.table.name +
                         "` was changed outside row events while staging (" + text +
                         "): the shadow can no longer follow it. Cancel the deploy and run the ALTER again.")
      .WithMysqlError(error::kMigrationTableChanged, error::kSqlstateGeneral);
}

StatusOr<std::vector<bool>> Migration::KeysCopied(const std::vector<std::vector<std::string>>& keys) {
  std::vector<bool> out(keys.size(), cp_.applied_cursor.kind == Cursor::kAll);
  if (cp_.applied_cursor.kind != Cursor::kAt || keys.empty()) return out;
  // Integer keys (the common case) are compared here: no round trip per
  // rows event while the copy runs.
  bool integers = true;
  for (size_t idx : spec_.key) {
    const std::string& type = spec_.original.columns[idx].data_type;
    integers = integers && (IsIntegerType(type) || type == "enum");  // an ENUM's key literal is its member number
  }
  if (integers) {
    bool all = true;
    for (size_t i = 0; all && i < keys.size(); ++i) {
      auto below = KeyAtOrBelowLocally(keys[i], cp_.applied_cursor.literals);
      if (below) out[i] = *below;
      all = below.has_value();
    }
    if (all) return out;
  }
  // Other keys are ordered by the index's collation: let the server compare.
  for (size_t start = 0; start < keys.size(); start += 500) {
    size_t end = std::min(keys.size(), start + 500);
    std::string sql = "SELECT ";
    for (size_t i = start; i < end; ++i) {
      if (i > start) sql += ", ";
      sql += "NOT " + KeyAboveSql(keys[i], cp_.applied_cursor);  // literals: member numbers compare as numbers
    }
    auto rows = conn_.Query(sql);
    if (!rows.ok()) return rows.status();
    for (size_t i = start; i < end; ++i) out[i] = rows->at(0)[i - start].value_or("0") == "1";
  }
  return out;
}

StatusOr<std::vector<Cascade>> ReadCascades(SqlConn& conn, const sql::TableName& table) {
  auto rows = conn.Query(
      "SELECT rc.CONSTRAINT_NAME, rc.UNIQUE_CONSTRAINT_SCHEMA, rc.REFERENCED_TABLE_NAME, rc.DELETE_RULE, "
      "rc.UPDATE_RULE, k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS rc "
      "JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = rc.CONSTRAINT_SCHEMA "
      "AND k.CONSTRAINT_NAME = rc.CONSTRAINT_NAME AND k.TABLE_NAME = rc.TABLE_NAME AND k.REFERENCED_TABLE_NAME "
      "IS NOT NULL WHERE rc.CONSTRAINT_SCHEMA = " + conn.Quote(table.schema) + " AND rc.TABLE_NAME = " +
      conn.Quote(table.name) + " AND (rc.DELETE_RULE NOT IN ('RESTRICT', 'NO ACTION') OR rc.UPDATE_RULE NOT IN "
      "('RESTRICT', 'NO ACTION')) ORDER BY rc.CONSTRAINT_NAME, k.ORDINAL_POSITION");
  if (!rows.ok()) return rows.status();
  std::vector<Cascade> out;
  std::string current;
  for (const auto& r : *rows) {
    if (out.empty() || r[0].value_or("") != current) {
      current = r[0].value_or("");
      Cascade c;
      c.parent = {r[1].value_or(""), r[2].value_or("")};
      c.on_delete = r[3].value_or("RESTRICT");
      c.on_update = r[4].value_or("RESTRICT");
      out.push_back(std::move(c));
    }
    out.back().columns.push_back(r[5].value_or(""));
    out.back().parent_columns.push_back(r[6].value_or(""));
  }
  return out;
}

Status Migration::ApplyCascades(const binlog::RowsEvent& ev, std::vector<ShadowWrite>* out) const {
  const std::string shadow = QuoteTable(spec_.table.schema, spec_.shadow);
  for (const Cascade& c : spec_.cascades) {
    if (ev.table->schema != c.parent.schema || ev.table->table != c.parent.name) continue;
    // The parent's columns in its event, the followed table's for the literals (a key's columns have one type).
    std::vector<size_t> at;
    std::vector<const ColumnMeta*> meta;
    for (size_t j = 0; j < c.columns.size() && j < c.parent_columns.size(); ++j) {
      size_t found = ev.table->columns.size();
      for (size_t i = 0; i < ev.table->columns.size(); ++i) {
        if (strcasecmp(ev.table->columns[i].name.c_str(), c.parent_columns[j].c_str()) == 0) found = i;
      }
      const ColumnMeta* m = nullptr;
      for (const auto& col : spec_.original.columns) {
        if (strcasecmp(col.name.c_str(), c.columns[j].c_str()) == 0) m = &col;
      }
      if (found == ev.table->columns.size() || !m) {
        return Status::Aborted("the cascade from `" + c.parent.name + "` cannot be followed: column " +
                               c.parent_columns[j] + " or " + c.columns[j] + " not found")
            .WithMysqlError(error::kMigrationTableChanged, error::kSqlstateGeneral);
      }
      at.push_back(found);
      meta.push_back(m);
    }
    // "c1 = v1 AND ..." for the key's value in a parent row; nullopt if part of it is NULL (nothing references it).
    auto where = [&](const binlog::Row& row) -> std::optional<std::string> {
      std::string w;
      for (size_t j = 0; j < at.size(); ++j) {
        if (row[at[j]].is_null()) return std::nullopt;
        w += (j ? " AND " : "") + QuoteIdent(c.columns[j]) + " = " + ColumnLiteral(*meta[j], row[at[j]]);
      }
      return w;
    };
    auto set = [&](const binlog::Row* row) {
      std::string out_set;
      for (size_t j = 0; j < at.size(); ++j) {
        out_set += (j ? ", " : "") + QuoteIdent(c.columns[j]) + " = " +
                   (row ? ColumnLiteral(*meta[j], (*row)[at[j]]) : std::string("NULL"));
      }
      return out_set;
    };
    for (size_t i = 0; i < ev.row_count(); ++i) {
      if (ev.kind == binlog::RowsKind::kDelete) {
        auto w = where(ev.before[i]);
        if (!w) continue;
        if (c.on_delete == "CASCADE") out->push_back({"DELETE FROM " + shadow + " WHERE " + *w, nullptr, nullptr});
        if (c.on_delete == "SET NULL") {
          out->push_back({"UPDATE " + shadow + " SET " + set(nullptr) + " WHERE " + *w, nullptr, nullptr});
        }
      } else if (ev.kind == binlog::RowsKind::kUpdate) {
        auto before = where(ev.before[i]), after = where(ev.after[i]);
        if (!before || before == after) continue;  // the referenced value did not change
        if (c.on_update == "CASCADE") {
          out->push_back({"UPDATE " + shadow + " SET " + set(&ev.after[i]) + " WHERE " + *before, nullptr, nullptr});
        }
        if (c.on_update == "SET NULL") {
          out->push_back({"UPDATE " + shadow + " SET " + set(nullptr) + " WHERE " + *before, nullptr, nullptr});
        }
      }
    }
  }
  return Status::Ok();
}

Status Migration::ApplyRows(const binlog::RowsEvent& ev, const binlog::BinlogPosition& pos,
                            std::vector<ShadowWrite>* out, int64_t* uncopied_growth) {
  if (ev.table && (ev.table->schema != spec_.table.schema || ev.table->table != spec_.table.name)) {
    return ApplyCascades(ev, out);  // a parent's rows (Engine dispatches them for spec_.cascades)
  }
  const auto& cols = spec_.original.columns;
  if (!ev.table || ev.table->columns.size() != cols.size()) {
    return Status::Aborted("row event for `" + spec_.table.name + "` has " +
                           std::to_string(ev.table ? ev.table->columns.size() : 0) + " columns, expected " +
                           std::to_string(cols.size()) +
                           ": the table was altered outside the deploy. Cancel the deploy and run the ALTER again.")
        .WithMysqlError(error::kMigrationTableChanged, error::kSqlstateGeneral);
  }
  auto key_of = [&](const binlog::Row& row) {
    std::vector<std::string> k;
    for (size_t idx : spec_.key) k.push_back(KeyLiteralFromValue(cols[idx], row[idx]));
    return k;
  };
  // Which side of each change lies in the copied range decides what to write.
  std::vector<RowOp> ops;
  std::vector<std::vector<std::string>> keys;  // per op: before key (delete/update), after key (insert/update)
  for (size_t i = 0; i < ev.row_count(); ++i) {
    RowOp op{ev.kind == binlog::RowsKind::kInsert ? RowOp::kInsert
             : ev.kind == binlog::RowsKind::kDelete ? RowOp::kDelete : RowOp::kUpdate};
    if (op.kind != RowOp::kInsert) op.before = &ev.before[i];
    if (op.kind != RowOp::kDelete) op.after = &ev.after[i];
    keys.push_back(key_of(op.before ? *op.before : *op.after));
    keys.push_back(key_of(op.after ? *op.after : *op.before));
    ops.push_back(op);
  }
  auto copied = KeysCopied(keys);
  if (!copied.ok()) return copied.status();
  for (size_t i = 0; i < ops.size(); ++i) {
    *uncopied_growth += int64_t(ops[i].after && !(*copied)[2 * i + 1]) - int64_t(ops[i].before && !(*copied)[2 * i]);
  }

  EmitWrites(ops, *copied, keys, pos, out);
  return Status::Ok();
}

std::string Migration::ShadowValues(const binlog::Row& row) const {
  const auto& cols = spec_.original.columns;
  std::string v = "(";
  for (size_t i = 0; i < spec_.columns.size(); ++i) {
    if (i) v += ", ";
    v += ColumnLiteral(cols[spec_.columns[i].source], row[spec_.columns[i].source]);
  }
  return v + ")";
}

std::string Migration::ShadowKeyWhere(const binlog::Row& row) const {
  const auto& cols = spec_.original.columns;
  std::string w;
  for (size_t i = 0; i < spec_.row_key.size(); ++i) {
    if (i) w += " AND ";
    size_t src = spec_.row_key_source[i];
    w += QuoteIdent(spec_.row_key[i]) + " = " + ColumnLiteral(cols[src], row[src]);
  }
  return w;
}

void Migration::EmitWrites(const std::vector<RowOp>& ops, const std::vector<bool>& copied,
                           const std::vector<std::vector<std::string>>& keys, const binlog::BinlogPosition& pos,
                           std::vector<ShadowWrite>* out) const {
  const auto& cols = spec_.original.columns;
  const std::string shadow = QuoteTable(spec_.table.schema, spec_.shadow);
  std::string names;
  for (const auto& c : spec_.columns) names += (names.empty() ? "" : ", ") + QuoteIdent(c.name);
  auto values = [&](const binlog::Row& row) { return ShadowValues(row); };
  auto where_key = [&](const binlog::Row& row) { return ShadowKeyWhere(row); };
  std::string pending_insert;  // consecutive inserts go out as one multi-row INSERT
  const binlog::Row* first_insert = nullptr;
  auto flush = [&] {
    if (pending_insert.empty()) return;
    out->push_back({"INSERT INTO " + shadow + " (" + names + ") VALUES " + pending_insert, first_insert, &pos});
    pending_insert.clear();
    first_insert = nullptr;
  };
  auto exec = [&](std::string sql, const binlog::Row* row) {
    flush();
    out->push_back({std::move(sql), row, &pos});
  };
  auto insert = [&](const binlog::Row& row) {
    if (!pending_insert.empty()) pending_insert += ", ";
    if (!first_insert) first_insert = &row;
    pending_insert += values(row);
    if (pending_insert.size() > (size_t(1) << 20)) flush();
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    const RowOp& op = ops[i];
    bool before_in = copied[2 * i], after_in = copied[2 * i + 1];
    if (op.kind == RowOp::kInsert) {
      if (after_in) insert(*op.after);
      continue;
    }
    if (op.kind == RowOp::kDelete) {
      if (before_in) exec("DELETE FROM " + shadow + " WHERE " + where_key(*op.before), op.before);
      continue;
    }
    if (keys[2 * i] == keys[2 * i + 1] && before_in) {
      std::string set;
      for (size_t c = 0; c < spec_.columns.size(); ++c) {
        size_t src = spec_.columns[c].source;
        set += (c ? ", " : "") + QuoteIdent(spec_.columns[c].name) + " = " + ColumnLiteral(cols[src], (*op.after)[src]);
      }
      exec("UPDATE " + shadow + " SET " + set + " WHERE " + where_key(*op.before), op.after);
      continue;
    }
    if (spec_.role != MigrationRole::kStage && before_in && after_in) {
      // A follower's target has columns the projection does not write (the
      // other schema's own): move the row, never re-create it without them.
      std::string set;
      for (size_t c = 0; c < spec_.columns.size(); ++c) {
        size_t src = spec_.columns[c].source;
        set += (c ? ", " : "") + QuoteIdent(spec_.columns[c].name) + " = " + ColumnLiteral(cols[src], (*op.after)[src]);
      }
      exec("UPDATE " + shadow + " SET " + set + " WHERE " + where_key(*op.before), op.after);
      continue;
    }
    // The key changed: delete + insert (DESIGN.md §8), each side by its own range.
    if (before_in) exec("DELETE FROM " + shadow + " WHERE " + where_key(*op.before), op.before);
    if (after_in) insert(*op.after);
  }
  flush();
}

std::string Migration::DescribeRow(const binlog::Row& row) const {
  const auto& cols = spec_.original.columns;
  std::string d;
  for (size_t i = 0; i < spec_.columns.size() && d.size() < 400; ++i) {
    const auto& src = cols[spec_.columns[i].source];
    std::string text = binlog::ValueToText(row[spec_.columns[i].source]);
    if (text.size() > 40) text = std::string(Utf8Prefix(text, 40)) + "...";
    d += (d.empty() ? "" : ", ") + spec_.columns[i].name + "=" + (src.is_string() ? "'" + text + "'" : text);
  }
  return "(" + d + ")";
}

Status Migration::FollowerWriteError(const ShadowWrite& w) const {
  bool reverse = spec_.role == MigrationRole::kReverse;
  return Status::Aborted(std::string("a write to `") + spec_.table.name + "` at " +
                         (w.position ? w.position->ToString() : std::string("?")) + " does not fit the " +
                         (reverse ? "old" : "new") + " schema kept in `" + spec_.shadow + "`: " + conn_.server_error() +
                         "; row " + (w.row ? DescribeRow(*w.row) : std::string("?")) + ". " +
                         (reverse ? "REVERT DEPLOY is no longer possible for this deploy (FINALIZE DEPLOY ends it)"
                                  : "the deploy can no longer be sealed again (FINALIZE DEPLOY ends it)"))
      .WithMysqlError(error::kRevertImpossible, error::kSqlstateGeneral);
}

Status Migration::DuplicateKeyError(const ShadowWrite& w) const {
  return Status::Aborted("duplicate key in the altered table while applying the binlog at " +
                         (w.position ? w.position->ToString() : std::string("?")) + ": " + conn_.server_error() +
                         "; row " + (w.row ? DescribeRow(*w.row) : std::string("?")) +
                         ". The data violates a unique key of the ALTER: fix the rows in `" + spec_.table.name +
                         "` (or change the ALTER) and deploy again.")
      .WithMysqlError(error::kMigrationDuplicateKey, error::kSqlstateGeneral);
}

}  // namespace sealgate::migration
