"""Data: drop exports, read the import reports, map unknown layouts, manage loaded files."""

import streamlit as st

from ro_ui import cached, imports
from ro_ui.fmt import md_escape

db = cached.database()
st.title("Data")
st.caption(
    "Files are read on this machine into a local database; nothing is sent anywhere. "
    "Importing the same file twice changes nothing, and overlapping exports are counted once."
)
if db.store_engine is not None:
    # the warehouse is filled by `ro warehouse export` (or the user's own pipeline), not here
    st.info(
        "This dashboard reads the store from "
        + md_escape(db.store_engine.choice.describe())
        + ". Imports go into the DuckDB file: start the dashboard without RO_ENGINE / "
        "RO_WAREHOUSE to add files, then run `ro warehouse export` to write the warehouse again.",
        icon=":material/cloud:",
    )
    imports.imports_section(db)
else:
    imports.upload_section(db)
    imports.mapping_section(db)
    imports.results_section()
    imports.imports_section(db)
