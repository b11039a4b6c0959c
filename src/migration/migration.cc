// The writer loop of one migration: state, queue, progress. Apply and copy
// live in migration_apply.cc and migration_copy.cc.
#include "migration/migration.h"

#include <strings.h>

#include "sql/errors.h"

namespace sealgate::migration {

const char* MigrationRoleName(MigrationRole role) {
  switch (role) {
    case MigrationRole::kStage: return "stage";
    case MigrationRole::kReverse: return "reverse";
    case MigrationRole::kForward: return "forward";
  }
  return "stage";
}

MigrationRole ParseMigrationRole(const std::string& name) {
  if (name == "reverse") return MigrationRole::kReverse;
  if (name == "forward") return MigrationRole::kForward;
  return MigrationRole::kStage;
}

const char* MigrationStateName(MigrationState state) {
  switch (state) {
    case MigrationState::kCopying: return "copying";
    case MigrationState::kStaged: return "staged";
    case MigrationState::kFailed: return "failed";
    case MigrationState::kCancelled: return "cancelled";
    case MigrationState::kCompleted: return "completed";
    case MigrationState::kReconnecting: return "reconnecting";
  }
  return "failed";
}

MigrationState ParseMigrationState(const std::string& name) {
  for (auto s : {MigrationState::kCopying, MigrationState::kStaged, MigrationState::kCancelled,
                 MigrationState::kCompleted}) {
    if (name == MigrationStateName(s)) return s;
  }
  return MigrationState::kFailed;
}

std::optional<std::string> Cursor::Serialize() const {
  if (kind == kNone) return std::nullopt;
  if (kind == kAll) return std::string("*");
  std::string out;
  for (const auto& l : literals) {
    if (!out.empty()) out.push_back('\n');
    out += l;  // literals never contain a newline: strings are hex
  }
  return out;
}

Cursor Cursor::Parse(const std::optional<std::string>& text) {
  Cursor c;
  if (!text) return c;
  if (*text == "*") {
    c.kind = kAll;
    return c;
  }
  c.kind = kAt;
  size_t start = 0;
  while (true) {
    size_t nl = text->find('\n', start);
    c.literals.push_back(text->substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return c;
}

bool PositionAfter(const binlog::BinlogPosition& a, const binlog::BinlogPosition& b) {
  if (a.file != b.file) return a.file > b.file;
  return a.offset > b.offset;
}

bool WorkQueue::Push(WorkItem item) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return closed_ || items_.empty() || bytes_ + item.bytes <= capacity_; });
  if (closed_) return false;
  bytes_ += item.bytes;
  items_.push_back(std::move(item));
  cv_.notify_all();
  return true;
}

std::vector<WorkItem> WorkQueue::PopBatch(size_t max, std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, wait, [&] { return closed_ || interrupted_ || !items_.empty(); });
  interrupted_ = false;
  std::vector<WorkItem> out;
  while (!items_.empty() && out.size() < max) {
    bytes_ -= items_.front().bytes;
    out.push_back(std::move(items_.front()));
    items_.pop_front();
  }
  if (!out.empty()) cv_.notify_all();
  return out;
}

void WorkQueue::Interrupt() {
  std::lock_guard<std::mutex> lock(mu_);
  interrupted_ = true;
  cv_.notify_all();
}

void WorkQueue::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  cv_.notify_all();
}

Migration::Migration(MigrationSpec spec, Checkpoint checkpoint, MigrationState state, MigrationTuning tuning,
                     MigrationHost* host)
    : spec_(std::move(spec)),
      tuning_(tuning),
      host_(host),
      queue_(tuning.queue_bytes),
      cp_(std::move(checkpoint)),
      chunk_rows_(tuning.initial_chunk_rows),
      key_enums_(KeyEnumColumns(spec_)),
      state_(state) {
  // A copy mark committed but not yet seen by the applier (restart mid-window).
  // Only the newest chunk's cursor is recorded, so chunks that were in
  // flight are undone (re-copied) rather than guessed.
  restart_undo_ = cp_.copy_seq > cp_.applied_seq;
  applied_file_ = cp_.applied.file;
  rows_copied_ = cp_.rows_copied;
}

