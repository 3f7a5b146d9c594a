// The official MCP TypeScript SDK's client, unchanged, against a real
// Patchbay's /mcp: initialize, list tools, and call reads and a write on both
// providers' linked accounts.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startDemo, linkProvider } from "./patchbay.js";

let demo;
const accounts = {}; // provider → linked account id
const open = []; // clients to close

before(async () => {
  demo = await startDemo();
  accounts.justworks = await linkProvider(demo, "justworks", "admin@acme.test");
  accounts.employmenthero = await linkProvider(demo, "employmenthero", "owner@acme.test");
});

after(async () => {
  for (const c of open) await c.close();
  if (demo) await demo.stop();
});

// connect configures the client the way an agent's MCP settings do: the
// endpoint, the API key and the account header.
async function connect(account, query = "") {
  const client = new Client({ name: "patchbay-compat", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${demo.base}/mcp${query}`), {
    requestInit: { headers: { authorization: "Basic " + btoa(demo.key + ":"), "x-account-id": account } },
  });
  await client.connect(transport);
  open.push(client);
  return client;
}

// call runs a tool and returns its structured content, checking that the
// text content says the same.
async function call(client, name, args) {
  const res = await client.callTool({ name, arguments: args });
  assert.equal(res.isError ?? false, false, `${name}: ${res.content?.[0]?.text}`);
  assert.deepEqual(JSON.parse(res.content[0].text), res.structuredContent);
  return res.structuredContent;
}

test("initialize reports Patchbay and its tools capability", async () => {
  const client = await connect(accounts.justworks);
  assert.equal(client.getServerVersion().name, "patchbay");
  assert.ok(client.getServerCapabilities().tools);
});

test("justworks: list and get members, create a deduction and find it", async () => {
  const client = await connect(accounts.justworks);
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const want of ["justworks_list_members", "justworks_get_member", "justworks_create_deductions"]) assert.ok(names.includes(want), want);
  assert.equal(tools.find((t) => t.name === "justworks_list_members").annotations.readOnlyHint, true);
  assert.equal(tools.find((t) => t.name === "justworks_create_deductions").annotations.destructiveHint, true);

  const members = await call(client, "justworks_list_members", { query: { limit: 2 } });
  assert.equal(members.data.length, 2);
  const member = await call(client, "justworks_get_member", { path: { member_id: members.data[0].id } });
  assert.equal(member.data.id, members.data[0].id);

  const [dtype] = (await call(client, "justworks_list_deduction_types", {})).data;
  const created = await call(client, "justworks_create_deductions", {
    body: { items: [{ operation_id: "op-mcp-ts-1", member_id: member.data.id, deduction_type_code: dtype.code, amount_type: "fixed",
      amount: 4321, currency: "USD", frequency: "every_paycheck", start_date: "2026-11-01" }] },
  });
  const row = created.data[0];
  const id = row.deduction_id ?? row.deduction?.id;
  assert.ok(id, JSON.stringify(row));
  const listed = await call(client, "justworks_list_deductions", { query: { member_id: member.data.id } });
  const found = listed.data.find((d) => d.id === id || d.deduction_id === id);
  assert.ok(found, `deduction ${id} not in ${JSON.stringify(listed.data)}`);
  assert.equal(found.amount, 4321);

  const missing = await client.callTool({ name: "justworks_get_member", arguments: { path: { member_id: "mbr_nobody" } } });
  assert.equal(missing.isError, true);
  assert.equal(JSON.parse(missing.content[0].text).statusCode, 404);
});

test("employmenthero: list and get employees", async () => {
  const client = await connect(accounts.employmenthero);
  const names = (await client.listTools()).tools.map((t) => t.name);
  assert.ok(names.includes("employmenthero_list_employees"));
  assert.ok(!names.some((n) => n.startsWith("justworks_")));
  const employees = await call(client, "employmenthero_list_employees", { page_size: 2 });
  assert.equal(employees.data.length, 2);
  const one = await call(client, "employmenthero_get_employee", { path: { employee_id: employees.data[0].id } });
  assert.equal(one.data.id, employees.data[0].id);
});

test("search_execute: find an action in plain words and run it", async () => {
  const client = await connect(accounts.employmenthero, "?tool-mode=search_execute");
  const names = (await client.listTools()).tools.map((t) => t.name).sort();
  assert.deepEqual(names, ["employmenthero_execute_action", "employmenthero_search_actions"]);
  const found = await call(client, "employmenthero_search_actions", { query: "who works here", top_k: 3 });
  assert.equal(found.data[0].action_id, "employmenthero_list_employees");
  const employees = await call(client, "employmenthero_execute_action", { action_id: found.data[0].action_id, page_size: 1 });
  assert.equal(employees.data.length, 1);
});
