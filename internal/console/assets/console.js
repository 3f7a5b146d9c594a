// The console works without this script; it adds filtering as you type,
// the live scope preview, copy buttons, confirmations and the project switcher.
(() => {
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  // Connector search on "+ Connector Profile".
  const connectorSearch = document.getElementById("connector-search");
  if (connectorSearch) {
    const filter = () => {
      const q = connectorSearch.value.trim().toLowerCase();
      let shown = 0;
      for (const li of $$(".connectors li")) {
        li.hidden = q !== "" && !li.dataset.search.toLowerCase().includes(q);
        if (!li.hidden) shown++;
      }
      document.getElementById("no-connectors").hidden = shown > 0;
    };
    connectorSearch.addEventListener("input", filter);
    connectorSearch.addEventListener("keydown", (e) => {
      const first = $$(".connectors li").find((li) => !li.hidden);
      if (e.key === "Enter" && first) { e.preventDefault(); first.querySelector("a").click(); }
    });
  }

  // The actions picker: search, select all, clear, and the scopes they need.
  for (const picker of $$(".actions-picker")) {
    const boxes = $$("input[name=actions]", picker);
    const preview = picker.querySelector("#scopes-preview");
    const refresh = async () => {
      const actions = boxes.filter((b) => b.checked).map((b) => b.value);
      const res = await fetch(`/guides/${picker.dataset.connector}/scopes?actions=${encodeURIComponent(actions.join(","))}`);
      const body = await res.json();
      preview.textContent = res.ok ? (body.scopes.length ? body.text : "No scopes: select the actions to enable.") : body.message;
    };
    picker.querySelector(".action-search").addEventListener("input", (e) => {
      const q = e.target.value.trim().toLowerCase();
      for (const row of $$(".action", picker)) row.hidden = q !== "" && !row.dataset.search.toLowerCase().includes(q);
    });
    picker.querySelector(".select-all").addEventListener("click", () => {
      for (const b of boxes) if (!b.closest(".action").hidden) b.checked = true;
      refresh();
    });
    picker.querySelector(".clear-all").addEventListener("click", () => { for (const b of boxes) b.checked = false; refresh(); });
    for (const b of boxes) b.addEventListener("change", refresh);
    refresh();
  }

  // Copy buttons: data-copy holds the text, or data-copy-from names an element.
  for (const button of $$("button.copy")) {
    const label = button.textContent;
    button.addEventListener("click", async () => {
      const text = button.dataset.copy ?? document.getElementById(button.dataset.copyFrom)?.textContent ?? "";
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select and copy";
      }
      setTimeout(() => (button.textContent = label), 1500);
    });
  }

  // Forms that change something hard to undo ask first.
  for (const form of $$("form[data-confirm]")) {
    form.addEventListener("submit", (e) => { if (!confirm(form.dataset.confirm)) e.preventDefault(); });
  }

  // The project switcher goes at once.
  for (const select of $$("select[data-autosubmit]")) select.addEventListener("change", () => select.form.submit());
})();
