// Proxy configuration: defaults, then the JSON file (--config), then flags.
// Every key of the file can be overridden by a flag (DESIGN.md §7).
#pragma once

#include <string>
#include <vector>

#include "common/log.h"
#include "common/status.h"

namespace sealgate::proxy {

struct HostPort {
  std::string host;
  int port = 0;
  std::string ToString() const { return host + ":" + std::to_string(port); }
};

// "host:port" or "[v6]:port".
StatusOr<HostPort> ParseHostPort(const std::string& text);

enum class PlainAlterMode { kOnline, kPassthrough, kReject };

struct TlsConfig {
  std::string cert_file;  // empty: no TLS termination, the SSL capability is removed
  std::string key_file;
  bool upstream = false;  // speak TLS to the upstream
};

// Automatic throttling of the copy (every limit off by default).
struct ThrottleConfig {
  int max_threads_running = 0;         // 0: Threads_running is not watched
  std::vector<HostPort> replicas;      // asked with the admin account: SHOW REPLICA STATUS
  double max_replica_lag_seconds = 10;
  // The copy waits while client statements' p95 (through this proxy) is above
  // this many times their p95 without a copy (and 0.5 ms above it); 0: off.
  double max_client_latency_ratio = 1.3;
};

enum class FreeSpaceCheck { kAuto, kOn, kOff };  // auto: when the upstream is on this host

struct StorageConfig {
  uint64_t max_shadow_bytes = 0;       // 0: no ceiling for the shadows staged at once
  int headroom_percent = 50;           // free space must exceed the shadows' need by this much
  FreeSpaceCheck check_free_space = FreeSpaceCheck::kAuto;
};

struct Config {
  HostPort listen{"127.0.0.1", 6033};
  HostPort upstream{"127.0.0.1", 3306};
  HostPort http{"127.0.0.1", 9033};
  // /metrics and /status need "Authorization: Bearer <http_token>" when set
  // (http.token, --http-token, --http-token-file, env SEALGATE_HTTP_TOKEN).
  std::string http_token;
  // A non-loopback http address without a token is refused unless this is set.
  bool http_allow_unauthenticated = false;
  // Client sessions reach the upstream through this Unix socket instead of
  // TCP when set (sealgate on the database host). The server then sees
  // clients as connecting from 'localhost'; accounts must exist for it.
  std::string upstream_socket;
  std::string admin_user = "root";
  std::string admin_password;
  std::string metadata_schema = "_sealgate";
  int threads = 0;  // 0: one per core
  uint32_t replica_server_id = 0;  // binlog replica id; 0: derived from host name and listen address
  LogLevel log_level = LogLevel::kInfo;
  PlainAlterMode plain_alter = PlainAlterMode::kOnline;
  int direct_max_rows = 1000;  // ddl.direct_max_rows
  TlsConfig tls;
  double shutdown_grace_seconds = 30;
  // While a client waits on sealgate (COMMIT DEPLOY, an online ALTER), its
  // upstream connection is pinged this often so wait_timeout never ends it.
  double upstream_keepalive_seconds = 60;
  size_t max_packet_bytes = size_t{1} << 30;  // a client packet larger than this ends the session
  int max_staged_migrations = 32;              // deploy.max_staged_migrations
  // Several instances on one metadata schema: a standby tries to take the
  // deploy lease this often; the owner checks that it still holds it this often.
  double deploy_lease_retry_ms = 1000;         // deploy.lease_retry_ms
  double deploy_lease_check_ms = 500;          // deploy.lease_check_ms
  uint64_t copy_max_chunk_rows = 50000;        // the copy's chunks adapt up to this many rows
  double copy_target_chunk_ms = 500;           // ... aiming at this duration per chunk
  std::string seal_window;                     // "HH:MM-HH:MM" (UTC) seals may start in; empty: any time
  ThrottleConfig throttle;
  StorageConfig storage;
  // Warn this long before a staged migration's binlog position may be purged;
  // the server's binlogs are compared with the checkpoints this often.
  double binlog_retention_warn_seconds = 6 * 3600;
  double binlog_retention_check_seconds = 60;
  // How long a sealed deploy stays revertible (its old tables kept and
  // followed) before it is finalized on its own.
  double revert_retention_seconds = 24 * 3600;
  // A connection that has held a deploy's table for this many seconds of
  // waiting seals is killed; 0: never (the seal waits for it).
  int seal_kill_blockers_after = 0;
  // The hard ceiling of one seal's hold on client statements (ms).
  int seal_max_hold_ms = 500;
  // Test-only failure injection (common/fault_points.h); also SEALGATE_FAULT_POINTS.
  std::string fault_points;
  bool seal_verify_checksum = true;  // compare each shadow with its original before its first seal
};

// Secrets taken from the environment (null: unset). They override the
// config file; flags override them.
struct ConfigEnvironment {
  const char* admin_password = nullptr;  // SEALGATE_ADMIN_PASSWORD
  const char* http_token = nullptr;      // SEALGATE_HTTP_TOKEN
};

// Parses argv (argv[0] ignored): reads --config first, then applies flags.
// Returns a one-line error for unknown flags, bad values, unreadable files,
// and for an http address that is not loopback while no token is set and
// unauthenticated access is not allowed.
StatusOr<Config> LoadConfig(const std::vector<std::string>& args, const ConfigEnvironment& env);
// The same with only SEALGATE_ADMIN_PASSWORD's value (or null).
StatusOr<Config> LoadConfig(const std::vector<std::string>& args, const char* env_password);

std::string UsageText();

}  // namespace sealgate::proxy
