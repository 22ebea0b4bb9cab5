// Webhook: one HTTP(S) POST per alert, through libcurl (one easy handle, so
// the connection is kept alive between alerts).
//
// Failures, by kind:
// - unreachable (cannot connect, resolve, send or receive; timeout): the
//   writer holds the alert and retries with exponential backoff until the
//   server answers; the queue in front absorbs what arrives meanwhile and
//   drops (counting) past its bound. Nothing is lost to a short outage.
// - the server answers 5xx, 408 or 429, or TLS fails: retried `retries`
//   times with backoff, then given up on (counted as failed).
// - any other non-2xx answer: given up on at once (counted as failed).
#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <mutex>

#include "transports.h"

namespace vigil::detail {
namespace {

size_t discard_body(char*, size_t size, size_t n, void*) {
  return size * n;
}

// Aborts a transfer in progress once the output's close deadline passed.
int on_progress(void* ctx, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<WriterContext*>(ctx)->past_deadline() ? 1 : 0;
}

bool unreachable(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
      return true;
    default:
      return false;
  }
}

enum class Outcome { Delivered, Unreachable, Retry, GiveUp };

class WebhookTransport : public Transport {
 public:
  explicit WebhookTransport(const OutputConfig& cfg) : cfg_(cfg) {
    static std::once_flag global_init;
    std::call_once(global_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

    curl_ = curl_easy_init();
    if (!curl_) throw OutputError("cannot create an HTTP client");
    headers_ = curl_slist_append(headers_, "Content-Type: application/json");
    headers_ = curl_slist_append(headers_, "User-Agent: vigil/" VIGIL_VERSION);
    for (const auto& [k, v] : cfg.headers) {
      headers_ = curl_slist_append(headers_, (k + ": " + v).c_str());
    }
    curl_easy_setopt(curl_, CURLOPT_URL, cfg.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers_);
    curl_easy_setopt(curl_, CURLOPT_POST, 1L);
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg.timeout_ms));
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg.timeout_ms));
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, discard_body);
    curl_easy_setopt(curl_, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl_, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(curl_, CURLOPT_ERRORBUFFER, error_);
    curl_easy_setopt(curl_, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!cfg.ca_file.empty()) curl_easy_setopt(curl_, CURLOPT_CAINFO, cfg.ca_file.c_str());
    if (!cfg.tls_verify) {
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl_, CURLOPT_SSL_VERIFYHOST, 0L);
    }
  }

  ~WebhookTransport() override {
    curl_easy_cleanup(curl_);
    curl_slist_free_all(headers_);
  }

  size_t deliver(std::span<const MessagePtr> batch, WriterContext& ctx) override {
    size_t done = 0;
    for (const MessagePtr& m : batch) {
      std::string_view body = m->payload(cfg_.format);
      if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
      if (post_with_retries(body, ctx)) ++done;
      if (ctx.past_deadline()) break;
    }
    return done;
  }

 private:
  bool post_with_retries(std::string_view body, WriterContext& ctx) {
    uint32_t attempts = 0;
    auto backoff = std::chrono::milliseconds(cfg_.backoff_ms);
    for (;;) {
      const Outcome o = post(body, ctx);
      if (o == Outcome::Delivered) return true;
      if (o == Outcome::GiveUp || ctx.past_deadline()) return false;
      if (o == Outcome::Retry && attempts++ >= cfg_.retries) {
        spdlog::warn("output: '{}' gave up on an alert after {} attempts: {}", cfg_.name, attempts,
                     last_error_);
        return false;
      }
      ctx.count_retry();
      if (!ctx.wait(backoff)) return false;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    }
  }

  Outcome post(std::string_view body, WriterContext& ctx) {
    error_[0] = '\0';
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl_, CURLOPT_XFERINFODATA, &ctx);
    const CURLcode rc = curl_easy_perform(curl_);

    if (rc != CURLE_OK) {
      last_error_ = error_[0] ? error_ : curl_easy_strerror(rc);
      if (unreachable(rc)) {
        if (!down_) {
          spdlog::warn("output: '{}' cannot reach {} ({}); holding alerts and retrying", cfg_.name,
                       cfg_.url, last_error_);
        }
        down_ = true;
        return Outcome::Unreachable;
      }
      return Outcome::Retry;
    }
    if (down_) spdlog::info("output: '{}' reaches {} again", cfg_.name, cfg_.url);
    down_ = false;

    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    if (status >= 200 && status < 300) return Outcome::Delivered;
    last_error_ = "HTTP status " + std::to_string(status);
    if (status >= 500 || status == 408 || status == 429) return Outcome::Retry;
    spdlog::warn("output: '{}' refused an alert: {}", cfg_.name, last_error_);
    return Outcome::GiveUp;
  }

  OutputConfig cfg_;
  CURL* curl_ = nullptr;
  curl_slist* headers_ = nullptr;
  char error_[CURL_ERROR_SIZE] = {};
  std::string last_error_;
  bool down_ = false;
};

}  // namespace

std::unique_ptr<Transport> make_webhook_transport(const OutputConfig& cfg) {
  return std::make_unique<WebhookTransport>(cfg);
}

}  // namespace vigil::detail
