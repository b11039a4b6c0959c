// The replication client: connection setup, the dump loop, reconnects, and
// fan-out to subscriptions.
#include "binlog/binlog_stream.h"

#include <mysql.h>
#include <sys/socket.h>

#include <cstring>

#include "binlog/replication_packets.h"

namespace sealgate::binlog {
namespace {

constexpr unsigned kErrPositionLost = 1236;  // ER_MASTER_FATAL_ERROR_READING_BINLOG
constexpr unsigned long kPacketError = packet_error;

Status ServerError(MYSQL* m, const std::string& what) {
  unsigned err = mysql_errno(m);
  std::string msg = what + ": " + mysql_error(m) + " (" + std::to_string(err) + ")";
  Status st;
  if (err == kErrPositionLost) {
    st = Status::NotFound("binlog position no longer on the server: " + msg);
  } else if (err == 1045 || err == 1044 || err == 1227 || err == 1142) {
    st = Status::PermissionDenied(msg);
  } else {
    st = Status::Unavailable(msg);
  }
  return std::move(st).WithMysqlError(uint16_t(err), mysql_sqlstate(m));
}

Status Exec(MYSQL* m, const std::string& sql) {
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) return ServerError(m, sql);
  if (MYSQL_RES* res = mysql_store_result(m)) mysql_free_result(res);
  return Status::Ok();
}

// First row of `sql` (NULL columns as ""), empty if no row.
StatusOr<std::vector<std::string>> Row1(MYSQL* m, const std::string& sql) {
  if (mysql_real_query(m, sql.data(), sql.size()) != 0) return ServerError(m, sql);
  MYSQL_RES* res = mysql_store_result(m);
  std::vector<std::string> out;
  if (!res) return out;
  if (MYSQL_ROW row = mysql_fetch_row(res)) {
    unsigned long* len = mysql_fetch_lengths(res);
    for (unsigned i = 0; i < mysql_num_fields(res); ++i) out.emplace_back(row[i] ? std::string(row[i], len[i]) : "");
  }
  mysql_free_result(res);
  return out;
}

std::string Escape(MYSQL* m, const std::string& s) {
  std::string out(s.size() * 2 + 1, '\0');
  out.resize(mysql_real_escape_string(m, out.data(), s.data(), s.size()));
  return out;
}

bool Terminal(const Status& st) {
  switch (st.code()) {
    case StatusCode::kUnavailable:
    case StatusCode::kDeadlineExceeded: return false;
    default: return true;
  }
}

}  // namespace

bool IsPositionLost(const Status& status) { return status.mysql_errno() == kErrPositionLost; }

// ---- Subscription ----

Subscription::Subscription(SubscriptionOptions options, size_t capacity)
    : include_unrelated_(options.include_unrelated),
      tables_(std::make_shared<const TableSet>(options.tables.begin(), options.tables.end())),
      capacity_(capacity) {}

void Subscription::SetTables(const TableList& tables) {
  auto fresh = std::make_shared<const TableSet>(tables.begin(), tables.end());
  std::lock_guard<std::mutex> lock(tables_mu_);
  tables_ = std::move(fresh);
}

std::shared_ptr<const Subscription::TableSet> Subscription::tables() const {
  std::lock_guard<std::mutex> lock(tables_mu_);
  return tables_;
}

bool Subscription::closed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return closed_;
}

bool Subscription::Push(Transaction txn, const std::atomic<bool>& stop) {
  std::unique_lock<std::mutex> lock(mu_);
  while (!closed_ && !stop.load() && !queue_.empty() && queued_bytes_ + txn.bytes > capacity_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100));
  }
  if (closed_ || stop.load()) return false;
  queued_bytes_ += txn.bytes;
  queue_.push_back(std::move(txn));
  cv_.notify_all();
  return true;
}

void Subscription::Fail(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (end_.ok()) end_ = std::move(status);
  cv_.notify_all();
}

void Subscription::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  queue_.clear();
  queued_bytes_ = 0;
  cv_.notify_all();
}

