#include "proxy/config.h"

#include <picojson.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "deploy/seal_schedule.h"
#include "proxy/http_server.h"

namespace sealgate::proxy {

StatusOr<HostPort> ParseHostPort(const std::string& text) {
  size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Status::InvalidArgument("'" + text + "' is not HOST:PORT");
  }
  HostPort hp;
  hp.host = text.substr(0, colon);
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']') hp.host = hp.host.substr(1, hp.host.size() - 2);
  std::string port = text.substr(colon + 1);
  char* end = nullptr;
  long v = strtol(port.c_str(), &end, 10);
  if (*end != '\0' || v < 0 || v > 65535) return Status::InvalidArgument("'" + text + "' has a bad port");
  hp.port = static_cast<int>(v);
  return hp;
}

std::string UsageText() {
  return "usage: sealgate [--config FILE] [--listen HOST:PORT] [--upstream HOST:PORT]\n"
         "                [--admin-user USER] [--admin-password-file FILE]   (or env SEALGATE_ADMIN_PASSWORD)\n"
         "                [--admin-password PASS]  (visible to every user of this host in the process list:\n"
         "                 prefer SEALGATE_ADMIN_PASSWORD or --admin-password-file)\n"
         "                [--http HOST:PORT] [--metadata-schema NAME] [--threads N]\n"
         "                [--http-token-file FILE]   (or env SEALGATE_HTTP_TOKEN; --http-token TOKEN shows in the\n"
         "                 process list): /metrics and /status then need \"Authorization: Bearer TOKEN\"\n"
         "                [--http-allow-unauthenticated]  (serve them without a token on a non-loopback address)\n"
         "                [--upstream-socket PATH]   (client sessions reach the upstream over this Unix socket)\n"
         "                [--replica-server-id N]    (binlog replica id, unique per sealgate instance)\n"
         "                [--log-level debug|info|warn|error] [--plain-alter online|passthrough|reject]\n"
         "                [--direct-max-rows N]\n"
         "                [--tls-cert FILE] [--tls-key FILE] [--tls-upstream]\n"
         "                [--deploy-max-staged-migrations N] [--seal-window HH:MM-HH:MM]   (UTC)\n"
         "                [--deploy-lease-retry-ms MS] [--deploy-lease-check-ms MS]  (several instances: how often\n"
         "                 a standby tries to take the deploys over (1000), the owner checks it still owns them (500))\n"
         "                [--copy-max-chunk-rows N] [--copy-target-chunk-ms MS]\n"
         "                [--throttle-max-threads-running N] [--throttle-replicas HOST:PORT,...]\n"
         "                [--throttle-max-replica-lag-seconds S] [--throttle-max-client-latency-ratio R]\n"
         "                [--storage-max-shadow-bytes N[K|M|G|T]] [--storage-headroom-percent P]\n"
         "                [--storage-check-free-space auto|on|off]\n"
         "                [--binlog-retention-warn-seconds S] [--binlog-retention-check-seconds S]\n"
         "                [--revert-retention-seconds S]  (how long a sealed deploy stays revertible; 86400)\n"
         "                [--seal-kill-blockers-after S]  (kill a connection that blocked the seal for S seconds; 0: never)\n"
         "                [--seal-max-hold-ms MS]  (ceiling of one seal's hold on client statements; 500)\n"
         "                [--seal-verify-checksum true|false]  (checksum shadows before their first seal)\n";
}

