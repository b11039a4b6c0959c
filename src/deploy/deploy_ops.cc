// DeployController: the operator's controls — ALTER DEPLOY (the copy's pause
// and throttle ratio), COMMIT DEPLOY ... AT (a scheduled seal) and the seal
// window — and their columns in SHOW DEPLOYS and SHOW DEPLOY STATUS.
#include "deploy/deploy_ops.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "deploy/deploy_controller.h"
#include "sql/errors.h"

namespace sealgate::deploy {
namespace {

std::string Ratio(double r) {
  char buf[32];
  snprintf(buf, sizeof buf, "%g", r);
  return buf;
}

const char* ActionVerb(sql::AlterDeployAction a) {
  switch (a) {
    case sql::AlterDeployAction::kThrottle: return "throttle";
    case sql::AlterDeployAction::kUnthrottle: return "unthrottle";
    case sql::AlterDeployAction::kPause: return "pause";
    case sql::AlterDeployAction::kResume: return "resume";
    case sql::AlterDeployAction::kNone: break;
  }
  return "alter";
}

std::string Who(const ClientContext& c) { return c.client ? c.user + "@" + c.host : "sealgate"; }

// "copy paused; ratio 0.5" from the parts that are in force; nullopt if none.
std::optional<std::string> ControlText(bool paused, double ratio, const std::string& automatic) {
  std::string out;
  auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (paused) add("copy paused");
  if (ratio > 0) add("ratio " + Ratio(ratio));
  if (!automatic.empty()) add(automatic);
  return out.empty() ? std::nullopt : std::optional(out);
}

}  // namespace

// --- DeployControlStore -------------------------------------------------------

Status DeployControlStore::Exec(const std::string& sql) {
  for (int attempt = 0; attempt < 2; ++attempt) {  // reconnect once
    if (!conn_.connected()) {
      auto c = migration::SqlConn::Open(server_);
      if (!c.ok()) return c.status();
      conn_ = std::move(*c);
    }
    Status s = conn_.Exec(sql);
    if (s.code() != StatusCode::kUnavailable) return s;
    conn_ = migration::SqlConn();
  }
  return Status::Unavailable("lost the connection to the metadata schema");
}

Status DeployControlStore::Open() {
  SEALGATE_RETURN_IF_ERROR(Exec("CREATE TABLE IF NOT EXISTS " + migration::QuoteTable(schema_, "deploy_controls") +
                                " (name " + kDeployNameColumnType + " NOT NULL PRIMARY KEY,"
                                " copy_paused TINYINT NOT NULL DEFAULT 0,"
                                " throttle_ratio DOUBLE NOT NULL DEFAULT 0, seal_at DATETIME NULL,"
                                " updated_at DATETIME(3) NOT NULL) ENGINE=InnoDB"));
  return MakeDeployNameColumnExact(conn_, schema_, "deploy_controls", "name");
}

StatusOr<std::map<std::string, DeployControls>> DeployControlStore::LoadAll() {
  SEALGATE_RETURN_IF_ERROR(Exec("DO 0"));  // connects if needed
  auto rows = conn_.Query("SELECT name, copy_paused, throttle_ratio, seal_at FROM " +
                          migration::QuoteTable(schema_, "deploy_controls"));
  if (!rows.ok()) return rows.status();
  std::map<std::string, DeployControls> out;
  for (const auto& r : *rows) {
    DeployControls k;
    k.copy_paused = r[1].value_or("0") == "1";
    k.throttle_ratio = strtod(r[2].value_or("0").c_str(), nullptr);
    if (r[3]) {
      auto at = ParseUtcTimestamp(*r[3]);
      if (at.ok()) k.seal_at = *at;
    }
    out[r[0].value_or("")] = k;
  }
  return out;
}

Status DeployControlStore::Save(const std::string& deploy, const DeployControls& k) {
  std::string at = k.seal_at ? "'" + FormatUtc(*k.seal_at) + "'" : "NULL";
  std::string values = std::string(k.copy_paused ? "1" : "0") + ", " + Ratio(k.throttle_ratio) + ", " + at;
  SEALGATE_RETURN_IF_ERROR(Exec("DO 0"));
  return Exec("INSERT INTO " + migration::QuoteTable(schema_, "deploy_controls") +
              " (name, copy_paused, throttle_ratio, seal_at, updated_at) VALUES (" + conn_.Quote(deploy) + ", " +
              values + ", UTC_TIMESTAMP(3)) ON DUPLICATE KEY UPDATE copy_paused = VALUES(copy_paused),"
              " throttle_ratio = VALUES(throttle_ratio), seal_at = VALUES(seal_at), updated_at = VALUES(updated_at)");
}

// --- DeployController ---------------------------------------------------------

Status DeployController::OpenOps() {
  SEALGATE_RETURN_IF_ERROR(control_store_.Open());
  auto all = control_store_.LoadAll();
  if (!all.ok()) return all.status();
  for (const auto& [name, k] : *all) {
    auto it = deploys_.find(name);
    if (it == deploys_.end() || !IsActive(it->second.deploy.state)) continue;
    controls_[name] = k;
    for (const auto& item : it->second.deploy.items) ApplyCopyControls(name, item);
    if (k.seal_at) scheduler_->Schedule(name, *k.seal_at);
    if (options_.logger && (k.copy_paused || k.throttle_ratio > 0 || k.seal_at)) {
      options_.logger->Info("deploy", "deploy=" + name + " controls restored: copy_paused=" +
                                          std::to_string(k.copy_paused) + " throttle_ratio=" +
                                          Ratio(k.throttle_ratio) +
                                          (k.seal_at ? " seal_at=" + FormatUtc(*k.seal_at) : ""));
    }
  }
  return Status::Ok();
}

void DeployController::ApplyCopyControls(const std::string& name, const DeployItem& item) {
  auto it = controls_.find(name);
  if (it == controls_.end() || item.kind != ItemKind::kAlter) return;
  (void)options_.engine->SetCopyThrottle(item.migration_id, it->second.throttle_ratio);
  (void)(it->second.copy_paused ? options_.engine->PauseCopy(item.migration_id)
                                : options_.engine->ResumeCopy(item.migration_id));
}

ControlReply DeployController::AlterDeploy(const ClientContext& c, const sql::Statement& st) {
  const std::string name = st.deploy_name.value_or("");
  if (auto refused = RefuseOthersDeploy(c, name, ActionVerb(st.deploy_action))) return *refused;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = deploys_.find(name);
  if (it == deploys_.end()) {
    return ControlReply::Error(DeployError(error::kDeployNotFound, "no deploy is named '" + name + "'"));
  }
  const Deploy& d = it->second.deploy;
  if (!IsActive(d.state)) {
    return ControlReply::Error(DeployError(error::kDeployWrongState, "deploy '" + name + "' is " +
                                                                         DeployStateName(d.state) +
                                                                         ": it copies nothing any more"));
  }
  DeployControls next = controls_[name];
  std::string info;
  switch (st.deploy_action) {
    case sql::AlterDeployAction::kThrottle:
      next.throttle_ratio = st.throttle_ratio.value_or(1.0);
      info = "deploy '" + name + "' throttled: after each copy chunk the copy rests " + Ratio(next.throttle_ratio) +
             " x the chunk's time (binlog changes are still applied)";
      break;
    case sql::AlterDeployAction::kUnthrottle:
      next.throttle_ratio = 0;
      info = "deploy '" + name + "' unthrottled";
      break;
    case sql::AlterDeployAction::kPause:
      next.copy_paused = true;
      info = "deploy '" + name + "': copy paused, binlog changes are still applied; ALTER DEPLOY '" + name +
             "' RESUME continues it";
      break;
    case sql::AlterDeployAction::kResume:
      next.copy_paused = false;
      info = "deploy '" + name + "': copy resumed";
      break;
    case sql::AlterDeployAction::kNone:
      return ControlReply::Error(DeployError(error::kDeploySyntax,
                                             "ALTER DEPLOY 'name' takes THROTTLE [RATIO r], UNTHROTTLE, PAUSE or RESUME",
                                             error::kSqlstateSyntax));
  }
  Status saved = control_store_.Save(name, next);
  if (!saved.ok()) return ControlReply::Error(saved);
  controls_[name] = next;
  for (const auto& item : d.items) ApplyCopyControls(name, item);
  if (options_.logger) {
    options_.logger->Info("deploy", "deploy=" + name + " " + ActionVerb(st.deploy_action) + " by " + Who(c) +
                                        ": copy_paused=" + std::to_string(next.copy_paused) +
                                        " throttle_ratio=" + Ratio(next.throttle_ratio));
  }
  return ControlReply::Ok(info);
}

ControlReply DeployController::ScheduleCommit(const ClientContext& c, const std::optional<std::string>& requested,
                                              const std::string& at_text) {
  auto at = ParseUtcTimestamp(at_text);
  if (!at.ok()) return ControlReply::Error(at.status());
  time_t now = time(nullptr);
  if (*at < now) {
    return ControlReply::Error(DeployError(error::kDeploySyntax,
                                           "'" + at_text + "' is in the past (it is " + FormatUtc(now) +
                                               " UTC now): give a future UTC time, or COMMIT DEPLOY to seal now",
                                           error::kSqlstateSyntax));
  }
  if (requested) {
    if (auto refused = RefuseOthersDeploy(c, *requested, "schedule the seal of")) return *refused;
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::string name = requested ? *requested : BlockOf(c.session_id);
  if (name.empty()) {
    return ControlReply::Error(DeployError(error::kDeployNoBlock, "no deploy block is open in this session; "
                                                                  "use COMMIT DEPLOY 'name' AT '...'"));
  }
  auto it = deploys_.find(name);
  if (it == deploys_.end()) {
    return ControlReply::Error(DeployError(error::kDeployNotFound, "no deploy is named '" + name + "'"));
  }
  Entry& e = it->second;
  if (e.deploy.anonymous) {
    return ControlReply::Error(DeployError(error::kDeployNeedsName,
                                           "only a named deploy can be sealed later: BEGIN DEPLOY 'name' ..., or "
                                           "COMMIT DEPLOY now"));
  }
  if (!IsActive(e.deploy.state) || e.busy) {
    return ControlReply::Error(DeployError(error::kDeployWrongState,
                                           "deploy '" + name + "' is " +
                                               (e.busy ? std::string("being committed or rolled back")
                                                       : DeployStateName(e.deploy.state))));
  }
  DeployControls next = controls_[name];
  next.seal_at = *at;
  Status saved = control_store_.Save(name, next);
  if (!saved.ok()) return ControlReply::Error(saved);
  controls_[name] = next;
  if (BlockOf(c.session_id) == name) {  // the block closes; staging goes on, as after END DEPLOY
    e.deploy.state = DeployState::kDetached;
    (void)Persist(e.deploy);
    ClearBlock(c.session_id);
  }
  scheduler_->Schedule(name, *at);
  std::string when = FormatUtc(*at) + " UTC";
  if (options_.seal_window && !options_.seal_window->Contains(*at)) {
    when += ", when the seal window " + options_.seal_window->ToString() + " opens (" +
            FormatUtc(options_.seal_window->NextOpen(*at)) + " UTC)";
  }
  if (options_.logger) options_.logger->Info("deploy", "deploy=" + name + " seal scheduled at " + when + " by " + Who(c));
  return ControlReply::Ok("deploy '" + name + "' scheduled: it seals at " + when);
}

void DeployController::SealScheduled(const std::string& name) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto k = controls_.find(name);
    if (k == controls_.end() || !k->second.seal_at) return;  // cancelled meanwhile
    auto it = deploys_.find(name);
    if (it == deploys_.end() || !IsActive(it->second.deploy.state)) {  // sealed or rolled back by hand
      k->second.seal_at.reset();
      (void)control_store_.Save(name, k->second);
      return;
    }
  }
  if (options_.logger) options_.logger->Info("deploy", "deploy=" + name + " scheduled seal starts");
  ControlReply r = Commit(ClientContext{}, name);
  {
    std::lock_guard<std::mutex> lock(mu_);
    DeployControls& k = controls_[name];
    k.seal_at.reset();
    (void)control_store_.Save(name, k);
  }
  if (r.kind == ControlReply::Kind::kError && options_.logger) {
    options_.logger->Warn("deploy", "deploy=" + name + " scheduled seal failed: " + r.error.message());
  }
}

