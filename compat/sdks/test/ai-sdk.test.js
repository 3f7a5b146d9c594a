// The StackOne AI SDK (@stackone/ai, built from its public source in
// vendor/stackone-ai), unchanged, against a real patchbay: tools fetched over
// MCP for one and several accounts and run through /actions/rpc — reads,
// paging, a write — action search, its meta tools and its feedback tool.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { StackOneToolSet } from "../build/stackone-ai.mjs";
import { startDemo, linkProvider } from "./patchbay.js";

let demo;
let jw;
let eh;

before(async () => {
  demo = await startDemo();
  jw = await linkProvider(demo, "justworks", "admin@acme.test");
  eh = await linkProvider(demo, "employmenthero", "owner@acme.test");
  // The SDK's feedback tool reads the key from the environment, as its README says to set it.
  process.env.STACKONE_API_KEY = demo.key;
});

after(async () => {
  if (demo) await demo.stop();
});

// toolset is configured as the SDK's README shows, with Patchbay as the base URL.
function toolset(config = {}) {
  return new StackOneToolSet({ baseUrl: demo.base, apiKey: demo.key, ...config });
}

test("one account: read, page through with next, and write", async () => {
  const tools = await toolset({ accountId: jw }).fetchTools({ accountIds: [jw] });
  const members = tools.getTool("justworks_list_members");
  assert.ok(members, "justworks_list_members is a tool");
  const first = await members.execute({ query: { limit: 2 } });
  assert.equal(first.data.length, 2);
  assert.ok(first.next, "a first page of 2 has a next");
  // The SDK puts every argument that is not path/query/body/headers into the body.
  const second = await members.execute({ next: first.next, query: { limit: 2 } });
  assert.equal(second.data.length, 2);
  assert.notDeepEqual(second.data.map((m) => m.id), first.data.map((m) => m.id));

  const [dtype] = (await tools.getTool("justworks_list_deduction_types").execute({})).data;
  const created = await tools.getTool("justworks_create_deductions").execute({
    body: { items: [{ operation_id: "op-ai-sdk-1", member_id: first.data[0].id, deduction_type_code: dtype.code, amount_type: "fixed",
      amount: 1234, currency: "USD", frequency: "every_paycheck", start_date: "2026-11-01" }] },
  });
  assert.equal(created.data.length, 1, JSON.stringify(created));
});

test("several accounts: each provider's tools run on their own account, paging by page_size", async () => {
  const tools = await toolset({ accountIds: [jw, eh] }).fetchTools();
  const names = tools.toArray().map((t) => t.name);
  for (const want of ["justworks_list_members", "employmenthero_list_employees", "tool_feedback"]) assert.ok(names.includes(want), want);
  const employees = tools.getTool("employmenthero_list_employees");
  const page = await employees.execute({ page_size: 3 });
  assert.equal(page.data.length, 3);
  const next = await employees.execute({ page_size: 3, next: page.next });
  assert.equal(next.data.length, 3);
  assert.notEqual(next.data[0].id, page.data[0].id);
});

test("searchActionNames asks /actions/search; the meta tools search and execute", async () => {
  const set = toolset({ accountIds: [jw, eh], search: {} });
  const results = await set.searchActionNames("list the employees", { topK: 5 });
  assert.ok(results.length > 0, "search found actions");
  const ids = results.map((r) => r.id);
  assert.ok(ids.includes("justworks_list_members") || ids.includes("employmenthero_list_employees"), ids.join(", "));
  assert.ok(results.every((r) => typeof r.similarityScore === "number"));

  const meta = set.getTools();
  const found = await meta.getTool("tool_search").execute({ query: "payslips of an employee" });
  assert.ok(found.tools.length > 0, JSON.stringify(found));
  assert.ok(found.tools.some((t) => /pay(slip|stub)/.test(t.name)), found.tools.map((t) => t.name).join(", "));
  const ran = await meta.getTool("tool_execute").execute({ tool_name: "justworks_list_members", parameters: { query: { limit: 1 } } });
  assert.equal(ran.data.length, 1, JSON.stringify(ran));
});

test("the feedback tool's answer is kept, and listed", async () => {
  const tools = await toolset({ accountId: jw }).fetchTools({ accountIds: [jw] });
  const said = "list_members was easy to find";
  await tools.getTool("tool_feedback").execute({ feedback: said, account_id: jw, tool_names: ["justworks_list_members"] });
  const res = await fetch(`${demo.base}/ai/tool-feedback`, { headers: { authorization: "Basic " + btoa(demo.key + ":") } });
  const { data } = await res.json();
  assert.ok(data.some((f) => f.feedback === said && f.tool_names.includes("justworks_list_members")), JSON.stringify(data));
});
