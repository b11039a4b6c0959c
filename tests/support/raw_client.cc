#include "support/raw_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace sealgate::test {

RawClient::~RawClient() {
  if (fd_ >= 0) close(fd_);
}

bool RawClient::Connect(int port) {
  fd_ = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(port);
  if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    error_ = "connect failed";
    return false;
  }
  return true;
}

bool RawClient::ReadExact(char* buf, size_t n, int timeout_ms) {
  size_t have = 0;
  while (have < n) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    ssize_t r = read(fd_, buf + have, n - have);
    if (r <= 0) return false;
    have += r;
  }
  return true;
}

bool RawClient::ReadPacket(std::string* payload, uint8_t* seq, int timeout_ms) {
  unsigned char hdr[4];
  if (!ReadExact(reinterpret_cast<char*>(hdr), 4, timeout_ms)) return false;
  size_t len = hdr[0] | (hdr[1] << 8) | (hdr[2] << 16);
  if (seq) *seq = hdr[3];
  payload->resize(len);
  return len == 0 || ReadExact(payload->data(), len, timeout_ms);
}

void RawClient::Frame(std::string* out, uint8_t seq, const std::string& payload) {
  out->push_back(static_cast<char>(payload.size() & 0xff));
  out->push_back(static_cast<char>((payload.size() >> 8) & 0xff));
  out->push_back(static_cast<char>((payload.size() >> 16) & 0xff));
  out->push_back(static_cast<char>(seq));
  out->append(payload);
}

bool RawClient::SendRaw(const std::string& bytes) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t w = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (w <= 0) return false;
    sent += w;
  }
  return true;
}

bool RawClient::Login(const std::string& user, const std::string& password, const std::string& database,
                      uint64_t mariadb_caps) {
  std::string greeting;
  if (!ReadPacket(&greeting)) {
    error_ = "no greeting";
    return false;
  }
  if (greeting.empty() || greeting[0] != 10) {
    error_ = "bad greeting";
    return false;
  }
  size_t pos = greeting.find('\0', 1) + 1;  // server version
  pos += 4;                                  // connection id
  std::string salt = greeting.substr(pos, 8);
  pos += 9;
  uint32_t caps_low = static_cast<unsigned char>(greeting[pos]) | (static_cast<unsigned char>(greeting[pos + 1]) << 8);
  pos += 2 + 1 + 2;
  uint32_t caps_high = static_cast<unsigned char>(greeting[pos]) | (static_cast<unsigned char>(greeting[pos + 1]) << 8);
  server_caps_ = caps_low | (static_cast<uint64_t>(caps_high) << 16);
  if (!(caps_low & 1)) {  // a MariaDB server: its extended capabilities end the reserved bytes
    uint64_t extended = 0;
    for (int i = 0; i < 4; ++i) extended |= static_cast<uint64_t>(static_cast<unsigned char>(greeting[pos + 9 + i])) << (8 * i);
    server_caps_ |= extended << 32;
  }
  pos += 2 + 1 + 10;
  salt += greeting.substr(pos, 12);

  unsigned char stage1[20], stage2[20], stage3[20];
  SHA1(reinterpret_cast<const unsigned char*>(password.data()), password.size(), stage1);
  SHA1(stage1, 20, stage2);
  std::string buf = salt + std::string(reinterpret_cast<char*>(stage2), 20);
  SHA1(reinterpret_cast<const unsigned char*>(buf.data()), buf.size(), stage3);
  std::string scramble(20, '\0');
  for (int i = 0; i < 20; ++i) scramble[i] = static_cast<char>(stage1[i] ^ stage3[i]);

  uint32_t caps = 0x00000001 | 0x00000200 | 0x00008000 | 0x00080000 | 0x00010000 | 0x00020000 | 0x00002000;
  if (!database.empty()) caps |= 0x8;
  if (mariadb_caps != 0) caps &= ~0x00000001u;  // CLIENT_MYSQL off: the extended capabilities follow
  std::string resp;
  for (int i = 0; i < 4; ++i) resp.push_back(static_cast<char>(caps >> (8 * i)));
  resp.append("\x00\x00\x00\x01", 4);  // max packet
  resp.push_back(45);                  // utf8mb4
  resp.append(19, '\0');
  for (int i = 0; i < 4; ++i) resp.push_back(static_cast<char>((mariadb_caps >> 32) >> (8 * i)));
  resp.append(user);
  resp.push_back('\0');
  resp.push_back(static_cast<char>(password.empty() ? 0 : 20));
  if (!password.empty()) resp.append(scramble);
  if (!database.empty()) {
    resp.append(database);
    resp.push_back('\0');
  }
  resp.append("mysql_native_password");
  resp.push_back('\0');
  std::string out;
  Frame(&out, 1, resp);
  if (!SendRaw(out)) return false;
  std::string reply;
  if (!ReadPacket(&reply)) {
    error_ = "no auth reply";
    return false;
  }
  if (reply.empty() || reply[0] != 0) {
    error_ = "auth failed: " + (reply.size() > 9 ? reply.substr(9) : reply);
    return false;
  }
  return true;
}

std::string RawClient::ReadQueryResponse() {
  std::string p;
  std::string summary;
  if (!ReadPacket(&p) || p.empty()) return "";
  unsigned char first = p[0];
  if (first == 0x00) return "OK";
  if (first == 0xff) return "ERR" + std::to_string(static_cast<unsigned char>(p[1]) | (static_cast<unsigned char>(p[2]) << 8));
  int columns = first;
  for (int i = 0; i < columns; ++i) {
    if (!ReadPacket(&p)) return "";
  }
  if (!ReadPacket(&p)) return "";  // EOF after column definitions
  int rows = 0;
  for (;;) {
    if (!ReadPacket(&p)) return "";
    if (!p.empty() && static_cast<unsigned char>(p[0]) == 0xfe && p.size() < 9) break;
    ++rows;
  }
  return "R" + std::to_string(rows);
}

bool RawClient::WaitClosed(int timeout_ms) {
  char c;
  for (;;) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return false;
    ssize_t r = read(fd_, &c, 1);
    if (r <= 0) return true;
  }
}

}  // namespace sealgate::test
