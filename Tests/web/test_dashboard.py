"""The dashboard in a real headless Chromium: live updates from curl, cancel, the start form, shared links,
reconnecting after a restart, and screenshots in artifacts/."""

from __future__ import annotations

import time

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import Server, free_port, make_driver


def wait(driver, timeout=15):
    # The page replaces elements as events arrive: a stale reference just means "look again".
    return WebDriverWait(driver, timeout, poll_frequency=0.05,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


def open_dashboard(driver, url: str, route: str = "#/"):
    driver.get(f"{url}/{route}")
    wait(driver).until(lambda d: d.find_element(By.ID, "connection").get_attribute("data-state") == "live")


def row(driver, task_id: str):
    return driver.find_element(By.CSS_SELECTOR, f'tr[data-task-id="{task_id}"]')


def row_field(driver, task_id: str, field: str, attribute: str | None = None) -> str | None:
    """Reads one cell of a task's row in a single script call (rows are replaced as events arrive)."""
    return driver.execute_script(
        "const el = document.querySelector(`tr[data-task-id='${arguments[0]}'] [data-field='${arguments[1]}']`);"
        "return el ? (arguments[2] ? el.getAttribute(arguments[2]) : el.textContent) : null;",
        task_id, field, attribute)


def row_status(driver, task_id: str) -> str | None:
    return row_field(driver, task_id, "status", "data-status")


def api_fetches(driver) -> int:
    """How many times the page fetched the task list (the stream, not polling, must do the rest)."""
    return driver.execute_script(
        "return performance.getEntriesByType('resource').filter(e => e.name.includes('/api/tasks')).length")


def test_task_started_by_curl_appears_and_progresses_live(browser, base_url, curl):
    open_dashboard(browser, base_url)
    fetches_before = api_fetches(browser)
    task_id = curl.start("slow_computation", {"duration": 3})
    wait(browser).until(lambda d: row_status(d, task_id) in {"queued", "working"})
    seen_percentages = set()

    def progressed(driver):
        seen_percentages.add(row_field(driver, task_id, "percent"))
        return row_status(driver, task_id) == "completed"

    wait(browser, 20).until(progressed)
    # Progress moved through intermediate values while the task ran (1/3, 2/3 ...), not just to 100 %.
    assert len(seen_percentages - {None, "", "100%"}) >= 2, seen_percentages
    assert "computed 3 steps" in row_field(browser, task_id, "message")
    assert api_fetches(browser) == fetches_before, "the dashboard polled the task list instead of using events"
    # The counters are the server's totals (GET /api/stats), refreshed within a second of an event.
    wait(browser).until(lambda d: int(d.find_element(By.CSS_SELECTOR, '[data-count="completed"]').text.replace(",", "")) >= 1)


def test_cancel_button_cancels_the_task(browser, base_url, curl):
    task_id = curl.start("slow_computation", {"duration": 60})
    open_dashboard(browser, base_url, f"#/tasks/{task_id}")
    button = wait(browser).until(EC.element_to_be_clickable((By.ID, "cancel-task")))
    assert button.tag_name == "button"
    button.click()
    wait(browser).until(lambda d: d.find_element(By.CSS_SELECTOR, ".task-head [data-field='status']")
                        .get_attribute("data-status") == "cancelled")
    wait(browser).until(lambda d: "cancelled" in d.find_element(By.ID, "task-result").text)
    assert not browser.find_element(By.ID, "cancel-task").is_enabled()
    assert curl("GET", f"/api/tasks/{task_id}").json()["status"] == "cancelled"
    browser.find_element(By.LINK_TEXT, "← All tasks").click()
    wait(browser).until(lambda d: row_status(d, task_id) == "cancelled")


def test_start_a_task_from_the_form(browser, base_url, curl):
    open_dashboard(browser, base_url, "#/new/slow_computation")
    field = wait(browser).until(EC.presence_of_element_located((By.ID, "arg-duration")))
    label = browser.find_element(By.CSS_SELECTOR, "label[for='arg-duration']")
    assert "duration" in label.text and "*" in label.text
    assert field.get_attribute("aria-required") == "true"

    # An empty required field is refused in the page, with a message tied to the field.
    field.clear()
    browser.find_element(By.ID, "start-button").click()
    error = browser.find_element(By.ID, "arg-duration-error")
    wait(browser).until(lambda d: "required" in error.text)
    assert field.get_attribute("aria-invalid") == "true"
    field.send_keys("100000")
    browser.find_element(By.ID, "start-button").click()
    wait(browser).until(lambda d: "at most 86400" in error.text)

    field.clear()
    field.send_keys("1")
    browser.find_element(By.ID, "start-button").click()
    wait(browser).until(lambda d: d.current_url.split("#")[1].startswith("/tasks/"))
    task_id = browser.current_url.split("#/tasks/")[1]
    wait(browser, 20).until(lambda d: "computed 1 steps" in d.find_element(By.ID, "task-result").text)
    assert curl("GET", f"/api/tasks/{task_id}").json()["arguments"] == {"duration": 1}


def test_form_covers_enums_arrays_and_defaults(browser, base_url):
    open_dashboard(browser, base_url, "#/new/analyze_molecules")
    count = wait(browser).until(EC.presence_of_element_located((By.ID, "arg-count")))
    assert count.get_attribute("value") == "2000"
    models = browser.find_elements(By.CSS_SELECTOR, "#arg-models input[type=checkbox]")
    assert [box.get_attribute("value") for box in models] == ["solubility", "toxicity", "binding"]
    tools = Select(browser.find_element(By.ID, "tool-select"))
    assert "echo" not in [option.get_attribute("value") for option in tools.options]  # cannot run as a task


def test_task_link_opens_the_task_in_a_fresh_browser(browser, base_url, curl):
    task_id = curl.start("deep_research", {"topic": "enzymes", "stage_ms": 100})
    open_dashboard(browser, base_url, f"#/tasks/{task_id}")
    link = wait(browser).until(EC.presence_of_element_located((By.ID, "task-link"))).get_attribute("value")
    assert link.endswith(f"#/tasks/{task_id}")
    other_device = make_driver(390, 844)  # a phone-sized screen, no shared state
    try:
        other_device.get(link)
        wait(other_device).until(lambda d: d.find_element(By.ID, "task-title").text == "deep_research")
        wait(other_device, 20).until(lambda d: "Research report on enzymes" in d.find_element(By.ID, "task-result").text)
        assert '"enzymes"' in other_device.find_element(By.ID, "task-arguments").text
        timeline = [item.get_attribute("data-status") for item in
                    other_device.find_elements(By.CSS_SELECTOR, "#timeline li")]
        assert timeline[-1] == "completed"
    finally:
        other_device.quit()


def log_lines(driver) -> list[tuple[str, str]]:
    """The task page's log as (level, text) pairs, read in one script call."""
    return driver.execute_script(
        "return [...document.querySelectorAll('#task-log li')].map(li => [li.dataset.level, li.textContent]);")


def test_task_log_streams_live_on_the_task_page(browser, base_url, curl, artifacts):
    task_id = curl.start("run_tests", {"suite": "api", "tests": 100, "fail_every": 10, "test_ms": 60})
    open_dashboard(browser, base_url, f"#/tasks/{task_id}")
    # Lines arrive while the task still runs (100 tests x 60 ms), not only once it has ended.
    wait(browser).until(lambda d: len(log_lines(d)) >= 2)
    status = curl("GET", f"/api/tasks/{task_id}").json()["status"]
    assert status == "working", f"the log should show lines while the task runs, it was {status}"
    wait(browser, 20).until(lambda d: len(log_lines(d)) == 11)  # one "running" line and 10 failures
    lines = log_lines(browser)
    assert "running 100 tests of suite api" in lines[0][1]
    assert [level for level, _ in lines[1:]] == ["warning"] * 10
    assert "FAILED api::test_10" in lines[1][1]
    # The page's lines are the server's: same count and order as GET /api/tasks/{id}/log.
    served = curl("GET", f"/api/tasks/{task_id}/log?format=json").json()["lines"]
    assert [line["text"] for line in served] == [text.split(" ", 2)[2] for _, text in lines]
    browser.execute_script("document.getElementById('log-title').scrollIntoView()")
    browser.save_screenshot(str(artifacts / "task-log.png"))


def test_a_question_is_answered_from_a_phone(base_url, curl, artifacts):
    """A task started with curl (no client to ask) waits on its question; a phone-sized browser answers it."""
    task_id = curl.start("approve_deployment", {"service": "billing"})
    phone = make_driver(390, 844)
    try:
        open_dashboard(phone, base_url, f"#/tasks/{task_id}")
        wait(phone, 20).until(lambda d: d.find_element(By.ID, "task-question").is_displayed())
        assert phone.find_element(By.ID, "question-message").text == "Deploy billing to production?"
        phone.save_screenshot(str(artifacts / "question-phone.png"))
        phone.find_element(By.CSS_SELECTOR, "#question-fields input[type=checkbox]").click()
        phone.find_element(By.ID, "answer-accept").click()
        wait(phone, 20).until(lambda d: "deployed billing" in d.find_element(By.ID, "task-result").text)
        assert not phone.find_element(By.ID, "task-question").is_displayed()
    finally:
        phone.quit()
    late = curl("POST", f"/api/tasks/{task_id}/input", '{"action": "decline"}')
    assert late.status == 409, late.text
    history = curl("GET", f"/api/tasks/{task_id}").json()["history"]
    assert any(entry.get("message") == "input answered by anonymous (accept)" for entry in history), history


def test_controls_are_labelled_buttons(browser, base_url, curl):
    task_id = curl.start("sleep", {"seconds": 0})
    for route in ("#/", "#/new/run_tests", f"#/tasks/{task_id}"):
        open_dashboard(browser, base_url, route)
        time.sleep(0.3)
        unlabelled = browser.execute_script("""
            return [...document.querySelectorAll('input, select, textarea')].filter(el =>
                !el.labels?.length && !el.getAttribute('aria-label') && el.type !== 'hidden'
                && !el.closest('fieldset label')).map(el => el.id || el.name);""")
        assert unlabelled == [], (route, unlabelled)
        clickable_divs = browser.execute_script(
            "return document.querySelectorAll('div[onclick], span[onclick], [role=button]:not(button)').length")
        assert clickable_divs == 0
    assert browser.find_element(By.ID, "announcer").get_attribute("aria-live") == "polite"


def test_reconnects_after_a_server_restart(browser):
    port = free_port()
    server = Server(port)
    try:
        open_dashboard(browser, server.url)
        server.stop()
        wait(browser).until(lambda d: d.find_element(By.ID, "connection").text == "reconnecting…")
        server = Server(port)
        task_id = None

        def live_again(driver):
            return driver.find_element(By.ID, "connection").get_attribute("data-state") == "live"

        wait(browser, 20).until(live_again)
        from conftest import Curl
        task_id = Curl(server.url).start("sleep", {"seconds": 0})
        wait(browser).until(lambda d: row_status(d, task_id) == "completed")
    finally:
        server.stop()


def test_screenshots(base_url, curl, artifacts):
    ids = {
        "done": curl.start("slow_computation", {"duration": 1}),
        "failed": curl.start("fail", {"message": "disk quota exceeded on worker-3"}),
        "tests": curl.start("run_tests", {"suite": "integration", "tests": 400, "test_ms": 60}),
        "molecules": curl.start("analyze_molecules", {"count": 20000, "batch_delay_ms": 150}),
        "cancel": curl.start("slow_computation", {"duration": 120}),
        "queued": curl.start("deep_research", {"topic": "protein folding", "stage_ms": 4000}),
    }
    curl("POST", f"/api/tasks/{ids['cancel']}/cancel")
    time.sleep(2.2)
    for name, (width, height, dark, route) in {
        "dashboard": (1280, 900, False, "#/"),
        "dashboard-dark": (1280, 900, True, "#/"),
        "dashboard-phone": (390, 844, False, "#/"),
        "task": (1280, 900, False, f"#/tasks/{ids['done']}"),
        "task-failed": (1280, 900, True, f"#/tasks/{ids['failed']}"),
        "form": (1280, 900, True, "#/new/analyze_molecules"),
    }.items():
        driver = make_driver(width, height, dark)
        try:
            open_dashboard(driver, base_url, route)
            time.sleep(0.6)
            driver.save_screenshot(str(artifacts / f"{name}.png"))
        finally:
            driver.quit()
    for task_id in ids.values():
        curl("POST", f"/api/tasks/{task_id}/cancel")
    assert (artifacts / "dashboard.png").stat().st_size > 10_000