Migration::~Migration() { Stop(); }

Status Migration::Start() {
  SEALGATE_RETURN_IF_ERROR(Connect());
  Launch();
  return Status::Ok();
}

void Migration::SetStartPosition(const binlog::BinlogPosition& from) {
  std::lock_guard<std::mutex> lock(mu_);
  cp_.applied = from;
  applied_file_ = from.file;
}

Status Migration::Connect() {
  auto c = SqlConn::Open(host_->server());
  if (!c.ok()) return c.status();
  conn_ = std::move(*c);
  // The copy's sql_mode is the applier's too (DESIGN.md §8): explicit zero ids stay zero.
  // A follower writes into a schema that may be narrower than the rows it
  // follows: a value that does not fit must fail, never be cut to fit.
  const char* strict = spec_.role == MigrationRole::kStage ? "" : ",STRICT_ALL_TABLES";
  SEALGATE_RETURN_IF_ERROR(conn_.Exec(
      "SET SESSION sql_mode = CONCAT(@@global.sql_mode, ',NO_AUTO_VALUE_ON_ZERO" + std::string(strict) + "'), "
      "SESSION innodb_lock_wait_timeout = " + std::to_string(tuning_.lock_wait.count()) +
      // The tables it writes are passive copies: a foreign key on one (the
      // swap puts them there) must neither refuse nor cascade what it writes.
      ", SESSION foreign_key_checks = 0"));
  SEALGATE_RETURN_IF_ERROR(conn_.Exec("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"));
  auto version = conn_.Query("SELECT VERSION()");
  if (!version.ok()) return version.status();
  mysql_ = !version->empty() && version->at(0)[0].value_or("").find("MariaDB") == std::string::npos;
  // A chunk is one transaction: its rows must fit the binlog cache.
  auto sizes = conn_.Query("SELECT @@max_binlog_cache_size, IFNULL((SELECT AVG_ROW_LENGTH FROM "
                           "information_schema.TABLES WHERE TABLE_SCHEMA = " + conn_.Quote(spec_.table.schema) +
                           " AND TABLE_NAME = " + conn_.Quote(spec_.table.name) + "), 0)");
  if (!sizes.ok()) return sizes.status();
  if (!sizes->empty() && sizes->front().size() == 2) {
    chunk_bytes_.Configure(std::strtoull(sizes->front()[0].value_or("0").c_str(), nullptr, 10),
                           std::strtoull(sizes->front()[1].value_or("0").c_str(), nullptr, 10));
  }
  bool fresh = cp_.copy_seq == 0 && cp_.copy_cursor.kind == Cursor::kNone;
  SEALGATE_RETURN_IF_ERROR(deferred_.Prepare(conn_, spec_.meta_schema, spec_.id, {spec_.table.schema, spec_.shadow},
                                             fresh, tuning_.defer_indexes));
  if (fresh && deferred_.pending()) {
    std::string names;
    for (const auto& i : deferred_.missing()) names += (names.empty() ? "" : ", ") + i.name;
    Log(LogLevel::kInfo, "secondary indexes " + names + " are built after the copy");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    copy_started_ = std::chrono::steady_clock::now();
    copy_rows_at_start_ = rows_copied_;
  }
  return Status::Ok();
}

void Migration::Launch() { thread_ = std::thread([this] { Run(); }); }

void Migration::Stop() {
  stop_ = true;
  queue_.Close();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  deferred_.Cancel();
}

void Migration::Run() {
  while (!stop_) {
    Status st = Step();
    if (!st.ok()) {
      if (!stop_) Fail(st);
      break;
    }
  }
  if (has_slot_) {
    host_->ReleaseCopySlot();
    has_slot_ = false;
  }
  queue_.Close();  // a stopped writer takes no more work: the dispatcher never blocks on it
}

