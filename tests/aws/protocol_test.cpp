// The JSON 1.1 and Query protocol clients against an in-process server on 127.0.0.1 that
// verifies the SigV4 signature of every request (sigv4_verifier.hpp) and answers like AWS:
// success bodies, error shapes, throttling, 5xx; and tampering after signing is rejected.
#include <gtest/gtest.h>

#include <deque>
#include <mutex>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "aws/sigv4_verifier.hpp"
#include "http/local_server.hpp"
#include "mink/aws/protocol.hpp"

using namespace std::chrono_literals;
using mink::Context;
using mink::aws::JsonProtocolClient;
using mink::aws::QueryProtocolClient;
using mink::aws::ServiceError;
using mink::aws::ServiceOptions;

namespace {

constexpr char kAccessKey[] = "AKIDMINKTEST";
constexpr char kSecret[] = "mink/secret+key/for/tests/only/0123456789";

struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/x-amz-json-1.1";
  httplib::Headers headers;
};

// An AWS-like endpoint: verifies the signature, records the request, answers with the next
// scripted reply (the last one repeats).
class FakeAws {
 public:
  explicit FakeAws(std::string service) : service_(std::move(service)) {
    server_->Post("/", [this](const httplib::Request& q, httplib::Response& res) {
      std::lock_guard lock(mu_);
      ++hits_;
      requests_.push_back(q);
      auto fault = mink::testing::VerifySigV4(
          q,
          [](const std::string& akid) -> std::optional<std::string> {
            if (akid == kAccessKey) return std::string(kSecret);
            return std::nullopt;
          },
          "us-east-1", service_, std::chrono::system_clock::now());
      if (fault) {
        res.status = 400;
        res.set_content(nlohmann::json{{"__type", fault->code}, {"message", fault->message}}.dump(),
                        "application/x-amz-json-1.1");
        return;
      }
      Reply r = replies_.empty() ? Reply{} : replies_.front();
      if (replies_.size() > 1) replies_.pop_front();
      res.status = r.status;
      for (const auto& [k, v] : r.headers) res.set_header(k.c_str(), v);
      res.set_content(r.body, r.content_type.c_str());
    });
    server_.Start();
  }
  // The server's threads use the members below: stop them before those are destroyed.
  ~FakeAws() { server_.Stop(); }
  FakeAws(const FakeAws&) = delete;
  FakeAws& operator=(const FakeAws&) = delete;

  void Script(std::deque<Reply> replies) {
    std::lock_guard lock(mu_);
    replies_ = std::move(replies);
  }
  int hits() {
    std::lock_guard lock(mu_);
    return hits_;
  }
  httplib::Request last() {
    std::lock_guard lock(mu_);
    return requests_.back();
  }
  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  int port() const { return server_.port(); }

 private:
  std::string service_;
  mink::testing::LocalServer server_;
  std::mutex mu_;
  std::deque<Reply> replies_;
  std::vector<httplib::Request> requests_;
  int hits_ = 0;
};

// An injected transport (go-mink's WithHTTPClient) that changes the request after signing.
class TamperingClient : public mink::http::HttpClient {
 public:
  explicit TamperingClient(std::function<void(mink::http::Request&)> tamper)
      : tamper_(std::move(tamper)) {}
  mink::http::Response Do(const Context& ctx, const mink::http::Request& r) override {
    mink::http::Request copy = r;
    tamper_(copy);
    return inner_.Do(ctx, copy);
  }

 private:
  std::function<void(mink::http::Request&)> tamper_;
  mink::http::Client inner_{{.proxy = ""}};
};

ServiceOptions Options(const std::string& url, const std::string& service) {
  return ServiceOptions{
      .config = {.region = "us-east-1",
                 .credentials = {kAccessKey, kSecret, ""},
                 .endpoint_url = url},
      .signing_name = service,
      .http_client = std::make_shared<mink::http::Client>(mink::http::ClientOptions{.proxy = ""}),
      .retry = {.max_attempts = 3, .base_delay = 1ms, .max_delay = 5ms}};
}

template <class E, class F>
E Thrown(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e;
  }
  throw std::runtime_error("expected exception not thrown");
}

std::shared_ptr<spdlog::logger> CaptureLogger(std::ostringstream& out) {
  return std::make_shared<spdlog::logger>("capture",
                                          std::make_shared<spdlog::sinks::ostream_sink_mt>(out));
}

