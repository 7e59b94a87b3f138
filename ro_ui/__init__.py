"""Streamlit-side shared code: sidebar, session state, cached computations, formatting.

Pages stay thin: they read the filters from :mod:`ro_ui.state`, get numbers through the cached
functions in :mod:`ro_ui.cached` (which call ro_core) and draw them. No SQL lives here.
"""
