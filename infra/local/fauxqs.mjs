// Starts fauxqs (an SQS emulator) bound to one address, quietly.
// fauxqs's own CLI binds 0.0.0.0 and logs every request; this launcher uses its
// buildApp and listens on HOST:PORT only. Queue URLs then carry the request host.
import { buildApp } from "fauxqs";

const host = process.env.HOST ?? "127.0.0.1";
const port = Number(process.env.PORT ?? "9324");
const app = buildApp({ logger: false });
await app.listen({ host, port });
console.log(`fauxqs listening on ${host}:${port}`);

const stop = async () => {
  await app.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
