// mink::webhook::Publisher against a real cpp-httplib receiver on 127.0.0.1 that verifies
// Standard Webhooks signatures with its own HMAC, fails every Nth request, and answers chosen
// statuses; plus the contract suite and the official signature vectors.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "conformance/publisher_conformance.hpp"
#include "mink/webhook/publisher.hpp"
#include "outbox_publishers/webhook_receiver.hpp"

using namespace std::chrono_literals;
using mink::Context;
using mink::ErrorIs;
using mink::ErrorMessage;
using mink::OutboxMessage;
using mink::conformance::PublisherConformance;
using mink::testing::WebhookReceiver;
using mink::webhook::Publisher;
using mink::webhook::PublisherOptions;
using mink::webhook::SigningKey;

namespace {

constexpr char kSecretB64[] = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kSecret = std::string("whsec_") + kSecretB64;

std::shared_ptr<mink::http::Client> LocalClient() {
  return std::make_shared<mink::http::Client>(mink::http::ClientOptions{.proxy = ""});
}

OutboxMessage Msg(const std::string& id, const std::string& url, std::string payload = "{}") {
  OutboxMessage m;
  m.id = id;
  m.aggregate_id = "order-1";
  m.event_type = "OrderPlaced";
  m.destination = "webhook:" + url;
  m.payload = std::move(payload);
  return m;
}

// ---- the contract suite ----

class WebhookHarness : public mink::conformance::PublisherHarness {
 public:
  WebhookHarness()
      : receiver_(kSecretB64),
        publisher_(std::make_shared<Publisher>(
            PublisherOptions{.http_client = LocalClient(), .signing_secret = kSecret})) {}
  std::shared_ptr<mink::Publisher> publisher() override { return publisher_; }
  std::string prefix() const override { return "webhook"; }
  std::string Destination(const std::string& name) override {
    return "webhook:" + receiver_.Url("/" + name);
  }
  std::string ReceivedTarget(const std::string& name) override { return "/" + name; }
  std::vector<std::string> MalformedDestinations() override {
    return {"webhook:", "webhook", "webhook:ftp://127.0.0.1/x", "webhook:not a url",
            "webhook:http://"};
  }
  void Poison(OutboxMessage& m) override { m.headers["poison"] = "1"; }
  std::vector<mink::conformance::ReceivedMessage> Received(std::size_t at_least) override {
    std::vector<mink::conformance::ReceivedMessage> out;
    for (const auto& d : receiver_.WaitAccepted(at_least)) {
      mink::conformance::ReceivedMessage r{d.path, d.body, {}};
      for (const auto& [k, v] : d.headers) {
        if (k.size() > 9 && strncasecmp(k.c_str(), "X-Outbox-", 9) == 0) r.headers[k.substr(9)] = v;
      }
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  WebhookReceiver receiver_;
  std::shared_ptr<Publisher> publisher_;
};

INSTANTIATE_TEST_SUITE_P(Webhook, PublisherConformance,
                         ::testing::Values(mink::conformance::PublisherFactory{
                             "webhook", [] { return std::make_unique<WebhookHarness>(); }}));

// ---- signatures ----

TEST(WebhookSignature, StandardWebhooksVectors) {
  std::ifstream f(MINK_WEBHOOK_VECTORS);
  ASSERT_TRUE(f) << MINK_WEBHOOK_VECTORS;
  const auto doc = nlohmann::json::parse(f);  // keep the document alive while iterating
  int ran = 0;
  for (const auto& t : doc.at("tests")) {
    SCOPED_TRACE(t.at("comment").get<std::string>());
    const auto key = SigningKey::Parse(t.at("secret").get<std::string>());
    const std::string id = t.at("webhook-id"), ts = t.at("webhook-timestamp"),
                      body = t.at("payload"), sig = t.at("webhook-signature");
    const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(ts)));
    EXPECT_EQ(key.Verify(id, ts, body, sig, at), t.at("result") == "valid");
    ++ran;
  }
  EXPECT_EQ(ran, 7);
  const auto key = SigningKey::Parse(kSecret);
  EXPECT_EQ(key.Sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(WebhookSignature, VerifyRejectsStaleAndFutureTimestamps) {
  const auto key = SigningKey::Parse(kSecret);
  const auto sig = key.Sign("id", 1614265330, "b");
  const auto at = std::chrono::system_clock::time_point(std::chrono::seconds(1614265330));
  EXPECT_TRUE(key.Verify("id", "1614265330", "b", sig, at + 299s));
  EXPECT_FALSE(key.Verify("id", "1614265330", "b", sig, at + 301s));
  EXPECT_FALSE(key.Verify("id", "1614265330", "b", sig, at - 301s));
  EXPECT_FALSE(key.Verify("id", "16142653x0", "b", sig, at));
}

TEST(WebhookSignature, MalformedSecretsAreTypedErrors) {
  for (const std::string bad : {"whsec_", "whsec_!!!!", "whsec_c2hvcnQ=", "not base64 at all"}) {
    try {
      (void)SigningKey::Parse(bad);
      ADD_FAILURE() << bad;
    } catch (const mink::Error& e) {
      EXPECT_TRUE(e.Is(mink::errc::kWebhookInvalidSecret)) << e.what();
      EXPECT_EQ(std::string(e.what()).find(bad.size() > 6 ? bad.substr(6) : "\x01"),
                std::string::npos)
          << "the message must not echo the secret";
    }
  }
  EXPECT_THROW(Publisher(PublisherOptions{.signing_secret = "whsec_c2hvcnQ="}), mink::Error);
}

// ---- deliveries ----

TEST(WebhookPublisher, SendsContentTypeDefaultHeadersAndOutboxHeaders) {
  WebhookReceiver receiver;
  Publisher publisher({.http_client = LocalClient(),
                       .default_headers = {{"Authorization", "Bearer t0k"}, {"X-Env", "test"}}});
  auto m = Msg("m1", receiver.Url(), R"({"id":1})");
  m.headers = {{"stream-id", "order-1"}, {"event-type", "OrderPlaced"}};
  const std::vector<OutboxMessage> batch{m};
  const auto out = publisher.Publish(Context{}, batch);
  ASSERT_TRUE(out.at(0).Delivered()) << ErrorMessage(out.at(0).error);
  const auto got = receiver.Accepted().at(0);
  auto header = [&](const char* n) {
    auto it = got.headers.find(n);
    return it == got.headers.end() ? std::string("<none>") : it->second;
  };
  EXPECT_EQ(header("Content-Type"), "application/json");
  EXPECT_EQ(header("Authorization"), "Bearer t0k");
  EXPECT_EQ(header("X-Env"), "test");
  EXPECT_EQ(header("X-Outbox-stream-id"), "order-1");
  EXPECT_EQ(header("X-Outbox-event-type"), "OrderPlaced");
  EXPECT_EQ(header("webhook-signature"), "<none>");  // no secret: unsigned
  EXPECT_EQ(got.body, R"({"id":1})");
}

TEST(WebhookPublisher, DefaultHeadersMayReplaceContentType) {
  WebhookReceiver receiver;
  Publisher publisher({.http_client = LocalClient(),
                       .default_headers = {{"content-type", "application/cloudevents+json"}}});
  const std::vector<OutboxMessage> batch{Msg("m1", receiver.Url())};
  ASSERT_TRUE(publisher.Publish(Context{}, batch).at(0).Delivered());
  const auto got = receiver.Accepted().at(0);
  EXPECT_EQ(got.headers.count("Content-Type"), 1u);
  EXPECT_EQ(got.headers.find("Content-Type")->second, "application/cloudevents+json");
}

// The receiver fails every 3rd request; the processor's retry (simulated: re-publish what
// failed) delivers all ten, each signature valid, with the same webhook-id on every attempt.
TEST(WebhookPublisher, EveryNthFailureIsRetriedWithAStableSignedId) {
  WebhookReceiver receiver(kSecretB64);
  receiver.FailEveryNth(3);
  Publisher publisher({.http_client = LocalClient(), .signing_secret = kSecret});
  std::vector<OutboxMessage> pending;
  for (int i = 0; i < 10; ++i) {
    pending.push_back(
        Msg("msg-" + std::to_string(i), receiver.Url(), "{\"n\":" + std::to_string(i) + "}"));
  }
  int rounds = 0;
  while (!pending.empty() && rounds++ < 10) {
    const auto out = publisher.Publish(Context{}, pending);
    std::vector<OutboxMessage> again;
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (!out[i].Delivered()) {
        EXPECT_TRUE(ErrorIs(out[i].error, mink::errc::kHttpServerError))
            << ErrorMessage(out[i].error);
        EXPECT_NE(ErrorMessage(out[i].error).find("server error 503"), std::string::npos);
        again.push_back(pending[i]);
      }
    }
    pending = std::move(again);
  }
  EXPECT_TRUE(pending.empty());
  std::set<std::string> ids;
  for (const auto& d : receiver.Accepted()) ids.insert(d.headers.find("webhook-id")->second);
  EXPECT_EQ(ids.size(), 10u);
  // Every attempt (failed ones too) carried a valid signature: nothing answered 401.
  std::map<std::string, int> attempts;
  for (const auto& d : receiver.All()) {
    EXPECT_NE(d.status, 401);
    ++attempts[d.headers.find("webhook-id")->second];
  }
  int total = 0;
  for (const auto& [id, n] : attempts) total += n;
  EXPECT_GT(total, 10);  // some were retried, under the same id
  EXPECT_EQ(attempts.size(), 10u);
}

TEST(WebhookPublisher, OnlyTwoHundredsCount) {
  WebhookReceiver receiver;
  Publisher publisher({.http_client = LocalClient()});
  const std::vector<OutboxMessage> batch{
      Msg("a", receiver.Url("/status/302")), Msg("b", receiver.Url("/status/404")),
      Msg("c", receiver.Url("/status/500")), Msg("d", receiver.Url("/status/204")),
      Msg("e", receiver.Url("/status/410"))};
  const auto out = publisher.Publish(Context{}, batch);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_TRUE(ErrorIs(out[0].error, mink::errc::kHttpRedirect));
  EXPECT_NE(ErrorMessage(out[0].error).find("unexpected status 302"), std::string::npos);
  EXPECT_TRUE(ErrorIs(out[1].error, mink::errc::kHttpClientError));
  EXPECT_NE(ErrorMessage(out[1].error).find("client error 404"), std::string::npos);
  EXPECT_TRUE(ErrorIs(out[2].error, mink::errc::kHttpServerError));
  EXPECT_NE(ErrorMessage(out[2].error).find("server error 500"), std::string::npos);
  EXPECT_TRUE(out[3].Delivered());
  EXPECT_TRUE(ErrorIs(out[4].error, mink::errc::kHttpClientError));
  // The redirect was not followed.
  for (const auto& d : receiver.All()) EXPECT_NE(d.path, "/redirect-target");
}

TEST(WebhookPublisher, ASlowReceiverTimesOutAsATypedError) {
  WebhookReceiver receiver;
  receiver.Delay(1500ms);
  Publisher publisher({.http_client = LocalClient(), .timeout = 200ms});
  const std::vector<OutboxMessage> batch{Msg("slow", receiver.Url())};
  const auto start = std::chrono::steady_clock::now();
  const auto out = publisher.Publish(Context{}, batch);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1400ms);
  ASSERT_FALSE(out.at(0).Delivered());
  const auto code = mink::ErrorCodeOf(out.at(0).error);
  ASSERT_TRUE(code);
  EXPECT_EQ(code->area(), mink::ErrorArea::kHttp) << ErrorMessage(out.at(0).error);
}

TEST(WebhookPublisher, TheContextDeadlineBoundsTheBatch) {
  WebhookReceiver receiver;
  receiver.Delay(1500ms);
  Publisher publisher({.http_client = LocalClient()});  // 30 s per request
  const std::vector<OutboxMessage> batch{Msg("a", receiver.Url()), Msg("b", receiver.Url())};
  const auto start = std::chrono::steady_clock::now();
  const auto out = publisher.Publish(Context{}.WithTimeout(200ms), batch);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1400ms);
  for (const auto& o : out) {
    EXPECT_TRUE(ErrorIs(o.error, mink::errc::kDeadlineExceeded)) << ErrorMessage(o.error);
  }
}

