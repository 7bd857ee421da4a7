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
  copyText(source.textContent).then(
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
