// Starts a real `patchbay demo` (Patchbay with both provider simulators) and
// links accounts through the Hub's endpoints and the simulators' forms, the
// way a browser would, without one.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function startDemo() {
  const bin = process.env.PATCHBAY_BIN;
  if (!bin) throw new Error("PATCHBAY_BIN must name a patchbay binary (scripts/test builds one)");
  const dir = mkdtempSync(join(tmpdir(), "patchbay-sdk-"));
  const child = spawn(bin, ["demo", "--listen", "127.0.0.1:0", "--data-dir", join(dir, "data")], {
    cwd: dir,
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PATCHBAY_"))),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  let timer;
  const ready = new Promise((resolve, reject) => {
    child.stdout.on("data", (d) => {
      out += d;
      const listening = out.match(/is listening on (\S+)/);
      const key = out.match(/curl -u (\S+): \S+\/accounts/);
      const admin = out.match(/Console: (\S+)\/console\s+sign in as (\S+), password (\S+)/);
      if (listening && key && admin) {
        resolve({ base: "http://" + listening[1], key: key[1], publicURL: admin[1], adminEmail: admin[2], adminPassword: admin[3] });
      }
    });
    child.on("exit", (code) => reject(new Error(`patchbay demo exited (${code}):\n${out}\n${err}`)));
    timer = setTimeout(() => reject(new Error(`patchbay demo did not start:\n${out}\n${err}`)), 30000);
  });
  const { base, key, publicURL, adminEmail, adminPassword } = await ready.finally(() => clearTimeout(timer));
  return {
    base,
    key,
    publicURL, // what the demo prints for people to open (its host may differ from base's)
    adminEmail,
    adminPassword,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const requestID = /name="request_id" value="([^"]+)"/;
const formAction = /<form method="post" action="([^"]+)"/;

async function submit(pageURL, page, fields) {
  const action = page.match(formAction);
  if (!action) throw new Error(`no form at ${pageURL}:\n${page}`);
  return fetch(new URL(action[1], pageURL), {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
  });
}

// link walks the Hub for the session's only provider: attempt, OAuth start,
// the simulator's sign-in and consent, the callback, and the organisation
// choice where one is asked. It returns the linked account's id.
export async function link(base, authLinkUrl, email) {
  const token = new URL(authLinkUrl).searchParams.get("token");
  const hub = { "x-hub-session-token": token, "content-type": "application/json" };
  const { integrations } = await (await fetch(`${base}/hub/connectors`, { headers: hub })).json();
  if (integrations.length !== 1) throw new Error(`hub offers ${JSON.stringify(integrations)}`);
  const profile = integrations[0].integration_id;
  const attempt = await (await fetch(`${base}/hub/connection_attempts`, {
    method: "POST", headers: hub, body: JSON.stringify({ integration_id: profile }),
  })).json();
  const start = await fetch(`${base}/connect/oauth2/${profile}?token=${encodeURIComponent(token)}&connection_attempt_id=${attempt.id}`, { redirect: "manual" });
  const loginURL = new URL(start.headers.get("location"));
  const login = await (await fetch(loginURL)).text();
  const id = login.match(requestID)[1];
  const consent = await submit(loginURL, login, { request_id: id, email, password: "sandbox" });
  const approved = await submit(new URL(consent.url || loginURL), await consent.text(), { request_id: id, decision: "approve" });
  const back = await fetch(approved.headers.get("location"), { redirect: "manual" });
  if (back.status !== 302) throw new Error(`callback answered ${back.status}: ${await back.text()}`);
  let state = await (await fetch(`${base}/hub/connection_attempts/${attempt.id}`, { headers: hub })).json();
  if (state.setup) {
    state = await (await fetch(`${base}/hub/connection_attempts/${attempt.id}/setup`, {
      method: "POST", headers: hub, body: JSON.stringify({ value: state.setup.options[0].value }),
    })).json();
  }
  if (state.status !== "authenticated") throw new Error(`attempt ended ${JSON.stringify(state)}`);
  return state.account.id;
}

// linkProvider creates a connect session for one provider with the API key and
// links it; it returns the linked account's id.
export async function linkProvider(demo, provider, email) {
  const res = await fetch(`${demo.base}/connect_sessions`, {
    method: "POST",
    headers: { authorization: "Basic " + btoa(demo.key + ":"), "content-type": "application/json" },
    body: JSON.stringify({ origin_owner_id: `mcp-${provider}`, origin_owner_name: `MCP ${provider}`, provider }),
  });
  if (res.status !== 201) throw new Error(`connect session: ${res.status} ${await res.text()}`);
  return link(demo.base, (await res.json()).auth_link_url, email);
}
