"""Callback logic of the dashboard pages, as plain functions (no Dash), unit-tested directly.

Each page module in :mod:`dashboards.pages` only wires components to these functions.
"""
