"""Drives the shop's page in headless Chromium as a person would, and checks what it shows.

drive(url, username, password) signs in through the form (typed, then a real click on the
button), waits for the recommendation cards and every card's narrative (streamed, or the fallback
sentence), checks the previous purchases, clicks a card (a product_click the server stores),
searches, checks the page at phone width, and fails on any console error, failed request or
request leaving the server's origin. Returns what it saw; raises AssertionError otherwise."""

import json
import time

from cdp_client import Browser

CARDS = "#recs .card"


def drive(url, username, password, screenshot=None, timeout=120, search_query="red lantern", admin=False):
    browser = Browser(width=1100, height=1250)
    try:
        return _scenario(browser, url.rstrip("/"), username, password, screenshot, timeout, search_query, admin)
    finally:
        browser.close()


def _scenario(browser, origin, username, password, screenshot, timeout, search_query, admin):
    for domain in ("Page", "Runtime", "Network", "Log"):
        browser.call(f"{domain}.enable")
    browser.call("Page.navigate", url=origin + "/")
    browser.wait_for("document.readyState === 'complete' && !!document.getElementById('signin-form')", 30, "the page to load")
    assert browser.evaluate("document.title") == "Finch shop"
    assert browser.evaluate("document.querySelectorAll('label[for=username], label[for=password]').length") == 2, "the sign-in fields need labels"

    browser.type_into("#password", "not the password")
    browser.type_into("#username", username)
    browser.click("#signin-form button[type=submit]")
    browser.wait_for("document.getElementById('signin-status').textContent.includes('Wrong')", 20, "the wrong-password message")
    assert browser.evaluate("document.getElementById('shop').hidden"), "a wrong password must not sign in"

    browser.type_into("#password", password)
    browser.click("#signin-form button[type=submit]")
    browser.wait_for("!document.getElementById('shop').hidden", 20, "the signed-in shop")
    assert browser.evaluate("sessionStorage.getItem('finch.token')"), "the token is kept in sessionStorage"
    who = browser.evaluate("document.getElementById('who').textContent")
    customers_listed = 0
    if admin:
        assert "(admin)" in who, who
        customers_listed = browser.wait_for("!document.getElementById('picker').hidden && "
                                            "document.querySelectorAll('#customer option[value]').length", 30, "the customer picker")
    else:
        assert browser.evaluate("document.getElementById('picker').hidden"), "a customer sees no customer picker"

    started = time.time()
    card_count = browser.wait_for(f"document.querySelectorAll('{CARDS}').length", timeout, "recommendation cards")
    first_cards = time.time() - started
    browser.wait_for(f"document.querySelectorAll('{CARDS} .narrative.pending').length === 0 && "
                     f"document.querySelectorAll('{CARDS} .narrative').length === document.querySelectorAll('{CARDS}').length",
                     timeout, "a narrative on every card")
    all_narratives = time.time() - started
    cards = browser.evaluate(f"""[...document.querySelectorAll('{CARDS}')].map(c => ({{
        name: c.querySelector('h3').textContent, price: c.querySelector('.price').textContent,
        code: c.dataset.stockCode, narrative: c.querySelector('.narrative').textContent,
        fallback: c.querySelector('.narrative').classList.contains('fallback')}}))""")
    for card in cards:
        assert card["name"].strip() and card["code"], f"a card without a name or stock code: {card}"
        assert card["price"].startswith("£"), f"a card without a price: {card}"
        assert len(card["narrative"].strip()) > 10, f"a card without its narrative: {card}"
    recs_status = browser.evaluate("document.getElementById('recs-status').textContent")

    browser.wait_for("document.getElementById('history').children.length > 0 || "
                     "document.getElementById('history-status').textContent !== 'Loading…'", 30, "the previous purchases")
    purchases = browser.evaluate("document.getElementById('history').children.length")
    history_error = browser.evaluate("document.getElementById('history-status').classList.contains('error')")
    assert not history_error, browser.evaluate("document.getElementById('history-status').textContent")

    browser.click(f"{CARDS} h3 button")
    browser.wait_for("document.getElementById('recs-status').textContent.startsWith('Noted')", 20, "the click to be recorded")

    browser.type_into("#query", search_query)
    browser.press_enter()
    browser.wait_for("document.querySelectorAll('#search-results .card').length > 0", 30, "search results")
    search = browser.evaluate("""({count: document.querySelectorAll('#search-results .card').length,
        status: document.getElementById('search-status').textContent,
        names: [...document.querySelectorAll('#search-results .card h3')].map(h => h.textContent)})""")

    if screenshot:
        browser.evaluate("window.scrollTo(0, 0)")
        browser.screenshot(screenshot, whole_page=False)

    browser.call("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=1, mobile=True)
    time.sleep(0.3)
    overflow = browser.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow} px wider than a 390 px phone screen"

    _check_events(browser.events, origin)
    return {"signed_in_as": who, "customers_listed": customers_listed, "cards": len(cards), "card_count_first": card_count,
            "fallback_narratives": sum(c["fallback"] for c in cards), "first_cards_s": round(first_cards, 2),
            "all_narratives_s": round(all_narratives, 2), "recs_status": recs_status, "purchases_shown": purchases,
            "search": search, "example_card": cards[0]}


def _check_events(events, origin):
    problems = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            request_url = params["request"]["url"]
            if not (request_url.startswith(origin + "/") or request_url == origin or request_url.startswith("data:")):
                problems.append(f"a request left the server: {request_url}")
        elif method == "Network.loadingFailed" and not params.get("canceled"):
            problems.append(f"a request failed: {params.get('errorText')}")
        elif method == "Runtime.exceptionThrown":
            problems.append(f"uncaught exception: {params['exceptionDetails'].get('exception', {}).get('description')}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            problems.append("console.error: " + json.dumps([a.get("value", a.get("description")) for a in params.get("args", [])]))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            entry = params["entry"]
            # Expected, and handled by the page: the wrong password's 401, and the 503 of a
            # narrated request to a server without a narrator (the page falls back).
            expected = entry.get("source") == "network" and (
                ("401" in entry.get("text", "") and "/api/token" in entry.get("url", "")) or
                ("503" in entry.get("text", "") and "narrate=true" in entry.get("url", "")))
            if not expected:
                problems.append(f"browser error: {entry.get('text')} {entry.get('url', '')}")
    assert not problems, "\n".join(problems)