Status Migration::Step() {
  bool copy_paused;
  uint64_t seen;
  std::optional<binlog::BinlogPosition> hold_at;
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (paused_) {
      pause_acked_ = true;
      cv_.notify_all();  // Pause() waits for the writer to be here
      cv_.wait_for(lock, std::chrono::milliseconds(100));
      return Status::Ok();
    }
    if (holding_) {
      cv_.wait_for(lock, std::chrono::milliseconds(100));  // until ReleaseHold()
      return Status::Ok();
    }
    copy_paused = copy_paused_;
    seen = seen_heartbeat_;
    hold_at = hold_at_;
  }
  if (!hold_at && !held_items_.empty()) {
    std::vector<WorkItem> items = std::move(held_items_);
    held_items_.clear();
    return TakeHeartbeats(items) ? Status::Ok() : ApplyBatch(items);
  }
  if (restart_undo_) {
    restart_undo_ = false;
    SEALGATE_RETURN_IF_ERROR(UndoWindow());
  }
  if (copy_paused && has_slot_) {  // another migration may copy meanwhile
    host_->ReleaseCopySlot();
    has_slot_ = false;
  }
  if (auto built = deferred_.Poll()) {
    if (!built->ok()) return *built;
    Log(LogLevel::kInfo, "deferred secondary indexes built");
  }
  size_t in_flight = cautious_chunks_ > 0 ? 1 : tuning_.chunks_in_flight;
  bool want_copy = !copy_paused && cp_.copy_cursor.kind != Cursor::kAll && pending_.size() < in_flight &&
                   seen >= catch_up_to_ && !deferred_.building();
  // Binlog work goes first, but a backlog that never empties (writers as
  // fast as the applier) must not stall the copy: after a target chunk time
  // of applying, a due chunk gets its turn. Waiting for binlog work: not at
  // all when a chunk is due, until it is due while resting or throttled, and
  // otherwise until work arrives (or an Interrupt() for a pause or a copy
  // control change); briefly while secondary indexes are being built.
  auto now = std::chrono::steady_clock::now();
  bool copy_due = want_copy && now >= next_copy_at_;
  bool copy_turn = copy_due && now - copy_turn_ended_ >= tuning_.target_chunk_time;
  if (!copy_turn) {
    auto wait = std::chrono::milliseconds(deferred_.building() ? 100 : 1000);
    if (copy_due) {
      wait = std::chrono::milliseconds(0);
    } else if (want_copy) {
      wait = std::min(std::chrono::milliseconds(100),
                      std::chrono::ceil<std::chrono::milliseconds>(next_copy_at_ - now));
    }
    auto items = queue_.PopBatch(tuning_.batch_items, wait);
    if (!items.empty() && hold_at) return ApplyUpToHold(items, *hold_at);
    if (!items.empty()) return TakeHeartbeats(items) ? Status::Ok() : ApplyBatch(items);
  }
  if (!want_copy || stop_ || std::chrono::steady_clock::now() < next_copy_at_) return Status::Ok();
  struct TurnEnd {
    std::chrono::steady_clock::time_point* at;
    ~TurnEnd() { *at = std::chrono::steady_clock::now(); }
  } turn_end{&copy_turn_ended_};
  if (!has_slot_) {
    if (!host_->TryAcquireCopySlot()) {
      next_copy_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
      return Status::Ok();
    }
    has_slot_ = true;
  }
  std::string reason = host_->ThrottleReason();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reason != throttle_reason_) {
      if (!reason.empty()) Log(LogLevel::kInfo, "copy throttled: " + reason);
      else Log(LogLevel::kInfo, "copy no longer throttled");
    }
    throttle_reason_ = reason;
  }
  if (!reason.empty()) {
    next_copy_at_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    return Status::Ok();
  }
  return CopyChunk();
}

