"""Experiments: the A/B test planner and analysis (drawn by ro_ui.experiments)."""

from ro_ui import experiments

experiments.render()
