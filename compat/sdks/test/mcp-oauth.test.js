// The official MCP TypeScript SDK's OAuth client, unchanged, signs an AI app
// in to a real Patchbay the way ChatGPT, Claude or Cursor do: a 401 from /mcp,
// discovery, dynamic registration, PKCE, the admin's sign-in and consent in
// the console (driven in Chromium), the code exchange, tools, a refresh when
// the access token is refused, and revocation.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import puppeteer from "puppeteer-core";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { UnauthorizedError } from "@modelcontextprotocol/sdk/client/auth.js";
import { startDemo, linkProvider } from "./patchbay.js";

let demo;
let account;
let callback; // the app's loopback redirect server
let browser;

// codes receives the authorization codes the browser brings back.
const codes = [];
let codeArrived = () => {};

before(async () => {
  demo = await startDemo();
  account = await linkProvider(demo, "justworks", "admin@acme.test");
  callback = createServer((req, res) => {
    const url = new URL(req.url, "http://127.0.0.1");
    if (url.pathname !== "/callback") {
      res.statusCode = 404; // the browser's favicon request
      return res.end();
    }
    codes.push(url.searchParams);
    res.setHeader("content-type", "text/html");
    res.end("<!doctype html><title>Connected</title><p id=done>You can close this window.</p>");
    codeArrived();
  });
  await new Promise((r) => callback.listen(0, "127.0.0.1", r));
  browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  if (browser) await browser.close();
  if (callback) callback.close();
  if (demo) await demo.stop();
});

// App is the OAuthClientProvider an AI app implements: it keeps what the SDK
// hands it, and sends the person to the authorization URL (here, Chromium).
class App {
  constructor(redirectUrl) {
    this.redirectUrl = redirectUrl;
    this.info = undefined;
    this.saved = undefined;
    this.verifier = undefined;
    this.authorizationUrl = undefined;
  }
  get clientMetadata() {
    return {
      client_name: "Compat Agent",
      redirect_uris: [this.redirectUrl],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }
  clientInformation() { return this.info; }
  saveClientInformation(info) { this.info = info; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
  invalidateCredentials(scope) {
    if (scope === "all" || scope === "client") this.info = undefined;
    if (scope === "all" || scope === "tokens") this.saved = undefined;
    if (scope === "all" || scope === "verifier") this.verifier = undefined;
  }
}

// inspector runs the MCP Inspector's command line against Patchbay's /mcp
// with an access token, as a person debugging a connection does, and returns
// what it prints as JSON. It runs from its build folder: it finds its own
// package.json relative to the working directory.
async function inspector(token, ...args) {
  const cli = createRequire(import.meta.url).resolve("@modelcontextprotocol/inspector-cli/build/index.js");
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, [cli, `${demo.publicURL}/mcp`, "--transport", "http", "--header", `Authorization: Bearer ${token}`, ...args],
      { cwd: dirname(cli), timeout: 30000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)));
  });
  return JSON.parse(out);
}

async function connect(app) {
  const client = new Client({ name: "compat-agent", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${demo.publicURL}/mcp`), { authProvider: app });
  await client.connect(transport);
  return { client, transport };
}

// consent signs the demo admin in and approves the app for the account,
// in Chromium, and returns the code the browser brought back.
async function consent(authorizationUrl) {
  const arrived = new Promise((r) => (codeArrived = r));
  const page = await browser.newPage();
  try {
    await page.goto(authorizationUrl.href);
    await page.waitForSelector('input[name="email"]');
    await page.type('input[name="email"]', demo.adminEmail);
    await page.type('input[name="password"]', demo.adminPassword);
    await Promise.all([page.waitForNavigation(), page.click('button[type="submit"]')]);
    await page.waitForSelector(`input[name="account"][value="${account}"]`);
    const text = await page.evaluate(() => document.body.innerText);
    assert.match(text, /Connect Compat Agent to Patchbay/);
    assert.match(text, /nobody checked/);
    await page.click(`input[name="account"][value="${account}"]`);
    await Promise.all([page.waitForNavigation(), page.click('button[name="decision"][value="approve"]')]);
    await arrived;
    await page.waitForSelector("#done");
  } finally {
    await page.close();
  }
  const params = codes.at(-1);
  assert.equal(params.get("iss"), demo.publicURL);
  return params.get("code");
}

test("an AI app signs in with OAuth, calls tools, refreshes and is revoked", async () => {
  const app = new App(`http://127.0.0.1:${callback.address().port}/callback`);

  // 401 → discovery → registration → authorization URL.
  await assert.rejects(connect(app), UnauthorizedError);
  assert.ok(app.info?.client_id, "the SDK registered the app");
  assert.ok(app.authorizationUrl, "the SDK asked to send the person to the authorization URL");
  assert.equal(app.authorizationUrl.searchParams.get("code_challenge_method"), "S256");
  assert.equal(app.authorizationUrl.searchParams.get("resource"), `${demo.publicURL}/mcp`);

  // Sign-in and consent in Chromium, then the SDK exchanges the code.
  const code = await consent(app.authorizationUrl);
  const pending = new StreamableHTTPClientTransport(new URL(`${demo.publicURL}/mcp`), { authProvider: app });
  await pending.finishAuth(code);
  assert.ok(app.saved?.access_token?.startsWith("pbat_"), "an access token");
  assert.ok(app.saved.refresh_token, "a refresh token");

  const { client } = await connect(app);
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  assert.ok(names.includes("justworks_list_members"), names.join(", "));
  const res = await client.callTool({ name: "justworks_list_members", arguments: { query: { limit: 2 } } });
  assert.equal(res.isError ?? false, false, res.content?.[0]?.text);
  assert.equal(res.structuredContent.data.length, 2);
  await client.close();

  // The MCP Inspector's command line with the same token.
  const listed = await inspector(app.saved.access_token, "--method", "tools/list");
  assert.ok(listed.tools.some((t) => t.name === "justworks_list_members"), JSON.stringify(listed).slice(0, 300));
  const called = await inspector(app.saved.access_token, "--method", "tools/call", "--tool-name", "justworks_list_members", "--tool-arg", 'query={"limit":1}');
  assert.equal(called.structuredContent.data.length, 1, JSON.stringify(called).slice(0, 300));

  // A refused access token makes the SDK refresh; the refresh token rotates.
  const before = app.saved.refresh_token;
  app.saved = { ...app.saved, access_token: "pbat_no-longer-valid" };
  const again = await connect(app);
  assert.ok((await again.client.listTools()).tools.length > 0);
  assert.notEqual(app.saved.refresh_token, before, "the refresh token rotated");
  assert.notEqual(app.saved.access_token, "pbat_no-longer-valid");
  await again.client.close();

  // Revoking the refresh token ends the grant: the next connection needs consent again.
  const revoked = await fetch(`${demo.publicURL}/oauth/revoke`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ token: app.saved.refresh_token, client_id: app.info.client_id }),
  });
  assert.equal(revoked.status, 200);
  app.authorizationUrl = undefined;
  await assert.rejects(connect(app), UnauthorizedError);
  assert.ok(app.authorizationUrl, "after revocation the app must ask for consent again");
});
