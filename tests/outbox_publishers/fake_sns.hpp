// A fake SNS endpoint on 127.0.0.1 (wave2-testing.md §5.2): verifies the SigV4 signature of
// every request (service "sns", tests/aws/sigv4_verifier.hpp), parses the Query form, and
// answers Publish / PublishBatch like SNS: NotFound for an unknown topic, InvalidParameter for
// a FIFO message without MessageGroupId or a standard one with it, TooManyEntriesInBatchRequest
// over 10 entries, contiguous MessageAttributes.entry.N checked. Switches: an entry whose
// attributes include "poison" fails (a 200 with a <Failed> member whose Code is the attribute's
// value, InvalidParameter for "1"; a 400 for Publish), and
// the next N calls can be answered with a scripted status/code.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "aws/sigv4_verifier.hpp"
#include "http/local_server.hpp"

namespace mink::testing {

inline constexpr char kSnsAccessKey[] = "AKIDSNSTEST";
inline constexpr char kSnsSecret[] = "sns/secret+key/for/tests/only/0123456789";

struct SnsPublished {
  std::string topic_arn, message, group_id, dedup_id;
  std::map<std::string, std::string> attributes;
};

class FakeSns {
 public:
  FakeSns() {
    server_->Post("/",
                  [this](const httplib::Request& q, httplib::Response& res) { Handle(q, res); });
    server_.Start();
  }
  ~FakeSns() { server_.Stop(); }

  std::string Url() const { return "http://127.0.0.1:" + std::to_string(server_.port()); }
  void CreateTopic(const std::string& arn) {
    std::lock_guard lock(mu_);
    topics_[arn];
  }
  // The next calls answer `status` with error `code` (after the signature check).
  void FailNextCalls(int n, int status, std::string code) {
    std::lock_guard lock(mu_);
    for (int i = 0; i < n; ++i) faults_.push_back({status, code});
  }
  std::vector<SnsPublished> Published(const std::string& arn) {
    std::lock_guard lock(mu_);
    return topics_[arn];
  }
  std::vector<SnsPublished> AllPublished() {
    std::lock_guard lock(mu_);
    std::vector<SnsPublished> out;
    for (const auto& [arn, msgs] : topics_) out.insert(out.end(), msgs.begin(), msgs.end());
    return out;
  }
  // (Action, number of entries) of every call that passed the signature check.
  std::vector<std::pair<std::string, int>> Calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }
  std::vector<std::string> Bodies() {
    std::lock_guard lock(mu_);
    return bodies_;
  }

 private:
  struct Fault {
    int status;
    std::string code;
  };

  static void Error(httplib::Response& res, int status, const std::string& code,
                    const std::string& message) {
    res.status = status;
    res.set_content(
        R"(<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>)" +
            code + "</Code><Message>" + message +
            "</Message></Error><RequestId>req-err</RequestId></ErrorResponse>",
        "text/xml");
  }

  // Reads one entry under `prefix` (""/"PublishBatchRequestEntries.member.N."); returns an
  // error message, or "" when valid.
  std::string ReadEntry(const httplib::Request& q, const std::string& prefix,
                        const std::string& arn, SnsPublished& out) {
    out.topic_arn = arn;
    if (!q.has_param(prefix + "Message")) return "Message is required";
    out.message = q.get_param_value(prefix + "Message");
    out.group_id = q.get_param_value(prefix + "MessageGroupId");
    out.dedup_id = q.get_param_value(prefix + "MessageDeduplicationId");
    const bool fifo = arn.ends_with(".fifo");
    if (fifo && out.group_id.empty())
      return "The MessageGroupId parameter is required for FIFO topics";
    if (!fifo && (!out.group_id.empty() || !out.dedup_id.empty())) {
      return "MessageGroupId and MessageDeduplicationId are only for FIFO topics";
    }
    for (int n = 1;; ++n) {
      const std::string a = prefix + "MessageAttributes.entry." + std::to_string(n) + ".";
      if (!q.has_param(a + "Name")) break;
      if (q.get_param_value(a + "Value.DataType") != "String") return "DataType must be String";
      const auto name = q.get_param_value(a + "Name");
      const auto value = q.get_param_value(a + "Value.StringValue");
      if (name.empty() || value.empty()) return "attribute name and value must be non-empty";
      out.attributes[name] = value;
    }
    // Contiguity: no entry.(N+1) beyond the first gap.
    const std::string gap =
        prefix + "MessageAttributes.entry." + std::to_string(out.attributes.size() + 2) + ".Name";
    if (q.has_param(gap)) return "attribute entries are not contiguous";
    return {};
  }

