#include "binlog/transaction_assembler.h"

#include <cctype>
#include <cstdlib>

#include "binlog/event_types.h"

namespace sealgate::binlog {
namespace {

std::string Upper(std::string_view s, size_t max) {
  std::string out;
  for (char c : s.substr(0, max)) out.push_back(char(std::toupper(static_cast<unsigned char>(c))));
  return out;
}

// The statement with comments and surrounding blanks removed, upper-cased
// prefix (enough to classify transaction-control statements).
std::string Head(const std::string& sql) {
  size_t i = 0;
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) { ++i; continue; }
    if (sql.compare(i, 2, "/*") == 0 && sql.compare(i, 3, "/*!") != 0) {
      size_t e = sql.find("*/", i + 2);
      i = e == std::string::npos ? sql.size() : e + 2;
      continue;
    }
    break;
  }
  std::string h = Upper(std::string_view(sql).substr(i), 64);
  while (!h.empty() && (std::isspace(static_cast<unsigned char>(h.back())) || h.back() == ';')) h.pop_back();
  return h;
}

bool StartsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

bool ReadXaString(const std::string& s, size_t* i, std::string* out) {
  while (*i < s.size() && std::isspace(static_cast<unsigned char>(s[*i]))) ++*i;
  if (*i < s.size() && (s[*i] == 'X' || s[*i] == 'x') && *i + 1 < s.size() && s[*i + 1] == '\'') {
    size_t end = s.find('\'', *i + 2);
    if (end == std::string::npos) return false;
    std::string hex = s.substr(*i + 2, end - *i - 2);
    if (hex.size() % 2) return false;
    out->clear();
    for (size_t k = 0; k < hex.size(); k += 2) out->push_back(char(std::strtoul(hex.substr(k, 2).c_str(), nullptr, 16)));
    *i = end + 1;
    return true;
  }
  if (*i < s.size() && (s[*i] == '\'' || s[*i] == '"')) {
    char q = s[*i];
    out->clear();
    for (++*i; *i < s.size(); ++*i) {
      if (s[*i] == q && *i + 1 < s.size() && s[*i + 1] == q) {
        ++*i;  // doubled quote
      } else if (s[*i] == q) {
        break;
      } else if (s[*i] == '\\' && *i + 1 < s.size()) {
        ++*i;
      }
      out->push_back(s[*i]);
    }
    ++*i;
    return true;
  }
  return false;
}

}  // namespace

std::optional<XaId> ParseXaIdFromStatement(const std::string& sql) {
  std::string h = Upper(sql, sql.size());
  size_t i = h.find("XA ");
  if (i == std::string::npos) return std::nullopt;
  i += 3;
  while (i < h.size() && std::isspace(static_cast<unsigned char>(h[i]))) ++i;
  while (i < h.size() && std::isalpha(static_cast<unsigned char>(h[i]))) ++i;  // COMMIT / ROLLBACK / ...
  XaId x;
  x.format_id = 1;
  if (!ReadXaString(sql, &i, &x.gtrid)) return std::nullopt;
  size_t j = i;
  while (j < sql.size() && std::isspace(static_cast<unsigned char>(sql[j]))) ++j;
  if (j < sql.size() && sql[j] == ',') {
    i = j + 1;
    if (!ReadXaString(sql, &i, &x.bqual)) return std::nullopt;
    j = i;
    while (j < sql.size() && std::isspace(static_cast<unsigned char>(sql[j]))) ++j;
    if (j < sql.size() && sql[j] == ',') x.format_id = int32_t(std::strtol(sql.c_str() + j + 1, nullptr, 10));
  }
  return x;
}

Status TransactionAssembler::SetPosition(const BinlogPosition& position, bool mariadb) {
  mariadb_ = mariadb;
  if (mariadb) {
    auto s = MariaGtidState::Parse(position.gtid_state);
    if (!s.ok()) return s.status();
    maria_state_ = std::move(*s);
  } else {
    auto s = MysqlGtidSet::Parse(position.gtid_state);
    if (!s.ok()) return s.status();
    mysql_set_ = std::move(*s);
  }
  position_ = position;
  current_file_ = position.file;
  return Status::Ok();
}

void TransactionAssembler::ResetPartial() { open_.reset(); }

void TransactionAssembler::Begin(const Event& e) {
  open_.emplace();
  open_->txn.timestamp = e.header.timestamp;
  open_->txn.server_id = e.header.server_id;
}

void TransactionAssembler::Finish(const Event& e, bool deliver, std::vector<Transaction>* out) {
  PendingTransaction g = std::move(*open_);
  open_.reset();
  if (g.maria) maria_state_.Update(*g.maria);
  if (g.mysql && !g.mysql->anonymous) mysql_set_.Add(g.mysql->sid, g.mysql->gno);
  position_.file = current_file_;
  if (e.header.log_pos != 0) position_.offset = e.header.log_pos;
  position_.gtid_state = mariadb_ ? maria_state_.ToString() : mysql_set_.ToString();
  g.txn.position = position_;
  if (deliver && !g.skip) out->push_back(std::move(g.txn));
}

