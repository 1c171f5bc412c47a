/// The page's behaviour, plain JavaScript with `fetch` only. The token lives in sessionStorage
/// (gone when the tab closes). Recommendations are read as server-sent events through a
/// ReadableStream reader, so each card's narrative appears as the scheduler finishes it; when
/// narratives are unavailable the page asks again without them. Server data only ever reaches
/// the DOM through `textContent`, never as markup.
enum ShopPageScript {
    static let source = ##"""
"use strict";
const $ = (id) => document.getElementById(id);
const state = { token: sessionStorage.getItem("finch.token"), me: null, customer: null, recsRequest: 0 };
const money = new Intl.NumberFormat("en-GB", { style: "currency", currency: "GBP" });

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function setStatus(id, text, isError) {
  const node = $(id);
  node.textContent = text || "";
  node.classList.toggle("error", Boolean(isError));
}

class HTTPFailure extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  if (state.token) headers["Authorization"] = "Bearer " + state.token;
  if (options.json !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET", headers,
    body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
  });
  if (response.status === 401 && path !== "/api/token") { signOut("Your session has ended: please sign in again."); }
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    try { const body = await response.json(); if (body.error && body.error.message) message = body.error.message; } catch (_) {}
    throw new HTTPFailure(response.status, message);
  }
  return options.raw ? response : response.json();
}

