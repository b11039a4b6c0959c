// End-to-end: starting and stopping the sealgate process.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <thread>

#include "support/proxy_process.h"
#include "support/test_conn.h"
#include "support/wait_for.h"

namespace sealgate::test {
namespace {

// Runs the binary to completion; returns its exit code and captures stderr.
int RunSealgate(const std::string& args, std::string* output) {
  std::string cmd = SealgateBinary() + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(LifecycleTest, UnreachableUpstreamIsAOneLineError) {
  std::string out;
  int port = FreePort();
  int code = RunSealgate("--listen 127.0.0.1:" + std::to_string(FreePort()) + " --upstream 127.0.0.1:" +
                             std::to_string(port) + " --admin-user x --admin-password y",
                         &out);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("unreachable"), std::string::npos) << out;
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(LifecycleTest, BadFlagsAndConfigAreOneLineErrors) {
  std::string out;
  EXPECT_EQ(RunSealgate("--listen nowhere", &out), 2);
  EXPECT_NE(out.find("HOST:PORT"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(RunSealgate("--bogus 1", &out), 2);
  EXPECT_NE(out.find("unknown option"), std::string::npos) << out;
  out.clear();
  std::string path = ScratchDir() + "/bad.json";
  FILE* f = fopen(path.c_str(), "w");
  fputs("{\"listen\": ", f);
  fclose(f);
  EXPECT_EQ(RunSealgate("--config " + path, &out), 2);
  EXPECT_NE(out.find("not valid JSON"), std::string::npos) << out;
}

TEST(LifecycleTest, ConfigFileIsReadAndFlagsOverrideIt) {
  std::string path = ScratchDir() + "/good.json";
  int port = FreePort();
  FILE* f = fopen(path.c_str(), "w");
  fprintf(f, "{\"listen\": \"127.0.0.1:1\", \"upstream\": \"127.0.0.1:%d\", \"admin_user\": \"sealgate\", \"threads\": 1}",
          TestServer().port);
  fclose(f);
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.listen_port = port;  // the --listen flag overrides the file's port 1
  options.extra_args = {"--config", path};
  ASSERT_TRUE(proxy.Start(options)) << proxy.log();
  // The ready line follows the listening socket by a moment.
  EXPECT_TRUE(WaitFor([&] { return proxy.log().find("threads=1") != std::string::npos; }, std::chrono::seconds(5)))
      << proxy.log();
  auto c = TestConn::Open(proxy.address());
  EXPECT_EQ(c->Scalar("SELECT 1"), "1");
}

TEST(LifecycleTest, ListenPortInUseIsAClearError) {
  ProxyProcess first;
  ASSERT_TRUE(first.Start({})) << first.log();
  // SO_REUSEPORT would let a second process share the port only if it were the same user's
  // socket with the option set; a plain listener on the port makes binding fail.
  std::string out;
  int code = RunSealgate("--listen 127.0.0.1:" + std::to_string(TestServer().port) + " --upstream 127.0.0.1:" +
                             std::to_string(TestServer().port) + " --admin-user sealgate --admin-password sealgate",
                         &out);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("cannot listen"), std::string::npos) << out;
}

TEST(LifecycleTest, SigtermLetsInFlightStatementsFinish) {
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.Start({})) << proxy.log();
  auto c = TestConn::Open(proxy.address());
  std::optional<std::string> result;
  std::thread slow([&] { result = c->Scalar("SELECT SLEEP(1.5) + 5"); });
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  int status = proxy.Stop();
  slow.join();
  EXPECT_EQ(result, "5") << proxy.log();
  ASSERT_TRUE(WIFEXITED(status)) << proxy.log();
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_NE(proxy.log().find("received SIGTERM"), std::string::npos);
}

TEST(LifecycleTest, UpstreamGoingAwayEndsSessionsWithoutCrashing) {
  // A private server: stopping the shared one would disturb other tests.
  std::string dir = ScratchDir() + "/lifecycle-mariadb";
  int port = FreePort();
  std::string script = SourceDir() + "/scripts/mariadb.sh";
  ASSERT_EQ(system((script + " start " + dir + " " + std::to_string(port) + " 7 >/dev/null").c_str()), 0);
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.upstream = ServerAddress{"127.0.0.1", port, "sealgate", "sealgate"};
  ASSERT_TRUE(proxy.Start(options)) << proxy.log();
  auto c = TestConn::Open(proxy.address());
  EXPECT_EQ(c->Scalar("SELECT 1"), "1");
  ASSERT_EQ(system((script + " stop " + dir + " >/dev/null").c_str()), 0);
  EXPECT_FALSE(c->Exec("SELECT 1"));
  // New clients get a clear error while the server is down, and work again once it is back.
  TestConn down;
  EXPECT_FALSE(down.Connect(proxy.address()));
  EXPECT_NE(down.last_error().find("upstream"), std::string::npos) << down.last_error();
  ASSERT_EQ(system((script + " start " + dir + " " + std::to_string(port) + " 7 >/dev/null").c_str()), 0);
  auto again = TestConn::Open(proxy.address());
  EXPECT_EQ(again->Scalar("SELECT 2"), "2");
  EXPECT_TRUE(proxy.running());
  system((script + " stop " + dir + " >/dev/null").c_str());
}

}  // namespace
}  // namespace sealgate::test
