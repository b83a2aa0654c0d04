// A tendlc producer with the AWS SDK for JavaScript: it builds envelopes as
// docs/wire-format.md describes them and puts them on the events queue.
import { randomUUID } from "node:crypto";
import { SQSClient, GetQueueUrlCommand, SendMessageCommand } from "@aws-sdk/client-sqs";

export const SCHEMA_VERSION = 1;

// envelope wraps a payload: every message on the events queue is one.
export function envelope(type, entityId, payload, { correlationId, actor = "node-producer" } = {}) {
  const eventId = randomUUID(); // keep it when you retry a send: duplicates are then recognised
  return {
    type,
    schema_version: SCHEMA_VERSION,
    event_id: eventId,
    entity_id: entityId,
    occurred_at: new Date().toISOString(),
    correlation_id: correlationId ?? eventId,
    actor,
    payload,
  };
}

// attributes mirrors the envelope in message attributes; regd checks that
// event_type, event_id and entity_id are present and equal the body's.
export function attributes(env) {
  const text = (v) => ({ DataType: "String", StringValue: v });
  return {
    event_type: text(env.type),
    schema_version: { DataType: "Number", StringValue: String(env.schema_version) },
    event_id: text(env.event_id),
    entity_id: text(env.entity_id),
    correlation_id: text(env.correlation_id),
  };
}

// newClient reads the region, credentials and endpoint (AWS_ENDPOINT_URL_SQS
// for a local stack) from the environment as usual. It sends to that
// endpoint, not to the host in a queue URL (a local emulator's queue URLs
// name a host that does not resolve).
export const newClient = () => new SQSClient({ useQueueUrlAsEndpoint: false });

// Producer sends envelopes to <prefix>events.
export class Producer {
  constructor({ prefix = process.env.TENDLC_PREFIX ?? "tendlc-", client = newClient() } = {}) {
    this.client = client;
    this.queueName = `${prefix}events`;
  }

  async queueUrl() {
    this.url ??= (await this.client.send(new GetQueueUrlCommand({ QueueName: this.queueName }))).QueueUrl;
    return this.url;
  }

  async send(env) {
    const out = await this.client.send(new SendMessageCommand({
      QueueUrl: await this.queueUrl(),
      MessageBody: JSON.stringify(env),
      MessageAttributes: attributes(env),
    }));
    return out.MessageId;
  }
}