namespace {

bool ParseNumber(const std::string& text, double min, double max, double* out) {
  char* end = nullptr;
  double v = strtod(text.c_str(), &end);
  if (text.empty() || *end || !(v >= min && v <= max)) return false;
  *out = v;
  return true;
}

// A whole number in [min, max].
bool ParseInt(const std::string& text, long min, long max, int* out) {
  char* end = nullptr;
  long v = strtol(text.c_str(), &end, 10);
  if (text.empty() || *end || v < min || v > max) return false;
  *out = static_cast<int>(v);
  return true;
}

// "1048576", "512M", "10G" (powers of 1024).
bool ParseBytes(const std::string& text, uint64_t* out) {
  char* end = nullptr;
  unsigned long long v = strtoull(text.c_str(), &end, 10);
  if (text.empty() || end == text.c_str() || text[0] == '-') return false;
  std::string unit = end;
  int shift = unit.empty() ? 0 : unit == "K" ? 10 : unit == "M" ? 20 : unit == "G" ? 30 : unit == "T" ? 40 : -1;
  if (shift < 0 || v > (~0ull >> shift)) return false;
  *out = uint64_t(v) << shift;
  return true;
}

// Operator settings: deploys, the copy, the seal window, throttling, storage, binlog retention.
std::optional<Status> ApplyOperations(Config* c, const std::string& key, const std::string& value) {
  double v = 0;
  auto number = [&](double min, double max, const char* rule) -> std::optional<Status> {
    if (!ParseNumber(value, min, max, &v)) return Status::InvalidArgument(key + " must be " + rule);
    return std::nullopt;
  };
  if (key == "deploy-max-staged-migrations") {
    if (auto bad = number(1, 100000, "1..100000")) return bad;
    c->max_staged_migrations = int(v);
    return Status::Ok();
  }
  if (key == "deploy-lease-retry-ms") {
    if (auto bad = number(50, 600000, "50..600000")) return bad;
    c->deploy_lease_retry_ms = v;
    return Status::Ok();
  }
  if (key == "deploy-lease-check-ms") {
    if (auto bad = number(50, 600000, "50..600000")) return bad;
    c->deploy_lease_check_ms = v;
    return Status::Ok();
  }
  if (key == "copy-max-chunk-rows") {
    if (auto bad = number(1, 10000000, "1..10000000")) return bad;
    c->copy_max_chunk_rows = uint64_t(v);
    return Status::Ok();
  }
  if (key == "copy-target-chunk-ms") {
    if (auto bad = number(1, 600000, "1..600000")) return bad;
    c->copy_target_chunk_ms = v;
    return Status::Ok();
  }
  if (key == "seal-window") {
    if (!value.empty()) {
      auto w = deploy::SealWindow::Parse(value);
      if (!w.ok()) return w.status();
    }
    c->seal_window = value;
    return Status::Ok();
  }
  if (key == "throttle-max-threads-running") {
    if (auto bad = number(0, 100000, "0..100000 (0: off)")) return bad;
    c->throttle.max_threads_running = int(v);
    return Status::Ok();
  }
  if (key == "throttle-replicas") {
    c->throttle.replicas.clear();
    std::stringstream in(value);
    std::string item;
    while (std::getline(in, item, ',')) {
      if (item.empty()) continue;
      auto hp = ParseHostPort(item);
      if (!hp.ok()) return hp.status().Annotate(key);
      c->throttle.replicas.push_back(*hp);
    }
    return Status::Ok();
  }
  if (key == "throttle-max-client-latency-ratio") {
    if (auto bad = number(0, 1000, "0 (off) or a ratio >= 1")) return bad;
    if (v != 0 && v < 1) return Status::InvalidArgument(key + " must be 0 (off) or a ratio >= 1, e.g. 1.3");
    c->throttle.max_client_latency_ratio = v;
    return Status::Ok();
  }
  if (key == "throttle-max-replica-lag-seconds") {
    if (auto bad = number(0, 1e9, ">= 0")) return bad;
    c->throttle.max_replica_lag_seconds = v;
    return Status::Ok();
  }
  if (key == "storage-max-shadow-bytes") {
    if (!ParseBytes(value, &c->storage.max_shadow_bytes)) {
      return Status::InvalidArgument(key + " must be a byte count, e.g. 1073741824 or 1G (0: no limit)");
    }
    return Status::Ok();
  }
  if (key == "storage-headroom-percent") {
    if (auto bad = number(0, 1000, "0..1000")) return bad;
    c->storage.headroom_percent = int(v);
    return Status::Ok();
  }
  if (key == "storage-check-free-space") {
    if (value == "auto") c->storage.check_free_space = FreeSpaceCheck::kAuto;
    else if (value == "on" || value == "true") c->storage.check_free_space = FreeSpaceCheck::kOn;
    else if (value == "off" || value == "false") c->storage.check_free_space = FreeSpaceCheck::kOff;
    else return Status::InvalidArgument(key + " must be auto|on|off");
    return Status::Ok();
  }
  if (key == "binlog-retention-warn-seconds") {
    if (auto bad = number(0, 1e9, ">= 0")) return bad;
    c->binlog_retention_warn_seconds = v;
    return Status::Ok();
  }
  if (key == "binlog-retention-check-seconds") {
    if (auto bad = number(1, 86400, "1..86400")) return bad;
    c->binlog_retention_check_seconds = v;
    return Status::Ok();
  }
  return std::nullopt;
}

// The first line of a file holding a secret (a trailing newline is not part of it).
Status ReadSecretFile(const std::string& key, const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument(key + ": cannot read " + path);
  std::string line;
  std::getline(in, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) return Status::InvalidArgument(key + ": " + path + " is empty");
  *out = line;
  return Status::Ok();
}

bool ParseBool(const std::string& value, bool* out) {
  if (value != "true" && value != "false") return false;
  *out = value == "true";
  return true;
}

// Applies one setting by its flag name (without "--"); config file keys map to the same names.
Status Apply(Config* c, const std::string& key, const std::string& value) {
  auto hostport = [&](HostPort* out) -> Status {
    auto hp = ParseHostPort(value);
    if (!hp.ok()) return hp.status().Annotate(key);
    *out = *hp;
    return Status::Ok();
  };
  if (key == "listen") return hostport(&c->listen);
  if (key == "upstream") return hostport(&c->upstream);
  if (key == "http" || key == "http-address") return hostport(&c->http);
  if (key == "http-token") { c->http_token = value; return Status::Ok(); }
  if (key == "http-token-file") return ReadSecretFile(key, value, &c->http_token);
  if (key == "http-allow-unauthenticated") {
    if (!ParseBool(value, &c->http_allow_unauthenticated)) return Status::InvalidArgument(key + " must be true|false");
    return Status::Ok();
  }
  if (key == "admin-password-file") return ReadSecretFile(key, value, &c->admin_password);
  if (key == "upstream-socket") { c->upstream_socket = value; return Status::Ok(); }
  if (key == "admin-user") { c->admin_user = value; return Status::Ok(); }
  if (key == "admin-password") { c->admin_password = value; return Status::Ok(); }
  if (key == "metadata-schema") {
    if (value.empty() || value.size() > 64) return Status::InvalidArgument("metadata-schema must be 1..64 characters");
    c->metadata_schema = value;
    return Status::Ok();
  }
  if (key == "threads") {
    if (!ParseInt(value, 0, 256, &c->threads)) return Status::InvalidArgument("threads must be 0..256");
    return Status::Ok();
  }
  if (key == "replica-server-id") {
    char* end = nullptr;
    unsigned long long v = strtoull(value.c_str(), &end, 10);
    if (value.empty() || *end || v > 4294967295ull) return Status::InvalidArgument("replica-server-id must be 0..4294967295");
    c->replica_server_id = static_cast<uint32_t>(v);
    return Status::Ok();
  }
  if (key == "log-level") {
    if (!ParseLogLevel(value, &c->log_level)) return Status::InvalidArgument("log-level must be debug|info|warn|error");
    return Status::Ok();
  }
  if (key == "plain-alter") {
    if (value == "online") c->plain_alter = PlainAlterMode::kOnline;
    else if (value == "passthrough") c->plain_alter = PlainAlterMode::kPassthrough;
    else if (value == "reject") c->plain_alter = PlainAlterMode::kReject;
    else return Status::InvalidArgument("plain-alter must be online|passthrough|reject");
    return Status::Ok();
  }
  if (key == "direct-max-rows") {
    if (!ParseInt(value, 0, 1000000, &c->direct_max_rows)) return Status::InvalidArgument("direct-max-rows must be 0..1000000");
    return Status::Ok();
  }
  if (key == "tls-cert") { c->tls.cert_file = value; return Status::Ok(); }
  if (key == "tls-key") { c->tls.key_file = value; return Status::Ok(); }
  if (key == "tls-upstream") {
    if (value != "true" && value != "false") return Status::InvalidArgument("tls-upstream must be true|false");
    c->tls.upstream = value == "true";
    return Status::Ok();
  }
  if (key == "upstream-keepalive-seconds") {
    char* end = nullptr;
    double v = strtod(value.c_str(), &end);
    if (value.empty() || *end || v < 0.1) return Status::InvalidArgument("upstream-keepalive-seconds must be >= 0.1");
    c->upstream_keepalive_seconds = v;
    return Status::Ok();
  }
  if (key == "seal-verify-checksum") {
    if (value != "true" && value != "false") return Status::InvalidArgument("seal-verify-checksum must be true|false");
    c->seal_verify_checksum = value == "true";
    return Status::Ok();
  }
  if (key == "seal-max-hold-ms") {
    if (!ParseInt(value, 20, 60000, &c->seal_max_hold_ms)) return Status::InvalidArgument("seal-max-hold-ms must be 20..60000");
    return Status::Ok();
  }
  if (key == "fault-points") {
    c->fault_points = value;
    return Status::Ok();
  }
  if (key == "seal-kill-blockers-after") {
    if (!ParseInt(value, 0, 1000, &c->seal_kill_blockers_after)) {
      return Status::InvalidArgument("seal-kill-blockers-after must be 0..1000 (seconds)");
    }
    return Status::Ok();
  }
  if (key == "revert-retention-seconds") {
    char* end = nullptr;
    double v = strtod(value.c_str(), &end);
    if (value.empty() || *end || v < 1) return Status::InvalidArgument("revert-retention-seconds must be >= 1");
    c->revert_retention_seconds = v;
    return Status::Ok();
  }
  if (key == "shutdown-grace-seconds") {
    char* end = nullptr;
    double v = strtod(value.c_str(), &end);
    if (value.empty() || *end || v < 0) return Status::InvalidArgument("shutdown-grace-seconds must be >= 0");
    c->shutdown_grace_seconds = v;
    return Status::Ok();
  }
  if (auto applied = ApplyOperations(c, key, value)) return *applied;
  return Status::InvalidArgument("unknown option '" + key + "'");
}

// A JSON value as a flag's text: integers exactly (byte counts), arrays joined by ",".
std::string ScalarText(const picojson::value& v) {
  if (v.is<double>()) {
    double d = v.get<double>();
    char buf[64];
    if (d == std::trunc(d) && std::fabs(d) < 9e15) snprintf(buf, sizeof buf, "%.0f", d);
    else snprintf(buf, sizeof buf, "%.17g", d);
    return buf;
  }
  if (v.is<picojson::array>()) {
    std::string out;
    for (const auto& item : v.get<picojson::array>()) out += (out.empty() ? "" : ",") + ScalarText(item);
    return out;
  }
  return v.to_str();
}

// Flattens the JSON file into flag names: {"ddl": {"plain_alter": x}} -> plain-alter,
// {"tls": {"cert": x}} -> tls-cert, "admin_password_env": NAME reads that variable.
Status ApplyFile(Config* c, const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read config file " + path);
  std::stringstream text;
  text << in.rdbuf();
  picojson::value root;
  std::string err = picojson::parse(root, text.str());
  if (!err.empty()) return Status::InvalidArgument("config file " + path + " is not valid JSON: " + err);
  if (!root.is<picojson::object>()) return Status::InvalidArgument("config file " + path + " must hold a JSON object");
  auto flag = [](std::string k) {
    for (char& ch : k) if (ch == '_') ch = '-';
    return k;
  };
  for (const auto& [key, value] : root.get<picojson::object>()) {
    if (key == "admin_password_env") {
      if (const char* v = getenv(value.to_str().c_str())) c->admin_password = v;
      continue;
    }
    if (value.is<picojson::object>()) {
      std::string prefix = key == "ddl" ? "" : flag(key) + "-";
      for (const auto& [sub, subvalue] : value.get<picojson::object>()) {
        Status s = Apply(c, prefix + flag(sub), ScalarText(subvalue));
        if (!s.ok()) return s.Annotate("config file " + path);
      }
      continue;
    }
    Status s = Apply(c, flag(key), ScalarText(value));
    if (!s.ok()) return s.Annotate("config file " + path);
  }
  return Status::Ok();
}

}  // namespace

