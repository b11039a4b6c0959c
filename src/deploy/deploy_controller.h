// DeployController: the SQL surface of DESIGN.md §2 — deploy blocks, staged
// ALTER/CREATE/DROP, COMMIT/ROLLBACK/END DEPLOY, SHOW DEPLOYS and SHOW DEPLOY
// STATUS, and plain ALTER TABLE outside a block — on top of the migration
// Engine, the SealCoordinator and the DeployStore.
//
// Thread-safety: every method may be called from any thread. Execute()
// blocks (a COMMIT DEPLOY waits until every table is staged and sealed), so
// the proxy runs it off its event loops; InBlock() is cheap and non-blocking.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "deploy/deploy.h"
#include "deploy/deploy_ops.h"
#include "deploy/deploy_store.h"
#include "deploy/direct_alter.h"
#include "deploy/seal.h"
#include "deploy/seal_schedule.h"
#include "migration/engine.h"
#include "sql/statement.h"

namespace sealgate::deploy {

enum class PlainAlterMode { kOnline, kPassthrough, kReject };

struct ClientContext {
  uint64_t session_id = 0;
  bool client = false;  // false: sealgate itself (scheduled seals, recovery): no privilege check
  std::string user;     // as the client logged in ("" for an anonymous account)
  std::string host;     // the client's host as the server sees it
  // The Host of the account the server authenticated the session as (its
  // CURRENT_USER()); nullopt when unknown: every account of `user` whose
  // Host matches `host` is then considered.
  std::optional<std::string> account_host;
  std::string database;
  bool in_transaction = false;
  bool holds_table_locks = false;
  // The session's settings that give DDL its meaning, read just before a
  // DDL statement; nullopt when not read (sealgate's own calls, or the read failed).
  std::optional<migration::SessionSettings> settings;
};

// A wait as a client's progress report shows it: "Stage: 1 of 3 'copying
// rows' 45% of stage done".
struct WaitProgress {
  int stage = 1;
  int max_stage = 1;
  double percent = 0;  // of the stage, 0..100; 0 where it cannot be told
  std::string stage_name;
};

// What Wants() knows of the session asking (cheap to fill on an event loop).
struct SessionFacts {
  uint64_t session_id = 0;
  bool holds_table_locks = false;  // LOCK TABLES or FLUSH TABLES ... WITH READ LOCK in force
};

// What the proxy sends back: an OK, an ERR (status carries errno/SQLSTATE) or
// a result set; or kForward: sealgate does not answer, the proxy sends the
// client's statement to the server as it would go without sealgate.
struct ControlReply {
  enum class Kind { kOk, kError, kResultSet, kForward } kind = Kind::kOk;
  uint64_t affected_rows = 0;
  std::string info;
  Status error;
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
  std::set<size_t> integer_columns;  // result-set columns typed as integers (else strings)

  static ControlReply Ok(std::string info, uint64_t affected = 0);
  static ControlReply Error(Status status);
  static ControlReply Forward();
};

// CREATE INDEX / DROP INDEX as the equivalent ALTER TABLE (`db`: the session's database).
StatusOr<std::string> IndexStatementAsAlter(const sql::Statement& st, const std::string& sql, const std::string& db);

struct ControllerOptions {
  migration::Engine* engine = nullptr;  // not owned
  binlog::ServerEndpoint admin;
  std::string metadata_schema = "_sealgate";
  WriteHold* hold = nullptr;            // not owned
  FaultPoints* faults = nullptr;        // test-only failure injection (not owned; may be null)
  SealOptions seal;
  PlainAlterMode plain_alter = PlainAlterMode::kOnline;
  std::chrono::milliseconds seal_retry_initial{200};
  std::chrono::milliseconds seal_retry_max{10000};
  int max_staged_migrations = 32;
  // A plain ALTER of a table with foreign keys (which a copy cannot stage) is
  // made by the server under the hold when the table has at most this many rows.
  uint64_t direct_max_rows = 1000;
  // Seals start only inside this daily UTC window (COMMIT DEPLOY waits for it); none: any time.
  std::optional<SealWindow> seal_window;
  // Before the first seal attempt, every shadow is compared with its original
  // (DESIGN.md §3.6); a mismatch keeps the deploy staged with the reason.
  bool verify_checksum = true;
  // After a seal (or a revert) both schemas are kept, the other side followed,
  // for this long; then the deploy is finalized (FINALIZE DEPLOY does it early).
  std::chrono::seconds revert_retention{24 * 3600};
  std::chrono::milliseconds retention_check{30000};  // how often the window is checked
  // Called after each successful seal with how long statements were held.
  std::function<void(std::chrono::milliseconds)> on_sealed;
  Logger* logger = nullptr;             // not owned
};

class DeployController {
 public:
  explicit DeployController(ControllerOptions options);
  ~DeployController();