async function signIn(event) {
  event.preventDefault();
  setStatus("signin-status", "Signing in…");
  const form = new URLSearchParams({ username: $("username").value.trim(), password: $("password").value });
  try {
    const token = await api("/api/token", { method: "POST", body: form,
      headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    state.token = token.access_token;
    sessionStorage.setItem("finch.token", state.token);
    $("password").value = "";
    setStatus("signin-status", "");
    await start();
  } catch (error) {
    setStatus("signin-status", error.status === 401 ? "Wrong username or password." : "Sign-in failed: " + error.message, true);
  }
}

function signOut(message) {
  state.token = null; state.me = null; state.customer = null; state.recsRequest += 1;
  sessionStorage.removeItem("finch.token");
  $("shop").hidden = true; $("signin").hidden = false; $("signout").hidden = true;
  $("who").textContent = "";
  for (const id of ["recs", "history", "search-results", "customer"]) $(id).replaceChildren();
  for (const id of ["recs-status", "history-status", "search-status", "history-caption"]) $(id).textContent = "";
  setStatus("signin-status", message || "", Boolean(message));
}

async function start() {
  try { state.me = await api("/api/me"); } catch (_) { return; }
  $("signin").hidden = true; $("shop").hidden = false; $("signout").hidden = false;
  const admin = state.me.role === "admin";
  $("who").textContent = admin ? "Signed in as " + state.me.username + " (admin)" : "Signed in as customer " + state.me.customer;
  $("picker").hidden = !admin;
  if (admin) { await loadCustomers(); } else { await showCustomer(state.me.customer); }
}

async function loadCustomers() {
  const select = $("customer");
  select.replaceChildren(element("option", null, "Loading customers…"));
  try {
    const page = await api("/api/customers?limit=100&offset=0");
    select.replaceChildren(...page.customers.map((c) => {
      const option = element("option", null, c.id + " — " + c.country + ", " + c.invoices + " orders, last " + c.last_purchase);
      option.value = c.id;
      return option;
    }));
    if (page.customers.length > 0) await showCustomer(page.customers[0].id);
  } catch (error) {
    select.replaceChildren(element("option", null, "Could not load customers: " + error.message));
  }
}

async function showCustomer(id) {
  state.customer = Number(id);
  await Promise.all([loadRecommendations(state.customer), loadHistory(state.customer)]);
}

function card(item, index) {
  const node = element("li", "card");
  node.dataset.stockCode = item.stock_code;
  node.dataset.index = index;
  const title = element("h3");
  const button = element("button", null, item.name);
  button.type = "button";
  button.setAttribute("aria-label", item.name + ": I'm interested");
  title.append(button);
  node.append(title, element("span", "price", money.format(item.price)), element("span", "code", "Item " + item.stock_code));
  node.addEventListener("click", () => recordClick(item, node));
  return node;
}

function setNarrative(node, text, fallback) {
  let paragraph = node.querySelector(".narrative");
  if (!paragraph) { paragraph = element("p", "narrative"); node.append(paragraph); }
  paragraph.textContent = text;
  paragraph.className = "narrative" + (fallback ? " fallback" : "");
  if (fallback) paragraph.title = "The narrator's text did not pass the grounding check; this is the template sentence.";
}

function reasonText(item) {
  const phrases = (item.reasons || []).map((r) => {
    switch (r.kind) {
      case "bought-together": return r.customers + (r.customers === 1 ? " customer" : " customers") + " who bought item " + r.with + " also bought this.";
      case "similar": return "Like item " + r.to + " you bought.";
      case "bought-before": return "You have bought this " + r.times + (r.times === 1 ? " time." : " times.");
      case "trending": return "Ordered " + r.orders_30d + " times in the last 30 days.";
      case "popular": return "Bought by " + r.customers + (r.customers === 1 ? " customer." : " customers.");
      default: return "";
    }
  }).filter(Boolean);
  return phrases.length > 0 ? phrases.join(" ") : "Picked for you.";
}

async function loadRecommendations(customer) {
  const request = ++state.recsRequest;
  const list = $("recs");
  list.replaceChildren();
  list.setAttribute("aria-busy", "true");
  setStatus("recs-status", "Finding recommendations…");
  const base = "/api/customers/" + customer + "/recommendations?top_n=10";
  try {
    await streamRecommendations(base + "&narrate=true&stream=true", request);
  } catch (error) {
    if (request !== state.recsRequest) return;
    try {
      const answer = await api(base);
      if (request !== state.recsRequest) return;
      list.replaceChildren(...answer.items.map((item, i) => { const n = card(item, i); setNarrative(n, reasonText(item), false); return n; }));
      setStatus("recs-status", "Narratives are unavailable (" + error.message + "); showing why each was picked.");
    } catch (second) {
      setStatus("recs-status", "Could not load recommendations: " + second.message, true);
    }
  } finally {
    if (request === state.recsRequest) list.setAttribute("aria-busy", "false");
  }
}

async function streamRecommendations(path, request) {
  const response = await api(path, { raw: true, headers: { "Accept": "text/event-stream" } });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "", written = 0, total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (request !== state.recsRequest) { reader.cancel(); return; }
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let boundary;
    while ((boundary = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const data = frame.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(5).trimStart()).join("\n");
      if (!data) continue;
      if (data === "[DONE]") { setStatus("recs-status", total + " recommendations, " + written + " narratives written."); return; }
      const event = JSON.parse(data);
      if (event.type === "items") {
        total = event.items.length;
        $("recs").replaceChildren(...event.items.map((item, i) => {
          const n = card(item, i);
          const p = element("p", "narrative pending", "Writing…");
          n.append(p);
          return n;
        }));
        setStatus("recs-status", event.cold_start ? "New here: these are popular picks. Writing why…" : "Writing why you might like each…");
      } else if (event.type === "narrative") {
        const node = $("recs").querySelector('[data-index="' + Number(event.index) + '"]');
        if (node) { setNarrative(node, event.narrative, event.narrative_fallback); written += 1; }
        setStatus("recs-status", written + " of " + total + " written…");
      }
    }
  }
  throw new Error("the stream ended early");
}

async function loadHistory(customer) {
  setStatus("history-status", "Loading…");
  try {
    const history = await api("/api/customers/" + customer + "/history?limit=50");
    $("history").replaceChildren(...history.purchases.map((p) => {
      const row = element("tr");
      row.append(element("td", null, p.date), element("td", null, p.name), element("td", "number", p.quantity),
                 element("td", "number", money.format(p.price)), element("td", "hide-narrow", p.invoice));
      return row;
    }));
    $("history-caption").textContent = "Customer " + customer + "'s latest " + history.purchases.length + " purchases";
    setStatus("history-status", history.purchases.length === 0 ? "No purchases yet." : "");
  } catch (error) {
    setStatus("history-status", "Could not load the history: " + error.message, true);
  }
}

async function recordClick(item, node) {
  node.classList.add("clicked");
  const body = { type: "product_click", stock_code: item.stock_code };
  if (state.me && state.me.role === "admin") body.customer = state.customer;
  try {
    await api("/api/interactions", { method: "POST", json: body });
    setStatus("recs-status", "Noted your interest in " + item.name + ": your next recommendations use it.");
  } catch (error) {
    setStatus("recs-status", "Could not record the click: " + error.message, true);
  }
}

async function search(event) {
  event.preventDefault();
  const query = $("query").value.trim();
  if (!query) return;
  setStatus("search-status", "Searching…");
  try {
    const answer = await api("/api/search?k=10&q=" + encodeURIComponent(query));
    $("search-results").replaceChildren(...answer.items.map((item, i) => card(item, "s" + i)));
    setStatus("search-status", answer.fallback_reason
      ? answer.fallback_reason
      : answer.items.length + " products match “" + answer.query + "”.");
    $("search-status").classList.toggle("fallback-reason", Boolean(answer.fallback_reason));
    if (state.customer !== null) {
      const body = { type: "search", query };
      if (state.me.role === "admin") body.customer = state.customer;
      api("/api/interactions", { method: "POST", json: body }).catch(() => {});
    }
  } catch (error) {
    setStatus("search-status", "Search failed: " + error.message, true);
  }
}

$("signin-form").addEventListener("submit", signIn);
$("search-form").addEventListener("submit", search);
$("signout").addEventListener("click", () => signOut(""));
$("customer").addEventListener("change", (event) => showCustomer(event.target.value));
if (state.token) start();
"""##
}
