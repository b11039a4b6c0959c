// End-to-end: TLS terminated for clients, and TLS spoken to the upstream.
#include <gtest/gtest.h>
#include <mysql.h>

#include <cstdlib>

#include "support/proxy_process.h"
#include "support/raw_client.h"
#include "support/test_conn.h"

namespace sealgate::test {
namespace {

// A self-signed certificate and key under the scratch directory.
std::pair<std::string, std::string> MakeCertificate(const std::string& name) {
  std::string cert = ScratchDir() + "/" + name + ".crt", key = ScratchDir() + "/" + name + ".key";
  std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=sealgate-test -keyout " + key +
                    " -out " + cert + " >/dev/null 2>&1";
  EXPECT_EQ(system(cmd.c_str()), 0);
  return {cert, key};
}

// Connects with TLS required (certificate not verified: it is self-signed).
MYSQL* ConnectTls(const ServerAddress& a, bool require_tls) {
  MYSQL* m = mysql_init(nullptr);
  my_bool enforce = require_tls ? 1 : 0, verify = 0;
  mysql_optionsv(m, MYSQL_OPT_SSL_ENFORCE, &enforce);
  mysql_optionsv(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  if (!mysql_real_connect(m, a.host.c_str(), a.user.c_str(), a.password.c_str(), nullptr, a.port, nullptr, 0)) {
    ADD_FAILURE() << "TLS connect: " << mysql_error(m);
  }
  return m;
}

std::string Scalar(MYSQL* m, const char* sql) {
  if (mysql_query(m, sql) != 0) return std::string("error: ") + mysql_error(m);
  MYSQL_RES* r = mysql_store_result(m);
  MYSQL_ROW row = r ? mysql_fetch_row(r) : nullptr;
  std::string v = row && row[0] ? row[0] : "";
  if (r) mysql_free_result(r);
  return v;
}

TEST(TlsTest, ClientTlsIsTerminatedByTheProxy) {
  auto [cert, key] = MakeCertificate("client-side");
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.extra_args = {"--tls-cert", cert, "--tls-key", key};
  ASSERT_TRUE(proxy.Start(options)) << proxy.log();
  MYSQL* m = ConnectTls(proxy.address(), true);
  ASSERT_NE(mysql_get_ssl_cipher(m), nullptr) << "client connection is not encrypted";
  EXPECT_EQ(Scalar(m, "SELECT 6*7"), "42");
  std::string big(3 << 20, 'z');  // several TLS records each way
  EXPECT_EQ(Scalar(m, ("SELECT LENGTH('" + big + "')").c_str()), std::to_string(big.size()));
  mysql_close(m);
  // Clients that do not ask for TLS still work.
  auto plain = TestConn::Open(proxy.address());
  EXPECT_EQ(plain->Scalar("SELECT 1"), "1");
  // A wrong password through TLS is the server's access-denied.
  ServerAddress wrong = proxy.address("sealgate", "bad");
  MYSQL* w = mysql_init(nullptr);
  my_bool enforce = 1;
  mysql_optionsv(w, MYSQL_OPT_SSL_ENFORCE, &enforce);
  EXPECT_EQ(mysql_real_connect(w, wrong.host.c_str(), wrong.user.c_str(), wrong.password.c_str(), nullptr, wrong.port,
                               nullptr, 0),
            nullptr);
  EXPECT_EQ(mysql_errno(w), 1045u) << mysql_error(w);
  mysql_close(w);
}

TEST(TlsTest, WithoutCertificateTlsIsNotOfferedAndAskingForItFailsClearly) {
  ProxyProcess proxy;
  ASSERT_TRUE(proxy.Start({})) << proxy.log();
  RawClient c;
  ASSERT_TRUE(c.Connect(proxy.port()));
  std::string greeting;
  ASSERT_TRUE(c.ReadPacket(&greeting));
  // Capability flags follow the version string, connection id, 8 salt bytes and a filler.
  size_t at = greeting.find('\0', 1) + 1 + 4 + 9;
  EXPECT_EQ(static_cast<unsigned char>(greeting[at + 1]) & 0x08, 0) << "CLIENT_SSL offered without a certificate";
  std::string ssl_request("\x00\x0a\x00\x00\x00\x00\x00\x01\x2d", 9);  // PROTOCOL_41 | SSL, max packet, charset
  ssl_request[0] = 0x00;
  ssl_request[1] = 0x0a;  // 0x0200 PROTOCOL_41 | 0x0800 SSL
  ssl_request.append(23, '\0');
  std::string frame;
  RawClient::Frame(&frame, 1, ssl_request);
  ASSERT_TRUE(c.SendRaw(frame));
  std::string reply;
  ASSERT_TRUE(c.ReadPacket(&reply));
  ASSERT_EQ(static_cast<unsigned char>(reply[0]), 0xff);
  EXPECT_NE(reply.find("no TLS certificate"), std::string::npos) << reply;
}

TEST(TlsTest, BadCertificateIsAOneLineStartupError) {
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.extra_args = {"--tls-cert", "/nonexistent.crt", "--tls-key", "/nonexistent.key"};
  EXPECT_FALSE(proxy.Start(options));
  EXPECT_NE(proxy.log().find("cannot load TLS certificate"), std::string::npos) << proxy.log();
}

TEST(TlsTest, UpstreamTlsEndToEndAndRequireSslAccounts) {
  auto [cert, key] = MakeCertificate("server-side");
  std::string dir = ScratchDir() + "/tls-mariadb";
  int port = FreePort();
  std::string start = "MARIADB_EXTRA_ARGS='--ssl-cert=" + cert + " --ssl-key=" + key + "' " + SourceDir() +
                      "/scripts/mariadb.sh start " + dir + " " + std::to_string(port) + " 9 >/dev/null";
  ASSERT_EQ(system(start.c_str()), 0);
  ServerAddress upstream{"127.0.0.1", port, "sealgate", "sealgate"};
  {
    auto admin = TestConn::Open(upstream);
    admin->MustExec("CREATE OR REPLACE USER 'secure'@'127.0.0.1' IDENTIFIED BY 'pw' REQUIRE SSL");
  }
  auto [pcert, pkey] = MakeCertificate("proxy-front");
  ProxyProcess proxy;
  ProxyProcess::Options options;
  options.upstream = upstream;
  options.extra_args = {"--tls-upstream", "--tls-cert", pcert, "--tls-key", pkey};
  ASSERT_TRUE(proxy.Start(options)) << proxy.log();
  // Plain client, TLS upstream: the server sees an encrypted session.
  auto plain = TestConn::Open(proxy.address());
  auto cipher = plain->Query("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
  ASSERT_EQ(cipher.size(), 1u);
  EXPECT_FALSE(cipher[0][1].value_or("").empty()) << "upstream session is not encrypted";
  // TLS on both hops, and an account that requires TLS.
  MYSQL* m = ConnectTls(proxy.address("secure", "pw"), true);
  EXPECT_NE(mysql_get_ssl_cipher(m), nullptr);
  EXPECT_EQ(Scalar(m, "SELECT CURRENT_USER()"), "secure@127.0.0.1");
  mysql_close(m);
  proxy.Stop();
  system((SourceDir() + "/scripts/mariadb.sh stop " + dir + " >/dev/null").c_str());
}

}  // namespace
}  // namespace sealgate::test
