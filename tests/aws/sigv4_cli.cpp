// sigv4_cli: signs requests given as JSON lines on stdin with mink's SigV4 signer and prints
// one JSON line per request: {"authorization": ..., "canonical_request": ...}. Driven by
// botocore_crosscheck.py, which signs the same requests with botocore and compares.
//   in:  {"method","path" (wire),"query" (wire),"headers":[[name,value],...],"body_hex",
//         "amz_date":"20150830T123600Z","region","service","access_key","secret_key","token"}
#include <ctime>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "aws/amz_date.hpp"
#include "mink/aws/signer.hpp"

namespace {

std::string FromHex(const std::string& hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return out;
}

}  // namespace

int main() {
  std::string line;
  int n = 0;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    const auto in = nlohmann::json::parse(line);
    mink::http::Headers headers;
    for (const auto& h : in.at("headers")) headers.emplace_back(h.at(0), h.at(1));
    const std::string method = in.at("method"), path = in.at("path"), query = in.at("query");
    const std::string body = FromHex(in.at("body_hex"));
    mink::aws::Signer signer({in.at("access_key"), in.at("secret_key"), in.value("token", "")},
                             {.region = in.at("region"), .service = in.at("service")});
    const auto sig = signer.Sign(
        mink::aws::SigningRequest{
            .method = method, .path = path, .query = query, .headers = &headers, .body = body},
        mink::testing::ParseAmzDate(in.at("amz_date")).value());
    std::cout << nlohmann::json{{"authorization", sig.authorization},
                                {"canonical_request", sig.canonical_request}}
                     .dump()
              << "\n";
    ++n;
  }
  std::cerr << "sigv4_cli: signed " << n << " requests\n";
  return 0;
}
