#include "proxy/worker.h"

#include <unistd.h>

#include <string>

#include "proxy/session.h"

namespace sealgate::proxy {

Worker::Worker(const WorkerOptions& options, ProxyStats* stats, Logger* logger)
    : options_(options), stats_(stats), logger_(logger) {
  // Session ids are unique across workers: the worker index is in the top bits.
  next_session_id_ = (static_cast<uint64_t>(options.index) << 48) + 1;
  uv_loop_init(&loop_);
}

Worker::~Worker() {
  Join();
  uv_loop_close(&loop_);
}

Status Worker::Start(int listen_fd) {
  uv_tcp_init(&loop_, &listener_);
  listener_.data = this;
  int rc = uv_tcp_open(&listener_, listen_fd);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 1024, &Worker::OnConnection);
  if (rc != 0) {
    close(listen_fd);
    return Status::Unavailable(std::string("cannot listen: ") + uv_strerror(rc));
  }
  uv_async_init(&loop_, &async_, &Worker::OnAsync);
  async_.data = this;
  uv_timer_init(&loop_, &grace_timer_);
  grace_timer_.data = this;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void Worker::Run() { uv_run(&loop_, UV_RUN_DEFAULT); }

void Worker::RequestShutdown(double grace_seconds) {
  grace_seconds_ = grace_seconds;
  shutdown_requested_ = true;
  uv_async_send(&async_);
}

void Worker::Join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::OnAsync(uv_async_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  if (self->shutdown_requested_ && !self->shutting_down_) self->BeginShutdown();
}

void Worker::BeginShutdown() {
  shutting_down_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
  for (Session* s = sessions_; s;) {
    Session* next = s->next;  // CloseWhenIdle may unlink s
    s->CloseWhenIdle();
    s = next;
  }
  uv_timer_start(&grace_timer_, &Worker::OnGraceTimer, static_cast<uint64_t>(grace_seconds_ * 1000), 0);
  MaybeFinish();
}

void Worker::OnGraceTimer(uv_timer_t* handle) {
  auto* self = static_cast<Worker*>(handle->data);
  for (Session* s = self->sessions_; s;) {
    Session* next = s->next;
    s->Close("shutdown grace period over");
    s = next;
  }
}

void Worker::MaybeFinish() {
  if (!shutting_down_ || finished_ || sessions_) return;
  finished_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&grace_timer_), nullptr);
}

void Worker::OnConnection(uv_stream_t* listener, int status) {
  auto* self = static_cast<Worker*>(listener->data);
  if (status < 0) {
    self->logger_->Warn("proxy", std::string("accept failed: ") + uv_strerror(status));
    return;
  }
  auto* session = new Session(self, self->next_session_id_++);
  self->Register(session);
  session->Start(listener);
}

void Worker::Register(Session* s) {
  s->next = sessions_;
  if (sessions_) sessions_->prev = s;
  sessions_ = s;
  stats_->connections_total.fetch_add(1, std::memory_order_relaxed);
  stats_->connections_open.fetch_add(1, std::memory_order_relaxed);
}

void Worker::Unregister(Session* s) {
  if (s->prev) s->prev->next = s->next;
  else if (sessions_ == s) sessions_ = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
  stats_->connections_open.fetch_sub(1, std::memory_order_relaxed);
  MaybeFinish();
}

}  // namespace sealgate::proxy
