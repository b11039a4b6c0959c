// sealgate: the MySQL-protocol proxy that stages and seals schema changes.
#include <mysql.h>
#include <signal.h>

#include <cstdio>
#include <string>
#include <vector>

#include "common/log.h"
#include "proxy/config.h"
#include "proxy/server.h"

namespace {

using sealgate::Status;

// Logs in to the upstream as the admin account: proves it is reachable and
// the credentials work before any client is accepted.
Status CheckUpstream(const sealgate::proxy::Config& config, std::string* version) {
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

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") {
      fputs(sealgate::proxy::UsageText().c_str(), stdout);
      return 0;
    }
  }
  auto config = sealgate::proxy::LoadConfig(args, getenv("SEALGATE_ADMIN_PASSWORD"));
  if (!config.ok()) {
    fprintf(stderr, "sealgate: %s\n", config.status().message().c_str());
    return 2;
  }
  sealgate::Logger logger(config->log_level);

  // Signals are taken synchronously by the main thread (sigwait); workers never see them.
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

  sealgate::proxy::Server server(*config, &logger);
  Status started = server.Start();
  if (!started.ok()) {
    fprintf(stderr, "sealgate: %s\n", started.message().c_str());
    return 1;
  }
  logger.Info("proxy", "ready: listening on " + config->listen.ToString() + " upstream " +
                           config->upstream.ToString() + " (" + version + ") threads=" +
                           std::to_string(server.worker_count()));
  server.RunUntilSignal();
  mysql_library_end();
  return 0;
}
