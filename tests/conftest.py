import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, deadline=None, max_examples=30,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None, max_examples=30)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_sessionfinish(session, exitstatus):
    """Close the one browser the page tests shared (tests/browser.py), if they opened it."""
    import sys

    browser = sys.modules.get("browser")
    if browser is not None:
        browser.close_shared_browser()