void DeployController::AwaitSealWindow(const std::string& name) {
  if (!options_.seal_window) return;
  const SealWindow& window = *options_.seal_window;
  bool told = false;
  for (time_t now = time(nullptr); !window.Contains(now); now = time(nullptr)) {
    if (!told) {
      told = true;
      std::string why = "waiting for the seal window " + window.ToString() + ": the seal starts at " +
                        FormatUtc(window.NextOpen(now)) + " UTC";
      {
        std::lock_guard<std::mutex> lock(mu_);
        Deploy& d = deploys_[name].deploy;
        d.last_error = why;
        (void)Persist(d);
      }
      if (options_.logger) options_.logger->Info("deploy", "deploy=" + name + " " + why);
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

int DeployController::background_seals() const { return scheduler_ ? scheduler_->running() : 0; }

const std::vector<std::string>& DeployController::DeployOpsColumns() {
  static const std::vector<std::string> kColumns = {"throttle", "seal_at"};
  return kColumns;
}

std::vector<std::optional<std::string>> DeployController::DeployOpsCells(const std::string& name) const {
  auto it = controls_.find(name);
  auto d = deploys_.find(name);
  if (it == controls_.end() || d == deploys_.end() || !IsActive(d->second.deploy.state)) {
    return {std::nullopt, std::nullopt};  // a sealed or rolled back deploy copies nothing
  }
  const DeployControls& k = it->second;
  return {ControlText(k.copy_paused, k.throttle_ratio, ""),
          k.seal_at ? std::optional(FormatUtc(*k.seal_at)) : std::nullopt};
}

const std::vector<std::string>& DeployController::MigrationOpsColumns() {
  static const std::vector<std::string> kColumns = {"rows_applied", "copy", "throttle_ratio", "throttle",
                                                    "binlog_purge_in_s", "binlog_warning", "apply_rows_per_s",
                                                    "keeping_up", "pace"};
  return kColumns;
}

namespace {

// "no" when applying falls behind or the copy cannot finish at this write rate.
std::string KeepingUp(const migration::MigrationProgress& p) {
  bool copy_behind = p.copy_pace.known && !p.copy_pace.finishing;
  if (copy_behind) return "no";
  return migration::PaceVerdictName(p.pace.verdict);
}

std::optional<std::string> PaceNote(const migration::MigrationProgress& p) {
  std::string note = p.pace.note;
  for (const std::string* more : {&p.copy_pace.note, &p.copy_blocked}) {
    if (!more->empty()) note += (note.empty() ? "" : "; ") + *more;
  }
  if (note.empty()) return std::nullopt;
  return note;
}

}  // namespace

std::vector<std::optional<std::string>> DeployController::MigrationOpsCells(const migration::MigrationProgress* p,
                                                                            bool follower) {
  if (!p) return std::vector<std::optional<std::string>>(MigrationOpsColumns().size());
  const char* copy = p->state != migration::MigrationState::kCopying ? "done"
                     : p->copy_paused                                ? "paused"
                     : !p->throttle_reason.empty()                   ? "throttled"
                     : !p->copy_running                              ? "waiting"
                     : !p->copy_blocked.empty()                      ? "blocked"
                                                                     : "running";
  std::vector<std::optional<std::string>> cells = {
      std::to_string(p->rows_applied), copy, Ratio(p->throttle_ratio),
      ControlText(p->copy_paused, p->throttle_ratio, p->throttle_reason),
      p->binlog_purge_in ? std::optional(std::to_string(p->binlog_purge_in->count())) : std::nullopt,
      p->binlog_warning.empty() ? std::nullopt : std::optional(p->binlog_warning),
      p->pace.verdict == migration::PaceVerdict::kUnknown ? std::nullopt
                                                          : std::optional(std::to_string(llround(p->pace.apply_rate))),
      KeepingUp(*p), PaceNote(*p)};
  if (follower) cells[1] = cells[2] = cells[3] = std::nullopt;  // it copies nothing; it needs the binlog all the same
  return cells;
}

}  // namespace sealgate::deploy
