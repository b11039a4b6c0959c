// DeployFrontend: connects the proxy's sessions to the DeployController. It
// decides which statements sealgate answers itself, runs them off the event
// loops (a COMMIT DEPLOY blocks until sealed) and renders the controller's
// replies as OK / ERR / result-set packets every client understands.
//
// While this instance does not own the deploys (a standby, or deploys
// unavailable, e.g. the binlog is off) it answers DEPLOY statements with an
// error that says why, and lets every other statement through. Each request
// uses the service that was live when it arrived (DeployOwnership), so an
// instance that becomes the owner, or stops being it, never pulls a
// controller from under a running request.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <functional>
#include <optional>
#include <string>

#include "deploy/deploy_controller.h"
#include "proxy/deploy_ownership.h"
#include "proxy/hold_gate.h"
#include "proxy/interceptor.h"
#include "sql/schema_writes.h"

namespace sealgate::proxy {

class Server;

// The seal's view of the proxy's HoldGate (valid once the server started).
class ServerWriteHold : public deploy::WriteHold {
 public:
  explicit ServerWriteHold(Server* server) : server_(server) {}
  void Begin() override;
  bool WaitApplied(std::chrono::milliseconds timeout) override;
  void End() override;

 private:
  Server* server_;
};

// Statements that would change the metadata schema (`metadata_schema`) are
// refused on every instance, owner or standby: the deploy state there is
// sealgate's to write.
class DeployFrontend : public StatementInterceptor {
 public:
  // `ownership` is not owned and outlives the frontend.
  DeployFrontend(DeployOwnership* ownership, std::string metadata_schema)
      : ownership_(ownership), metadata_guard_(std::move(metadata_schema)) {}
  ~DeployFrontend() override;

  bool Wants(const sql::Statement& statement, const SessionView& session) override;
  bool Refuses(std::string_view sql, const std::string& database) override;
  bool ClaimsSession(uint64_t session_id) override;
  void Handle(LocalRequest request, std::function<void(LocalReply)> reply) override;
  void OnSessionClosed(uint64_t session_id) override;
  void OnKillQuery(uint64_t server_connection_id) override;
  // Finds the proxy session of a server connection id (for KILL QUERY); set before use.
  void set_session_lookup(std::function<std::optional<uint64_t>(uint64_t)> lookup) { session_of_ = std::move(lookup); }

  // Waits for requests still running (shutdown).
  void Drain();
  int running() const { return running_.load(); }

  // Renders a reply as frames starting at sequence id 1.
  static std::string Render(const deploy::ControlReply& reply, const SessionView& session);

 private:
  // While a request runs: every `every`, the controller's progress of the
  // session's wait sent to the client as a progress report (none when
  // `every` is zero). Its thread ends, joined, when it goes out of scope:
  // before the request's answer is sent.
  class ProgressReporter {
   public:
    ProgressReporter(deploy::DeployController* controller, uint64_t session_id, std::chrono::milliseconds every,
                     std::function<void(LocalReply)> reply);
    ~ProgressReporter();
    ProgressReporter(const ProgressReporter&) = delete;
    ProgressReporter& operator=(const ProgressReporter&) = delete;

   private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool done_ = false;
    std::thread thread_;
  };

  deploy::ControlReply MetadataWriteRefusal() const;

  DeployOwnership* ownership_;
  sql::SchemaWriteGuard metadata_guard_;
  std::function<std::optional<uint64_t>(uint64_t)> session_of_;
  std::atomic<int> running_{0};
};

}  // namespace sealgate::proxy
