// The page's live connection and the post form. Plain JavaScript, no build step.
//
// Live updates come over a WebSocket; if none can be opened, long polling
// (POST /updates) takes over. Either way we remember the id of the last event
// we saw and resume from it when we reconnect, so nothing is missed.
"use strict";

(function () {
  document.documentElement.classList.add("js");
  // The reader's time zone, for dates older than a day (see gmt_offset).
  document.cookie = "tz=" + new Date().getTimezoneOffset() + "; path=/; samesite=lax";

  function getCookie(name) {
    const match = document.cookie.match("(?:^|; )" + name + "=([^;]*)");
    return match ? decodeURIComponent(match[1]) : "";
  }

  // POST with the XSRF token in a header; the server answers JSON.
  async function post(url, body) {
    const response = await fetch(url, {
      method: "POST",
      body: body,
      headers: { "X-XSRFToken": getCookie("_xsrf"), "Accept": "application/json" },
      credentials: "same-origin",
    });
    let data = {};
    try {
      data = await response.json();
    } catch (e) {
      // Not JSON: a proxy's error page, say.
    }
    if (!response.ok) {
      throw new Error(data.error || response.status + " " + response.statusText);
    }
    return data;
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // The language menu applies at once.
  const language = document.querySelector("form.language select");
  if (language) {
    language.addEventListener("change", () => language.form.submit());
  }

  const list = document.getElementById("entries");

  // Fetch one entry's HTML (in our language) and put it on the page. Calls
  // for the same entry are queued, so an older answer never wins.
  const refreshing = new Map();
  async function refresh(entryId, isNew) {
    if (refreshing.has(entryId)) {
      refreshing.set(entryId, true);
      return;
    }
    refreshing.set(entryId, false);
    try {
      const full = list.dataset.single ? "?full=1" : "";
      const response = await fetch("/entries/" + entryId + "/html" + full,
                                   { credentials: "same-origin" });
      if (response.ok) {
        place(entryId, await response.text(), isNew);
      }
    } finally {
      const again = refreshing.get(entryId);
      refreshing.delete(entryId);
      if (again) refresh(entryId, false);
    }
  }

  function place(entryId, html, isNew) {
    const doc = new DOMParser().parseFromString(html, "text/html");
    adoptResources(doc);
    const fresh = document.adoptNode(doc.querySelector("article.entry"));
    const old = document.getElementById("entry-" + entryId);
    if (old) {
      // Keep a half-written comment.
      const typed = old.querySelector(".comment-form input[name=text]");
      const input = fresh.querySelector(".comment-form input[name=text]");
      if (typed && input && typed.value) input.value = typed.value;
      old.replaceWith(fresh);
    } else if (isNew && !list.dataset.single) {
      list.prepend(fresh);
      const empty = document.querySelector(".empty");
      if (empty) empty.remove();
    }
  }

  // A fragment lists the CSS and JS of its UI modules (squall put them in
  // its <head> and <body>); load those this page does not have yet, e.g. the
  // Entry module's files on a page that had no entries.
  function adoptResources(doc) {
    for (const link of doc.querySelectorAll("link[rel=stylesheet]")) {
      const href = link.getAttribute("href");
      if (!document.querySelector(`link[href="${CSS.escape(href)}"]`)) {
        document.head.append(document.adoptNode(link));
      }
    }
    for (const script of doc.querySelectorAll("script[src]")) {
      const src = script.getAttribute("src");
      if (!document.querySelector(`script[src="${CSS.escape(src)}"]`)) {
        const element = document.createElement("script"); // adopted ones would not run
        element.src = src;
        document.body.append(element);
      }
    }
  }

  let lastEvent = list ? Number(list.dataset.lastEvent) : 0;

  function handle(events) {
    const touched = new Map();
    for (const event of events) {
      lastEvent = Math.max(lastEvent, event.id);
      touched.set(event.entry_id, touched.get(event.entry_id) || event.kind === "entry");
    }
    for (const [entryId, isNew] of touched) refresh(entryId, isNew);
  }

  const status = document.getElementById("live");
  function setStatus(live, how) {
    if (!status) return;
    status.textContent = live ? status.dataset.live + " · " + how : status.dataset.offline;
    status.className = "live " + (live ? "on" : "off");
    status.dataset.transport = live ? how : "";
  }

  function connectSocket() {
    const scheme = location.protocol === "https:" ? "wss://" : "ws://";
    const socket = new WebSocket(scheme + location.host + "/updates/socket?since=" + lastEvent);
    let opened = false;
    socket.onopen = () => {
      opened = true;
      setStatus(true, "WebSocket");
    };
    socket.onmessage = (message) => handle(JSON.parse(message.data).events);
    socket.onclose = () => {
      if (!opened) {
        longPoll(); // WebSockets are blocked here (a proxy?): poll instead.
        return;
      }
      setStatus(false);
      setTimeout(connectSocket, 1000 + Math.random() * 1000);
    };
  }

  async function longPoll() {
    let failures = 0;
    for (;;) {
      // A poll that is waiting is a live connection; after a failure we
      // show "reconnecting" until a poll succeeds.
      if (failures === 0) setStatus(true, "long polling");
      try {
        const answer = await post("/updates", new URLSearchParams({ since: lastEvent }));
        failures = 0;
        handle(answer.events);
      } catch (error) {
        failures += 1;
        setStatus(false);
        await sleep(Math.min(30000, 500 * 2 ** failures));
      }
    }
  }

  if (list) {
    // ?transport=poll forces the fallback (to try it, and for the tests).
    const forcePolling = new URLSearchParams(location.search).get("transport") === "poll";
    if (forcePolling || !("WebSocket" in window)) {
      longPoll();
    } else {
      connectSocket();
    }
  }

  // The composer posts with fetch; the new entry arrives as a live event.
  const composer = document.getElementById("composer");
  if (composer) {
    composer.addEventListener("submit", async (event) => {
      event.preventDefault();
      const error = composer.querySelector(".error");
      const button = composer.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const answer = await post(composer.action, new FormData(composer));
        composer.reset();
        error.textContent = "";
        refresh(answer.entry_id, true);
      } catch (e) {
        error.textContent = e.message;
      } finally {
        button.disabled = false;
      }
    });
  }

  // "5 minutes ago" ages while the page stays open: every 20 s, rewrite the
  // dates under a day old in the page's language (the server's wording for
  // older ones, absolute dates, stays as it is).
  const relative = window.Intl && Intl.RelativeTimeFormat
    ? new Intl.RelativeTimeFormat(document.documentElement.lang || undefined, { numeric: "always" })
    : null;
  function ageDates() {
    if (!relative) return;
    const now = Date.now() / 1000;
    document.querySelectorAll(".when[data-ts]").forEach(function (el) {
      const age = Math.max(0, Math.floor(now - Number(el.dataset.ts)));
      let text;
      if (age < 60) text = relative.format(-age, "second");
      else if (age < 3600) text = relative.format(-Math.floor(age / 60), "minute");
      else if (age < 86400) text = relative.format(-Math.floor(age / 3600), "hour");
      else return;
      if (el.textContent !== text) el.textContent = text;
    });
  }
  setInterval(ageDates, 20000);

  window.feed = { post: post, refresh: refresh, ageDates: ageDates };
})();