Status Migration::ApplyUpToHold(std::vector<WorkItem>& items, const binlog::BinlogPosition& hold_at) {
  auto past = std::find_if(items.begin(), items.end(),
                           [&](const WorkItem& w) { return PositionAfter(w.position, hold_at); });
  if (past == items.end()) return TakeHeartbeats(items) ? Status::Ok() : ApplyBatch(items);
  held_items_.assign(std::make_move_iterator(past), std::make_move_iterator(items.end()));
  items.erase(past, items.end());
  if (!items.empty() && !TakeHeartbeats(items)) SEALGATE_RETURN_IF_ERROR(ApplyBatch(items));
  std::lock_guard<std::mutex> lock(mu_);
  holding_ = true;
  cv_.notify_all();
  return Status::Ok();
}

Status Migration::HoldAt(const std::function<StatusOr<binlog::BinlogPosition>()>& snapshot,
                         std::chrono::milliseconds timeout) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (state_ != MigrationState::kStaged) return Status::FailedPrecondition("the migration is not staged");
    if (hold_at_ || paused_) return Status::FailedPrecondition("the migration is paused or already held");
  }
  // Nothing is applied while the snapshot is taken: everything applied so
  // far committed before it, so nothing past its position is in the shadow.
  Pause();
  auto position = snapshot();
  std::unique_lock<std::mutex> lock(mu_);
  paused_ = false;
  pause_acked_ = false;
  if (!position.ok()) {
    cv_.notify_all();
    return position.status();
  }
  hold_at_ = *position;
  holding_ = false;
  cv_.notify_all();
  queue_.Interrupt();  // the writer may be waiting for binlog work
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!holding_) {
    Status why;
    if (state_ == MigrationState::kFailed) why = FailureLocked();
    if (stop_) why = Status::Aborted("migration stopped");
    if (why.ok() && cv_.wait_until(lock, deadline) == std::cv_status::timeout && !holding_) {
      why = Status::DeadlineExceeded("the applier did not reach " + position->ToString() + " within " +
                                     std::to_string(timeout.count()) + " ms");
    }
    if (!why.ok()) {
      hold_at_.reset();
      return why;
    }
  }
  return Status::Ok();
}

void Migration::ReleaseHold() {
  std::lock_guard<std::mutex> lock(mu_);
  hold_at_.reset();
  holding_ = false;
  cv_.notify_all();
}

bool Migration::TakeHeartbeats(const std::vector<WorkItem>& items) {
  // A table nobody writes gets nothing but the engine's heartbeats (4 a
  // second). They move the position and the lag on in memory; the position
  // is persisted with the next real batch, or after kIdleCheckpoint — not in
  // a transaction per second per migration, which made idle staging cost CPU
  // on both sides in proportion to the number of migrations.
  if (std::chrono::steady_clock::now() - last_checkpoint_ >= kIdleCheckpoint) return false;
  uint64_t heartbeat = 0;
  for (const auto& it : items) {
    if (it.restart_copy || it.copy_mark || !it.rows.empty() || !it.statements.empty()) return false;
    if (it.heartbeat) heartbeat = std::max(heartbeat, *it.heartbeat);
  }
  for (const auto& it : items) {
    if (PositionAfter(it.position, cp_.applied)) cp_.applied = it.position;
  }
  std::lock_guard<std::mutex> lock(mu_);
  applied_file_ = cp_.applied.file;
  seen_heartbeat_ = std::max(seen_heartbeat_, heartbeat);
  cv_.notify_all();
  return true;
}

MigrationState Migration::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