StatusOr<Config> LoadConfig(const std::vector<std::string>& args, const char* env_password) {
  ConfigEnvironment env;
  env.admin_password = env_password;
  return LoadConfig(args, env);
}

StatusOr<Config> LoadConfig(const std::vector<std::string>& args, const ConfigEnvironment& env) {
  Config c;
  auto apply_environment = [&] {
    if (env.admin_password) c.admin_password = env.admin_password;
    if (env.http_token) c.http_token = env.http_token;
  };
  apply_environment();
  // The file first, so flags override it wherever they appear.
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--config") {
      if (i + 1 >= args.size()) return Status::InvalidArgument("--config needs a FILE");
      SEALGATE_RETURN_IF_ERROR(ApplyFile(&c, args[i + 1]));
    }
  }
  apply_environment();
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.rfind("--", 0) != 0) return Status::InvalidArgument("unexpected argument '" + a + "'");
    std::string key = a.substr(2), value;
    size_t eq = key.find('=');
    if (eq != std::string::npos) {
      value = key.substr(eq + 1);
      key = key.substr(0, eq);
    } else if (key == "tls-upstream" || key == "http-allow-unauthenticated") {
      value = "true";
    } else {
      if (i + 1 >= args.size()) return Status::InvalidArgument("--" + key + " needs a value");
      value = args[++i];
    }
    if (key == "config") continue;
    SEALGATE_RETURN_IF_ERROR(Apply(&c, key, value));
  }
  if (c.tls.cert_file.empty() != c.tls.key_file.empty()) {
    return Status::InvalidArgument("--tls-cert and --tls-key go together");
  }
  if (!IsLoopbackHost(c.http.host) && c.http_token.empty() && !c.http_allow_unauthenticated) {
    return Status::InvalidArgument("http " + c.http.ToString() +
                                   " is not a loopback address and /status and /metrics name deploys and tables: set "
                                   "http.token (--http-token-file, or SEALGATE_HTTP_TOKEN), or "
                                   "http.allow_unauthenticated=true to serve them to anyone who can connect");
  }
  return c;
}

}  // namespace sealgate::proxy
