// mink/aws/config.hpp — AWS credentials, region and endpoint, explicit or from the environment.
//
//   // Real AWS: everything from the standard environment variables.
//   mink::aws::Config cfg = mink::aws::LoadConfig("kms");
//
//   // A local emulator: explicit values win over the environment.
//   auto cfg = mink::aws::LoadConfig("kms", {.region = "us-east-1",
//                                            .credentials = {"test", "test"},
//                                            .endpoint_url = "http://127.0.0.1:4566"});
//
// LoadConfig fills each field left empty, in this order:
//   credentials   AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN); both or neither
//   region        AWS_REGION, then AWS_DEFAULT_REGION
//   endpoint_url  AWS_ENDPOINT_URL_<SERVICE> (e.g. AWS_ENDPOINT_URL_KMS), then AWS_ENDPOINT_URL,
//                 then https://<service>.<region>.amazonaws.com (.amazonaws.com.cn in China)
// and throws Error(kAwsMissingCredentials / kAwsMissingRegion / kAwsInvalidEndpoint) when a
// field stays unset or is malformed. Shared config/credentials files, SSO and instance
// metadata are not read (yet): export the variables, or pass the values.
//
// Credentials never print their secret: operator<< and Redacted() show the access key id only.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace mink::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // temporary credentials (STS); empty for long-term keys

  bool Empty() const noexcept { return access_key_id.empty() && secret_access_key.empty(); }
  // "AKIDEXAMPLE (secret redacted, session token redacted)": safe for logs.
  std::string Redacted() const;
  friend std::ostream& operator<<(std::ostream& os, const Credentials& c) {
    return os << c.Redacted();
  }
};

struct Config {
  std::string region;
  Credentials credentials;
  // Base URL of the service: scheme, host, optional port (a local emulator, a VPC endpoint).
  std::string endpoint_url;
};

// Reads an environment variable; the default reads the process environment (std::getenv).
using Environment = std::function<std::optional<std::string>(std::string_view name)>;
Environment ProcessEnvironment();

// `service` is the endpoint prefix / signing name ("kms", "sns").
Config LoadConfig(std::string_view service, Config given = {},
                  const Environment& env = ProcessEnvironment());

}  // namespace mink::aws