MigrationProgress Migration::Progress() const {
  std::lock_guard<std::mutex> lock(mu_);
  MigrationProgress p;
  p.id = spec_.id;
  p.schema = spec_.table.schema;
  p.table = spec_.table.name;
  p.shadow = spec_.shadow;
  p.state = state_;
  p.paused = paused_;
  p.rows_copied = rows_copied_;
  // The estimate at the start, plus what the application added past the copy since.
  int64_t total = int64_t(spec_.rows_estimated) + uncopied_growth_;
  p.rows_estimated = std::max<uint64_t>(uint64_t(std::max<int64_t>(0, total)), rows_copied_);
  bool copied = state_ != MigrationState::kCopying;
  p.percent = copied ? 100.0 : p.rows_estimated ? 100.0 * double(rows_copied_) / double(p.rows_estimated) : 0;
  if (copied) p.percent = 100.0;
  if (!copied) {
    p.copy_pace = copy_pace_.Report(spec_.rows_estimated, rows_copied_, uncopied_growth_);
    p.eta = p.copy_pace.eta;
    auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - copy_started_).count();
    uint64_t done = rows_copied_ - std::min(rows_copied_, copy_rows_at_start_);
    if (!p.eta && p.copy_pace.finishing && done > 0 && elapsed > 0) {  // before two samples: the average so far
      double rate = double(done) / elapsed;
      p.eta = std::chrono::seconds(int64_t(double(p.rows_estimated - rows_copied_) / rate));
    }
  }
  p.lag = host_->LagAfter(seen_heartbeat_);
  p.ready = state_ == MigrationState::kStaged && !paused_ && p.lag < tuning_.ready_lag;
  p.rows_applied = rows_applied_;
  p.pace = pace_.Report();
  if (state_ == MigrationState::kCopying) p.copy_blocked = copy_blocked_note_;
  p.chunk_rows = ChunkRows();
  p.copy_running = has_slot_;
  p.copy_paused = copy_paused_;
  p.throttle_ratio = throttle_ratio_;
  p.throttle_reason = state_ == MigrationState::kCopying ? throttle_reason_ : "";
  p.last_error = last_error_;
  if (state_ == MigrationState::kFailed && failure_.code() == StatusCode::kUnavailable) {
    // Not a failure a person must act on: shown as what it is.
    p.state = MigrationState::kReconnecting;
    auto since = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - failed_at_);
    p.last_error = "lost the server " + std::to_string(since.count()) + " s ago, reconnecting: " + last_error_;
  }
  uint16_t failed_with = state_ == MigrationState::kFailed ? failure_.mysql_errno() : 0;
  if (failed_with != 0 && !error::IsSealgateError(failed_with)) {
    p.server_errno = failed_with;
    p.server_sqlstate = failure_.sqlstate();
  }
  p.applied_file = applied_file_;
  return p;
}

void Migration::SamplePace() {
  std::lock_guard<std::mutex> lock(mu_);
  bool applying = !paused_ && !holding_ && !hold_at_ &&
                  (state_ == MigrationState::kCopying || state_ == MigrationState::kStaged);
  auto now = std::chrono::steady_clock::now();
  pace_.Sample(now, rows_applied_, host_->LagAfter(seen_heartbeat_), applying);
  if (spec_.role == MigrationRole::kStage) {
    copy_pace_.Sample(now, rows_copied_, uncopied_growth_, state_ == MigrationState::kCopying && !copy_paused_);
  }
}

void Migration::Pause() {
  std::unique_lock<std::mutex> lock(mu_);
  paused_ = true;
  cv_.notify_all();
  queue_.Interrupt();  // the writer may be waiting for binlog work
  // The writer checks `paused_` between batches; once it has looked, no more
  // writes reach the shadow. Wait for it (it never holds mu_ across SQL).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (thread_.joinable() && !stop_ && state_ != MigrationState::kFailed && !pause_acked_ &&
         std::chrono::steady_clock::now() < deadline) {
    cv_.wait_for(lock, std::chrono::milliseconds(20));
  }
}

void Migration::Resume() {
  std::lock_guard<std::mutex> lock(mu_);
  paused_ = false;
  pause_acked_ = false;
  cv_.notify_all();
}

