// sealgate: the MySQL-protocol proxy that stages and seals schema changes.
#include <mysql.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "common/fault_points.h"
#include "common/log.h"
#include "deploy/deploy_controller.h"
#include "migration/client_latency.h"
#include "migration/engine.h"
#include "proxy/config.h"
#include "proxy/deploy_frontend.h"
#include "proxy/deploy_ownership.h"
#include "proxy/deploy_status_source.h"
#include "proxy/http_server.h"
#include "proxy/proxy_stats_source.h"
#include "proxy/server.h"

namespace {

using sealgate::Status;
using namespace sealgate;

// Logs in to the upstream as the admin account: proves it is reachable and
// the credentials work before any client is accepted.
Status CheckUpstream(const proxy::Config& config, std::string* version) {
  MYSQL* mysql = mysql_init(nullptr);
  unsigned timeout = 10;
  mysql_optionsv(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
  Status result;
  if (!mysql_real_connect(mysql, config.upstream.host.c_str(), config.admin_user.c_str(),
                          config.admin_password.c_str(), nullptr, config.upstream.port, nullptr, 0)) {
    unsigned err = mysql_errno(mysql);
    std::string what = (err == 2002 || err == 2003 || err == 2005 || err == 2013)
                           ? "upstream " + config.upstream.ToString() + " is unreachable: "
                           : "cannot log in to upstream " + config.upstream.ToString() + " as admin user '" +
                                 config.admin_user + "' (set --admin-user/--admin-password): ";
    result = Status::Unavailable(what + mysql_error(mysql));
  } else {
    *version = mysql_get_server_info(mysql);
  }
  mysql_close(mysql);
  return result;
}

// A replica id distinct per instance: from the host name and listen address.
uint32_t ReplicaServerId(const proxy::Config& config) {
  if (config.replica_server_id) return config.replica_server_id;
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  size_t h = std::hash<std::string>()(std::string(host) + "|" + config.listen.ToString());
  return static_cast<uint32_t>(100000000u + h % 3000000000u);
}

// How other instances name this one when it owns the deploys.
std::string OwnerLabel(const proxy::Config& config) {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  return std::string(host) + " listen " + config.listen.ToString() + " pid " + std::to_string(getpid());
}

// The copy's automatic throttle from the config; null when no limit is set.
std::shared_ptr<migration::Throttler> MakeThrottler(const proxy::Config& config, const binlog::ServerEndpoint& admin,
                                                    std::shared_ptr<migration::Throttler> client_latency) {
  std::vector<std::shared_ptr<migration::Throttler>> parts;
  if (client_latency) parts.push_back(std::move(client_latency));
  if (config.throttle.max_threads_running > 0) {
    parts.push_back(std::make_shared<migration::ThreadsRunningThrottler>(admin, config.throttle.max_threads_running));
  }
  if (!config.throttle.replicas.empty()) {
    migration::ReplicaLagThrottler::Options o;
    for (const auto& r : config.throttle.replicas) {
      binlog::ServerEndpoint e = admin;
      e.host = r.host;
      e.port = r.port;
      e.connect_timeout = std::chrono::seconds(3);
      o.replicas.push_back(e);
    }
    o.max_lag = std::chrono::seconds(int64_t(config.throttle.max_replica_lag_seconds));
    parts.push_back(std::make_shared<migration::ReplicaLagThrottler>(o));
  }
  if (parts.empty()) return nullptr;
  return std::make_shared<migration::CompositeThrottler>(std::move(parts));
}

// The server's data directory can be looked at from here: it runs on this host.
bool UpstreamIsLocal(const proxy::Config& config) {
  switch (config.storage.check_free_space) {
    case proxy::FreeSpaceCheck::kOn: return true;
    case proxy::FreeSpaceCheck::kOff: return false;
    case proxy::FreeSpaceCheck::kAuto: break;
  }
  const std::string& h = config.upstream.host;
  return !config.upstream_socket.empty() || h == "localhost" || h == "::1" || h.rfind("127.", 0) == 0;
}

deploy::PlainAlterMode PlainAlter(proxy::PlainAlterMode m) {
  switch (m) {
    case proxy::PlainAlterMode::kPassthrough: return deploy::PlainAlterMode::kPassthrough;
    case proxy::PlainAlterMode::kReject: return deploy::PlainAlterMode::kReject;
    case proxy::PlainAlterMode::kOnline: break;
  }
  return deploy::PlainAlterMode::kOnline;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      fputs(proxy::UsageText().c_str(), stdout);
      return 0;
    }
  }
  proxy::ConfigEnvironment environment;
  environment.admin_password = getenv("SEALGATE_ADMIN_PASSWORD");
  environment.http_token = getenv("SEALGATE_HTTP_TOKEN");
  auto config = proxy::LoadConfig(args, environment);
  if (!config.ok()) {
    fprintf(stderr, "sealgate: %s\n", config.status().message().c_str());
    return 2;
  }
  Logger logger(config->log_level);

