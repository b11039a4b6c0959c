#include "proxy/deploy_frontend.h"

#include <thread>

#include "protocol/constants.h"
#include "protocol/frame.h"
#include "protocol/messages.h"
#include "proxy/server.h"
#include "sql/errors.h"

namespace sealgate::proxy {

void ServerWriteHold::Begin() { server_->hold_gate().Begin(); }
bool ServerWriteHold::WaitApplied(std::chrono::milliseconds timeout) { return server_->hold_gate().WaitApplied(timeout); }
void ServerWriteHold::End() { server_->hold_gate().End(); }

namespace {

bool IsDeployControl(sql::StatementKind k) {
  using K = sql::StatementKind;
  return k == K::kBeginDeploy || k == K::kCommitDeploy || k == K::kRollbackDeploy || k == K::kEndDeploy ||
         k == K::kRevertDeploy || k == K::kFinalizeDeploy || k == K::kShowDeploys || k == K::kShowDeployStatus ||
         k == K::kAlterDeploy || k == K::kShowDeployCheck;
}

}  // namespace

DeployFrontend::~DeployFrontend() { Drain(); }

void DeployFrontend::Drain() {
  while (running_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

bool DeployFrontend::Wants(const sql::Statement& statement, const SessionView& session) {
  auto service = ownership_->Current();
  if (!service) return IsDeployControl(statement.kind);
  return service->controller->Wants(statement, {session.session_id, session.holds_table_locks});
}

bool DeployFrontend::Refuses(std::string_view sql, const std::string& database) {
  return metadata_guard_.Refuses(sql, database);
}

deploy::ControlReply DeployFrontend::MetadataWriteRefusal() const {
  const std::string& schema = metadata_guard_.schema();
  return deploy::ControlReply::Error(
      Status::PermissionDenied("`" + schema + "` is sealgate's own metadata schema: it may be read through sealgate "
                               "but not changed. SHOW DEPLOYS and SHOW DEPLOY STATUS show the deploys, SHOW DEPLOY "
                               "CHECK compares `" + schema + "` with the tables; deploys change it through "
                               "DEPLOY statements")
          .WithMysqlError(error::kMetadataSchemaWrite, error::kSqlstateSyntax));
}

bool DeployFrontend::ClaimsSession(uint64_t session_id) {
  auto service = ownership_->Current();
  return service && service->controller->InBlock(session_id);
}

void DeployFrontend::OnSessionClosed(uint64_t session_id) {
  if (auto service = ownership_->Current()) service->controller->OnSessionClosed(session_id);
}

void DeployFrontend::OnKillQuery(uint64_t server_connection_id) {
  if (!session_of_) return;
  auto session = session_of_(server_connection_id);
  if (!session) return;
  // The controller's lock may be held across server I/O: never on a loop thread.
  if (auto service = ownership_->Current()) {
    std::thread([service, id = *session] { service->controller->CancelWait(id); }).detach();
  }
}

void DeployFrontend::Handle(LocalRequest request, std::function<void(LocalReply)> reply) {
  // Before anything else, and whoever owns the deploys: nothing to run for it.
  if (metadata_guard_.Refuses(request.sql, request.session.database)) {
    reply(LocalReply{Render(MetadataWriteRefusal(), request.session)});
    return;
  }
  ++running_;
  std::thread([this, service = ownership_->Current(), request = std::move(request), reply = std::move(reply)] {
    deploy::ControlReply answer;
    if (!service) {
      Status why = ownership_->Unavailable();
      if (why.ok()) {
        why = Status::FailedPrecondition("this sealgate is taking the deploys over: retry")
                  .WithMysqlError(error::kDeployNotOwner, error::kSqlstateGeneral);
      }
      const bool other_owner = why.mysql_errno() == error::kDeployNotOwner;
      answer = deploy::ControlReply::Error(
          Status::FailedPrecondition("deploys are unavailable on this sealgate: " + why.message())
              .WithMysqlError(other_owner ? error::kDeployNotOwner : error::kDeployUnsupported,
                              other_owner ? error::kSqlstateGeneral : error::kSqlstateNotSupported));
    } else {
      deploy::ClientContext client;
      client.session_id = request.session.session_id;
      client.client = true;
      client.user = request.session.user;
      client.account_host = request.session.account_host;
      client.host = request.session.host;
      client.database = request.session.database;
      client.in_transaction = request.session.in_transaction;
      client.holds_table_locks = request.session.holds_table_locks;
      if (request.session.ddl_settings) {
        client.settings = migration::SessionSettings::FromRow(*request.session.ddl_settings);
      }
      ProgressReporter reporter(service->controller.get(), request.session.session_id, request.progress_every, reply);
      answer = service->controller->Execute(client, request.statement, request.sql);
    }
    LocalReply answered;
    answered.forward = answer.kind == deploy::ControlReply::Kind::kForward;
    if (!answered.forward) answered.packets = Render(answer, request.session);
    reply(std::move(answered));
    --running_;
  }).detach();
}

DeployFrontend::ProgressReporter::ProgressReporter(deploy::DeployController* controller, uint64_t session_id,
                                                   std::chrono::milliseconds every,
                                                   std::function<void(LocalReply)> reply) {
  if (every.count() <= 0) return;
  thread_ = std::thread([this, controller, session_id, every, reply = std::move(reply)] {
    std::unique_lock<std::mutex> lock(mu_);
    while (!cv_.wait_for(lock, every, [this] { return done_; })) {
      lock.unlock();
      if (auto wait = controller->ProgressOfWait(session_id)) {
        protocol::ProgressReport report;
        report.stage = static_cast<uint8_t>(wait->stage);
        report.max_stage = static_cast<uint8_t>(wait->max_stage);
        report.percent = wait->percent;
        report.stage_name = wait->stage_name;
        reply(LocalReply{protocol::BuildProgressReport(report), /*progress=*/true});
      }
      lock.lock();
    }
  });
}

DeployFrontend::ProgressReporter::~ProgressReporter() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::string DeployFrontend::Render(const deploy::ControlReply& reply, const SessionView& session) {
  std::string out;
  // The client's transaction state is unchanged by what sealgate answers.
  uint16_t flags = protocol::status::kAutocommit | (session.in_transaction ? protocol::status::kInTrans : 0);
  switch (reply.kind) {
    case deploy::ControlReply::Kind::kOk:
      protocol::AppendPacket(&out, 1, protocol::BuildOk(reply.affected_rows, 0, flags, 0, reply.info, session.session_track));
      break;
    case deploy::ControlReply::Kind::kError: {
      const Status& s = reply.error;
      uint16_t code = s.mysql_errno() ? s.mysql_errno() : error::kSealFailed;
      std::string state = s.sqlstate().empty() ? std::string(error::kSqlstateGeneral) : s.sqlstate();
      protocol::AppendPacket(&out, 1, protocol::BuildErr(code, state, s.message()));
      break;
    }
    case deploy::ControlReply::Kind::kResultSet: {
      std::vector<protocol::ColumnSpec> columns;
      for (size_t i = 0; i < reply.columns.size(); ++i) {
        columns.push_back({reply.columns[i], reply.integer_columns.count(i) ? protocol::ColumnType::kLongLong
                                                                            : protocol::ColumnType::kVarString});
      }
      out = protocol::BuildTextResultSet(columns, reply.rows, flags, session.result_sets);
      break;
    }
    case deploy::ControlReply::Kind::kForward:
      break;  // no answer of sealgate's: Handle() has the session send the statement on
  }
  return out;
}

}  // namespace sealgate::proxy
