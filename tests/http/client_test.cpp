// mink::http::Client against real local servers: each failure mode mapped to its typed error.
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <set>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "http/local_server.hpp"
#include "mink/http/client.hpp"

using namespace std::chrono_literals;
using mink::Context;
using mink::http::Client;
using mink::http::ClientOptions;
using mink::http::HttpError;
using mink::http::Request;
using mink::http::Response;
using mink::testing::LocalServer;
using mink::testing::RawServer;

namespace {

// Runs f, which must throw HttpError; returns it.
template <class F>
HttpError Failure(F&& f) {
  try {
    f();
  } catch (const HttpError& e) {
    return e;
  }
  ADD_FAILURE() << "expected an HttpError";
  return HttpError(mink::errc::kUnknown, "none", false);
}

// Tests talk to 127.0.0.1 directly, whatever proxy the machine's environment names.
ClientOptions NoProxy(ClientOptions o = {}) {
  o.proxy = "";
  return o;
}

// Lets slow handlers end early when a test is done with them.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  void Wait(std::chrono::milliseconds max) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, max, [&] { return open; });
  }
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_->Post("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_header("X-Method", req.method);
      res.set_header("X-Echo", req.get_header_value("X-Echo"));
      res.set_header("X-Had-Content-Type", req.has_header("Content-Type") ? "yes" : "no");
      res.set_content(req.body, "application/octet-stream");
    });
    server_->Put("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method + ":" + req.body, "text/plain");
    });
    server_->Delete("/echo", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.method, "text/plain");
    });
    server_->Get("/status/(\\d+)", [](const httplib::Request& req, httplib::Response& res) {
      res.status = std::stoi(req.matches[1]);
      if (res.status == 302) res.set_header("Location", "/landing");
      res.set_content("status body", "text/plain");
    });
    server_->Get("/landing", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("landed", "text/plain");
    });
    server_->Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      ++slow_hits_;
      gate_.Wait(3s);
      res.set_content("late", "text/plain");
    });
    server_->Get("/big/(\\d+)", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::string(std::stoul(req.matches[1]), 'x'), "text/plain");
    });
    server_->Get("/port", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(std::to_string(req.remote_port), "text/plain");
    });
    server_.Start();
  }
  void TearDown() override {
    gate_.Open();
    server_.Stop();  // joins the handlers, which use gate_ and slow_hits_
  }

  LocalServer server_;
  Gate gate_;
  std::atomic<int> slow_hits_{0};
  Context ctx_;
};

TEST_F(ClientTest, PostSendsBodyAndHeadersAsGiven) {
  Client client(NoProxy());
  const std::string body("a\0b\0c", 5);  // NULs survive
  Response res = client.Do(ctx_, {.method = "POST",
                                  .url = server_.Url("/echo"),
                                  .headers = {{"X-Echo", "hello"}},
                                  .body = body});
  EXPECT_EQ(res.status, 200);
  EXPECT_TRUE(res.Ok());
  EXPECT_EQ(res.body, body);
  EXPECT_EQ(res.Header("x-echo").value_or(""), "hello");  // case-insensitive lookup
  EXPECT_EQ(res.Header("X-Method").value_or(""), "POST");
  // libcurl would invent a form Content-Type for a POST body; the client does not.
  EXPECT_EQ(res.Header("X-Had-Content-Type").value_or(""), "no");
}

TEST_F(ClientTest, OtherMethods) {
  Client client(NoProxy());
  EXPECT_EQ(client.Do(ctx_, {.method = "PUT", .url = server_.Url("/echo"), .body = "x"}).body,
            "PUT:x");
  EXPECT_EQ(client.Do(ctx_, {.method = "DELETE", .url = server_.Url("/echo")}).body, "DELETE");
  Response head = client.Do(ctx_, {.method = "HEAD", .url = server_.Url("/big/10")});
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
}

