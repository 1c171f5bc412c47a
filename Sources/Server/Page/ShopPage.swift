/// The shop's one web page, served at `GET /`: markup and style here, behaviour in
/// `ShopPageScript`. Everything is inline and every request goes back to this server with
/// `fetch`, so the page needs no build step and loads nothing from elsewhere (the
/// Content-Security-Policy `ShopPageRoute` sends enforces that in the browser).
enum ShopPage {
    static let html = markup.replacingOccurrences(of: "/*SCRIPT*/", with: ShopPageScript.source)

    private static let markup = ##"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Finch shop</title>
<link rel="icon" href="data:,">
<style>
:root { --ink: #1d2433; --muted: #5b6475; --line: #d9dde5; --accent: #1f5fbf; --paper: #f6f7f9; --card: #fff; --warn: #8a4b00; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: var(--paper); }
header { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; justify-content: space-between; padding: .75rem 1rem; background: var(--ink); color: #fff; }
header h1 { font-size: 1.25rem; margin: 0; }
header p { margin: 0; font-size: .9rem; }
main { max-width: 70rem; margin: 0 auto; padding: 1rem; }
section { margin-bottom: 1.75rem; }
h2 { font-size: 1.15rem; margin: 0 0 .6rem; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input, select, button { font: inherit; }
input, select { width: 100%; padding: .5rem .6rem; border: 1px solid var(--line); border-radius: .4rem; background: #fff; color: var(--ink); }
button { padding: .5rem .9rem; border: 0; border-radius: .4rem; background: var(--accent); color: #fff; cursor: pointer; }
button.plain { background: transparent; color: inherit; border: 1px solid currentColor; }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: 1rem; }
#signin { max-width: 24rem; margin: 2rem auto; }
#signin .field { margin-bottom: .8rem; }
.row { display: flex; gap: .5rem; align-items: end; }
.row > :first-child { flex: 1; }
.status { color: var(--muted); font-size: .9rem; min-height: 1.3em; margin: .35rem 0; }
.error { color: #a40e26; }
.cards { list-style: none; margin: 0; padding: 0; display: grid; gap: .8rem; grid-template-columns: repeat(auto-fill, minmax(15rem, 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .6rem; padding: .8rem .9rem; display: flex; flex-direction: column; gap: .35rem; cursor: pointer; }
.card:hover { border-color: var(--accent); }
.card h3 { font-size: 1rem; margin: 0; }
.card h3 button { all: unset; cursor: pointer; }
.card h3 button:focus-visible { outline: 3px solid #f2a900; }
.price { font-weight: 700; }
.code { color: var(--muted); font-size: .8rem; }
.narrative { margin: 0; }
.narrative.pending { color: var(--muted); font-style: italic; }
.narrative.fallback { color: var(--warn); }
.clicked { border-color: var(--accent); box-shadow: 0 0 0 2px var(--accent) inset; }
table { width: 100%; border-collapse: collapse; background: var(--card); font-size: .92rem; }
th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid var(--line); }
td.number, th.number { text-align: right; }
.scroll { overflow-x: auto; max-height: 22rem; overflow-y: auto; border: 1px solid var(--line); border-radius: .6rem; }
.fallback-reason { color: var(--warn); }
[hidden] { display: none !important; }
@media (max-width: 40rem) {
  main { padding: .6rem; }
  .row { flex-direction: column; align-items: stretch; }
  .cards { grid-template-columns: 1fr; }
  .hide-narrow { display: none; }
}
</style>
</head>
<body>
<header>
  <h1>Finch shop</h1>
  <p id="who" aria-live="polite"></p>
  <button id="signout" class="plain" type="button" hidden>Sign out</button>
</header>
<main>
  <section id="signin" class="panel" aria-labelledby="signin-title">
    <h2 id="signin-title">Sign in</h2>
    <form id="signin-form">
      <div class="field">
        <label for="username">Username (your customer number)</label>
        <input id="username" name="username" autocomplete="username" required>
      </div>
      <div class="field">
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required>
      </div>
      <button type="submit">Sign in</button>
      <p id="signin-status" class="status" role="alert"></p>
    </form>
  </section>

  <div id="shop" hidden>
    <section id="picker" aria-labelledby="picker-title" hidden>
      <h2 id="picker-title">Customer</h2>
      <label for="customer">Show the shop as this customer sees it</label>
      <select id="customer"></select>
    </section>

    <section aria-labelledby="recs-title">
      <h2 id="recs-title">Recommended for you</h2>
      <p id="recs-status" class="status" aria-live="polite"></p>
      <ul id="recs" class="cards" aria-label="Recommendations" aria-busy="false"></ul>
    </section>

    <section aria-labelledby="search-title">
      <h2 id="search-title">Search the catalog</h2>
      <form id="search-form" class="row" role="search">
        <div>
          <label for="query">Search for</label>
          <input id="query" name="q" type="search" maxlength="200" placeholder="e.g. red lantern" required>
        </div>
        <button type="submit">Search</button>
      </form>
      <p id="search-status" class="status" aria-live="polite"></p>
      <ul id="search-results" class="cards" aria-label="Search results"></ul>
    </section>

    <section aria-labelledby="history-title">
      <h2 id="history-title">Previous purchases</h2>
      <p id="history-status" class="status" aria-live="polite"></p>
      <div class="scroll">
        <table>
          <caption class="status" id="history-caption"></caption>
          <thead><tr><th scope="col">Date</th><th scope="col">Product</th><th scope="col" class="number">Qty</th><th scope="col" class="number">Price</th><th scope="col" class="hide-narrow">Invoice</th></tr></thead>
          <tbody id="history"></tbody>
        </table>
      </div>
    </section>
  </div>
</main>
<script>
/*SCRIPT*/
</script>
</body>
</html>
"""##
}
