// tallyroom results site: sortable tables, and live updates from the server's event stream.
"use strict";

function sortable(table) {
  const headers = Array.from(table.querySelectorAll("thead th"));
  headers.forEach((th, column) => {
    const button = th.querySelector("button");
    if (!button) return;
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      headers.forEach((other) => other.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      const key = (row) => {
        const cell = row.cells[column];
        const value = cell.dataset.value ?? cell.textContent.trim();
        const number = Number(value);
        return Number.isNaN(number) || value === "" ? value.toLowerCase() : number;
      };
      rows.sort((a, b) => {
        const x = key(a), y = key(b);
        const order = x < y ? -1 : x > y ? 1 : 0;
        return ascending ? order : -order;
      });
      rows.forEach((row) => body.appendChild(row));
    });
  });
}

function enhance(root) {
  root.querySelectorAll("table.sortable").forEach(sortable);
}

async function reload(generation) {
  const response = await fetch(window.location.href, { cache: "no-store" });
  if (!response.ok) return;
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  for (const id of ["content", "progress"]) {
    const fresh = page.getElementById(id);
    const current = document.getElementById(id);
    if (fresh && current) current.replaceWith(fresh);
  }
  document.body.dataset.generation = generation;
  enhance(document.getElementById("content"));
}

function follow(url) {
  const events = new EventSource(url);
  events.addEventListener("count", (event) => {
    const data = JSON.parse(event.data);
    if (String(data.generation) !== document.body.dataset.generation) {
      reload(String(data.generation));
    }
  });
}

// A static page reads the count's progress from its JSON document, so the page itself
// changes only when its own figures do.
async function showProgress(status) {
  const response = await fetch(status.dataset.document, { cache: "no-cache" });
  if (!response.ok) return;
  const progress = await response.json();
  status.textContent = progress.text + (status.dataset.stage ? ` (${status.dataset.stage})` : "");
}

document.addEventListener("DOMContentLoaded", () => {
  enhance(document);
  if (document.body.dataset.events) follow(document.body.dataset.events);
  const status = document.querySelector("#progress[data-document]");
  if (status) showProgress(status);
});
