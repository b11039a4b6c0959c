#include "proxy/worker.h"

#include <unistd.h>

#include <algorithm>

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
  self->RunPosted();
  if (self->shutdown_requested_ && !self->shutting_down_) self->BeginShutdown();
}

void Worker::Post(std::function<void()> fn) {
  std::lock_guard<std::mutex> lock(posted_mu_);
  if (!accepting_posts_) return;  // the loop has ended; nothing is left to act on
  posted_.push_back(std::move(fn));
  uv_async_send(&async_);
}

void Worker::RunPosted() {
  std::vector<std::function<void()>> batch;
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    batch.swap(posted_);
  }
  for (auto& fn : batch) fn();
}

void Worker::BeginHold() {
  hold_applied_.store(false, std::memory_order_release);
  Post([this] { ApplyHold(true); });
}

void Worker::EndHold() {
  Post([this] { ApplyHold(false); });
}

void Worker::ApplyHold(bool on) {
  holding_ = on;
  hold_applied_.store(on, std::memory_order_release);
  if (!on) {
    for (Session* s = sessions_; s;) {
      Session* next = s->next;  // Resume may close s
      s->Resume();
      s = next;
    }
  }
}

void Worker::NoteStatement(uint32_t connection_id, uint64_t session_id, std::string_view sql) {
  if (connection_id == 0) return;
  constexpr size_t kKept = 200;
  std::lock_guard<std::mutex> lock(statements_mu_);
  Known& k = known_[connection_id];
  k.session_id = session_id;
  k.last_statement.assign(sql.data(), std::min(sql.size(), kKept));
}

void Worker::ForgetConnection(uint32_t connection_id) {
  std::lock_guard<std::mutex> lock(statements_mu_);
  known_.erase(connection_id);
}

std::optional<std::string> Worker::LastStatement(uint64_t connection_id) {
  std::lock_guard<std::mutex> lock(statements_mu_);
  auto it = known_.find(static_cast<uint32_t>(connection_id));
  if (it == known_.end()) return std::nullopt;
  return it->second.last_statement;
}

std::optional<uint64_t> Worker::SessionOf(uint64_t connection_id) {
  std::lock_guard<std::mutex> lock(statements_mu_);
  auto it = known_.find(static_cast<uint32_t>(connection_id));
  if (it == known_.end()) return std::nullopt;
  return it->second.session_id;
}

Session* Worker::FindSession(uint64_t id) {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
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
  {
    std::lock_guard<std::mutex> lock(posted_mu_);
    accepting_posts_ = false;
  }
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
  by_id_[s->id()] = s;
  s->next = sessions_;
  if (sessions_) sessions_->prev = s;
  sessions_ = s;
  stats_->connections_total.fetch_add(1, std::memory_order_relaxed);
  stats_->connections_open.fetch_add(1, std::memory_order_relaxed);
}

void Worker::Unregister(Session* s) {
  by_id_.erase(s->id());
  if (s->prev) s->prev->next = s->next;
  else if (sessions_ == s) sessions_ = s->next;
  if (s->next) s->next->prev = s->prev;
  s->prev = s->next = nullptr;
  stats_->connections_open.fetch_sub(1, std::memory_order_relaxed);
  MaybeFinish();
}

}  // namespace sealgate::proxy
