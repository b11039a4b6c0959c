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

TEST(ConfigTest, ErrorsSayWhatIsWrong) {
  EXPECT_NE(Load({"--listen", "6033"}).status().message().find("HOST:PORT"), std::string::npos);
  EXPECT_NE(Load({"--listen", "h:99999"}).status().message().find("bad port"), std::string::npos);
  EXPECT_NE(Load({"--threads", "-1"}).status().message().find("threads"), std::string::npos);
  EXPECT_NE(Load({"--nope", "1"}).status().message().find("unknown option 'nope'"), std::string::npos);
  EXPECT_NE(Load({"--listen"}).status().message().find("needs a value"), std::string::npos);
  EXPECT_NE(Load({"--config", "/nonexistent.json"}).status().message().find("cannot read"), std::string::npos);
  EXPECT_NE(Load({"--tls-cert", "a.pem"}).status().message().find("go together"), std::string::npos);
}

TEST(ConfigTest, ShippedExampleConfigLoads) {
  auto c = Load({"--config", std::string(SEALGATE_SOURCE_DIR) + "/conf/sealgate.example.json"});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->listen.port, 6033);
}

}  // namespace
}  // namespace sealgate::proxy
