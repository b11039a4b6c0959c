#include "proxy/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

namespace sealgate::proxy {
namespace {

StatusOr<Config> Load(std::vector<std::string> args, const char* env = nullptr) {
  args.insert(args.begin(), "sealgate");
  return LoadConfig(args, env);
}

TEST(ConfigTest, DefaultsMatchTheDesign) {
  auto c = Load({});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen.ToString(), "127.0.0.1:6033");
  EXPECT_EQ(c->upstream.ToString(), "127.0.0.1:3306");
  EXPECT_EQ(c->http.ToString(), "127.0.0.1:9033");
  EXPECT_EQ(c->metadata_schema, "_sealgate");
  EXPECT_EQ(c->plain_alter, PlainAlterMode::kOnline);
}

TEST(ConfigTest, FlagsInBothForms) {
  auto c = Load({"--listen", "0.0.0.0:7000", "--upstream=db.internal:3307", "--threads", "4", "--admin-user", "ops",
                 "--metadata-schema", "_sg", "--plain-alter", "reject", "--log-level", "debug"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen.port, 7000);
  EXPECT_EQ(c->upstream.host, "db.internal");
  EXPECT_EQ(c->upstream.port, 3307);
  EXPECT_EQ(c->threads, 4);
  EXPECT_EQ(c->admin_user, "ops");
  EXPECT_EQ(c->metadata_schema, "_sg");
  EXPECT_EQ(c->plain_alter, PlainAlterMode::kReject);
  EXPECT_EQ(c->log_level, LogLevel::kDebug);
}

TEST(ConfigTest, PasswordFromEnvironmentAndFlagWins) {
  EXPECT_EQ(Load({}, "from-env")->admin_password, "from-env");
  EXPECT_EQ(Load({"--admin-password", "flag"}, "from-env")->admin_password, "flag");
}

TEST(ConfigTest, FileThenFlagsOverride) {
  char path[] = "/tmp/sealgate-config-XXXXXX";
  int fd = mkstemp(path);
  FILE* f = fdopen(fd, "w");
  fputs(R"({"listen": "127.0.0.1:1111", "threads": 3, "ddl": {"plain_alter": "passthrough"},
           "tls": {"upstream": true}, "admin_password_env": "SEALGATE_TEST_PW_VAR"})", f);
  fclose(f);
  setenv("SEALGATE_TEST_PW_VAR", "secret", 1);
  auto c = Load({"--threads", "5", "--config", path});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen.port, 1111);
  EXPECT_EQ(c->threads, 5);
  EXPECT_EQ(c->plain_alter, PlainAlterMode::kPassthrough);
  EXPECT_TRUE(c->tls.upstream);
  EXPECT_EQ(c->admin_password, "secret");
  remove(path);
}

// A secret in a file: its first line, without the newline.
std::string SecretFile(const char* text) {
  char path[] = "/tmp/sealgate-secret-XXXXXX";
  int fd = mkstemp(path);
  FILE* f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
  return path;
}

TEST(ConfigTest, AdminPasswordFromAFile) {
  std::string path = SecretFile("from-file\n");
  auto c = Load({"--admin-password-file", path});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->admin_password, "from-file");
  remove(path.c_str());
  EXPECT_NE(Load({"--admin-password-file", "/nonexistent"}).status().message().find("cannot read"), std::string::npos);
  EXPECT_NE(UsageText().find("process list"), std::string::npos);
}

TEST(ConfigTest, HttpTokenFromFileEnvironmentOrFlag) {
  std::vector<std::string> args = {"sealgate"};
  ConfigEnvironment env;
  EXPECT_EQ(LoadConfig(args, env)->http_token, "");
  env.http_token = "from-env";
  EXPECT_EQ(LoadConfig(args, env)->http_token, "from-env");
  EXPECT_EQ(LoadConfig({"sealgate", "--http-token", "flag"}, env)->http_token, "flag");
  std::string path = SecretFile("from-file\r\nsecond line\n");
  EXPECT_EQ(LoadConfig({"sealgate", "--http-token-file", path}, env)->http_token, "from-file");
  remove(path.c_str());
  std::string conf = SecretFile(R"({"http": {"address": "127.0.0.1:9999", "token": "in-file"}})");
  auto c = LoadConfig({"sealgate", "--config", conf}, ConfigEnvironment{});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->http.port, 9999);
  EXPECT_EQ(c->http_token, "in-file");
  remove(conf.c_str());
}

