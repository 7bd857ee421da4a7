// Behaviour of the web UI. Kept out of the HTML so a strict Content-Security-Policy can forbid
// inline script.
"use strict";

function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    return navigator.clipboard.writeText(text);
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.className = "offscreen";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
}

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const label = button.textContent;
  const text = "value" in source ? source.value : source.textContent;
  copyText(text).then(
    () => { button.textContent = "Copied"; },
    () => { button.textContent = "Copy failed"; },
  ).finally(() => setTimeout(() => { button.textContent = label; }, 1500));
});

// Filter URLs are bookmarks: leave out the fields nobody filled in.
document.addEventListener("htmx:configRequest", (event) => {
  const detail = event.detail;
  if (detail.verb !== "get" || !detail.elt.closest("form")) return;
  const names = new Set(Array.from(detail.formData.keys()));
  for (const name of names) {
    const values = detail.formData.getAll(name).filter((v) => String(v).trim() !== "");
    detail.formData.delete(name);
    for (const value of values) detail.formData.append(name, value);
  }
});

// A secret shown once is selected whole on focus, ready to copy.
document.addEventListener("focusin", (event) => {
  if (event.target.matches && event.target.matches("input[data-select-on-focus]")) {
    event.target.select();
  }
});

// Live tail: while the box is ticked and the tab is visible, ask now and then for the rows
// newer than the newest shown (one small indexed query), and put them on top.
const TAIL_EVERY_MS = 5000;
const TAIL_MAX_ROWS = 500;
let tailTimer = null;

function tailOnce(box) {
  if (document.hidden || !box.checked || !box.isConnected) return;
  const url = new URL(box.dataset.tailUrl, window.location.href);
  if (box.dataset.tailCursor) url.searchParams.set("newer_than", box.dataset.tailCursor);
  fetch(url, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) throw new Error(`tail: ${response.status}`);
      const cursor = response.headers.get("X-Tail-Cursor");
      return response.text().then((html) => ({ cursor, html }));
    })
    .then(({ cursor, html }) => {
      if (!cursor) return;
      box.dataset.tailCursor = cursor;
      const body = document.getElementById("log-rows");
      const empty = body.querySelector("tr.empty-row");
      if (empty) empty.remove();
      const template = document.createElement("template");
      template.innerHTML = html;
      for (const row of template.content.querySelectorAll("tr")) row.classList.add("new");
      body.prepend(template.content);
      while (body.rows.length > TAIL_MAX_ROWS) body.deleteRow(-1);
    })
    .catch(() => { box.closest("label").classList.add("bad"); });
}

function scheduleTail() {
  clearInterval(tailTimer);
  tailTimer = null;
  const box = document.getElementById("live-tail");
  if (!box || !box.checked || document.hidden) return;
  tailOnce(box);
  tailTimer = setInterval(() => tailOnce(box), TAIL_EVERY_MS);
}

document.addEventListener("change", (event) => {
  if (event.target.id === "live-tail") scheduleTail();
});
document.addEventListener("visibilitychange", scheduleTail);
document.addEventListener("htmx:afterSettle", scheduleTail);