StatusOr<std::optional<Transaction>> Subscription::Next(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return !queue_.empty() || !end_.ok() || closed_; });
  if (!queue_.empty()) {
    Transaction txn = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= txn.bytes;
    cv_.notify_all();
    return std::optional<Transaction>(std::move(txn));
  }
  if (closed_) return Status::Aborted("subscription closed");
  if (!end_.ok()) return end_;
  return std::optional<Transaction>();
}

// ---- BinlogStream ----

BinlogStream::BinlogStream(StreamOptions options)
    : options_(std::move(options)), assembler_(AssemblerOptions{options_.max_transaction_bytes}) {}

BinlogStream::~BinlogStream() { Stop(); }

void BinlogStream::Log(LogLevel level, const std::string& message) {
  if (options_.logger) options_.logger->Log(level, "binlog", message);
}

std::shared_ptr<Subscription> BinlogStream::Subscribe(SubscriptionOptions options) {
  std::shared_ptr<Subscription> sub(new Subscription(std::move(options), options_.queue_bytes));
  std::lock_guard<std::mutex> lock(mu_);
  if (!status_.ok()) sub->Fail(status_);
  subs_.push_back(sub);
  return sub;
}

Status BinlogStream::Start() {
  if (options_.server_id == 0) return Status::InvalidArgument("binlog stream needs a non-zero replica server_id");
  if (thread_.joinable()) return Status::FailedPrecondition("binlog stream already started");
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void BinlogStream::InterruptConnection() {
  std::lock_guard<std::mutex> lock(mu_);
  if (active_) ::shutdown(int(mysql_get_socket(active_)), SHUT_RDWR);
}

void BinlogStream::Stop() {
  stop_ = true;
  InterruptConnection();
  backoff_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& s : subs_) s->Fail(status_.ok() ? Status::Aborted("binlog stream stopped") : status_);
}

BinlogPosition BinlogStream::position() const {
  std::lock_guard<std::mutex> lock(mu_);
  return delivered_;
}

StreamStats BinlogStream::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

Status BinlogStream::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

void BinlogStream::Run() {
  auto backoff = options_.reconnect_min;
  while (!stop_) {
    bool delivered_any = false;
    Status st = RunSession(&delivered_any);
    if (stop_) break;
    if (Terminal(st)) {
      Log(LogLevel::kError, "stream ended: " + st.ToString());
      std::lock_guard<std::mutex> lock(mu_);
      status_ = st;
      for (auto& s : subs_) s->Fail(st);
      return;
    }
    assembler_.ResetPartial();
    if (delivered_any) backoff = options_.reconnect_min;
    Log(LogLevel::kWarn, "connection lost, reconnecting in " + std::to_string(backoff.count()) +
                             "ms from " + assembler_.position().ToString() + ": " + st.message());
    std::unique_lock<std::mutex> lock(mu_);
    stats_.reconnects++;
    backoff_cv_.wait_for(lock, backoff, [&] { return stop_.load(); });
    backoff = std::min(backoff * 2, options_.reconnect_max);
  }
}

Status BinlogStream::RunSession(bool* delivered_any) {
  MYSQL* m = mysql_init(nullptr);
  if (!m) return Status::ResourceExhausted("mysql_init failed");
  unsigned timeout = unsigned(options_.server.connect_timeout.count());
  unsigned read_timeout = unsigned(std::max<int64_t>(2, 3 * options_.heartbeat.count() / 1000 + 1));
  unsigned long max_packet = 1UL << 30;
  mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_options(m, MYSQL_OPT_MAX_ALLOWED_PACKET, &max_packet);
  const ServerEndpoint& s = options_.server;
  Status st;
  if (!mysql_real_connect(m, s.host.c_str(), s.user.c_str(), s.password.c_str(), nullptr, unsigned(s.port), nullptr, 0)) {
    st = ServerError(m, "connecting to " + s.host + ":" + std::to_string(s.port));
  } else {
    {
      std::lock_guard<std::mutex> lock(mu_);
      active_ = m;
    }
    bool mariadb = false;
    st = Setup(m, &mariadb);
    if (st.ok()) st = ReadEvents(m, delivered_any);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_ = nullptr;
  }
  mysql_close(m);
  return st;
}

