// The phone's side of CONTRACT §12: registers the service worker, marks pages shown from the phone's
// copy, and keeps the outbox: visit forms and call outcomes made without network, kept in IndexedDB
// (idb-keyval) with an id made here, so a form sent twice is stored once. The outbox is sent on page
// load, on the browser's `online` event and by "send now"; a refused item stays with the server's
// message until it is fixed or discarded; an item waits for its own doctor to sign in again.
import { createStore, del, entries, get, set } from "/static/vendor/idb-keyval.js";

const PAGES = "sanbiao-pages"; // the service worker's saved list and cards (sw.js)
const OWNER = "sanbiao-pages-owner"; // localStorage: whose list and cards those are
const outbox = createStore("sanbiao-outbox", "items");
const box = document.getElementById("outbox");
const words = JSON.parse(document.getElementById("offline-words").textContent);
const user = document.body.dataset.user || "";
const savedAt = document.body.dataset.savedAt || "";
const ID_FIELD = { visit: "visit_id", outcome: "outcome_id" };
let sending = null;
let note = "";

function say(key, values = {}) {
  return Object.entries(values).reduce((text, [name, value]) => text.replace(`{${name}}`, value), words[key]);
}

function clock(iso) {
  const at = new Date(iso);
  const time = at.toTimeString().slice(0, 5);
  return at.toDateString() === new Date().toDateString() ? time : `${at.getMonth() + 1}/${at.getDate()} ${time}`;
}

function element(tag, attributes = {}, text = "") {
  const node = Object.assign(document.createElement(tag), attributes);
  node.textContent = text;
  return node;
}

async function items() {
  return (await entries(outbox)).map(([, item]) => item).sort((a, b) => a.made.localeCompare(b.made));
}

async function update(item, changes) {
  Object.assign(item, changes);
  await set(item.id, item, outbox);
  await render();
}

// --- the outbox on the page ---------------------------------------------------------------------

async function render() {
  if (!box) return;
  const all = await items();
  const mine = all.filter((item) => item.user === user);
  const others = all.length - mine.length;
  box.hidden = !mine.length && !others && !note;
  box.querySelector(".count").textContent = mine.length ? say("outbox_pending", { n: mine.length }) : note;
  box.querySelector(".send").hidden = !mine.length;
  const list = box.querySelector("ul");
  list.replaceChildren(...mine.map(row));
  if (others) {
    const owner = all.find((item) => item.user !== user).user;
    list.append(element("li", { className: "muted" }, say("outbox_others", { n: others, user: owner })));
  }
}

function row(item) {
  const li = element("li", { className: `item ${item.status}` });
  li.dataset.id = item.id;
  li.append(element("strong", {}, `${say(`outbox_${item.kind}`)} · ${item.label}`), " ");
  li.append(element("span", { className: "muted" }, clock(item.made)), " ");
  li.append(element("span", { className: "state" }, say(`outbox_${item.status}`)));
  if (item.message) li.append(element("span", { className: "field-error", role: "alert" }, item.message));
  if (item.status === "login") li.append(" ", element("a", { href: "/login" }, words.login));
  if (item.status === "rejected") {
    const fix = element("a", { href: `${item.card}#fix=${item.id}`, className: "fix" }, say("outbox_fix"));
    if (item.kind === "visit") li.append(" ", fix);
    const discard = element("button", { type: "button", className: "discard" }, say("outbox_discard"));
    discard.addEventListener("click", () => del(item.id, outbox).then(render));
    li.append(" ", discard);
  }
  return li;
}

// --- queueing a form ----------------------------------------------------------------------------

function phoneId(form) {
  const name = ID_FIELD[form.dataset.outbox];
  let input = form.querySelector(`input[name=${name}]`);
  if (!input) {
    input = element("input", { type: "hidden", name });
    form.append(input);
  }
  if (!input.value) input.value = name === "visit_id" ? visitId() : crypto.randomUUID();
  return input.value;
}

function visitId() {
  // Of the same form as the server's own (service/visits.py form_visit_id), so the visits of one day
  // sort in the order they were recorded, on the phone or not: ui-YYYYMMDD-<microseconds, 13 hex>-<random>.
  const now = new Date();
  const day = [now.getFullYear(), now.getMonth() + 1, now.getDate()].map((n) => String(n).padStart(2, "0")).join("");
  const micros = (BigInt(now.getTime()) * 1000n).toString(16).padStart(13, "0");
  const random = Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join("");
  return `ui-${day}-${micros}-${random}`;
}

async function queue(form) {
  const id = phoneId(form);
  const fields = [...new FormData(form)].filter(([name]) => name !== "_csrf_token");
  const item = {
    id,
    kind: form.dataset.outbox,
    url: form.getAttribute("action"),
    card: location.pathname,
    label: form.dataset.label || "",
    fields,
    user,
    made: new Date().toISOString(),
    status: "waiting",
    message: "",
  };
  await set(id, item, outbox);
  form.reset();
  form.querySelector(`input[name=${ID_FIELD[item.kind]}]`).value = "";
  form.querySelector(".queued")?.remove();
  form.append(element("p", { className: "queued", role: "status" }, say("offline_queued")));
  note = "";
  await render();
}

document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (form.matches("form[action='/logout']")) return signOut(event, form);
    if (!form.dataset.outbox) return;
    phoneId(form); // online too: a retry of this very form is then stored once
    if (form.dataset.fixes) {
      del(form.dataset.fixes, outbox).then(render); // the fixed visit replaces the refused one
      delete form.dataset.fixes;
    }
    if (navigator.onLine && !savedAt) return; // htmx sends it
    event.preventDefault();
    event.stopImmediatePropagation();
    queue(form);
  },
  true,
);

