"""The offline outbox (CONTRACT §12, issue #17): time from the phone's `online` event to all of a queue
of visits stored, against the same visits posted online from the same browser.

Usage: .venv/bin/python bench/offline.py [--visits 50] [--residents 5000]
Uses bench/load.py's demo county (built once into bench/out/), copied afresh for the run. Debian's
chromium at 360 px signs in as a village doctor and opens a card of their list. Baselines, same run
and browser: the card's visit form submitted online `--visits` times (htmx, one after another, each
until the card's status is swapped in: what a doctor waits for), and as many posts sent by `fetch`
from the page one after another (what the outbox sends, without its bookkeeping). Then the phone
goes offline, as many visits are recorded on the form (each kept in the outbox), and the phone goes
online: the figure is the time from then until the database holds every one of them, and until the
page says they were sent. Each is checked stored exactly once.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import county  # noqa: E402
from bench.serving import machine, serving  # noqa: E402
from fixtures.county import doctor_for, village_codes  # noqa: E402
from service.demo import DEMO_PASSWORD  # noqa: E402
from service.store import connect  # noqa: E402

CHROMIUM = "/usr/bin/chromium"  # Debian's (never a downloaded browser)
PHONE = {"width": 360, "height": 780}
PHONE_MADE = "visit_id NOT LIKE 'ui-%'"  # the form's visits without a phone id get the server's own


def record(page, sbp: int) -> None:
    page.fill("#visit-form input[name=sbp]", str(sbp))
    page.fill("#visit-form input[name=dbp]", "80")
    page.click("#visit-form button[type=submit]")


def online_visits(page, n: int) -> float:
    """Seconds for n visits through the card's form online, each until its answer is swapped in."""
    started = time.perf_counter()
    for k in range(n):
        record(page, 120 + k % 20)
        page.wait_for_function("() => !document.querySelector('#visit-form input[name=sbp]').value")
    return time.perf_counter() - started


FETCHES = """async (n) => {
  const { csrf } = await (await fetch('/outbox/token')).json();
  const form = document.querySelector('#visit-form');
  const started = performance.now();
  for (let k = 0; k < n; k++) {
    const body = new URLSearchParams([...new FormData(form)].filter(([name]) => name !== '_csrf_token'));
    body.set('sbp', String(130 + k % 20));
    body.set('dbp', '80');
    const response = await fetch(form.getAttribute('action'), {
      method: 'POST', body, headers: { 'x-csrftoken': csrf, 'hx-request': 'true' } });
    if (!response.ok) throw new Error(`visit ${k}: ${response.status}`);
  }
  return (performance.now() - started) / 1000;
}"""


def stored(db_path: Path, record_id: str) -> list[str]:
    db = connect(db_path)
    try:
        query = f"SELECT visit_id FROM visits WHERE record_id = ? AND {PHONE_MADE}"
        return [row[0] for row in db.execute(query, [record_id]).fetchall()]
    finally:
        db.close()


def sign_in(page, base: str, doctor: str) -> str:
    """Sign in, let the list be saved on the phone, open its first card; returns the card's record_id."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", doctor)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    page.wait_for_selector("#offline-saved:not(:empty)", timeout=120_000)
    card = page.locator("ul.tasks a.who").first.get_attribute("href")
    page.goto(f"{base}{card}")
    return card.rsplit("/", 1)[1]


def emptied(context, page, db_path: Path, record_id: str, n: int) -> tuple[float, float, bool]:
    """Queue n visits offline, go online: (seconds to all stored, to the page saying so, each stored once)."""
    context.set_offline(True)
    for k in range(n):
        record(page, 140 + k % 20)
        page.wait_for_selector(f"#outbox .count:text-is('{k + 1} 条待上传')")
    queued = set(page.eval_on_selector_all("#outbox li.item", "rows => rows.map(r => r.dataset.id)"))
    before = len(stored(db_path, record_id))
    started = time.perf_counter()
    context.set_offline(False)
    while len(stored(db_path, record_id)) < before + n:
        if time.perf_counter() - started > 120:
            raise SystemExit("the outbox did not empty in 2 minutes")
        time.sleep(0.02)
    in_db = time.perf_counter() - started
    page.wait_for_selector(f"#outbox .count:text-is('{n} 条已上传')")
    on_page = time.perf_counter() - started
    ids = stored(db_path, record_id)
    return in_db, on_page, queued <= set(ids) and len(ids) == len(set(ids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=50)
    parser.add_argument("--residents", type=int, default=5000)
    args = parser.parse_args()
    n = args.visits
    source, _, _ = county(args.residents)
    doctor = doctor_for(village_codes()[0])
    with tempfile.TemporaryDirectory() as folder:
        db_path = Path(folder) / "county.db"
        shutil.copyfile(source, db_path)
        with serving(db_path) as port, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
            page = context.new_page()
            record_id = sign_in(page, f"http://127.0.0.1:{port}", doctor)
            form = online_visits(page, n)
            fetched = page.evaluate(FETCHES, n)
            in_db, on_page, once = emptied(context, page, db_path, record_id, n)
            browser.close()
    print(f"machine: {machine()}; county of {args.residents} residents; {doctor}'s card {record_id}")
    for label, seconds in (
        (f"baseline: {n} visits posted online through the form ", form),
        (f"baseline: the same {n} posts by fetch, no outbox      ", fetched),
        (f"outbox:   `online` to all {n} queued visits stored    ", in_db),
    ):
        print(f"{label}  {seconds:6.2f} s  {seconds / n * 1000:6.1f} ms/visit")
    print(f"outbox:   `online` to the page saying they were sent  {on_page:6.2f} s")
    ratios = f"outbox / form: {in_db / form:.2f}, outbox / fetch: {in_db / fetched:.2f}"
    print(f"each queued visit stored exactly once: {once}; {ratios}")


if __name__ == "__main__":
    main()