TEST_F(ClientTest, StatusesAreRepliesAndCheckStatusTypesThem) {
  Client client(NoProxy());
  for (auto [status, code, text] :
       {std::tuple{302, mink::errc::kHttpRedirect, "unexpected status 302"},
        std::tuple{404, mink::errc::kHttpClientError, "client error 404"},
        std::tuple{503, mink::errc::kHttpServerError, "server error 503"}}) {
    SCOPED_TRACE(status);
    Response res = client.Do(ctx_, {.url = server_.Url("/status/" + std::to_string(status))});
    EXPECT_EQ(res.status, status);  // not followed, not thrown
    EXPECT_EQ(res.body, "status body");
    try {
      mink::http::CheckStatus(res, "GET /status");
      ADD_FAILURE() << "CheckStatus did not throw";
    } catch (const mink::http::StatusError& e) {
      EXPECT_EQ(e.code(), code);
      EXPECT_EQ(e.status(), status);
      EXPECT_TRUE(e.RequestSent());
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(mink::http::CheckStatus(client.Do(ctx_, {.url = server_.Url("/landing")})));
}

TEST_F(ClientTest, RedirectsAreFollowedOnlyWhenAsked) {
  Client client(NoProxy({.follow_redirects = true}));
  Response res = client.Do(ctx_, {.url = server_.Url("/status/302")});
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.body, "landed");
}

TEST_F(ClientTest, SlowReplyTimesOutAsReplyLost) {
  Client client(NoProxy());
  const auto start = std::chrono::steady_clock::now();
  HttpError e = Failure([&] { client.Do(ctx_, {.url = server_.Url("/slow"), .timeout = 200ms}); });
  EXPECT_EQ(e.code(), mink::errc::kHttpReplyLost) << e.what();
  EXPECT_TRUE(e.RequestSent());  // the server got it: outcome unknown
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(slow_hits_.load(), 1);
}

TEST_F(ClientTest, ContextDeadlineBoundsTheRequest) {
  Client client(NoProxy());
  const auto start = std::chrono::steady_clock::now();
  HttpError e = Failure([&] { client.Do(ctx_.WithTimeout(200ms), {.url = server_.Url("/slow")}); });
  EXPECT_EQ(e.code(), mink::errc::kDeadlineExceeded) << e.what();
  EXPECT_TRUE(e.RequestSent());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST_F(ClientTest, CancellingTheContextAbortsAtOnce) {
  Client client(NoProxy());
  // Not a structured binding: lambdas below capture ctx (clang < 16 rejects that).
  const auto cancellable = ctx_.WithCancel();
  const Context& ctx = cancellable.first;
  const mink::CancelFunc& cancel = cancellable.second;
  std::atomic<Context::Clock::rep> cancelled_at{0};
  std::thread canceller([&] {
    std::this_thread::sleep_for(150ms);
    cancelled_at = Context::Clock::now().time_since_epoch().count();
    cancel();
  });
  HttpError e = Failure([&] { client.Do(ctx, {.url = server_.Url("/slow")}); });
  const auto returned = Context::Clock::now();
  canceller.join();
  EXPECT_EQ(e.code(), mink::errc::kCancelled) << e.what();
  EXPECT_TRUE(e.RequestSent());
  // Measured here: < 1 ms with the wake-up, ~50 ms without it (libcurl's next internal timer),
  // up to 1 s with a progress callback. The bound leaves room for a loaded CI machine.
  const auto after_cancel =
      returned - Context::Clock::time_point(Context::Clock::duration(cancelled_at.load()));
  EXPECT_LT(after_cancel, 500ms);
}

TEST_F(ClientTest, DoneContextSendsNothing) {
  Client client(NoProxy());
  const auto cancellable = ctx_.WithCancel();
  const Context& ctx = cancellable.first;
  cancellable.second();
  HttpError e = Failure([&] { client.Do(ctx, {.url = server_.Url("/slow")}); });
  EXPECT_EQ(e.code(), mink::errc::kCancelled);
  EXPECT_FALSE(e.RequestSent());
  EXPECT_EQ(slow_hits_.load(), 0);
  HttpError late = Failure([&] {
    client.Do(ctx_.WithDeadline(Context::Clock::now() - 1s), {.url = server_.Url("/slow")});
  });
  EXPECT_EQ(late.code(), mink::errc::kDeadlineExceeded);
  EXPECT_FALSE(late.RequestSent());
}

TEST_F(ClientTest, ResponseOverTheLimitIsCutOff) {
  Client client(NoProxy({.max_response_bytes = 1 << 20}));
  EXPECT_EQ(client.Do(ctx_, {.url = server_.Url("/big/1048576")}).body.size(), 1u << 20);
  HttpError e = Failure([&] { client.Do(ctx_, {.url = server_.Url("/big/8388608")}); });
  EXPECT_EQ(e.code(), mink::errc::kHttpResponseTooLarge) << e.what();
  EXPECT_TRUE(e.RequestSent());
  // The handle is still good for the next request.
  EXPECT_EQ(client.Do(ctx_, {.url = server_.Url("/big/3")}).body, "xxx");
}

TEST_F(ClientTest, ConnectionsAreReused) {
  Client client(NoProxy());
  std::set<std::string> ports;
  for (int i = 0; i < 20; ++i) ports.insert(client.Do(ctx_, {.url = server_.Url("/port")}).body);
  EXPECT_EQ(ports.size(), 1u);
}

TEST_F(ClientTest, InvalidRequestsFailBeforeTheNetwork) {
  Client client(NoProxy());
  for (const Request& bad :
       {Request{.url = "ftp://127.0.0.1/x"}, Request{.url = "127.0.0.1/no-scheme"},
        Request{.method = "GE T", .url = server_.Url("/echo")},
        Request{.url = server_.Url("/echo"), .headers = {{"X-Bad", "a\r\nInjected: 1"}}},
        Request{.url = server_.Url("/echo"), .headers = {{"Bad Name", "v"}}}}) {
    HttpError e = Failure([&] { client.Do(ctx_, bad); });
    EXPECT_EQ(e.code(), mink::errc::kHttpInvalidRequest) << e.what();
    EXPECT_FALSE(e.RequestSent());
  }
}

TEST_F(ClientTest, UrlsInMessagesLoseUserInfoAndQuery) {
  EXPECT_EQ(mink::http::RedactUrl("https://user:pw@host:8443/a/b?token=s3cret#frag"),
            "https://host:8443/a/b");
  Client client(NoProxy());
  HttpError e = Failure([&] {
    client.Do(ctx_, {.url = "http://u:pw@127.0.0.1:" + std::to_string(mink::testing::UnusedPort()) +
                            "/x?sig=s3cret"});
  });
  EXPECT_EQ(std::string(e.what()).find("s3cret"), std::string::npos) << e.what();
  EXPECT_EQ(std::string(e.what()).find("pw@"), std::string::npos) << e.what();
}

// ---- raw servers: failures no HTTP library sends on purpose ----

TEST(ClientFailures, RefusedConnectionIsSafeToRetry) {
  Client client(NoProxy());
  HttpError e = Failure([&] {
    client.Do(Context{},
              {.url = "http://127.0.0.1:" + std::to_string(mink::testing::UnusedPort()) + "/"});
  });
  EXPECT_EQ(e.code(), mink::errc::kHttpConnectFailed) << e.what();
  EXPECT_FALSE(e.RequestSent());
}

TEST(ClientFailures, ConnectionDroppedMidBodyIsReplyLost) {
  RawServer server([](int fd) {
    RawServer::ReadHead(fd);
    RawServer::Send(fd, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly a part");
  });
  Client client(NoProxy());
  HttpError e = Failure([&] { client.Do(Context{}, {.url = server.Url()}); });
  EXPECT_EQ(e.code(), mink::errc::kHttpReplyLost) << e.what();
  EXPECT_TRUE(e.RequestSent());
}

TEST(ClientFailures, ConnectionClosedWithoutReplyIsReplyLost) {
  RawServer server([](int fd) { RawServer::ReadHead(fd); });
  Client client(NoProxy());
  HttpError e =
      Failure([&] { client.Do(Context{}, {.method = "POST", .url = server.Url(), .body = "x"}); });
  EXPECT_EQ(e.code(), mink::errc::kHttpReplyLost) << e.what();
  EXPECT_TRUE(e.RequestSent());
}

TEST(ClientFailures, TimeoutBeforeTheRequestLeftIsSafeToRetry) {
  // Accepts TCP but never answers the TLS handshake: the request is never written.
  std::unique_ptr<RawServer> server;
  server = std::make_unique<RawServer>([&](int) { server->Hold(3s); });
  Client client(NoProxy());
  const auto start = std::chrono::steady_clock::now();
  HttpError e =
      Failure([&] { client.Do(Context{}, {.url = server->Url("/", "https"), .timeout = 300ms}); });
  EXPECT_EQ(e.code(), mink::errc::kHttpConnectFailed) << e.what();
  EXPECT_FALSE(e.RequestSent());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(ClientFailures, ProxyComesFromTheEnvironmentUnlessOverridden) {
  std::string seen;
  RawServer proxy([&](int fd) {
    seen = RawServer::ReadHead(fd);
    RawServer::Send(fd,
                    "HTTP/1.1 200 OK\r\nContent-Length: 9\r\nConnection: close\r\n\r\nvia proxy");
  });
  ::setenv("http_proxy", proxy.Url().c_str(), 1);
  ::unsetenv("no_proxy");
  ::unsetenv("NO_PROXY");
  Client from_env;  // proxy = nullopt: the environment decides, as curl does
  Response res = from_env.Do(Context{}, {.url = "http://mink-test.invalid/x"});
  ::unsetenv("http_proxy");
  EXPECT_EQ(res.body, "via proxy");
  EXPECT_EQ(seen.rfind("GET http://mink-test.invalid/x HTTP/1.1", 0), 0u) << seen;
}

// ---- TLS ----

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<LocalServer>(
        std::make_unique<httplib::SSLServer>(cert_.cert_path().c_str(), cert_.key_path().c_str()));
    (*server_)->Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("secure", "text/plain");
    });
    server_->Start();
  }
  mink::testing::SelfSignedCert cert_;
  std::unique_ptr<LocalServer> server_;
};

TEST_F(TlsTest, UnknownIssuerIsRejectedByDefault) {
  Client client(NoProxy());
  HttpError e = Failure([&] { client.Do(Context{}, {.url = server_->Url("/", "https")}); });
  EXPECT_EQ(e.code(), mink::errc::kHttpTlsFailed) << e.what();
  EXPECT_FALSE(e.RequestSent());
}

TEST_F(TlsTest, TrustedCaFileVerifies) {
  Client client(NoProxy({.ca_file = cert_.cert_path()}));
  EXPECT_EQ(client.Do(Context{}, {.url = server_->Url("/", "https")}).body, "secure");
}

TEST_F(TlsTest, TurningVerificationOffIsExplicitAndLogged) {
  std::ostringstream log;
  auto logger = std::make_shared<spdlog::logger>(
      "tls-test", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
  Client client(NoProxy({.verify_tls = false, .logger = logger}));
  EXPECT_NE(log.str().find("TLS certificate verification is OFF"), std::string::npos) << log.str();
  EXPECT_EQ(client.Do(Context{}, {.url = server_->Url("/", "https")}).body, "secure");
}

}  // namespace
