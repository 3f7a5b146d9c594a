// The public StackOne TypeScript SDK, unchanged, against a real Patchbay: every
// SDK method that maps to an endpoint Patchbay serves, with its data checked.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { StackOne } from "@stackone/stackone-client-ts";
import { startDemo, link } from "./patchbay.js";

let demo;
let sdk;
const accounts = {}; // provider → linked account id

before(async () => {
  demo = await startDemo();
  sdk = new StackOne({ serverURL: demo.base, security: { username: demo.key, password: "" } });
  for (const [provider, email] of [["justworks", "admin@acme.test"], ["employmenthero", "owner@acme.test"]]) {
    const created = await sdk.connectSessions.createConnectSession({
      originOwnerId: `sdk-${provider}`, originOwnerName: `SDK ${provider}`, provider,
    });
    accounts[provider] = await link(demo.base, created.connectSessionTokenAuthLink.authLinkUrl, email);
  }
});

after(async () => demo && (await demo.stop()));

test("connectSessions.createConnectSession", async () => {
  const res = await sdk.connectSessions.createConnectSession({ originOwnerId: "cust-1", originOwnerName: "Customer 1", label: "Payroll" });
  const s = res.connectSessionTokenAuthLink;
  assert.equal(res.statusCode, 201);
  assert.equal(typeof s.organizationId, "number");
  assert.match(s.projectId, /^prj_/);
  assert.equal(s.originOwnerId, "cust-1");
  assert.equal(s.label, "Payroll");
  assert.ok(s.token.length > 20);
  assert.ok(s.authLinkUrl.startsWith(demo.base + "/hub?token="));
});

test("connectSessions.authenticateConnectSession", async () => {
  const created = await sdk.connectSessions.createConnectSession({ originOwnerId: "cust-2", originOwnerName: "Customer 2" });
  const res = await sdk.connectSessions.authenticateConnectSession({ token: created.connectSessionTokenAuthLink.token });
  assert.equal(res.connectSession.originOwnerId, "cust-2");
  assert.equal(res.connectSession.id, created.connectSessionTokenAuthLink.id);
});

test("accounts.listLinkedAccounts and getAccount", async () => {
  const res = await sdk.accounts.listLinkedAccounts({ providers: ["justworks", "employmenthero"] });
  const ids = res.linkedAccounts.map((a) => a.id).sort();
  assert.deepEqual(ids, Object.values(accounts).sort());
  const one = await sdk.accounts.getAccount({ id: accounts.justworks });
  assert.equal(one.linkedAccount.provider, "justworks");
  assert.equal(one.linkedAccount.originOwnerId, "sdk-justworks");
  assert.equal(one.linkedAccount.status, "active");
});

test("accounts.updateAccount", async () => {
  const res = await sdk.accounts.updateAccount({ id: accounts.justworks, patchAccountExternalDto: { label: "HR (Justworks)" } });
  assert.equal(res.linkedAccount.label, "HR (Justworks)");
});

test("actions.rpcAction on both providers", async () => {
  const jw = await sdk.actions.rpcAction({ action: "justworks_list_members", query: { limit: 5 }, headers: { "x-account-id": accounts.justworks } });
  assert.equal(jw.actionsRpcResponse.data.length, 5);
  assert.match(jw.actionsRpcResponse.data[0].id, /^mbr_/);
  const eh = await sdk.actions.rpcAction({ action: "employmenthero_list_employees", headers: { "x-account-id": accounts.employmenthero } });
  assert.ok(eh.actionsRpcResponse.data.length > 0);
  assert.ok(eh.actionsRpcResponse.data[0].first_name);
});

test("requestLogs.listLogs and getLog", async () => {
  await sdk.actions.rpcAction({ action: "justworks_get_company", headers: { "x-account-id": accounts.justworks } });
  const list = await sdk.requestLogs.listLogs({ filter: { accountIds: accounts.justworks, actions: "justworks_get_company" } });
  const logs = list.unifiedLogsPaginated.data;
  assert.ok(logs.length >= 1);
  assert.ok(logs.every((l) => l.accountId === accounts.justworks && l.action === "justworks_get_company"));
  const one = await sdk.requestLogs.getLog({ id: logs[0].requestId });
  assert.equal(one.unifiedLogResult.data.requestId, logs[0].requestId);
});

test("actions.listActionsMeta", async () => {
  const res = await sdk.actions.listActionsMeta({ filter: { connectors: "justworks" } });
  const page = res.actionsMetaPaginated.data;
  assert.ok(page.length === 1 && page[0].provider === "justworks");
  assert.ok(page[0].actions.some((a) => a.id === "justworks_list_members"));
});

test("proxy.proxyRequest", async () => {
  const res = await sdk.proxy.proxyRequest({
    xAccountId: accounts.justworks,
    proxyRequestBody: { path: "/v1/company", method: "get" },
  });
  assert.equal(res.statusCode, 200);
});

test("accounts.deleteAccount", async () => {
  const created = await sdk.connectSessions.createConnectSession({ originOwnerId: "to-delete", originOwnerName: "To Delete", provider: "justworks" });
  const id = await link(demo.base, created.connectSessionTokenAuthLink.authLinkUrl, "admin@acme.test");
  const res = await sdk.accounts.deleteAccount({ id });
  assert.equal(res.linkedAccount.id, id);
  await assert.rejects(sdk.accounts.getAccount({ id }));
});
