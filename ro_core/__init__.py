"""ro_core: the pure-Python heart of ro-dashboard (storage, importers, metrics, statistics).

Never imports streamlit; the UI lives in app.py, pages/ and ro_ui/.
"""

__version__ = "0.1.0"