Status BinlogStream::Setup(MYSQL* m, bool* mariadb) {
  const char* info = mysql_get_server_info(m);
  *mariadb = mariadb_connection(m) || (info && std::strstr(info, "MariaDB"));
  SEALGATE_RETURN_IF_ERROR(Exec(m, "SET @master_binlog_checksum = @@global.binlog_checksum"));
  auto alg = Row1(m, "SELECT @@global.binlog_checksum");
  if (!alg.ok()) return alg.status();
  int64_t heartbeat_ns = int64_t(options_.heartbeat.count()) * 1000000;
  SEALGATE_RETURN_IF_ERROR(Exec(m, "SET @master_heartbeat_period = " + std::to_string(heartbeat_ns)));
  if (*mariadb) SEALGATE_RETURN_IF_ERROR(Exec(m, "SET @mariadb_slave_capability = 4"));

  if (!position_known_) {
    BinlogPosition start = options_.start;
    if (start.gtid_state.empty() && start.file.empty()) {
      auto gtid = Row1(m, *mariadb ? "SELECT @@global.gtid_binlog_pos" : "SELECT @@global.gtid_executed");
      auto status = Row1(m, "SHOW MASTER STATUS");
      if (!gtid.ok()) return gtid.status();
      if (!status.ok()) return status.status();
      if (status->size() < 2) return Status::FailedPrecondition("binary logging is off on the server (log_bin)");
      start.gtid_state = gtid->empty() ? "" : (*gtid)[0];
      start.file = (*status)[0];
      start.offset = std::strtoull((*status)[1].c_str(), nullptr, 10);
    }
    SEALGATE_RETURN_IF_ERROR(assembler_.SetPosition(start, *mariadb).Annotate("start position"));
    position_known_ = true;
    std::lock_guard<std::mutex> lock(mu_);
    delivered_ = start;
  }
  const BinlogPosition& pos = assembler_.position();
  bool use_gtid = !pos.gtid_state.empty() && (options_.start.file.empty() || !options_.start.gtid_state.empty());

  std::string dump;
  uint8_t command = kComBinlogDump;
  if (*mariadb && use_gtid) {
    SEALGATE_RETURN_IF_ERROR(Exec(m, "SET @slave_connect_state = '" + Escape(m, pos.gtid_state) + "'"));
    SEALGATE_RETURN_IF_ERROR(Exec(m, "SET @slave_gtid_strict_mode = 0"));
    SEALGATE_RETURN_IF_ERROR(Exec(m, "SET @slave_gtid_ignore_duplicates = 0"));
    dump = EncodeBinlogDump({options_.server_id, "", 4, 0});
  } else if (!*mariadb && use_gtid) {
    auto set = MysqlGtidSet::Parse(pos.gtid_state);
    if (!set.ok()) return set.status();
    command = kComBinlogDumpGtid;
    dump = EncodeBinlogDumpGtid({options_.server_id, "", 4, set->Encode(), 0x04});
  } else {
    if (pos.file.empty()) return Status::InvalidArgument("start position has neither GTID state nor file");
    dump = EncodeBinlogDump({options_.server_id, pos.file, uint32_t(std::max<uint64_t>(pos.offset, 4)), 0});
  }
  std::string reg = EncodeRegisterSlave({options_.server_id, "sealgate", "", "", 0});
  if (m->methods->db_command(m, static_cast<enum_server_command>(kComRegisterSlave), reg.data(), reg.size(), 0, nullptr)) {
    return ServerError(m, "COM_REGISTER_SLAVE");
  }
  if (m->methods->db_command(m, static_cast<enum_server_command>(command), dump.data(), dump.size(), 1, nullptr)) {
    return ServerError(m, "COM_BINLOG_DUMP");
  }
  DecoderOptions dopts;
  dopts.initial_checksum_alg = (!alg->empty() && (*alg)[0] == "CRC32") ? kChecksumCrc32 : kChecksumOff;
  dopts.max_event_bytes = options_.max_transaction_bytes;
  dopts.want_rows = [this](const TableMap& t) { return WantsRows(t.schema, t.table); };
  if (options_.column_lookup) {
    dopts.column_lookup = [this](const std::string& schema, const std::string& table) {
      return LookupColumns(schema, table);
    };
  }
  decoder_ = std::make_unique<EventDecoder>(std::move(dopts));
  Log(LogLevel::kInfo, "streaming from " + pos.ToString() + (use_gtid ? " (GTID)" : " (file/position)"));
  return Status::Ok();
}