  // Creates the metadata tables and loads recorded deploys (open ones become detached).
  Status Open();

  // Whether the proxy should hand this statement to Execute() (cheap). Not
  // wanted outside a deploy block, so run by the server as without sealgate:
  // ALTER TABLE t DISABLE/ENABLE KEYS alone, and (ddl.plain_alter = online)
  // a plain ALTER from a session under its own LOCK TABLES. The proxy asks
  // for the statement a prepared statement or EXECUTE IMMEDIATE holds, and
  // runs it as that statement.
  bool Wants(const sql::Statement& statement, const SessionFacts& session) const;
  // A deploy block is open in this session (cheap).
  bool InBlock(uint64_t session_id) const;
  ControlReply Execute(const ClientContext& client, const sql::Statement& statement, const std::string& sql);
  // The session is gone: its anonymous block is rolled back, a named one detached.
  void OnSessionClosed(uint64_t session_id);
  // KILL QUERY of a session: a COMMIT DEPLOY, REVERT DEPLOY or online ALTER
  // it waits on stops (nothing half-done) and answers error 1317.
  void CancelWait(uint64_t session_id);

  // Where the COMMIT DEPLOY, REVERT DEPLOY or online ALTER that `session_id`
  // waits on stands now, as a client progress report shows it; nullopt when
  // the session waits on none. May wait for the controller's lock: not on a
  // loop thread.
  std::optional<WaitProgress> ProgressOfWait(uint64_t session_id);

  // SHOW DEPLOYS, and SHOW DEPLOY STATUS over every active or sealed deploy, for /status and /metrics.
  ControlReply ShowDeploysReply() { return ShowDeploys(ClientContext{}); }
  ControlReply ShowStatusReply() { return ShowStatus(ClientContext{}, std::nullopt); }
  // Scheduled seals (COMMIT DEPLOY ... AT) running now, each waiting until its deploy is sealed.
  int background_seals() const;

 private:
  struct Entry {
    Deploy deploy;
    bool busy = false;  // a COMMIT/ROLLBACK is running for it
    // A waiting COMMIT (or REVERT) of it is to stop (ROLLBACK DEPLOY, KILL
    // QUERY); read and written under mu_, waited on with busy_cv_.
    bool cancel = false;
    uint64_t waiter = 0;  // the client session whose COMMIT/REVERT waits (0: none)
    bool checked = false;  // that COMMIT's checksum is done (or not asked): sealing is what is left
    // The session whose BEGIN DEPLOY (or plain ALTER) opened it; 0 when not
    // known (loaded after a restart).
    uint64_t opened_by = 0;
  };

