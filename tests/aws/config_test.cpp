// Credentials, region and endpoint resolution; and secrets never reaching a message or a log
// line (a planted marker in the secret key and the session token is searched for everywhere).
#include <gtest/gtest.h>

#include <map>
#include <sstream>

#include <spdlog/sinks/ostream_sink.h>

#include "http/local_server.hpp"
#include "mink/aws/protocol.hpp"

using namespace std::chrono_literals;
using mink::aws::Config;
using mink::aws::LoadConfig;

namespace {

mink::aws::Environment Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

mink::ErrorCode CodeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const mink::Error& e) {
    return e.code();
  }
  return mink::errc::kUnknown;
}

TEST(AwsConfig, EverythingFromTheEnvironment) {
  const Config cfg = LoadConfig("kms", {},
                                Env({{"AWS_ACCESS_KEY_ID", "AKID"},
                                     {"AWS_SECRET_ACCESS_KEY", "SECRET"},
                                     {"AWS_SESSION_TOKEN", "TOKEN"},
                                     {"AWS_REGION", "eu-west-3"},
                                     {"AWS_DEFAULT_REGION", "us-east-1"}}));
  EXPECT_EQ(cfg.credentials.access_key_id, "AKID");
  EXPECT_EQ(cfg.credentials.secret_access_key, "SECRET");
  EXPECT_EQ(cfg.credentials.session_token, "TOKEN");
  EXPECT_EQ(cfg.region, "eu-west-3");  // AWS_REGION wins over AWS_DEFAULT_REGION
  EXPECT_EQ(cfg.endpoint_url, "https://kms.eu-west-3.amazonaws.com");
}

TEST(AwsConfig, ExplicitValuesWinOverTheEnvironment) {
  const Config cfg = LoadConfig("sns",
                                {.region = "us-west-2",
                                 .credentials = {"EXPLICIT", "S", ""},
                                 .endpoint_url = "http://127.0.0.1:4566/"},
                                Env({{"AWS_ACCESS_KEY_ID", "ENV"},
                                     {"AWS_SECRET_ACCESS_KEY", "ENVSECRET"},
                                     {"AWS_REGION", "eu-west-3"},
                                     {"AWS_ENDPOINT_URL", "http://elsewhere:1"}}));
  EXPECT_EQ(cfg.credentials.access_key_id, "EXPLICIT");
  EXPECT_EQ(cfg.region, "us-west-2");
  EXPECT_EQ(cfg.endpoint_url, "http://127.0.0.1:4566");  // trailing '/' dropped
}

TEST(AwsConfig, EndpointOverridesFromTheEnvironment) {
  auto base = std::map<std::string, std::string>{{"AWS_ACCESS_KEY_ID", "A"},
                                                 {"AWS_SECRET_ACCESS_KEY", "S"},
                                                 {"AWS_DEFAULT_REGION", "us-east-1"}};
  auto with = [&](std::map<std::string, std::string> extra) {
    extra.insert(base.begin(), base.end());
    return Env(extra);
  };
  EXPECT_EQ(
      LoadConfig("kms", {}, with({{"AWS_ENDPOINT_URL", "http://localhost:4566"}})).endpoint_url,
      "http://localhost:4566");
  EXPECT_EQ(LoadConfig("kms", {},
                       with({{"AWS_ENDPOINT_URL", "http://localhost:4566"},
                             {"AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:9000"}}))
                .endpoint_url,
            "http://127.0.0.1:9000");  // the service's own variable first
  EXPECT_EQ(LoadConfig("kms", {.region = "cn-north-1"}, with({})).endpoint_url,
            "https://kms.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(CodeOf([&] {
              LoadConfig("kms", {}, with({{"AWS_ENDPOINT_URL", "localhost:4566"}}));
            }),
            mink::errc::kAwsInvalidEndpoint);
}

TEST(AwsConfig, MissingPiecesAreTypedErrors) {
  EXPECT_EQ(CodeOf([] { LoadConfig("kms", {.region = "us-east-1"}, Env({})); }),
            mink::errc::kAwsMissingCredentials);
  EXPECT_EQ(CodeOf([] {
              LoadConfig("kms", {.region = "us-east-1"}, Env({{"AWS_ACCESS_KEY_ID", "A"}}));
            }),
            mink::errc::kAwsMissingCredentials);  // half a key pair
  EXPECT_EQ(CodeOf([] {
              LoadConfig("kms", {.credentials = {"A", "S", ""}}, Env({}));
            }),
            mink::errc::kAwsMissingRegion);
  EXPECT_EQ(CodeOf([] {
              mink::aws::Signer({"A", "S", ""}, {.service = "kms"});
            }),
            mink::errc::kAwsMissingRegion);
  EXPECT_EQ(CodeOf([] {
              mink::aws::Signer({"A", "", ""}, {.region = "r", .service = "kms"});
            }),
            mink::errc::kAwsMissingCredentials);
}

// ---- secrets ----

constexpr char kSecretMarker[] = "SeCrEtMaRkEr";
constexpr char kTokenMarker[] = "ToKeNmArKeR";

class SecretsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    logger_ = std::make_shared<spdlog::logger>(
        "secrets", std::make_shared<spdlog::sinks::ostream_sink_mt>(log_));
    logger_->set_level(spdlog::level::trace);
  }
  void TearDown() override {
    EXPECT_EQ(log_.str().find(kSecretMarker), std::string::npos) << log_.str();
    EXPECT_EQ(log_.str().find(kTokenMarker), std::string::npos) << log_.str();
    EXPECT_GT(checked_, 0);
  }
  // Every message along the cause chain of whatever f throws must be free of both markers.
  void ExpectCleanFailure(const std::function<void()>& f) {
    std::exception_ptr e;
    try {
      f();
    } catch (...) {
      e = std::current_exception();
    }
    ASSERT_TRUE(e) << "expected a failure";
    while (e) {
      const std::string what = mink::ErrorMessage(e);
      ++checked_;
      EXPECT_EQ(what.find(kSecretMarker), std::string::npos) << what;
      EXPECT_EQ(what.find(kTokenMarker), std::string::npos) << what;
      try {
        std::rethrow_exception(e);
      } catch (const mink::Error& err) {
        e = err.Cause();
      } catch (...) {
        e = nullptr;
      }
    }
  }
  mink::aws::ServiceOptions Options(const std::string& url) {
    return {.config = {.region = "us-east-1",
                       .credentials = {"AKIDMARKED", std::string("wJalr/") + kSecretMarker + "/KEY",
                                       std::string("FwoG") + kTokenMarker + "xyz"},
                       .endpoint_url = url},
            .signing_name = "kms",
            .http_client = std::make_shared<mink::http::Client>(
                mink::http::ClientOptions{.proxy = "", .logger = logger_}),
            .retry = {.max_attempts = 3, .base_delay = 1ms, .max_delay = 2ms},
            .logger = logger_};
  }
  std::ostringstream log_;
  std::shared_ptr<spdlog::logger> logger_;
  int checked_ = 0;
};

TEST_F(SecretsTest, CredentialsPrintRedacted) {
  mink::aws::Credentials c{"AKIDMARKED", kSecretMarker, kTokenMarker};
  std::ostringstream out;
  out << c;
  logger_->info("credentials: {}", c.Redacted());
  EXPECT_EQ(out.str(), "AKIDMARKED (secret redacted, session token redacted)");
  ExpectCleanFailure([&] { throw mink::Error(mink::errc::kUnknown, out.str()); });
}

TEST_F(SecretsTest, NoSecretInAnyFailure) {
  // Rejected by the server, throttled then rejected, 5xx, not JSON: all through the logger.
  mink::testing::LocalServer server;
  std::atomic<int> n{0};
  server->Post("/", [&](const httplib::Request&, httplib::Response& res) {
    switch (n++ % 4) {
      case 0:
        res.status = 400;
        res.set_content(R"({"__type":"InvalidSignatureException","message":"no"})",
                        "application/x-amz-json-1.1");
        break;
      case 1:
        res.status = 400;
        res.set_content(R"({"__type":"ThrottlingException"})", "application/x-amz-json-1.1");
        break;
      case 2:
        res.status = 503;
        break;
      default:
        res.set_content("not json", "text/plain");
    }
  });
  server.Start();
  mink::aws::JsonProtocolClient client(Options(server.Url("")), "TrentService");
  for (int i = 0; i < 4; ++i) {
    ExpectCleanFailure([&] { client.Call(mink::Context{}, "Decrypt", {{"KeyId", "k"}}); });
  }
  // Transport failures with retries.
  mink::aws::JsonProtocolClient refused(
      Options("http://127.0.0.1:" + std::to_string(mink::testing::UnusedPort())), "TrentService");
  ExpectCleanFailure([&] { refused.Call(mink::Context{}, "Decrypt", {}); });
  // The deadline ending a backoff wait wraps the last failure.
  auto slow = Options(server.Url(""));
  slow.retry = {.max_attempts = 5, .base_delay = 10s, .max_delay = 10s};
  mink::aws::JsonProtocolClient waiting(slow, "TrentService");
  n = 1;  // throttled first
  ExpectCleanFailure([&] { waiting.Call(mink::Context{}.WithTimeout(100ms), "Decrypt", {}); });
  server.Stop();  // joins the handlers, which use `n`
  // Configuration errors.
  ExpectCleanFailure([&] {
    LoadConfig("kms", {.credentials = {"AKIDMARKED", kSecretMarker, kTokenMarker}}, Env({}));
  });
  ExpectCleanFailure([&] {
    LoadConfig("kms", {},
               Env({{"AWS_ACCESS_KEY_ID", "AKIDMARKED"},
                    {"AWS_SECRET_ACCESS_KEY", kSecretMarker},
                    {"AWS_REGION", "us-east-1"},
                    {"AWS_ENDPOINT_URL", std::string("http://u:") + kSecretMarker + "@h?x"}}));
  });
  ExpectCleanFailure([&] { mink::aws::Signer({"AKIDMARKED", kSecretMarker, kTokenMarker}, {}); });
}

}  // namespace
