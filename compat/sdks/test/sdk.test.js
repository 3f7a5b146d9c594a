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
  assert.equal(new URL(s.authLinkUrl).pathname, "/hub");
  assert.equal(new URL(s.authLinkUrl).searchParams.get("token"), s.token);
});

test("connectSessions.authenticateConnectSession", async () => {
  const created = await sdk.connectSessions.createConnectSession({ originOwnerId: "cust-2", originOwnerName: "Customer 2" });
  const res = await sdk.connectSessions.authenticateConnectSession({ token: created.connectSessionTokenAuthLink.token });
  assert.equal(res.connectSession.originOwnerId, "cust-2");
  assert.equal(res.connectSession.id, created.connectSessionTokenAuthLink.id);
});

test("accounts.listLinkedAccounts and getAccount", async () => {
  const res = await sdk.accounts.listLinkedAccounts({ providers: ["justworks", "employmenthero"], originOwnerIds: ["sdk-justworks", "sdk-employmenthero"] });
  const ids = res.classes.map((a) => a.id).sort();
  assert.deepEqual(ids, Object.values(accounts).sort());
  const one = await sdk.accounts.getAccount({ id: accounts.justworks });
  assert.equal(one.linkedAccount.provider, "justworks");
  assert.equal(one.linkedAccount.originOwnerId, "sdk-justworks");
  assert.equal(one.linkedAccount.status, "active");
});

test("accounts.updateAccount", async () => {
  const res = await sdk.accounts.updateAccount({
    id: accounts.justworks,
    patchAccountExternalDto: { originOwnerName: "SDK Justworks, renamed", metadata: { plan: "gold" } },
  });
  assert.equal(res.linkedAccount.originOwnerName, "SDK Justworks, renamed");
  const again = await sdk.accounts.getAccount({ id: accounts.justworks });
  assert.equal(again.linkedAccount.originOwnerName, "SDK Justworks, renamed");
});

test("accounts.getAccountMetaInfo", async () => {
  const res = await sdk.accounts.getAccountMetaInfo({ id: accounts.employmenthero });
  assert.equal(res.linkedAccountMeta.provider, "employmenthero");
  assert.equal(res.linkedAccountMeta.category, "hris");
});

// The SDK's model of a record list is an object with no fields, so it hands
// back empty objects: the count and the paging are what it lets a caller see.
test("actions.rpcAction on both providers, paging as SDK users do", async () => {
  const first = await sdk.actions.rpcAction({ action: "justworks_list_members", query: { limit: 5 }, headers: { "x-account-id": accounts.justworks } });
  assert.equal(first.actionsRpcResponse.data.length, 5);
  assert.ok(first.actionsRpcResponse.next);
  // The SDK's request has no next: callers pass it back as the provider's cursor.
  const second = await sdk.actions.rpcAction({
    action: "justworks_list_members", query: { cursor: first.actionsRpcResponse.next }, headers: { "x-account-id": accounts.justworks },
  });
  assert.equal(second.actionsRpcResponse.data.length, 5);
  const company = await sdk.actions.rpcAction({ action: "employmenthero_list_employees", query: { item_per_page: 3 }, headers: { "x-account-id": accounts.employmenthero } });
  assert.equal(company.actionsRpcResponse.data.length, 3);
});

test("requestLogs.listLogs, getLog and listStepLogs", async () => {
  await sdk.actions.rpcAction({ action: "justworks_get_company", headers: { "x-account-id": accounts.justworks } });
  await sdk.actions.rpcAction({ action: "employmenthero_list_leave_categories", headers: { "x-account-id": accounts.employmenthero } });
  const list = await sdk.requestLogs.listLogs({ filter: { accountIds: accounts.justworks, actions: "justworks_get_company" } });
  const logs = list.unifiedLogsPaginated.data;
  assert.equal(logs.length, 1);
  assert.equal(logs[0].accountId, accounts.justworks);
  assert.equal(logs[0].action, "justworks_get_company");
  assert.equal(logs[0].status, 200);
  const failed = await sdk.requestLogs.listLogs({ filter: { success: false } });
  assert.equal(failed.unifiedLogsPaginated.data.length, 0);
  const one = await sdk.requestLogs.getLog({ id: logs[0].requestId });
  assert.equal(one.unifiedLogResult.data.requestId, logs[0].requestId);
  assert.equal(one.unifiedLogResult.data.action, "justworks_get_company");
  const steps = await sdk.requestLogs.listStepLogs({ filter: { accountIds: accounts.employmenthero, actions: "employmenthero_list_leave_categories" } });
  assert.equal(steps.stepLogsPaginated.data.length, 1);
  assert.equal(steps.stepLogsPaginated.data[0].httpMethod, "GET");
  assert.equal(steps.stepLogsPaginated.data[0].status, 200);
});

