// Registers a brand and a campaign with numbers:
//   node register.mjs BRAND_ID CAMPAIGN_ID +12025550111 [+12025550112 ...]
// It prints one JSON line per message sent.
import { envelope, Producer } from "./producer.mjs";

const [brandId, campaignId, ...numbers] = process.argv.slice(2);
if (!brandId || !campaignId || numbers.length === 0) {
  console.error("usage: node register.mjs BRAND_ID CAMPAIGN_ID NUMBER...");
  process.exit(2);
}

const producer = new Producer();
const brand = envelope("brand.register", brandId, {
  legal_name: "Acme Widgets LLC",
  ein: "12-3456789",
  email: "compliance@acme.example",
  entity_type: "PRIVATE_PROFIT",
});
// One correlation id follows the whole registration.
const campaign = envelope("campaign.register", campaignId, {
  brand_id: brandId,
  use_case: "2FA",
  description: "One-time passcodes for sign-in",
  sample_messages: ["Your Acme code is 123456"],
  numbers,
}, { correlationId: brand.correlation_id });

for (const env of [brand, campaign]) {
  const messageId = await producer.send(env);
  console.log(JSON.stringify({ type: env.type, entity_id: env.entity_id, event_id: env.event_id, message_id: messageId }));
}