// htmx could not reach the server although the phone thought it was online: keep the form, same id.
document.addEventListener("htmx:sendError", (event) => {
  const form = event.detail.elt.closest("form[data-outbox]");
  if (form) queue(form);
});

// --- sending ------------------------------------------------------------------------------------

function send() {
  sending ??= sendAll().finally(() => {
    sending = null;
  });
  return sending;
}

async function token() {
  // A fresh CSRF token, and whether this doctor is still signed in (else: the login form).
  const response = await fetch("/outbox/token", { headers: { accept: "application/json" }, cache: "no-store" });
  if (response.redirected || response.status === 401 || response.status === 403) return null; // signed out
  if (!response.ok) throw new Error(`the server answered ${response.status}`); // busy: the items wait
  const answer = await response.json();
  return answer.user === user ? answer.csrf : null;
}

async function sendAll() {
  const waiting = (await items()).filter((item) => item.user === user && item.status !== "rejected");
  if (!user || !waiting.length) return render();
  let csrf;
  try {
    csrf = await token();
  } catch (error) {
    return render(); // still no network, or the server could not answer: try again later
  }
  if (csrf === null) {
    for (const item of waiting) await update(item, { status: "login" });
    return;
  }
  let sent = 0;
  for (const item of waiting) {
    await update(item, { status: "sending" });
    let response;
    try {
      response = await fetch(item.url, {
        method: "POST",
        body: new URLSearchParams(item.fields),
        headers: { "x-csrftoken": csrf, "hx-request": "true" },
      });
    } catch (error) {
      await update(item, { status: "waiting" });
      break;
    }
    if (response.redirected && new URL(response.url).pathname === "/login") {
      await update(item, { status: "login" });
      break;
    }
    if (response.ok) {
      await del(item.id, outbox);
      sent += 1;
    } else if (response.status >= 500) {
      await update(item, { status: "waiting", message: `${response.status}` });
      break;
    } else {
      await update(item, { status: "rejected", message: await refusal(response) });
    }
  }
  if (sent) note = say("outbox_sent", { n: sent });
  await render();
}

async function refusal(response) {
  // The server's own words: each field's message beside its label, or the error page's line.
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  const fields = [...page.querySelectorAll(".field-error")].map((error) => {
    const label = error.closest("label")?.firstChild?.textContent.trim();
    return label ? `${label}: ${error.textContent.trim()}` : error.textContent.trim();
  });
  const line = page.querySelector(".error-page p")?.textContent.trim();
  return fields.join("; ") || line || `${response.status}`;
}

// --- signing out --------------------------------------------------------------------------------

async function signOut(event, form) {
  if (form.dataset.cleared) return;
  event.preventDefault();
  event.stopImmediatePropagation();
  await send();
  const left = (await items()).filter((item) => item.user === user);
  if (left.length && !confirm(say("outbox_unsent", { n: left.length }))) return;
  await Promise.all(left.map((item) => del(item.id, outbox)));
  await forget();
  form.dataset.cleared = "yes";
  form.submit();
}

async function forget() {
  // The saved list and cards leave the phone (sign-out, or another doctor signed in).
  await caches.delete(PAGES);
  localStorage.removeItem(OWNER);
}

// --- on every page ------------------------------------------------------------------------------

async function fixing() {
  // A refused visit opened with "fix": its values back in the card's form, sent again as a new visit.
  const id = new URLSearchParams(location.hash.slice(1)).get("fix");
  const form = document.querySelector("form[data-outbox=visit]");
  const item = id && form && (await get(id, outbox));
  if (!item) return;
  form.reset();
  const used = {}; // a name that repeats (a medicine's dose on each row) fills its inputs in order
  for (const [name, value] of item.fields) {
    const inputs = form.querySelectorAll(`[name=${name}]:not([type=checkbox]):not([type=hidden])`);
    const input = inputs[(used[name] = (used[name] ?? -1) + 1)];
    if (input) input.value = value;
  }
  for (const tick of form.querySelectorAll("input[type=checkbox]")) {
    tick.checked = item.fields.some(([name, value]) => name === tick.name && value === tick.value);
  }
  form.dataset.fixes = id;
  form.scrollIntoView();
}

async function showSaved() {
  // The list says how many cards the phone keeps (read from the worker's cache: its message after a
  // save can come before this page is ready to hear it).
  const line = document.getElementById("offline-saved");
  if (!line || !(await caches.has(PAGES))) return;
  const paths = (await (await caches.open(PAGES)).keys()).map((request) => new URL(request.url).pathname);
  if (paths.includes("/")) line.textContent = say("offline_saved", { n: paths.length - 1 });
}

function showStale() {
  if (savedAt) box.before(element("p", { className: "stale", role: "status" }, say("offline_stale", { time: clock(savedAt) })));
}

async function start() {
  showStale();
  if (user && localStorage.getItem(OWNER) !== user) {
    await caches.delete(PAGES);
    localStorage.setItem(OWNER, user);
  }
  if ("serviceWorker" in navigator && user) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" });
    navigator.serviceWorker.addEventListener("message", (event) => event.data.type === "saved" && showSaved());
    showSaved();
    if (location.pathname === "/" && !location.search && !savedAt && !navigator.serviceWorker.controller) {
      navigator.serviceWorker.ready.then((registration) => registration.active.postMessage({ type: "save-list" }));
    }
  }
  box?.querySelector(".send").addEventListener("click", send);
  window.addEventListener("online", send);
  window.addEventListener("hashchange", fixing);
  await render();
  await fixing();
  if (navigator.onLine) await send();
}

start();