test("actions.listActionsMeta", async () => {
  const res = await sdk.actions.listActionsMeta({ filter: { connectors: "justworks" }, include: ["operation_details"] });
  const page = res.actionsMetaPaginated.data;
  assert.equal(page.length, 1);
  assert.equal(page[0].key, "justworks");
  const members = page[0].actions.find((a) => a.id === "justworks_list_members");
  assert.equal(members.operationDetails.method, "GET");
  const byAccount = await sdk.actions.listActionsMeta({ filter: { accountIds: accounts.employmenthero } });
  assert.deepEqual(byAccount.actionsMetaPaginated.data.map((m) => m.key), ["employmenthero"]);
});

test("connectors.listConnectorsMeta and getConnectorMeta", async () => {
  const list = await sdk.connectors.listConnectorsMeta({});
  assert.deepEqual(list.classes.map((c) => c.provider).sort(), ["employmenthero", "justworks"]);
  assert.ok(list.classes.every((c) => c.active && c.category === "hris"));
  const one = await sdk.connectors.getConnectorMeta({ provider: "justworks" });
  assert.equal(one.connectorsMeta.providerName, "Justworks");
});

test("proxy.proxyRequest", async () => {
  const res = await sdk.proxy.proxyRequest({ xAccountId: accounts.justworks, proxyRequestBody: { path: "/v1/company", method: "get" } });
  assert.equal(res.statusCode, 200);
  const base = new URL(demo.base);
  const viaURL = await sdk.proxy.proxyRequest({
    xAccountId: accounts.justworks,
    proxyRequestBody: { url: `http://localhost:${base.port}/sandbox/justworks/v1/company`, method: "get" },
  });
  assert.equal(viaURL.statusCode, 200);
  await assert.rejects(sdk.proxy.proxyRequest({ xAccountId: accounts.justworks, proxyRequestBody: { url: "https://evil.test/v1/company" } }));
});

// providerRecords reads records through POST /actions/rpc: the provider's own
// data, to check the unified answers against.
async function providerRecords(provider, action, input = {}) {
  const res = await fetch(`${demo.base}/actions/rpc`, {
    method: "POST",
    headers: { authorization: "Basic " + btoa(demo.key + ":"), "content-type": "application/json", "x-account-id": accounts[provider] },
    body: JSON.stringify({ action, ...input }),
  });
  assert.equal(res.status, 200, `${action}: ${res.status}`);
  return (await res.json()).data;
}

// What each provider's records look like in the unified model.
const unified = {
  justworks: {
    employees: async (n) => (await providerRecords("justworks", "justworks_list_members", { query: { limit: n } }))
      .map((m) => ({ id: m.id, first: m.name.given_name, last: m.name.family_name, active: m.active, start: m.employment_start_date })),
    company: async () => {
      const c = await providerRecords("justworks", "justworks_get_company");
      return { id: c.id, name: c.display_name };
    },
    timeOff: async (n) => (await providerRecords("justworks", "justworks_list_time_off_requests", { query: { start_date: "2000-01-01", end_date: "2099-12-31", limit: n } }))
      .map((r) => ({ id: r.id, employee: r.member_id, status: r.status, start: r.start_date })),
  },
  employmenthero: {
    employees: async (n) => (await providerRecords("employmenthero", "employmenthero_list_employees", { query: { item_per_page: n } }))
      .map((e) => ({ id: e.id, first: e.first_name, last: e.last_name, active: e.status === "active", start: e.start_date.slice(0, 10) })),
    company: async () => {
      const o = await providerRecords("employmenthero", "employmenthero_get_organisation");
      return { id: o.id, name: o.name };
    },
    timeOff: async (n) => (await providerRecords("employmenthero", "employmenthero_list_leave_requests", { query: { item_per_page: n } }))
      .map((r) => ({ id: r.id, employee: r.employee_id, status: r.status, start: r.start_date.slice(0, 10) })),
  },
};