void Migration::SetCopyPaused(bool paused) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (copy_paused_ == paused) return;
    copy_paused_ = paused;
  }
  Log(LogLevel::kInfo, paused ? "copy paused (binlog applying goes on)" : "copy resumed");
  queue_.Interrupt();  // the writer may be waiting for binlog work
}

void Migration::SetThrottleRatio(double ratio) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (throttle_ratio_ == ratio) return;
    throttle_ratio_ = ratio;
  }
  Log(LogLevel::kInfo, "copy throttle ratio " + std::to_string(ratio));
  queue_.Interrupt();
}

double Migration::throttle_ratio() const {
  std::lock_guard<std::mutex> lock(mu_);
  return throttle_ratio_;
}

Status Migration::WaitApplied(uint64_t seq, std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (seen_heartbeat_ < seq) {
    if (state_ == MigrationState::kFailed) return FailureLocked();
    if (paused_) return Status::FailedPrecondition("migration is paused: resume it before waiting");
    if (stop_) return Status::Aborted("migration stopped");
    if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && seen_heartbeat_ < seq) {
      return Status::DeadlineExceeded("sentinel " + std::to_string(seq) + " not applied within " +
                                      std::to_string(timeout.count()) + " ms");
    }
  }
  return Status::Ok();
}

Status Migration::FailureLocked() const {
  // A lost server is waited out by whoever waits (the engine resumes the
  // migration from its checkpoint); anything else is final.
  if (failure_.code() == StatusCode::kUnavailable) {
    return Status::Unavailable("migration lost the server, reconnecting: " + last_error_);
  }
  return Status::FailedPrecondition("migration failed: " + last_error_);
}

bool Migration::recoverable() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_ == MigrationState::kFailed && failure_.code() == StatusCode::kUnavailable;
}

void Migration::Fail(const Status& status) {
  Log(LogLevel::kError, "failed: " + status.ToString());
  (void)conn_.Exec("ROLLBACK");
  // A lost connection is not the migration's fault: the checkpoint stays
  // resumable and the recorded state untouched.
  if (status.code() != StatusCode::kUnavailable) (void)conn_.Exec("UPDATE " + QuoteTable(spec_.meta_schema, "migrations") +
                   " SET state = 'failed', last_error = " + conn_.Quote(status.message()) +
                   " WHERE id = " + std::to_string(spec_.id) + LeaseFence());
  std::lock_guard<std::mutex> lock(mu_);
  state_ = MigrationState::kFailed;
  last_error_ = status.message();
  failure_ = status;
  failed_at_ = std::chrono::steady_clock::now();
  cv_.notify_all();
}

void Migration::FailFromOutside(const Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  state_ = MigrationState::kFailed;
  last_error_ = status.message();
  failure_ = status;
  failed_at_ = std::chrono::steady_clock::now();
  stop_ = true;
  queue_.Close();
  cv_.notify_all();
}

Status Migration::Finish(MigrationState state, SqlConn& admin) {
  Stop();
  std::lock_guard<std::mutex> lock(mu_);
  state_ = state;
  cv_.notify_all();
  return admin.Exec("UPDATE " + QuoteTable(spec_.meta_schema, "migrations") + " SET state = " +
                    admin.Quote(MigrationStateName(state)) + " WHERE id = " + std::to_string(spec_.id));
}

std::string Migration::LeaseFence() const { return " AND lease_epoch = " + std::to_string(host_->lease_epoch()); }

Status Migration::CheckLeaseFence() const {
  if (conn_.affected_rows() > 0) return Status::Ok();
  return Status::FailedPrecondition("another sealgate took this migration over (the deploy lease changed hands); "
                                    "this instance no longer writes to it");
}

void Migration::Log(LogLevel level, const std::string& message) const {
  if (Logger* l = host_->logger()) {
    l->Log(level, "migration", "id=" + std::to_string(spec_.id) + " table=" + spec_.table.schema + "." +
                                   spec_.table.name + " " + message);
  }
}

}  // namespace sealgate::migration
