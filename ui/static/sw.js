// sanbiao's service worker (CONTRACT §12), served as /sw.js with scope /.
//
// - The app shell (CSS, htmx, the outbox script, icons): network first, the saved copy without network.
// - The signed-in doctor's list (/) and the cards of the residents on it: saved after each online
//   visit to the list, network first, the saved copy without network. A saved page carries
//   data-saved-at on its <body>, so offline.js can say how old it is. Nothing else is saved: not
//   the dashboard, audit, admin pages or exports, nor a card that is not on the list.
// - Center staff never get a list (GET / sends them to the dashboard), so nothing of theirs is saved.
// Sign-out deletes the saved pages (offline.js).

const SHELL = "sanbiao-shell";
const PAGES = "sanbiao-pages";
const SHELL_FILES = [
  "/static/sanbiao.css",
  "/static/vendor/htmx.min.js",
  "/static/vendor/idb-keyval.js",
  "/static/offline.js",
  "/static/icon.svg",
  "/static/icon-192.png",
];
const LIST = "/";
const CARD = /^\/residents\/[^/]+$/;
const CARD_LINK = /href="(\/residents\/[^"/?#]+)"/g;
const MAX_CARDS = 100; // the list's first page shows at most 50 residents
const CARD_MINUTES = 30; // a card saved this recently is not read again for the list (each read is audited);
// opening it online saves it afresh

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(SHELL_FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(shellFile(request));
  } else if (request.mode === "navigate" && (url.pathname === LIST || CARD.test(url.pathname))) {
    event.respondWith(page(event, url));
  }
});

self.addEventListener("message", (event) => {
  // The list page, shown before this worker controlled it (the first visit), asks to be saved.
  if (event.data && event.data.type === "save-list") {
    event.waitUntil(
      fetch(LIST)
        .then((response) => (response.ok && !response.redirected ? saveList(response) : null))
        .catch(() => null),
    );
  }
});

async function shellFile(request) {
  const cache = await caches.open(SHELL);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    return (await cache.match(request, { ignoreSearch: true })) || Promise.reject(error);
  }
}

async function page(event, url) {
  // Network first: a saved copy only when the network fails. (Not on a slow answer: under load the
  // server may take seconds, and an online doctor must not act on an old card.)
  const key = url.pathname; // the list under any filter falls back to the saved list
  const saved = () => caches.match(key, { cacheName: PAGES }); // never creates the cache
  let response;
  try {
    response = await fetch(event.request);
  } catch (error) {
    return (await saved()) || offlinePage();
  }
  if (response.ok && !response.redirected && response.type === "basic") {
    if (key === LIST && url.search === "") event.waitUntil(saveList(response.clone()));
    else if (key !== LIST && (await saved())) event.waitUntil(save(key, response.clone()));
  }
  return response;
}

async function saveList(response) {
  const cache = await caches.open(PAGES);
  const html = await response.text();
  const at = new Date().toISOString();
  await cache.put(LIST, stamped(html, response, at));
  const cards = [...new Set(Array.from(html.matchAll(CARD_LINK), (m) => m[1]))].slice(0, MAX_CARDS);
  for (const path of cards) {
    const kept = await cache.match(path);
    if (kept && Date.now() - Date.parse(kept.headers.get("x-saved-at")) < CARD_MINUTES * 60_000) continue;
    try {
      const card = await fetch(path, { redirect: "error" });
      if (card.ok) await save(path, card, at);
    } catch (error) {
      break; // the network or the session went: the cards saved so far stay
    }
  }
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (CARD.test(path) && !cards.includes(path)) await cache.delete(request); // off the list: off the phone
  }
  const clients = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  clients.forEach((client) => client.postMessage({ type: "saved" }));
}

async function save(path, response, at = new Date().toISOString()) {
  const cache = await caches.open(PAGES);
  await cache.put(path, stamped(await response.text(), response, at));
}

function stamped(html, response, at) {
  return new Response(html.replace("<body", `<body data-saved-at="${at}"`), {
    headers: { "content-type": response.headers.get("content-type") || "text/html; charset=utf-8", "x-saved-at": at },
  });
}

function offlinePage() {
  const html =
    '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">' +
    '<link rel="stylesheet" href="/static/sanbiao.css"><main><section class="card error-page">' +
    "<h1>离线 · Offline</h1><p>这一页没有保存在手机上。</p><p>This page is not saved on this phone.</p>" +
    '<p><a href="/">← 名单 · List</a></p></section></main>';
  return new Response(html, { status: 503, headers: { "content-type": "text/html; charset=utf-8" } });
}
