// Scope selector of the connector guide. The server computes the scopes (one
// implementation for the API, the CLI and this page); this script only gathers the
// selection, asks /guides/{key}/scopes, and keeps the guide URL in step.
(function () {
  "use strict";
  const main = document.querySelector("main");
  const key = main.dataset.connector;
  const $ = (id) => document.getElementById(id);
  const actionBoxes = Array.from(document.querySelectorAll(".action input"));
  const extraBoxes = Array.from(document.querySelectorAll("input.extra"));
  const separator = $("separator");
  const minimal = $("minimal");
  const output = $("scopes-output");
  const guideURL = $("guide-url");
  const enables = $("enables-labels");
  const error = $("error");
  const consoleLink = $("console-link");
  let generation = 0;

  function checked(boxes) {
    return boxes.filter((b) => b.checked).map((b) => b.value);
  }

  function selectionParams() {
    const p = new URLSearchParams();
    const actions = checked(actionBoxes);
    const extras = checked(extraBoxes);
    if (actions.length) p.set("actions", actions.join(","));
    if (extras.length) p.set("extra_scopes", extras.join(","));
    if (separator.value !== "space") p.set("separator", separator.value);
    if (minimal.checked) p.set("minimal", "true");
    return p;
  }

  async function update() {
    const params = selectionParams();
    const query = params.toString();
    const url = location.origin + location.pathname + (query ? "?" + query : "");
    guideURL.value = url;
    const form = new URLSearchParams({ connector: key });
    if (params.get("actions")) form.set("actions", params.get("actions"));
    consoleLink.href = "/console/new-profile?" + form.toString();
    history.replaceState(null, "", url);
    const mine = ++generation;
    main.dataset.state = "loading";
    let body;
    try {
      const resp = await fetch("/guides/" + encodeURIComponent(key) + "/scopes?" + query);
      body = await resp.json();
      if (!resp.ok) throw new Error(body.message || resp.statusText);
    } catch (e) {
      if (mine !== generation) return;
      error.textContent = "Could not compute the scopes: " + e.message;
      error.hidden = false;
      main.dataset.state = "error";
      return;
    }
    if (mine !== generation) return; // a newer selection is on its way
    error.hidden = true;
    output.textContent = body.text;
    const labels = body.enabled_actions.map((a) => a.label).sort();
    enables.textContent = labels.length ? labels.join(", ") : "none";
    main.dataset.state = "ready";
  }

  function restore() {
    const p = new URLSearchParams(location.search);
    const actions = new Set((p.get("actions") || "").split(",").filter(Boolean));
    const extras = new Set((p.get("extra_scopes") || "").split(",").filter(Boolean));
    actionBoxes.forEach((b) => (b.checked = actions.has(b.value)));
    extraBoxes.forEach((b) => (b.checked = extras.has(b.value)));
    if (p.get("separator")) separator.value = p.get("separator");
    minimal.checked = p.get("minimal") === "true";
  }

  function filter() {
    const words = $("search").value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    document.querySelectorAll(".action").forEach((row) => {
      const text = row.dataset.search.toLowerCase();
      const match = words.every((w) => text.includes(w));
      row.hidden = !match;
      if (match) shown++;
    });
    $("no-results").hidden = shown > 0;
  }

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => (button.textContent = label), 1200);
  }

  actionBoxes.concat(extraBoxes, [minimal]).forEach((b) => b.addEventListener("change", update));
  separator.addEventListener("change", update);
  $("search").addEventListener("input", filter);
  $("select-all").addEventListener("click", () => {
    actionBoxes.forEach((b) => {
      if (!b.closest(".action").hidden) b.checked = true;
    });
    update();
  });
  $("clear").addEventListener("click", () => {
    actionBoxes.concat(extraBoxes).forEach((b) => (b.checked = false));
    update();
  });
  $("copy-scopes").addEventListener("click", (e) => copy(output.textContent, e.target));
  $("copy-url").addEventListener("click", (e) => copy(guideURL.value, e.target));

  restore();
  update();
})();