  // Signals are taken synchronously by the main thread (sigwait); other threads never see them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  mysql_library_init(0, nullptr, nullptr);
  std::string version;
  Status up = CheckUpstream(*config, &version);
  if (!up.ok()) {
    fprintf(stderr, "sealgate: %s\n", up.message().c_str());
    return 1;
  }

  // The proxy times every client statement; the copy yields while they are
  // slower than without it. Outlives the server's sessions that record into it.
  std::shared_ptr<migration::ClientLatencyThrottler> client_latency;
  if (config->throttle.max_client_latency_ratio > 0) {
    migration::ClientLatencyThrottler::Options latency_options;
    latency_options.max_ratio = config->throttle.max_client_latency_ratio;
    client_latency = std::make_shared<migration::ClientLatencyThrottler>(latency_options);
  }
  proxy::Server server(*config, &logger);
  server.set_client_latency(client_latency.get());
  proxy::MetricsRegistry registry;
  std::function<proxy::ClientLatencyReading()> latency_reading;
  if (client_latency) {
    latency_reading = [latency = client_latency.get()] {
      auto snap = latency->snapshot();
      return proxy::ClientLatencyReading{snap.last_p95_ms / 1000.0, snap.baseline_p95_ms / 1000.0};
    };
  }
  proxy::ProxyStatsSource proxy_source(&server.stats(), latency_reading);
  registry.AddSource(&proxy_source);
  auto hold_histogram = registry.AddHistogram("sealgate_seal_hold_seconds",
                                              "How long each successful seal held client statements",
                                              proxy::HoldDurationBuckets());
  proxy::ServerWriteHold hold(&server);
  binlog::ServerEndpoint admin{config->upstream.host, config->upstream.port, config->admin_user,
                               config->admin_password};
  migration::EngineOptions engine_options;
  engine_options.server = admin;
  engine_options.replica_server_id = ReplicaServerId(*config);
  engine_options.metadata_schema = config->metadata_schema;
  engine_options.shadow_prefix = "~";  // shadows sort after the originals and the seal gate (deploy/seal.h)
  engine_options.logger = &logger;
  engine_options.max_chunk_rows = config->copy_max_chunk_rows;
  engine_options.initial_chunk_rows = std::min(engine_options.initial_chunk_rows, config->copy_max_chunk_rows);
  engine_options.min_chunk_rows = std::min(engine_options.min_chunk_rows, config->copy_max_chunk_rows);
  engine_options.target_chunk_time = std::chrono::milliseconds(int64_t(config->copy_target_chunk_ms));
  engine_options.throttler = MakeThrottler(*config, admin, client_latency);
  engine_options.retention_warn_within = std::chrono::seconds(int64_t(config->binlog_retention_warn_seconds));
  engine_options.retention_check_interval = std::chrono::seconds(int64_t(config->binlog_retention_check_seconds));
  engine_options.storage.max_shadow_bytes = config->storage.max_shadow_bytes;
  engine_options.storage.headroom_percent = config->storage.headroom_percent;
  if (UpstreamIsLocal(*config)) engine_options.storage.free_bytes = migration::LocalFreeBytes;
  engine_options.lease_check_interval = std::chrono::milliseconds(int64_t(config->deploy_lease_check_ms));
  engine_options.owner_label = OwnerLabel(*config);
  engine_options.live_migrations = [schema = config->metadata_schema](migration::SqlConn& admin) {
    return deploy::DeployStore::LiveMigrations(admin, schema);
  };
  deploy::ControllerOptions controller_options;
  controller_options.admin = admin;
  controller_options.metadata_schema = config->metadata_schema;
  controller_options.hold = &hold;
  controller_options.plain_alter = PlainAlter(config->plain_alter);
  controller_options.max_staged_migrations = config->max_staged_migrations;
  controller_options.direct_max_rows = static_cast<uint64_t>(config->direct_max_rows);
  if (!config->seal_window.empty()) controller_options.seal_window = *deploy::SealWindow::Parse(config->seal_window);
  controller_options.seal.kill_blockers_after = config->seal_kill_blockers_after;
  controller_options.seal.max_hold = std::chrono::milliseconds(config->seal_max_hold_ms);
  controller_options.seal.own_user = config->admin_user;
  controller_options.seal.sessions = &server;
  FaultPoints faults;
  std::string fault_spec = config->fault_points;
  if (const char* env = getenv("SEALGATE_FAULT_POINTS"); env && fault_spec.empty()) fault_spec = env;
  if (!fault_spec.empty()) {
    Status parsed = faults.Add(fault_spec);
    if (!parsed.ok()) {
      fprintf(stderr, "sealgate: %s\n", parsed.message().c_str());
      return 2;
    }
    logger.Warn("proxy", "fault points armed (testing only): " + fault_spec);
    controller_options.seal.faults = &faults;
    controller_options.faults = &faults;
  }
  controller_options.verify_checksum = config->seal_verify_checksum;
  controller_options.revert_retention =
      std::chrono::seconds(static_cast<int64_t>(config->revert_retention_seconds));
  // The window is checked often enough to end within a few percent of it.
  controller_options.retention_check = std::clamp(
      std::chrono::milliseconds(static_cast<int64_t>(config->revert_retention_seconds * 1000 / 20)),
      std::chrono::milliseconds(200), std::chrono::milliseconds(30000));
  controller_options.logger = &logger;
  proxy::Histogram* histogram = hold_histogram.ok() ? *hold_histogram : nullptr;
  controller_options.on_sealed = [histogram](std::chrono::milliseconds hold) {
    if (histogram) histogram->Observe(hold.count() / 1000.0);
  };
  // One sealgate instance runs the deploys of a metadata schema: the one
  // whose engine holds the schema's lease. The others proxy and stand by.
  proxy::DeployOwnershipOptions ownership_options;
  ownership_options.open = [&engine_options, &controller_options](std::chrono::seconds wait)
      -> StatusOr<std::shared_ptr<proxy::DeployService>> {
    migration::EngineOptions o = engine_options;
    o.lease_wait = wait;
    auto engine = migration::Engine::Open(o);
    if (!engine.ok()) return engine.status();
    auto service = std::make_shared<proxy::DeployService>();
    service->engine = std::move(*engine);
    deploy::ControllerOptions c = controller_options;
    c.engine = service->engine.get();
    service->controller = std::make_unique<deploy::DeployController>(c);
    SEALGATE_RETURN_IF_ERROR(service->controller->Open());
    return service;
  };
  ownership_options.retry = std::chrono::milliseconds(int64_t(config->deploy_lease_retry_ms));
  ownership_options.logger = &logger;
  proxy::DeployOwnership ownership(ownership_options);
  ownership.Start();
  proxy::DeployFrontend frontend(&ownership, config->metadata_schema);
  frontend.set_session_lookup([&server](uint64_t id) { return server.SessionOf(id); });
  server.set_interceptor(&frontend);
  proxy::DeployStatusSource deploy_source(&ownership);
  registry.AddSource(&deploy_source);
  proxy::HttpServerOptions http_options;
  http_options.host = config->http.host;
  http_options.port = config->http.port;
  http_options.token = config->http_token;
  http_options.allow_unauthenticated = config->http_allow_unauthenticated;
  proxy::HttpServer http(http_options, &registry, &logger);
  Status http_started = http.Start();
  if (!http_started.ok()) {
    fprintf(stderr, "sealgate: %s\n", http_started.message().c_str());
    return 1;
  }

  Status started = server.Start();
  if (!started.ok()) {
    fprintf(stderr, "sealgate: %s\n", started.message().c_str());
    return 1;
  }
  logger.Info("proxy", "ready: listening on " + config->listen.ToString() + " upstream " +
                           config->upstream.ToString() + " (" + version + ") threads=" +
                           std::to_string(server.worker_count()) +
                           " deploys=" + (ownership.owner() ? "owner" : "standby") + " http=" + config->http.host + ":" +
                           std::to_string(http.port()));
  server.RunUntilSignal();
  ownership.Stop();
  auto service = ownership.Current();
  if (frontend.running() > 0 || (service && service->controller->background_seals() > 0)) {
    // A COMMIT DEPLOY may wait for hours; its deploy is durable in the metadata
    // schema and resumes after a restart, so there is nothing to wait for.
    logger.Info("proxy", std::to_string(frontend.running()) + " deploy request(s) still waiting; their state is kept");
    fflush(stderr);
    _exit(0);
  }
  http.Stop();
  registry.RemoveSource(&deploy_source);
  service.reset();
  ownership.Release();
  mysql_library_end();
  return 0;
}