// ---- JSON 1.1 ----

TEST(JsonProtocol, SignsSendsAndParses) {
  FakeAws kms("kms");
  kms.Script(
      {{.body = R"({"KeyId":"arn:aws:kms:us-east-1:111122223333:key/k1","Plaintext":"AAEC"})"}});
  JsonProtocolClient client(Options(kms.Url(), "kms"), "TrentService");
  auto out =
      client.Call(Context{}, "GenerateDataKey", {{"KeyId", "alias/mink"}, {"KeySpec", "AES_256"}});
  EXPECT_EQ(out["Plaintext"], "AAEC");
  const auto req = kms.last();
  EXPECT_EQ(req.get_header_value("X-Amz-Target"), "TrentService.GenerateDataKey");
  EXPECT_EQ(req.get_header_value("Content-Type"), "application/x-amz-json-1.1");
  EXPECT_EQ(req.get_header_value("Host"), "127.0.0.1:" + std::to_string(kms.port()));
  EXPECT_EQ(nlohmann::json::parse(req.body)["KeyId"], "alias/mink");
  const auto auth = mink::testing::ParseAuthorization(req.get_header_value("Authorization"));
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->signed_headers, "content-type;host;x-amz-date;x-amz-target");
  EXPECT_EQ(auth->service, "kms");
}

