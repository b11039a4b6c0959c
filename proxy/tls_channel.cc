#include "proxy/tls_channel.h"

#include <openssl/err.h>

namespace sealgate::proxy {

namespace {

std::string OpenSslError(const char* what) {
  unsigned long e = ERR_get_error();
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return std::string(what) + ": " + (e ? buf : "unknown TLS error");
}

}  // namespace

StatusOr<std::shared_ptr<TlsContext>> TlsContext::Server(const std::string& cert_file, const std::string& key_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) return Status::Internal(OpenSslError("SSL_CTX_new"));
  std::shared_ptr<TlsContext> holder(new TlsContext(ctx));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    return Status::InvalidArgument(OpenSslError(("cannot load TLS certificate " + cert_file).c_str()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::InvalidArgument(OpenSslError(("cannot load TLS key " + key_file).c_str()));
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    return Status::InvalidArgument("TLS key " + key_file + " does not match certificate " + cert_file);
  }
  return holder;
}

StatusOr<std::shared_ptr<TlsContext>> TlsContext::Client() {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (!ctx) return Status::Internal(OpenSslError("SSL_CTX_new"));
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
  return std::shared_ptr<TlsContext>(new TlsContext(ctx));
}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

TlsChannel::TlsChannel(std::shared_ptr<TlsContext> ctx, Role role) : ctx_(std::move(ctx)) {
  ssl_ = SSL_new(ctx_->get());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_, in_, out_);  // ssl_ owns both BIOs now
  if (role == Role::kServer) SSL_set_accept_state(ssl_);
  else SSL_set_connect_state(ssl_);
}

TlsChannel::~TlsChannel() { SSL_free(ssl_); }

Status TlsChannel::Start() {
  std::string ignored;
  return Pump(&ignored);
}

Status TlsChannel::Pump(std::string* plaintext) {
  if (!handshake_done_) {
    int rc = SSL_do_handshake(ssl_);
    if (rc != 1) {
      int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Status::Ok();
      return Status::Unavailable(OpenSslError("TLS handshake failed"));
    }
    handshake_done_ = true;
    if (!pending_plaintext_.empty()) {
      std::string queued = std::move(pending_plaintext_);
      pending_plaintext_.clear();
      SEALGATE_RETURN_IF_ERROR(Write(queued.data(), queued.size()));
    }
  }
  char buf[16384];
  for (;;) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      plaintext->append(buf, n);
      continue;
    }
    int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return Status::Ok();
    if (err == SSL_ERROR_ZERO_RETURN) return Status::Unavailable("TLS connection closed by peer");
    return Status::Unavailable(OpenSslError("TLS read failed"));
  }
}

Status TlsChannel::Feed(const char* data, size_t n, std::string* plaintext) {
  if (n > 0 && BIO_write(in_, data, static_cast<int>(n)) != static_cast<int>(n)) {
    return Status::Internal("TLS input buffer write failed");
  }
  return Pump(plaintext);
}

Status TlsChannel::Write(const char* data, size_t n) {
  if (!handshake_done_) {
    pending_plaintext_.append(data, n);
    return Status::Ok();
  }
  size_t done = 0;
  while (done < n) {
    int w = SSL_write(ssl_, data + done, static_cast<int>(n - done));
    if (w <= 0) return Status::Unavailable(OpenSslError("TLS write failed"));
    done += w;
  }
  return Status::Ok();
}

std::string TlsChannel::TakeOutput() {
  std::string out;
  char buf[16384];
  int n;
  while ((n = BIO_read(out_, buf, sizeof buf)) > 0) out.append(buf, n);
  return out;
}

}  // namespace sealgate::proxy