TEST(WebhookPublisher, BodyChangedAfterSigningIsRejectedByTheReceiver) {
  WebhookReceiver receiver(kSecretB64);
  // A transport that alters the body after the publisher signed it.
  class Tamper : public mink::http::HttpClient {
   public:
    mink::http::Response Do(const Context& ctx, const mink::http::Request& r) override {
      auto copy = r;
      copy.body += " ";
      return inner_->Do(ctx, copy);
    }
    std::shared_ptr<mink::http::Client> inner_ = LocalClient();
  };
  Publisher publisher({.http_client = std::make_shared<Tamper>(), .signing_secret = kSecret});
  const std::vector<OutboxMessage> batch{Msg("t", receiver.Url())};
  const auto out = publisher.Publish(Context{}, batch);
  EXPECT_TRUE(ErrorIs(out.at(0).error, mink::errc::kHttpClientError));
  EXPECT_NE(ErrorMessage(out.at(0).error).find("client error 401"), std::string::npos);
}

TEST(WebhookPublisher, UnreachableReceiverFailsThatMessageOnly) {
  WebhookReceiver receiver;
  Publisher publisher({.http_client = LocalClient()});
  const std::vector<OutboxMessage> batch{
      Msg("gone", "http://127.0.0.1:" + std::to_string(mink::testing::UnusedPort()) + "/x"),
      Msg("ok", receiver.Url())};
  const auto out = publisher.Publish(Context{}, batch);
  EXPECT_TRUE(ErrorIs(out.at(0).error, mink::errc::kHttpConnectFailed))
      << ErrorMessage(out[0].error);
  EXPECT_TRUE(out.at(1).Delivered());
}

TEST(WebhookPublisher, MissingUrlMessageNamesTheMessage) {
  Publisher publisher({.http_client = LocalClient()});
  const std::vector<OutboxMessage> batch{Msg("m-42", "")};
  const auto out = publisher.Publish(Context{}, batch);
  EXPECT_TRUE(ErrorIs(out.at(0).error, mink::errc::kWebhookInvalidDestination));
  EXPECT_NE(ErrorMessage(out.at(0).error).find("m-42"), std::string::npos);
}

}  // namespace
