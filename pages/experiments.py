"""Experiments: the A/B test planner and analysis (provided by ro_ui.experiments when present)."""

import importlib

import streamlit as st

try:
    page = importlib.import_module("ro_ui.experiments")
except ModuleNotFoundError:
    page = None

if page is None:
    st.title("Experiments")
    st.info("The A/B test planner is loading in this build: check back shortly.")
else:
    page.render()