  // The statements that are not deploy commands: staged in the session's
  // block, or a plain ALTER / index statement.
  ControlReply ExecuteDdl(const ClientContext& c, const sql::Statement& st, const std::string& sql);
  ControlReply Begin(const ClientContext& c, const sql::Statement& st);
  ControlReply Stage(const ClientContext& c, const sql::Statement& st, const std::string& sql, const std::string& name);
  ControlReply Commit(const ClientContext& c, const std::optional<std::string>& name);
  ControlReply Rollback(const ClientContext& c, const std::optional<std::string>& name);
  ControlReply End(const ClientContext& c);
  ControlReply ShowDeploys(const ClientContext& c);
  // REVERT DEPLOY: a sealed deploy swaps back; a reverted one is sealed anew.
  ControlReply Revert(const ClientContext& c, const std::string& name);
  ControlReply Finalize(const ClientContext& c, const std::string& name);
  void RetentionLoop();
  // When the revert window of a sealed/reverted deploy ends (UTC), else "".
  std::string RevertUntil(const Deploy& d) const;
  // "yes"/"no" (with `why`) for a table of a sealed or reverted deploy, "" otherwise.
  std::string Revertibility(const Deploy& d, const DeployItem& it, std::string* why) const;
  // The caller may ALTER every table of the deploy (checked through the grant tables).
  bool MayControl(const ClientContext& c, const Deploy& d);
  // What SHOW DEPLOYS, SHOW DEPLOY STATUS and SHOW DEPLOY CHECK show a
  // caller, and whose deploys it may act on: its own session's block (or
  // plain ALTER) always; another session's anonymous deploy only once it has
  // tables the caller may alter; any other deploy when MayControl.
  // `grants` (the caller's, may be null: looked up anew) is reused across calls.
  bool MayAccess(const ClientContext& c, const Deploy& d, uint64_t opened_by,
                 migration::GrantTablePrivilegeCheck* grants = nullptr);
  // Names of the deploys that MayAccess lets the caller see, of those `wanted`
  // (null: all) picks; grant lookups off mu_. `wanted` runs under mu_.
  std::set<std::string> AccessibleDeploys(const ClientContext& c,
                                          const std::function<bool(const Deploy&)>& wanted = nullptr);
  // SHOW DEPLOY CHECK (deploy_check.cc): the metadata schema read back and
  // compared with the tables it names; reports, repairs nothing.
  ControlReply ShowCheck(const ClientContext& c);
  // An ERR if `name` is another session's deploy with a table the caller may not alter.
  std::optional<ControlReply> RefuseOthersDeploy(const ClientContext& c, const std::string& name, const char* action);
  ControlReply ShowStatus(const ClientContext& c, const std::optional<std::string>& name);
  ControlReply PlainAlter(const ClientContext& c, const sql::Statement& st, const std::string& sql);
  // Why a plain ALTER (or CREATE/DROP INDEX) has no online way whatever the
  // table holds, so that the server runs it as without sealgate: a table
  // that is not InnoDB (MyISAM, Aria, MEMORY, CSV: nothing to copy under a
  // transaction), a view, one that does not exist (the server's own error),
  // or a change to such an engine. nullopt: the online way applies.
  std::optional<std::string> ServerRunsIt(const sql::Statement& st, const std::string& sql, const std::string& db);
  // A plain ALTER the server makes itself under the hold (DirectAlter):
  // done, or refused. nullopt: not possible that way, stage it.
  std::optional<ControlReply> TryDirect(const ClientContext& c, const std::string& sql);
  // An ALTER that adds new (all NULL) columns with foreign keys on them, too
  // large for the server to do under the hold: its columns and indexes (the
  // keys' own among them, as the server would name them) are staged and
  // sealed, then the keys are added without a copy. nullopt: not such an ALTER.
  std::optional<ControlReply> SplitForeignKeys(const ClientContext& c, const std::string& sql);
  // A plain ALTER as an implicit one-statement deploy that replies once sealed.
  ControlReply StagePlainAlter(const ClientContext& c, const sql::Statement& st, const std::string& sql);

  // `composing`: the caller (ComposeInBlock) holds the table's reservation
  // and replaces the block's own item of it: no ownership or count checks.
  StatusOr<DeployItem> StageAlter(const ClientContext& c, const std::string& alter_sql, bool composing = false);
  // A statement that only reads, sent inside block `name`: introspection of a
  // table the block changes (SHOW CREATE TABLE, SHOW [FULL] COLUMNS/FIELDS,
  // SHOW INDEX/KEYS, DESCRIBE) is answered as the table will be once sealed,
  // (deploy_introspection.cc); one that names such a table otherwise is refused (its
  // answer would be the table as it is now); any other goes to the server.
  // nullopt: not a statement that only reads.
  std::optional<ControlReply> ReadInBlock(const ClientContext& c, const std::string& sql, const std::string& name);
  // A further ALTER (or CREATE/DROP INDEX as its ALTER) of a table block
  // `name` already changes, composed with the earlier change into one item:
  // on a table the block creates, made on its (empty, not yet live) shadow;
  // on a staged ALTER, staged anew as one ALTER with both statements' specs,
  // the earlier migration cancelled first (one migration per table) and
  // staged again if the server refuses the combination. nullopt: the block
  // does not change the table yet (stage it as usual).
  std::optional<ControlReply> ComposeInBlock(const ClientContext& c, const std::string& name,
                                             const std::string& alter_sql);
  StatusOr<DeployItem> StageCreate(const ClientContext& c, const sql::Statement& st, const std::string& sql);
  StatusOr<DeployItem> StageDrop(const ClientContext& c, const sql::TableName& table, const std::string& sql);
  // Seals the deploy's items (or, `inverse`, swaps them back), retrying
  // abandoned attempts with backoff; starts the followers of the swap.
  Status SealWithRetries(const std::string& name, bool inverse);
  // Sleeps up to `d`; false if the deploy's wait was cancelled meanwhile.
  bool SleepUnlessCancelled(const std::string& name, std::chrono::milliseconds d);
  Status Cancelled(const std::string& name, bool inverse);
  // A test-only fault point (ControllerOptions::faults).
  void Fault(const std::string& point) {
    if (options_.faults) (void)options_.faults->Reach(point);
  }
  // Every ALTER of the deploy is staged and its shadow matches its original.
  // Unavailable while some table is still copying.
  Status VerifyShadows(const std::string& name, const std::vector<DeployItem>& items);
  Status CancelItems(const std::vector<DeployItem>& items);
  // Before a seal: the keys around each ALTER's table are still those recorded.
  Status CheckKeysUnchanged(migration::SqlConn& admin, const std::vector<DeployItem>& items);
  // A deploy recorded as sealing when sealgate stopped: sealed if the schema says so.
  void RecoverInterruptedSeal(migration::SqlConn& admin, Deploy* d);  // REQUIRES(mu_)
  Status Persist(const Deploy& d);
  std::optional<std::string> TableOwner(const sql::TableName& t) const;  // REQUIRES(mu_)
  // Why `session_id` cannot stage a change of `t`, which deploy `owner`
  // holds, in words that say what to do. REQUIRES(mu_)
  Status TableBusy(const sql::TableName& t, const std::string& owner, uint64_t session_id) const;
  // A plain ALTER's sealed implicit deploy that holds `t` is finalized: the
  // table's next change ends its revert window. So is a named one whose kept
  // side of `t` is gone (dropped behind sealgate's back).
  Status FinalizeImplicitOwner(const sql::TableName& t);
  std::string BlockOf(uint64_t session_id) const;                      // REQUIRES(mu_)
  // Block membership changes go through these (REQUIRES(mu_)): they keep the
  // lock-free view used by InBlock() in step.
  void SetBlock(uint64_t session_id, const std::string& name);
  void ClearBlock(uint64_t session_id);
  void ClearBlocksOf(const std::string& name);
  void Unreserve(const sql::TableName& t);

