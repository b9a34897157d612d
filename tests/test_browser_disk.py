"""Real browser: the app started on a folder of exports (`make run DATA=...`, i.e. `streamlit run app.py -- --data
PATH`) shows their figures without any upload, and the Data page says where the files came from.

Screenshots go to tests/artifacts/ (disk_overview.png, disk_data.png).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import ARTIFACTS, start_app

pytestmark = pytest.mark.browser
SAAS = ("ravenstack_accounts.csv", "ravenstack_feature_usage.csv", "ravenstack_support_tickets.csv")


def test_the_app_opens_a_folder_given_on_its_command_line(browser, tmp_path, shared_data):
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in SAAS:
        shutil.copy(shared_data / "saas_usage" / name, folder / name)
    base, proc = start_app("--", "--data", str(folder), log_name="server_disk.log")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.route(lambda url: not url.startswith(base), lambda route: route.abort())
        page.goto(base)
        # RavenStack's accounts file has 500 rows; the sidebar counts them once the folder is loaded.
        page.get_by_test_id("stSidebar").get_by_text("accounts 500 rows").first.wait_for(timeout=90_000)
        page.get_by_test_id("stMetricValue").first.wait_for(timeout=60_000)
        page.get_by_test_id("stVegaLiteChart").first.wait_for(timeout=90_000)  # the history, drawn after the tiles
        assert page.get_by_test_id("stException").count() == 0
        page.screenshot(path=str(ARTIFACTS / "disk_overview.png"), full_page=True)
        page.get_by_test_id("stSidebarNavLink").filter(has_text="Data").first.click()
        page.get_by_role("heading", name="Data").first.wait_for(timeout=30_000)
        for name in SAAS:
            page.get_by_text(name).first.wait_for(timeout=30_000)
        assert page.get_by_text(str(folder)).count() >= 1  # where the files were opened from
        assert page.get_by_test_id("stException").count() == 0
        page.screenshot(path=str(ARTIFACTS / "disk_data.png"), full_page=True)
    finally:
        context.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
