"""Data: drop exports, read the import reports, map unknown layouts, manage loaded files."""

import streamlit as st

from ro_ui import cached, imports

db = cached.database()
st.title("Data")
st.caption(
    "Files are read on this machine into a local database; nothing is sent anywhere. "
    "Importing the same file twice changes nothing, and overlapping exports are counted once."
)
imports.upload_section(db)
imports.mapping_section(db)
imports.results_section()
imports.imports_section(db)