  void Handle(const httplib::Request& q, httplib::Response& res) {
    const auto fault = VerifySigV4(
        q,
        [](const std::string& akid) -> std::optional<std::string> {
          if (akid == kSnsAccessKey) return std::string(kSnsSecret);
          return std::nullopt;
        },
        "us-east-1", "sns", std::chrono::system_clock::now());
    if (fault) return Error(res, 403, fault->code, fault->message);
    std::lock_guard lock(mu_);
    bodies_.push_back(q.body);
    const std::string action = q.get_param_value("Action");
    if (q.get_param_value("Version") != "2010-03-31") {
      return Error(res, 400, "InvalidParameter", "bad Version");
    }
    if (action != "Publish" && action != "PublishBatch") {
      return Error(res, 400, "InvalidAction", "unknown action");
    }
    const std::string arn = q.get_param_value("TopicArn");
    int entries = 1;
    if (action == "PublishBatch") {
      entries = 0;
      while (
          q.has_param("PublishBatchRequestEntries.member." + std::to_string(entries + 1) + ".Id")) {
        ++entries;
      }
    }
    calls_.emplace_back(action, entries);
    if (!faults_.empty()) {
      const auto f = faults_.front();
      faults_.pop_front();
      return Error(res, f.status, f.code, "injected");
    }
    if (!topics_.count(arn)) return Error(res, 404, "NotFound", "Topic does not exist");
    if (action == "Publish") {
      SnsPublished p;
      if (auto e = ReadEntry(q, "", arn, p); !e.empty()) {
        return Error(res, 400, "InvalidParameter", e);
      }
      if (p.attributes.count("poison")) return Error(res, 400, "InvalidParameter", "poisoned");
      topics_[arn].push_back(p);
      const std::string n = std::to_string(++seq_);
      res.set_content(
          R"(<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>m-)" +
              n + "</MessageId></PublishResult><ResponseMetadata><RequestId>req-" + n +
              "</RequestId></ResponseMetadata></PublishResponse>",
          "text/xml");
      return;
    }
    if (entries == 0) return Error(res, 400, "EmptyBatchRequest", "no entries");
    if (entries > 10) return Error(res, 400, "TooManyEntriesInBatchRequest", "more than 10");
    std::string ok, failed;
    std::set<std::string> ids;
    for (int n = 1; n <= entries; ++n) {
      const std::string prefix = "PublishBatchRequestEntries.member." + std::to_string(n) + ".";
      const std::string id = q.get_param_value(prefix + "Id");
      if (!ids.insert(id).second) return Error(res, 400, "BatchEntryIdsNotDistinct", id);
      SnsPublished p;
      std::string e = ReadEntry(q, prefix, arn, p);
      std::string code = "InvalidParameter";
      if (e.empty() && p.attributes.count("poison")) {
        e = "poisoned";
        if (p.attributes["poison"] != "1") code = p.attributes["poison"];  // e.g. Throttled
      }
      if (!e.empty()) {
        failed += "<member><Id>" + id + "</Id><Code>" + code + "</Code><Message>" + e +
                  "</Message><SenderFault>" + (code == "InvalidParameter" ? "true" : "false") +
                  "</SenderFault></member>";
        continue;
      }
      topics_[arn].push_back(p);
      ok += "<member><Id>" + id + "</Id><MessageId>m-" + std::to_string(++seq_) +
            "</MessageId></member>";
    }
    res.set_content(
        R"(<PublishBatchResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishBatchResult><Successful>)" +
            ok + "</Successful><Failed>" + failed +
            "</Failed></PublishBatchResult><ResponseMetadata><RequestId>req-batch</RequestId></"
            "ResponseMetadata></PublishBatchResponse>",
        "text/xml");
  }

  LocalServer server_;
  std::mutex mu_;
  std::map<std::string, std::vector<SnsPublished>> topics_;
  std::deque<Fault> faults_;
  std::vector<std::pair<std::string, int>> calls_;
  std::vector<std::string> bodies_;
  int seq_ = 0;
};

}  // namespace mink::testing