TEST(JsonProtocol, ClientErrorsAreTypedAndNotRetried) {
  FakeAws kms("kms");
  kms.Script(
      {{.status = 400,
        .body =
            R"({"__type":"com.amazonaws.kms#NotFoundException","message":"Key 'x' does not exist"})"}});
  JsonProtocolClient client(Options(kms.Url(), "kms"), "TrentService");
  auto e = Thrown<ServiceError>([&] {
    client.Call(Context{}, "Decrypt", {{"CiphertextBlob", "AA=="}});
  });
  EXPECT_EQ(e.code(), mink::errc::kAwsServiceError);
  EXPECT_EQ(e.aws_code(), "NotFoundException");
  EXPECT_TRUE(e.IsCode("NotFound"));
  EXPECT_TRUE(e.IsCode("NotFoundException"));
  EXPECT_FALSE(e.IsCode("Disabled"));
  EXPECT_EQ(e.aws_message(), "Key 'x' does not exist");
  EXPECT_EQ(e.status(), 400);
  EXPECT_FALSE(e.Retryable());
  EXPECT_EQ(kms.hits(), 1);
}

TEST(JsonProtocol, ThrottlingIsRetriedWithBackoff) {
  FakeAws kms("kms");
  const Reply throttle{.status = 400,
                       .body = R"({"__type":"ThrottlingException","message":"Rate exceeded"})"};
  kms.Script({throttle, throttle, {.body = R"({"KeyId":"k"})"}});
  std::ostringstream log;
  auto options = Options(kms.Url(), "kms");
  options.logger = CaptureLogger(log);
  JsonProtocolClient client(options, "TrentService");
  EXPECT_EQ(client.Call(Context{}, "Encrypt", {{"KeyId", "k"}})["KeyId"], "k");
  EXPECT_EQ(kms.hits(), 3);
  EXPECT_NE(log.str().find("attempt 2 failed (ThrottlingException)"), std::string::npos)
      << log.str();
}

TEST(JsonProtocol, ServerErrorsExhaustTheAttempts) {
  FakeAws kms("kms");
  kms.Script({{.status = 500, .body = R"({"__type":"KMSInternalException","message":"boom"})"}});
  JsonProtocolClient client(Options(kms.Url(), "kms"), "TrentService");
  auto e = Thrown<ServiceError>([&] { client.Call(Context{}, "Encrypt", {}); });
  EXPECT_EQ(e.code(), mink::errc::kAwsServiceUnavailable);
  EXPECT_TRUE(e.Retryable());
  EXPECT_EQ(kms.hits(), 3);
}

TEST(JsonProtocol, ErrorCodeSourcesFollowBotocore) {
  FakeAws kms("kms");
  kms.Script(
      {{.status = 400,
        .body = R"({"__type":"Ignored","Message":"capital M"})",
        .headers = {{"x-amzn-query-error", "AWS.SimpleQueueService.NonExistentQueue;Sender"}}}});
  JsonProtocolClient client(Options(kms.Url(), "kms"), "TrentService");
  auto e = Thrown<ServiceError>([&] { client.Call(Context{}, "X", {}); });
  EXPECT_EQ(e.aws_code(), "AWS.SimpleQueueService.NonExistentQueue");
  EXPECT_EQ(e.aws_message(), "capital M");
  kms.Script({{.status = 429, .body = "not json"}});
  auto t = Thrown<ServiceError>([&] { client.Call(Context{}, "X", {}); });
  EXPECT_EQ(t.code(), mink::errc::kAwsThrottled);  // 429 alone means throttled
}

TEST(JsonProtocol, A2xxThatIsNotJsonIsAnInvalidResponse) {
  FakeAws kms("kms");
  kms.Script({{.body = "<html>proxy page</html>"}});
  JsonProtocolClient client(Options(kms.Url(), "kms"), "TrentService");
  auto e = Thrown<mink::Error>([&] { client.Call(Context{}, "X", {}); });
  EXPECT_EQ(e.code(), mink::errc::kAwsInvalidResponse);
}

TEST(JsonProtocol, TheContextBoundsTheBackoff) {
  FakeAws kms("kms");
  kms.Script({{.status = 400, .body = R"({"__type":"ThrottlingException"})"}});
  auto options = Options(kms.Url(), "kms");
  options.retry = {.max_attempts = 10, .base_delay = 5s, .max_delay = 5s};
  JsonProtocolClient client(options, "TrentService");
  const auto start = std::chrono::steady_clock::now();
  auto e = Thrown<mink::Error>([&] {
    // Full jitter may pick a short wait; keep failing until the deadline ends a wait.
    client.Call(Context{}.WithTimeout(300ms), "X", {});
  });
  EXPECT_TRUE(e.code() == mink::errc::kDeadlineExceeded) << e.what();
  EXPECT_TRUE(e.Is(mink::errc::kAwsThrottled));  // the last failure is the cause
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
}

TEST(JsonProtocol, ConnectFailuresAreRetriedLostRepliesAreNot) {
  std::ostringstream log;
  auto options = Options("http://127.0.0.1:" + std::to_string(mink::testing::UnusedPort()), "kms");
  options.logger = CaptureLogger(log);
  JsonProtocolClient refused(options, "TrentService");
  auto e = Thrown<mink::http::HttpError>([&] { refused.Call(Context{}, "X", {}); });
  EXPECT_EQ(e.code(), mink::errc::kHttpConnectFailed);
  EXPECT_NE(log.str().find("attempt 2 failed (HttpConnectFailed)"), std::string::npos) << log.str();

  std::atomic<int> connections{0};
  mink::testing::RawServer drops([&](int fd) {
    ++connections;
    mink::testing::RawServer::ReadHead(fd);  // then close without a reply
  });
  JsonProtocolClient once(Options(drops.Url(), "kms"), "TrentService");
  auto lost = Thrown<mink::http::HttpError>([&] { once.Call(Context{}, "X", {{"k", "v"}}); });
  EXPECT_EQ(lost.code(), mink::errc::kHttpReplyLost);
  EXPECT_EQ(connections.load(), 1);  // outcome unknown: not sent again by default

  auto opted_in = Options(drops.Url(), "kms");
  opted_in.retry.retry_when_outcome_unknown = true;
  JsonProtocolClient thrice(opted_in, "TrentService");
  connections = 0;
  EXPECT_THROW(thrice.Call(Context{}, "X", {{"k", "v"}}), mink::http::HttpError);
  EXPECT_EQ(connections.load(), 3);
}

// ---- the signature-checking server rejects what changed after signing ----

struct TamperCase {
  const char* name;
  std::function<void(mink::http::Request&)> tamper;
  const char* expected_code;
};

TEST(SignatureChecks, TamperingAfterSigningIsRejected) {
  FakeAws kms("kms");
  kms.Script({{.body = "{}"}});
  auto set_header = [](mink::http::Request& r, const std::string& name, const std::string& value) {
    for (auto& [n, v] : r.headers) {
      if (n == name) v = value;
    }
  };
  const std::vector<TamperCase> cases = {
      {"body", [](auto& r) { r.body += " "; }, "InvalidSignatureException"},
      {"signed header", [&](auto& r) { set_header(r, "X-Amz-Target", "TrentService.Decrypt"); },
       "InvalidSignatureException"},
      {"date",
       [](auto& r) {
         for (auto& [n, v] : r.headers) {
           if (n == "X-Amz-Date") v[14] = v[14] == '0' ? '1' : '0';  // 1 s off: not expired
         }
       },
       "InvalidSignatureException"},
      {"signature digit",
       [](auto& r) {
         for (auto& [n, v] : r.headers) {
           if (n == "Authorization") v.back() = v.back() == 'a' ? 'b' : 'a';
         }
       },
       "InvalidSignatureException"},
      {"dropped signed header",
       [](auto& r) {
         std::erase_if(r.headers, [](const auto& h) { return h.first == "X-Amz-Target"; });
       },
       "InvalidSignatureException"},
      {"no authorization",
       [](auto& r) {
         std::erase_if(r.headers, [](const auto& h) { return h.first == "Authorization"; });
       },
       "MissingAuthenticationTokenException"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto options = Options(kms.Url(), "kms");
    options.http_client = std::make_shared<TamperingClient>(c.tamper);
    JsonProtocolClient client(options, "TrentService");
    const int before = kms.hits();
    auto e = Thrown<ServiceError>([&] {
      client.Call(Context{}, "GenerateDataKey", {{"KeyId", "k"}});
    });
    EXPECT_EQ(e.aws_code(), c.expected_code) << e.what();
    EXPECT_EQ(kms.hits(), before + 1);  // a 4xx: not retried
  }
  // Untampered, through the same injection point: accepted.
  auto options = Options(kms.Url(), "kms");
  options.http_client = std::make_shared<TamperingClient>([](auto&) {});
  EXPECT_NO_THROW(
      JsonProtocolClient(options, "TrentService").Call(Context{}, "GenerateDataKey", {}));
}

TEST(SignatureChecks, WrongSecretUnknownKeyAndSkewedClockAreRejected) {
  FakeAws kms("kms");
  kms.Script({{.body = "{}"}});
  auto wrong_secret = Options(kms.Url(), "kms");
  wrong_secret.config.credentials.secret_access_key = "not-the-secret";
  EXPECT_EQ(Thrown<ServiceError>([&] {
              JsonProtocolClient(wrong_secret, "TrentService").Call(Context{}, "X", {});
            }).aws_code(),
            "InvalidSignatureException");
  auto unknown_key = Options(kms.Url(), "kms");
  unknown_key.config.credentials.access_key_id = "AKIDUNKNOWN";
  EXPECT_EQ(Thrown<ServiceError>([&] {
              JsonProtocolClient(unknown_key, "TrentService").Call(Context{}, "X", {});
            }).aws_code(),
            "UnrecognizedClientException");
  auto skewed = Options(kms.Url(), "kms");
  skewed.clock = [] { return std::chrono::system_clock::now() - std::chrono::minutes(20); };
  auto e = Thrown<ServiceError>(
      [&] { JsonProtocolClient(skewed, "TrentService").Call(Context{}, "X", {}); });
  EXPECT_EQ(e.aws_code(), "InvalidSignatureException");
  EXPECT_EQ(e.aws_message(), "Signature expired");
  auto slightly_skewed = Options(kms.Url(), "kms");
  slightly_skewed.clock = [] { return std::chrono::system_clock::now() - std::chrono::minutes(5); };
  EXPECT_NO_THROW(JsonProtocolClient(slightly_skewed, "TrentService").Call(Context{}, "X", {}));
}

TEST(SignatureChecks, SessionTokenIsSentAndSigned) {
  FakeAws kms("kms");
  kms.Script({{.body = "{}"}});
  auto options = Options(kms.Url(), "kms");
  options.config.credentials.session_token = "FwoGZXIvYXdzEtoken";
  JsonProtocolClient(options, "TrentService").Call(Context{}, "X", {});
  const auto req = kms.last();
  EXPECT_EQ(req.get_header_value("X-Amz-Security-Token"), "FwoGZXIvYXdzEtoken");
  EXPECT_NE(req.get_header_value("Authorization").find("x-amz-security-token"), std::string::npos);
}

// ---- Query ----

TEST(QueryProtocol, PublishEncodesTheFormAndParsesXml) {
  FakeAws sns("sns");
  sns.Script(
      {{.body =
            R"(<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId><SequenceNumber>10000000000000003000</SequenceNumber></PublishResult><ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata></PublishResponse>)",
        .content_type = "text/xml"}});
  QueryProtocolClient client(Options(sns.Url(), "sns"), "2010-03-31");
  const std::string arn = "arn:aws:sns:us-east-1:111122223333:orders.fifo";
  const std::string message = R"({"id":1,"note":"héllo wörld & more+1"})";
  std::string xml =
      client.Call(Context{}, "Publish",
                  {{"TopicArn", arn}, {"Message", message}, {"MessageGroupId", "order-1"}});
  EXPECT_EQ(mink::aws::XmlText(xml, "MessageId").value_or(""),
            "567910cd-659e-55d4-8ccb-5aaf14679dc0");
  EXPECT_EQ(mink::aws::XmlText(xml, "SequenceNumber").value_or(""), "10000000000000003000");
  const auto req = sns.last();
  EXPECT_EQ(req.get_header_value("Content-Type"),
            "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(req.body.rfind("Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3A", 0), 0u)
      << req.body;
  EXPECT_EQ(req.body.find('+'), std::string::npos);    // spaces are %20, a '+' is %2B
  EXPECT_EQ(req.get_param_value("Message"), message);  // httplib decodes the form
  EXPECT_EQ(req.get_param_value("MessageGroupId"), "order-1");
}

TEST(QueryProtocol, ErrorResponsesAreTyped) {
  FakeAws sns("sns");
  sns.Script(
      {{.status = 404,
        .body =
            R"(<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist &amp; never did</Message></Error><RequestId>9dd01905-5012-5f99-8663-4b3ecd0dfaef</RequestId></ErrorResponse>)",
        .content_type = "text/xml"}});
  QueryProtocolClient client(Options(sns.Url(), "sns"), "2010-03-31");
  auto e = Thrown<ServiceError>([&] { client.Call(Context{}, "Publish", {{"TopicArn", "x"}}); });
  EXPECT_EQ(e.aws_code(), "NotFound");
  EXPECT_EQ(e.aws_message(), "Topic does not exist & never did");
  EXPECT_EQ(e.request_id(), "9dd01905-5012-5f99-8663-4b3ecd0dfaef");
  EXPECT_EQ(e.code(), mink::errc::kAwsServiceError);
  EXPECT_EQ(sns.hits(), 1);

  const Reply throttled{
      .status = 400,
      .body = "<ErrorResponse><Error><Code>Throttled</Code></Error></ErrorResponse>",
      .content_type = "text/xml"};
  sns.Script({throttled,
              {.body = "<PublishResponse><MessageId>m</MessageId></PublishResponse>",
               .content_type = "text/xml"}});
  EXPECT_EQ(mink::aws::XmlText(client.Call(Context{}, "Publish", {}), "MessageId"), "m");
  EXPECT_EQ(sns.hits(), 3);
}

TEST(QueryProtocol, XmlHelpers) {
  const std::string batch =
      "<PublishBatchResponse><PublishBatchResult><Successful><member><Id>1</Id><MessageId>a</"
      "MessageId>"
      "</member><member><Id>2</Id><MessageId>b</MessageId></member></Successful><Failed><member>"
      "<Id>3</Id><Code>InternalError</Code><Message>x &lt; y "
      "&#233;&#x20AC;</Message><SenderFault>false"
      "</SenderFault></member></Failed></PublishBatchResult></PublishBatchResponse>";
  // Nest with XmlElements: its views point into `batch`. (XmlText returns a decoded copy,
  // which views must not outlive.)
  auto successful =
      mink::aws::XmlElements(mink::aws::XmlElements(batch, "Successful").at(0), "member");
  ASSERT_EQ(successful.size(), 2u);
  EXPECT_EQ(mink::aws::XmlText(successful[1], "MessageId"), "b");
  auto failed = mink::aws::XmlElements(mink::aws::XmlElements(batch, "Failed").at(0), "member");
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(mink::aws::XmlText(failed[0], "Message"), "x < y é€");
  EXPECT_FALSE(mink::aws::XmlText(batch, "Missing"));
  EXPECT_EQ(mink::aws::XmlText("<A><Id/></A>", "Id"), "");
  EXPECT_EQ(mink::aws::XmlText("<Ids>no</Ids><Id>yes</Id>", "Id"), "yes");  // not a prefix match
}

}  // namespace
