// Sends messages exactly as given, the way a careless producer might: reads a
// JSON array of {"name", "body", "attributes"} on stdin (attributes in the
// SDK's MessageAttributes shape, BinaryValue as base64) and sends each to
// <TENDLC_PREFIX>events. Prints one JSON line per message: its message id,
// or the error SQS answered.
import { GetQueueUrlCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { newClient } from "./producer.mjs";

const client = newClient();
const { QueueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: `${process.env.TENDLC_PREFIX ?? "tendlc-"}events` }));
const chunks = [];
for await (const c of process.stdin) chunks.push(c);
for (const m of JSON.parse(Buffer.concat(chunks).toString("utf8"))) {
  const attrs = {};
  for (const [k, v] of Object.entries(m.attributes ?? {})) {
    attrs[k] = v.BinaryValue === undefined ? v : { ...v, BinaryValue: Buffer.from(v.BinaryValue, "base64") };
  }
  try {
    const out = await client.send(new SendMessageCommand({
      QueueUrl, MessageBody: m.body, MessageAttributes: Object.keys(attrs).length ? attrs : undefined,
    }));
    console.log(JSON.stringify({ name: m.name, message_id: out.MessageId }));
  } catch (err) {
    console.log(JSON.stringify({ name: m.name, error: `${err.name}: ${err.message}` }));
  }
}
