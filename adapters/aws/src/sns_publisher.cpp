#include "mink/sns/publisher.hpp"

#include <map>

namespace mink::sns {

namespace {

constexpr std::size_t kMaxEntries = 10;
constexpr std::size_t kMaxBatchBytes = 256 * 1024;

bool IsFifo(std::string_view arn) { return arn.ends_with(".fifo"); }

// "arn:<partition>:sns:<region>:<account>:<name>", every part non-empty.
bool ValidTopicArn(std::string_view arn) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  for (int i = 0; i < 5; ++i) {
    const auto c = arn.find(':', pos);
    if (c == std::string_view::npos) return false;
    parts.push_back(arn.substr(pos, c - pos));
    pos = c + 1;
  }
  parts.push_back(arn.substr(pos));
  if (parts[0] != "arn" || parts[2] != "sns") return false;
  for (auto p : parts) {
    if (p.empty()) return false;
  }
  return parts[5].find(':') == std::string_view::npos;
}

std::size_t EntryBytes(const OutboxMessage& m) {
  std::size_t n = m.payload.size();
  for (const auto& [k, v] : m.headers) n += k.size() + v.size() + 6;  // + "String"
  return n;
}

// The parameters of one entry, under `prefix` ("" for Publish, "PublishBatchRequestEntries.
// member.N." for PublishBatch).
void AddEntry(aws::QueryParams& params, const std::string& prefix, const OutboxMessage& m,
              bool fifo, const std::string& group) {
  params.emplace_back(prefix + "Message", m.payload);
  if (fifo) {
    params.emplace_back(prefix + "MessageGroupId", group.empty() ? m.aggregate_id : group);
    params.emplace_back(prefix + "MessageDeduplicationId", m.id);
  }
  int n = 0;
  for (const auto& [k, v] : m.headers) {
    if (k.empty() || v.empty()) continue;
    const std::string a = prefix + "MessageAttributes.entry." + std::to_string(++n) + ".";
    params.emplace_back(a + "Name", k);
    params.emplace_back(a + "Value.DataType", "String");
    params.emplace_back(a + "Value.StringValue", v);
  }
}

}  // namespace

Publisher::Publisher(PublisherOptions options) : options_(std::move(options)) {
  options_.service.signing_name = "sns";
  client_ = std::make_unique<aws::QueryProtocolClient>(options_.service, "2010-03-31");
}

void Publisher::SendChunk(const Context& ctx, const std::string& topic,
                          std::span<const OutboxMessage> batch,
                          const std::vector<std::size_t>& indexes,
                          std::vector<PublishOutcome>& outcomes) {
  const bool fifo = IsFifo(topic);
  try {
    ctx.ThrowIfDone();
    aws::QueryParams params{{"TopicArn", topic}};
    if (indexes.size() == 1 || !options_.use_batch) {
      AddEntry(params, "", batch[indexes[0]], fifo, options_.message_group_id);
      client_->Call(ctx, "Publish", params);
      return;  // outcome stays "delivered"
    }
    for (std::size_t j = 0; j < indexes.size(); ++j) {
      const std::string prefix = "PublishBatchRequestEntries.member." + std::to_string(j + 1) + ".";
      params.emplace_back(prefix + "Id", "m" + std::to_string(j));
      AddEntry(params, prefix, batch[indexes[j]], fifo, options_.message_group_id);
    }
    const std::string xml = client_->Call(ctx, "PublishBatch", params);
    const std::string request_id = aws::XmlText(xml, "RequestId").value_or("");
    std::vector<bool> seen(indexes.size(), false);
    auto entry_index = [&](std::string_view member) -> std::optional<std::size_t> {
      const auto id = aws::XmlText(member, "Id");
      if (!id || id->size() < 2 || (*id)[0] != 'm') return std::nullopt;
      std::size_t j = 0;
      for (char c : id->substr(1)) {
        if (c < '0' || c > '9') return std::nullopt;
        j = j * 10 + static_cast<std::size_t>(c - '0');
      }
      if (j >= indexes.size()) return std::nullopt;
      return j;
    };
    for (auto successful : aws::XmlElements(xml, "Successful")) {
      for (auto member : aws::XmlElements(successful, "member")) {
        if (auto j = entry_index(member)) seen[*j] = true;
      }
    }
    for (auto failed : aws::XmlElements(xml, "Failed")) {
      for (auto member : aws::XmlElements(failed, "member")) {
        const auto j = entry_index(member);
        if (!j) continue;
        seen[*j] = true;
        const bool sender = aws::XmlText(member, "SenderFault").value_or("true") == "true";
        outcomes[indexes[*j]].error = std::make_exception_ptr(aws::ServiceError(
            "sns.PublishBatch", sender ? 400 : 500, aws::XmlText(member, "Code").value_or(""),
            aws::XmlText(member, "Message").value_or(""), request_id));
      }
    }
    for (std::size_t j = 0; j < indexes.size(); ++j) {
      if (!seen[j]) {
        outcomes[indexes[j]].error =
            std::make_exception_ptr(Error(errc::kAwsInvalidResponse,
                                          "aws: sns.PublishBatch: the reply does not report "
                                          "entry of message " +
                                              batch[indexes[j]].id));
      }
    }
  } catch (...) {
    const auto error = std::current_exception();
    for (auto i : indexes) outcomes[i].error = error;
  }
}

std::vector<PublishOutcome> Publisher::Publish(const Context& ctx,
                                               std::span<const OutboxMessage> batch) {
  std::vector<PublishOutcome> outcomes(batch.size());
  // Topics in order of first appearance; each topic's messages in batch order.
  std::vector<std::string> topics;
  std::map<std::string, std::vector<std::size_t>> by_topic;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const std::string arn(DestinationTarget(batch[i].destination));
    if (closed_) {
      outcomes[i].error =
          std::make_exception_ptr(Error(errc::kAdapterClosed, "sns: publisher is closed"));
    } else if (!ValidTopicArn(arn)) {
      outcomes[i].error = std::make_exception_ptr(
          Error(errc::kSnsInvalidDestination, "sns: destination \"" + batch[i].destination +
                                                  "\" of message " + batch[i].id +
                                                  " does not hold a topic ARN after \"sns:\""));
    } else {
      auto [it, fresh] = by_topic.try_emplace(arn);
      if (fresh) topics.push_back(arn);
      it->second.push_back(i);
    }
  }
  for (const auto& topic : topics) {
    std::vector<std::size_t> chunk;
    std::size_t bytes = 0;
    for (auto i : by_topic[topic]) {
      const std::size_t b = EntryBytes(batch[i]);
      if (!chunk.empty() && (chunk.size() == kMaxEntries || bytes + b > kMaxBatchBytes)) {
        SendChunk(ctx, topic, batch, chunk, outcomes);
        chunk.clear();
        bytes = 0;
      }
      chunk.push_back(i);
      bytes += b;
    }
    if (!chunk.empty()) SendChunk(ctx, topic, batch, chunk, outcomes);
  }
  return outcomes;
}

}  // namespace mink::sns