Status BinlogStream::ReadEvents(MYSQL* m, bool* delivered_any) {
  while (!stop_) {
    unsigned long len = mysql_net_read_packet(m);
    if (len == kPacketError) return ServerError(m, "reading binlog");
    const uint8_t* data = m->net.read_pos;
    if (len == 0) return Status::Unavailable("empty packet from server");
    if (data[0] == 0xfe && len < 8) return Status::Unavailable("server ended the binlog stream");
    if (data[0] != 0x00) return Status::Corruption("unexpected replication packet header");
    SEALGATE_RETURN_IF_ERROR(HandleEvent(Bytes(data + 1, len - 1), delivered_any));
  }
  return Status::Aborted("stopped");
}

Status BinlogStream::HandleEvent(Bytes raw, bool* delivered_any) {
  auto event = decoder_->Decode(raw);
  if (!event.ok()) return event.status().Annotate("decoding binlog event");
  {
    std::lock_guard<std::mutex> lock(mu_);
    stats_.events++;
    stats_.bytes += raw.size();
    if (std::holds_alternative<HeartbeatEvent>(event->body)) {
      stats_.heartbeats++;
      return Status::Ok();
    }
    if (auto* rows = std::get_if<RowsEvent>(&event->body); rows && rows->skipped) stats_.rows_events_skipped++;
  }
  if (auto* q = std::get_if<QueryEvent>(&event->body)) {
    for (const auto& t : q->tables) column_cache_.erase(t);  // DDL may have changed the columns
  }
  std::vector<Transaction> done;
  SEALGATE_RETURN_IF_ERROR(assembler_.Add(std::move(*event), raw.size(), &done));
  for (Transaction& t : done) {
    Deliver(std::move(t));
    *delivered_any = true;
  }
  if (!assembler_.mid_transaction() && column_cache_.size() > 10000) column_cache_.clear();
  return Status::Ok();
}

void BinlogStream::Deliver(Transaction txn) {
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    delivered_ = txn.position;
    stats_.transactions++;
    subs = subs_;
  }
  for (auto& sub : subs) {
    auto tables = sub->tables();
    auto wants = [&](const std::string& schema, const std::string& table) {
      return tables->count({schema, table}) > 0;
    };
    Transaction view;
    if (tables->empty()) {
      view = txn;
    } else {
      view.gtid = txn.gtid;
      view.position = txn.position;
      view.timestamp = txn.timestamp;
      view.server_id = txn.server_id;
      view.xa = txn.xa;
      view.bytes = txn.bytes;
      for (auto& r : txn.rows) {
        if (wants(r->table->schema, r->table->table)) view.rows.push_back(r);
      }
      for (auto& q : txn.statements) {
        for (auto& t : q->tables) {
          if (wants(t.first, t.second)) {
            view.statements.push_back(q);
            break;
          }
        }
      }
      if (view.rows.empty() && view.statements.empty() && !sub->include_unrelated_) continue;
    }
    sub->Push(std::move(view), stop_);
  }
}

bool BinlogStream::WantsRows(const std::string& schema, const std::string& table) const {
  std::vector<std::shared_ptr<Subscription>> subs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    subs = subs_;
  }
  for (const auto& sub : subs) {
    if (sub->closed()) continue;
    auto tables = sub->tables();
    if (tables->empty() || tables->count({schema, table}) > 0) return true;
  }
  return false;
}

std::optional<std::vector<ColumnInfo>> BinlogStream::LookupColumns(const std::string& schema,
                                                                   const std::string& table) {
  auto key = std::make_pair(schema, table);
  auto it = column_cache_.find(key);
  if (it != column_cache_.end()) return it->second;
  auto cols = options_.column_lookup(schema, table);
  column_cache_[key] = cols;
  return cols;
}

}  // namespace sealgate::binlog