// The SDK validates every answer against its own models (dates must parse as
// date-times, enums are {value, source_value}); a mismatch throws.
for (const provider of ["justworks", "employmenthero"]) {
  test(`hris.listEmployees and getEmployee on ${provider}`, async () => {
    const want = await unified[provider].employees(5);
    const res = await sdk.hris.listEmployees({ xAccountId: accounts[provider], pageSize: "5" });
    const page = res.employeesPaginated.data;
    assert.deepEqual(page.map((e) => e.id), want.map((e) => e.id));
    page.forEach((e, i) => {
      assert.equal(e.firstName, want[i].first);
      assert.equal(e.lastName, want[i].last);
      assert.equal(e.employmentStatus.value, want[i].active ? "active" : "terminated");
      assert.equal(e.startDate.toISOString().slice(0, 10), want[i].start);
    });
    // The SDK's own pager follows next.
    const second = await res.next();
    assert.equal(second.employeesPaginated.data.length, 5);
    assert.notEqual(second.employeesPaginated.data[0].id, page[0].id);

    const one = await sdk.hris.getEmployee({ xAccountId: accounts[provider], id: want[0].id, expand: "employments,company" });
    const e = one.employeeResult.data;
    assert.equal(e.id, want[0].id);
    assert.equal(e.name, `${want[0].first} ${want[0].last}`);
    assert.equal(e.company.id, (await unified[provider].company()).id);
    assert.equal(e.employments[0].employeeId, want[0].id);
  });

  test(`hris.listEmployments on ${provider}`, async () => {
    const want = await unified[provider].employees(3);
    const res = await sdk.hris.listEmployments({ xAccountId: accounts[provider], pageSize: "3" });
    const jobs = res.employmentsPaginated.data;
    assert.deepEqual(jobs.map((j) => j.employeeId), want.map((e) => e.id));
    jobs.forEach((j, i) => assert.equal(j.active, want[i].active));
  });

  test(`hris.listTimeOffRequests on ${provider}`, async () => {
    const want = await unified[provider].timeOff(10);
    const res = await sdk.hris.listTimeOffRequests({ xAccountId: accounts[provider], pageSize: "10" });
    const requests = res.timeOffPaginated.data;
    assert.deepEqual(requests.map((r) => r.id), want.map((r) => r.id));
    requests.forEach((r, i) => {
      assert.equal(r.employeeId, want[i].employee);
      assert.equal(r.status.sourceValue, want[i].status);
      assert.ok(["approved", "pending", "rejected", "cancelled"].includes(r.status.value), r.status.value);
      assert.equal(r.startDate, `${want[i].start}T00:00:00.000`);
    });
  });

  test(`hris.listCompanies and getCompany on ${provider}`, async () => {
    const want = await unified[provider].company();
    const list = await sdk.hris.listCompanies({ xAccountId: accounts[provider] });
    assert.deepEqual(list.companiesPaginated.data.map((c) => [c.id, c.name]), [[want.id, want.name]]);
    const one = await sdk.hris.getCompany({ xAccountId: accounts[provider], id: want.id });
    assert.equal(one.companyResult.data.name, want.name);
    assert.ok(one.companyResult.data.createdAt instanceof Date);
  });
}

test("accounts.deleteAccount", async () => {
  const created = await sdk.connectSessions.createConnectSession({ originOwnerId: "to-delete", originOwnerName: "To Delete", provider: "justworks" });
  const id = await link(demo.base, created.connectSessionTokenAuthLink.authLinkUrl, "admin@acme.test");
  const res = await sdk.accounts.deleteAccount({ id });
  assert.equal(res.linkedAccount.id, id);
  assert.equal(res.linkedAccount.originOwnerId, "to-delete");
  await assert.rejects(sdk.accounts.getAccount({ id }));
});
