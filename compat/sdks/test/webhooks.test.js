// The Standard Webhooks reference library (standardwebhooks), unchanged,
// verifies every delivery a real Patchbay sends: account events from linking
// and deleting, a test event, and deliveries during a secret rotation, which
// verify under the old secret and the new one.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { Webhook } from "standardwebhooks";
import { startDemo, linkProvider } from "./patchbay.js";

let demo;
let receiver;
const deliveries = []; // {headers, body}
const waiters = [];

before(async () => {
  demo = await startDemo();
  receiver = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(204).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise((r) => receiver.listen(0, "127.0.0.1", r));
});

after(async () => {
  receiver?.close();
  if (demo) await demo.stop();
});

async function api(method, path, body) {
  const res = await fetch(`${demo.base}${path}`, {
    method,
    headers: { authorization: "Basic " + btoa(demo.key + ":"), ...(body ? { "content-type": "application/json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// received waits until n deliveries have arrived, for up to 20 seconds.
async function received(n) {
  const deadline = Date.now() + 20000;
  while (deliveries.length < n) {
    if (Date.now() > deadline) throw new Error(`got ${deliveries.length} deliveries, want ${n}`);
    await new Promise((r) => { waiters.push(r); setTimeout(r, 200); });
  }
  return deliveries.slice(0, n);
}

test("every delivery verifies with the standardwebhooks library", async () => {
  const { port } = receiver.address();
  // Account and test events only: the demo syncs a linked account at once, and its data-change
  // events would come between the link and the deletion.
  const created = await api("POST", "/webhooks", {
    url: `http://127.0.0.1:${port}/hooks`, description: "standardwebhooks",
    events: ["account.created", "account.deleted", "webhook.test"],
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  const first = created.body.secret;
  const hook = created.body.id;

  const account = await linkProvider(demo, "justworks", "admin@acme.test");
  assert.equal((await api("DELETE", `/accounts/${account}`)).status, 200);
  const [linked, deleted] = await received(2);
  const verifier = new Webhook(first);
  const linkedEvent = verifier.verify(linked.body, linked.headers);
  const deletedEvent = verifier.verify(deleted.body, deleted.headers);
  assert.equal(linkedEvent.type, "account.created");
  assert.equal(linkedEvent.data.account_id, account);
  assert.equal(linkedEvent.data.provider, "justworks");
  assert.equal(deletedEvent.type, "account.deleted");
  assert.equal(linked.headers["webhook-id"], linkedEvent.id);
  assert.notEqual(linked.headers["webhook-id"], deleted.headers["webhook-id"]);
  assert.doesNotMatch(linked.body, /access_token|refresh_token/);

  // A forged or altered delivery does not verify.
  assert.throws(() => verifier.verify(linked.body.replace("justworks", "evilcorp"), linked.headers));
  assert.throws(() => new Webhook("whsec_" + Buffer.from("not the secret, 32 bytes long!!").toString("base64")).verify(linked.body, linked.headers));

  // During a rotation's overlap, deliveries verify under both secrets.
  const rotated = await api("POST", `/webhooks/${hook}/rotate_secret`, { overlap_seconds: 3600 });
  assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
  const second = rotated.body.secret;
  assert.notEqual(second, first);
  assert.equal((await api("POST", `/webhooks/${hook}/test`)).status, 202);
  const [, , during] = await received(3);
  assert.equal(new Webhook(first).verify(during.body, during.headers).type, "webhook.test");
  assert.equal(new Webhook(second).verify(during.body, during.headers).type, "webhook.test");

  // The delivery log records each outcome a moment after the receiver has the delivery.
  let log;
  for (const deadline = Date.now() + 10000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
    log = await api("GET", `/webhooks/${hook}/deliveries`);
    assert.equal(log.status, 200);
    if (log.body.data.every((d) => d.status === "succeeded")) break;
  }
  assert.deepEqual(log.body.data.map((d) => [d.event_type, d.status, d.attempts]),
    [["webhook.test", "succeeded", 1], ["account.deleted", "succeeded", 1], ["account.created", "succeeded", 1]]);
});