TEST(ConfigTest, NonLoopbackHttpNeedsATokenOrAnExplicitChoice) {
  auto open = Load({"--http", "0.0.0.0:9033"});
  ASSERT_FALSE(open.ok());
  EXPECT_NE(open.status().message().find("http.token"), std::string::npos) << open.status().message();
  EXPECT_NE(open.status().message().find("allow_unauthenticated"), std::string::npos);
  EXPECT_FALSE(Load({"--http", "10.0.0.5:9033"}).ok());
  EXPECT_TRUE(Load({"--http", "0.0.0.0:9033", "--http-token", "t"}).ok());
  auto allowed = Load({"--http", "0.0.0.0:9033", "--http-allow-unauthenticated"});
  ASSERT_TRUE(allowed.ok()) << allowed.status().ToString();
  EXPECT_TRUE(allowed->http_allow_unauthenticated);
  EXPECT_TRUE(Load({"--http", "[::1]:9033"}).ok());
  EXPECT_TRUE(Load({"--http", "localhost:9033"}).ok());
  EXPECT_TRUE(Load({"--http", "127.0.0.2:9033"}).ok());
}

TEST(ConfigTest, ErrorsSayWhatIsWrong) {
  EXPECT_NE(Load({"--listen", "6033"}).status().message().find("HOST:PORT"), std::string::npos);
  EXPECT_NE(Load({"--listen", "h:99999"}).status().message().find("bad port"), std::string::npos);
  EXPECT_NE(Load({"--threads", "-1"}).status().message().find("threads"), std::string::npos);
  EXPECT_NE(Load({"--nope", "1"}).status().message().find("unknown option 'nope'"), std::string::npos);
  EXPECT_NE(Load({"--listen"}).status().message().find("needs a value"), std::string::npos);
  EXPECT_NE(Load({"--config", "/nonexistent.json"}).status().message().find("cannot read"), std::string::npos);
  EXPECT_NE(Load({"--tls-cert", "a.pem"}).status().message().find("go together"), std::string::npos);
}

TEST(ConfigTest, OperationsDefaultsAreOff) {
  auto c = Load({});
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->max_staged_migrations, 32);
  EXPECT_EQ(c->seal_window, "");
  EXPECT_EQ(c->throttle.max_threads_running, 0);
  EXPECT_TRUE(c->throttle.replicas.empty());
  EXPECT_DOUBLE_EQ(c->throttle.max_client_latency_ratio, 1.3);
  EXPECT_TRUE(c->seal_verify_checksum);  // on: it only ever holds the copy back
  EXPECT_EQ(c->storage.max_shadow_bytes, 0u);
  EXPECT_EQ(c->storage.check_free_space, FreeSpaceCheck::kAuto);
}