void TransactionAssembler::ResolveXa(const Event& e, const XaId& xid, bool commit, std::vector<Transaction>* out) {
  auto it = prepared_.find(xid.ToString());
  Transaction done;
  bool found = it != prepared_.end();
  if (found) {
    done = std::move(it->second);
    prepared_.erase(it);
  }
  std::string gtid = open_->txn.gtid;
  bool skip = open_->skip;
  Finish(e, false, out);
  if (found && commit && !skip) {
    done.gtid = gtid;  // the commit's GTID: that is where the change becomes visible
    done.position = position_;
    out->push_back(std::move(done));
  }
}

Status TransactionAssembler::OnQuery(const Event& e, std::shared_ptr<const QueryEvent> q,
                                     std::vector<Transaction>* out) {
  std::string h = Head(q->statement);
  if (!open_) Begin(e);
  PendingTransaction& g = *open_;
  if (h == "BEGIN" || h == "START TRANSACTION") {
    g.in_block = true;
    return Status::Ok();
  }
  if (StartsWith(h, "XA START") || StartsWith(h, "XA BEGIN")) {
    g.in_block = true;
    g.txn.xa = ParseXaIdFromStatement(q->statement);
    return Status::Ok();
  }
  if (StartsWith(h, "XA END")) return Status::Ok();
  if (h == "COMMIT") {
    Finish(e, true, out);
    return Status::Ok();
  }
  if (h == "ROLLBACK") {  // logged only when non-transactional changes stayed
    Finish(e, !g.txn.rows.empty(), out);
    return Status::Ok();
  }
  bool xa_commit = StartsWith(h, "XA COMMIT"), xa_rollback = StartsWith(h, "XA ROLLBACK");
  if (xa_commit || xa_rollback) {
    std::optional<XaId> xid = g.completes_xa ? g.completes_xa : ParseXaIdFromStatement(q->statement);
    if (!xid) return Status::Corruption("cannot parse the XID of: " + q->statement);
    if (h.find("ONE PHASE") != std::string::npos && g.in_block) {
      Finish(e, true, out);
      return Status::Ok();
    }
    ResolveXa(e, *xid, xa_commit, out);
    return Status::Ok();
  }
  g.txn.statements.push_back(std::move(q));
  if (!g.in_block) Finish(e, true, out);  // DDL and other statements logged on their own
  return Status::Ok();
}

Status TransactionAssembler::Add(Event event, size_t wire_bytes, std::vector<Transaction>* out) {
  if (open_) {
    open_->txn.bytes += wire_bytes;
    if (open_->txn.bytes > options_.max_transaction_bytes) {
      return Status::ResourceExhausted("transaction larger than max_transaction_bytes (" +
                                       std::to_string(options_.max_transaction_bytes) + ")");
    }
  }
  EventBody& body = event.body;
  if (auto* f = std::get_if<FormatDescription>(&body)) {
    mariadb_ = f->is_mariadb;
  } else if (auto* r = std::get_if<RotateEvent>(&body)) {
    current_file_ = r->next_file;
  } else if (auto* g = std::get_if<MariaGtidEvent>(&body)) {
    Begin(event);
    MariaGtid id{g->domain_id, g->server_id, g->seq_no};
    open_->maria = id;
    open_->txn.gtid = MariaGtidText(id);
    open_->skip = maria_state_.Contains(id);
    open_->txn.bytes = wire_bytes;
    if (g->prepared_xa()) open_->txn.xa = g->xid;
    if (g->completed_xa()) open_->completes_xa = g->xid;
  } else if (auto* m = std::get_if<MysqlGtidEvent>(&body)) {
    Begin(event);
    open_->mysql = *m;
    open_->txn.gtid = m->anonymous ? "" : m->ToString();
    open_->skip = !m->anonymous && mysql_set_.Contains(m->sid, m->gno);
    open_->txn.bytes = wire_bytes;
  } else if (auto* q = std::get_if<QueryEvent>(&body)) {
    return OnQuery(event, std::make_shared<const QueryEvent>(std::move(*q)), out);
  } else if (std::holds_alternative<XidEvent>(body)) {
    if (open_) Finish(event, true, out);
  } else if (auto* x = std::get_if<XaPrepareEvent>(&body)) {
    if (!open_) return Status::Ok();
    if (x->one_phase) {
      Finish(event, true, out);
    } else {
      Transaction held = open_->txn;
      held.xa = x->xid;
      bool skip = open_->skip;
      Finish(event, false, out);
      if (!skip) prepared_[x->xid.ToString()] = std::move(held);
    }
  } else if (auto* rows = std::get_if<RowsEvent>(&body)) {
    if (!open_) {
      Begin(event);  // started inside a transaction without its GTID (file/position start)
      open_->in_block = true;
    }
    if (rows->table && !rows->skipped) open_->txn.rows.push_back(std::make_shared<const RowsEvent>(std::move(*rows)));
  } else if (auto* p = std::get_if<TransactionPayloadEvent>(&body)) {
    // MySQL compressed transaction: its events, positioned at the payload's end.
    for (Event& inner : p->events) {
      inner.header.log_pos = event.header.log_pos;
      SEALGATE_RETURN_IF_ERROR(Add(std::move(inner), 0, out));
    }
  }
  return Status::Ok();
}

}  // namespace sealgate::binlog
