// The Hub page: start a connection attempt, send the user to the provider, and on
// the way back show the outcome, ask for a setup choice if one is needed, and post
// {type: "AccountConnected", account: {id, provider}} to the opener or parent page
// (only to the origin the connect session allows).
(function () {
  "use strict";
  const main = document.getElementById("hub");
  if (!main || !main.dataset.token) return;
  const token = main.dataset.token;
  const allowedOrigin = main.dataset.allowedOrigin;
  const $ = (id) => document.getElementById(id);
  const show = (id) => ["pick", "working", "setup", "done", "failed"].forEach((s) => ($(s).hidden = s !== id));
  const api = (method, path, body) =>
    fetch(path, {
      method,
      headers: { "x-hub-session-token": token, "Content-Type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    }).then(async (r) => {
      const data = r.status === 204 ? {} : await r.json();
      if (!r.ok) throw new Error(data.message || r.statusText);
      return data;
    });

  function announce(account) {
    const message = { type: "AccountConnected", account: { id: account.id, provider: account.provider } };
    for (const target of [window.opener, window.parent !== window ? window.parent : null]) {
      if (target) target.postMessage(message, allowedOrigin);
    }
  }

  function render(attempt) {
    main.dataset.status = attempt.status;
    if (attempt.status === "authenticated" && attempt.account) {
      $("done-provider").textContent = attempt.account.provider_name;
      show("done");
      announce(attempt.account);
      return true;
    }
    if (attempt.status === "error") {
      $("failed-message").textContent = (attempt.error && attempt.error.description) || "Something went wrong.";
      show("failed");
      return true;
    }
    if (attempt.status === "pending" && attempt.setup) {
      $("setup-label").textContent = "Choose your " + attempt.setup.label.toLowerCase();
      const box = $("setup-options");
      box.textContent = "";
      attempt.setup.options.forEach((o, i) => {
        const label = document.createElement("label");
        const input = document.createElement("input");
        input.type = "radio";
        input.name = "value";
        input.value = o.value;
        input.checked = i === 0;
        label.append(input, " " + o.label);
        box.append(label);
      });
      show("setup");
      return true;
    }
    if (attempt.status === "cancelled" || attempt.status === "expired") {
      show("pick");
      return true;
    }
    return false;
  }

  async function poll(id) {
    show("working");
    for (;;) {
      const attempt = await api("GET", "/hub/connection_attempts/" + encodeURIComponent(id));
      if (render(attempt)) return attempt;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  document.querySelectorAll(".provider").forEach((button) =>
    button.addEventListener("click", async () => {
      try {
        const attempt = await api("POST", "/hub/connection_attempts", { integration_id: button.dataset.profile });
        const start = "/connect/oauth2/" + encodeURIComponent(button.dataset.profile) + "?token=" + encodeURIComponent(token) +
          "&connection_attempt_id=" + encodeURIComponent(attempt.id);
        if (window.parent !== window) {
          // Inside an iframe: providers refuse to be framed, so sign in in a popup and poll.
          const popup = window.open(start, "patchbay-oauth", "width=1024,height=800");
          if (!popup) {
            await api("DELETE", "/hub/connection_attempts/" + encodeURIComponent(attempt.id));
            $("failed-message").textContent = "Your browser blocked the sign-in window. Allow pop-ups and try again.";
            show("failed");
            return;
          }
          poll(attempt.id);
        } else {
          location.assign(start);
        }
      } catch (e) {
        $("failed-message").textContent = "Could not start: " + e.message;
        show("failed");
      }
    })
  );

  $("setup-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const value = new FormData(e.target).get("value");
    const path = "/hub/connection_attempts/" + encodeURIComponent(main.dataset.attempt);
    const button = $("setup-continue");
    button.disabled = true;
    try {
      render(await api("POST", path + "/setup", { value }));
    } catch (err) {
      // A second click may lose to the first, which linked the account: show
      // how the attempt ended rather than this click's refusal.
      const attempt = await api("GET", path).catch(() => null);
      if (!(attempt && attempt.status !== "pending" && render(attempt))) {
        $("failed-message").textContent = err.message;
        show("failed");
      }
    } finally {
      button.disabled = false;
    }
  });
  $("retry").addEventListener("click", () => {
    const url = new URL(location.href);
    url.searchParams.delete("attempt");
    location.assign(url.toString());
  });

  if (main.dataset.attempt) poll(main.dataset.attempt);
})();