TEST(ConfigTest, OperationsFromFlags) {
  auto c = Load({"--deploy-max-staged-migrations", "5", "--seal-window", "02:00-04:00", "--throttle-max-threads-running",
                 "40", "--throttle-replicas", "r1:3306,[::1]:3307", "--throttle-max-replica-lag-seconds", "2.5",
                 "--throttle-max-client-latency-ratio", "0", "--seal-verify-checksum", "false",
                 "--storage-max-shadow-bytes", "10G", "--storage-headroom-percent", "25", "--storage-check-free-space",
                 "off", "--binlog-retention-warn-seconds", "600", "--binlog-retention-check-seconds", "5",
                 "--copy-max-chunk-rows", "200", "--copy-target-chunk-ms", "50"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_staged_migrations, 5);
  EXPECT_EQ(c->seal_window, "02:00-04:00");
  EXPECT_EQ(c->throttle.max_threads_running, 40);
  ASSERT_EQ(c->throttle.replicas.size(), 2u);
  EXPECT_EQ(c->throttle.replicas[0].ToString(), "r1:3306");
  EXPECT_EQ(c->throttle.replicas[1].host, "::1");
  EXPECT_DOUBLE_EQ(c->throttle.max_replica_lag_seconds, 2.5);
  EXPECT_DOUBLE_EQ(c->throttle.max_client_latency_ratio, 0);
  EXPECT_FALSE(c->seal_verify_checksum);
  auto bad = Load({"--throttle-max-client-latency-ratio", "0.5"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("ratio >= 1"), std::string::npos) << bad.status().ToString();
  EXPECT_EQ(c->storage.max_shadow_bytes, uint64_t(10) << 30);
  EXPECT_EQ(c->storage.headroom_percent, 25);
  EXPECT_EQ(c->storage.check_free_space, FreeSpaceCheck::kOff);
  EXPECT_DOUBLE_EQ(c->binlog_retention_warn_seconds, 600);
  EXPECT_DOUBLE_EQ(c->binlog_retention_check_seconds, 5);
  EXPECT_EQ(c->copy_max_chunk_rows, 200u);
  EXPECT_DOUBLE_EQ(c->copy_target_chunk_ms, 50);
}

TEST(ConfigTest, OperationsFromTheFileKeepLargeNumbersAndLists) {
  char path[] = "/tmp/sealgate-config-XXXXXX";
  int fd = mkstemp(path);
  FILE* f = fdopen(fd, "w");
  fputs(R"({"deploy": {"max_staged_migrations": 8}, "seal": {"window": "22:00-01:00"},
           "throttle": {"replicas": ["r1:3306", "r2:3306"], "max_replica_lag_seconds": 30},
           "storage": {"max_shadow_bytes": 107374182400},
           "binlog_retention": {"warn_seconds": 86400}})", f);
  fclose(f);
  auto c = Load({"--config", path});
  remove(path);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->max_staged_migrations, 8);
  EXPECT_EQ(c->seal_window, "22:00-01:00");
  ASSERT_EQ(c->throttle.replicas.size(), 2u);
  EXPECT_EQ(c->throttle.replicas[1].ToString(), "r2:3306");
  EXPECT_DOUBLE_EQ(c->throttle.max_replica_lag_seconds, 30);
  EXPECT_EQ(c->storage.max_shadow_bytes, 107374182400u);
  EXPECT_DOUBLE_EQ(c->binlog_retention_warn_seconds, 86400);
}

TEST(ConfigTest, OperationsErrorsSayWhatIsWrong) {
  EXPECT_NE(Load({"--seal-window", "2am-4am"}).status().message().find("HH:MM-HH:MM"), std::string::npos);
  EXPECT_NE(Load({"--storage-max-shadow-bytes", "lots"}).status().message().find("byte count"), std::string::npos);
  EXPECT_NE(Load({"--storage-max-shadow-bytes", "5X"}).status().message().find("byte count"), std::string::npos);
  EXPECT_NE(Load({"--throttle-replicas", "r1"}).status().message().find("HOST:PORT"), std::string::npos);
  EXPECT_NE(Load({"--deploy-max-staged-migrations", "0"}).status().message().find("1..100000"), std::string::npos);
  EXPECT_NE(Load({"--storage-check-free-space", "maybe"}).status().message().find("auto|on|off"), std::string::npos);
}

TEST(ConfigTest, ShippedExampleConfigLoads) {
  auto c = Load({"--config", std::string(SEALGATE_SOURCE_DIR) + "/conf/sealgate.example.json"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen.port, 6033);
}

}  // namespace
}  // namespace sealgate::proxy
