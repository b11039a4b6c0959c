// TlsChannel: TLS over memory BIOs, so a libuv stream can carry it. Encrypted
// bytes from the peer go in through Feed(); plaintext comes out of it. Plaintext
// to send goes through Write(); encrypted bytes to put on the wire are taken
// with TakeOutput(). No sockets, no threads: one per connection side, used on
// its session's loop thread.
#pragma once

#include <openssl/ssl.h>

#include <memory>
#include <string>

#include "common/status.h"

namespace sealgate::proxy {

// Owns an SSL_CTX. Server contexts load a certificate and key; client contexts
// do not verify the upstream's certificate by default (it is on a trusted
// network path chosen by the operator).
class TlsContext {
 public:
  static StatusOr<std::shared_ptr<TlsContext>> Server(const std::string& cert_file, const std::string& key_file);
  static StatusOr<std::shared_ptr<TlsContext>> Client();
  ~TlsContext();
  SSL_CTX* get() const { return ctx_; }

 private:
  explicit TlsContext(SSL_CTX* ctx) : ctx_(ctx) {}
  SSL_CTX* ctx_;
};

class TlsChannel {
 public:
  enum class Role { kServer, kClient };
  TlsChannel(std::shared_ptr<TlsContext> ctx, Role role);
  ~TlsChannel();
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Client role: starts the handshake (ClientHello becomes available in TakeOutput).
  Status Start();
  // Encrypted input from the peer; decrypted application data is appended to
  // `plaintext`. Errors are fatal for the connection.
  Status Feed(const char* data, size_t n, std::string* plaintext);
  // Encrypts plaintext (only after the handshake; before it, data is queued).
  Status Write(const char* data, size_t n);
  // Encrypted bytes to send to the peer (may be empty).
  std::string TakeOutput();
  bool handshake_done() const { return handshake_done_; }

 private:
  Status Pump(std::string* plaintext);
  Status Flush();
  std::shared_ptr<TlsContext> ctx_;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // network -> SSL
  BIO* out_ = nullptr;  // SSL -> network
  bool handshake_done_ = false;
  std::string pending_plaintext_;  // written before the handshake finished
};

}  // namespace sealgate::proxy
