"""The dashboard's pages (Dash ``use_pages``): each module registers one page and its callbacks.

Dash executes these modules itself when :func:`dashboards.app.create_app` builds the app;
their logic lives in :mod:`dashboards.logic` so it can be tested without a browser.
"""