  // Operator controls (deploy_ops.cc): ALTER DEPLOY, COMMIT DEPLOY ... AT,
  // the seal window, and their columns in SHOW DEPLOYS / SHOW DEPLOY STATUS.
  Status OpenOps();  // REQUIRES(mu_)
  ControlReply AlterDeploy(const ClientContext& c, const sql::Statement& st);
  ControlReply ScheduleCommit(const ClientContext& c, const std::optional<std::string>& name, const std::string& at);
  void SealScheduled(const std::string& name);  // on a scheduler thread, when the time has come
  void ApplyCopyControls(const std::string& name, const DeployItem& item);  // REQUIRES(mu_)
  void AwaitSealWindow(const std::string& name);  // returns once a seal may start
  static const std::vector<std::string>& DeployOpsColumns();
  std::vector<std::optional<std::string>> DeployOpsCells(const std::string& name) const;  // REQUIRES(mu_)
  static const std::vector<std::string>& MigrationOpsColumns();
  // `follower`: a sealed or reverted deploy's migration, which copies nothing.
  static std::vector<std::optional<std::string>> MigrationOpsCells(const migration::MigrationProgress* p,
                                                                   bool follower = false);

  ControllerOptions options_;
  SealCoordinator seal_;
  DirectAlter direct_;
  mutable std::mutex mu_;
  std::condition_variable busy_cv_;            // an Entry's busy or cancel changed
  DeployStore store_;                          // GUARDED_BY(mu_)
  std::map<std::string, Entry> deploys_;       // GUARDED_BY(mu_)
  std::map<uint64_t, std::string> blocks_;     // session id -> deploy name; GUARDED_BY(mu_)
  std::set<std::pair<std::string, std::string>> reserved_;  // tables being staged; GUARDED_BY(mu_)
  uint64_t anonymous_counter_ = 0;             // GUARDED_BY(mu_)
  // The event loops ask InBlock()/Wants() for every statement of a session in a
  // block: that must never wait behind mu_, which is held across server I/O.
  mutable std::mutex block_mu_;
  std::set<uint64_t> in_block_;                // GUARDED_BY(block_mu_)
  std::atomic<size_t> in_block_count_{0};      // in_block_.size(), read without the lock
  std::atomic<int> active_deploys_{0};

  std::mutex retention_mu_;
  std::condition_variable retention_cv_;
  bool retention_stop_ = false;  // GUARDED_BY(retention_mu_)
  std::thread retention_thread_;

  std::map<std::string, DeployControls> controls_;  // GUARDED_BY(mu_)
  DeployControlStore control_store_;                // GUARDED_BY(mu_)
  std::unique_ptr<SealScheduler> scheduler_;        // last: its seals stop before anything they use
};

// "YYYY-MM-DD HH:MM:SS[.fff]" (UTC) as seconds since the epoch.
std::optional<time_t> ParseUtc(const std::string& text);

}  // namespace sealgate::deploy
